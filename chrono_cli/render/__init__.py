"""Rendering results; ``render`` is the only entry point. Imports nothing but model."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from chrono_cli.render.formats import OutputFormat

if TYPE_CHECKING:
    from chrono_cli.render.display import Display

__all__ = ["OutputFormat", "render"]


def render(result: object, fmt: OutputFormat, out: TextIO, *, color: bool = False, width: int | None = None,
           err: TextIO | None = None, display: Display | None = None, height: int | None = None) -> None:
    """Write ``result`` to ``out`` in ``fmt`` (resolved from ``auto``); notes for the person go to ``err``;
    ``height``: the terminal's rows (a streamed timeline lays itself out on its first screenful)."""
    from chrono_cli.render import output  # lazily: `chrono --help` should not pay for the renderers

    output.render(result, fmt, out, color=color, width=width, err=err, display=display, height=height)
