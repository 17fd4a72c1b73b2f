"""Every command's --help has a one-line summary and an Example block; README's CLI reference is current."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from chrono_cli.cli.command import keep_examples
from tests import gen_cli_reference
from tests.conftest import invoke

COMMANDS = gen_cli_reference.command_names()


def problems(help_text: str | None) -> list[str]:
    """What is missing from a command's help text (its docstring)."""
    if not help_text or not help_text.strip():
        return ["no help text (write a docstring)"]
    lines = help_text.strip().splitlines()
    found = []
    if not lines[0].strip().endswith("."):
        found.append(f"summary line should be one sentence ending in '.': {lines[0]!r}")
    if len(lines) > 1 and lines[1].strip():
        found.append("the summary must fit on one line, followed by a blank line")
    if not examples(help_text):
        found.append("no 'Example:' block with at least one indented 'chrono ...' line")
    return found


def examples(help_text: str) -> list[str]:
    """The command lines of the Example block."""
    text = help_text.replace("\b\n", "")
    if "Example:" not in text:
        return []
    block = text.split("Example:", 1)[1]
    return [line.strip() for line in block.splitlines() if line.startswith((" ", "\t")) and line.strip()]


def test_the_checker_flags_missing_parts() -> None:
    assert problems(None) == ["no help text (write a docstring)"]
    assert len(problems("Does things\nover two lines")) == 3
    assert problems("Does things.\n\nExample:\n\n    chrono things\n") == []


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_summary_and_examples(runner: CliRunner, name: str) -> None:
    import typer

    from chrono_cli.cli.app import app
    from chrono_cli.cli.changes import show_command

    group = typer.main.get_command(app)
    command = show_command() if name == "changes show" else group.commands[name]  # type: ignore[attr-defined]
    assert problems(command.help) == [], f"chrono {name}: fix its docstring in chrono_cli/cli/"
    result = invoke(runner, [*name.split(" "), "--help"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: chrono {name} [OPTIONS]")  # its own help, not its parent's
    shown = [line.strip() for line in result.stdout.splitlines()]
    for example in examples(command.help):
        assert example.startswith("chrono "), f"chrono {name}: example {example!r} should start with 'chrono '"
        assert example in shown, f"chrono {name} --help re-wrapped the example {example!r}"


def test_root_help_lists_every_command_under_its_heading(runner: CliRunner) -> None:
    result = invoke(runner, ["--help"])
    assert result.exit_code == 0
    headings = [line for line in result.stdout.splitlines() if line.endswith(" commands:")]
    assert headings == ["Read commands:", "Write commands:", "CI commands:", "Setup commands:"]
    listed = result.stdout.split(headings[0], 1)[1]  # the commands, after the options
    sections = {"Read commands:": listed.split("Write commands:")[0],
                "Write commands:": listed.split("Write commands:")[1].split("CI commands:")[0],
                "CI commands:": listed.split("CI commands:")[1].split("Setup commands:")[0],
                "Setup commands:": listed.split("Setup commands:")[1]}
    top = [name for name in COMMANDS if " " not in name]
    for name in top:  # each command under exactly one heading
        assert sum(f"  {name} " in body for body in sections.values()) == 1, name
    for name in ("history", "blame", "changes"):
        assert f"  {name} " in sections["Read commands:"]
    for name in ("restore", "archive", "revert", "apply"):
        assert f"  {name} " in sections["Write commands:"]
    assert "  check-migrations " in sections["CI commands:"]
    assert "changes show" in COMMANDS


def test_keep_examples_marks_only_the_example_paragraphs() -> None:
    text = "Sum.\n\nDetails wrap.\n\nExample:\n\n    chrono a\n    chrono b\n\nMore text."
    assert keep_examples(text) == "Sum.\n\nDetails wrap.\n\nExample:\n\n\b\n    chrono a\n    chrono b\n\nMore text."
    assert keep_examples(keep_examples(text)) == keep_examples(text)


def test_readme_cli_reference_is_current() -> None:
    readme = gen_cli_reference.README.read_text(encoding="utf-8")
    assert gen_cli_reference.START in readme and gen_cli_reference.END in readme, (
        f"README.md has no CLI reference markers: run `{gen_cli_reference.COMMAND}`")
    assert gen_cli_reference.rewrite(readme) == readme, (
        f"README.md's CLI reference is stale: run `{gen_cli_reference.COMMAND}` and commit README.md")
