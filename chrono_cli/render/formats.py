"""Output formats and how the default is chosen."""

from __future__ import annotations

import enum


class OutputFormat(enum.StrEnum):
    """Values of -f/--format."""

    AUTO = "auto"
    TABLE = "table"
    PLAIN = "plain"
    MARKDOWN = "markdown"
    GITHUB = "github"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"


TABULATE_FORMATS = {OutputFormat.PLAIN: "plain", OutputFormat.MARKDOWN: "pipe", OutputFormat.GITHUB: "github"}
MACHINE_FORMATS = {OutputFormat.JSON, OutputFormat.JSONL, OutputFormat.CSV}


def resolve(fmt: OutputFormat | str | None, isatty: bool) -> OutputFormat:
    """``auto`` (the default) is a rich table on a terminal and plain text otherwise."""
    value = OutputFormat(fmt) if fmt else OutputFormat.AUTO
    if value is OutputFormat.AUTO:
        return OutputFormat.TABLE if isatty else OutputFormat.PLAIN
    return value
