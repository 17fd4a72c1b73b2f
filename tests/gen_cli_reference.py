"""Rewrite README.md's CLI reference from every command's --help.

Run ``python tests/gen_cli_reference.py`` after changing a command or its options; tests/cli/test_help.py
fails while the README is stale. Only the text between the two markers below is touched (they are added
at the end of README.md if missing), so the rest of the README stays hand-written.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"
COMMAND = "python tests/gen_cli_reference.py"


def command_names() -> list[str]:
    """Every registered command, in the order ``chrono --help`` lists them."""
    import typer

    from chrono_cli.cli.app import app

    group = typer.main.get_command(app)
    ctx = group.make_context("chrono", [], resilient_parsing=True)
    names = [name for name in group.list_commands(ctx)  # type: ignore[attr-defined]
             if not group.get_command(ctx, name).hidden]  # type: ignore[attr-defined, union-attr]
    return [word for name in names for word in ([name, "changes show"] if name == "changes" else [name])]


def help_text(args: list[str]) -> str:
    """``chrono ARGS --help`` at a fixed width, trailing spaces removed."""
    from typer.testing import CliRunner

    from chrono_cli.cli.app import app

    result = CliRunner().invoke(app, [*args, "--help"], prog_name="chrono", env={"COLUMNS": "80"})
    if result.exit_code != 0:
        raise RuntimeError(f"chrono {' '.join(args)} --help failed: {result.output}")
    return "\n".join(line.rstrip() for line in result.stdout.strip("\n").splitlines())


def reference() -> str:
    """The generated section, markers included."""
    parts = [START, "## CLI reference", "",
             f"Generated from each command's `--help` by `{COMMAND}`; edit the docstrings, not this section.", ""]
    for args in [[]] + [name.split(" ") for name in command_names()]:
        title = " ".join(["chrono", *args])
        parts += [f"### {title}", "", "```text", help_text(args), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def rewrite(text: str) -> str:
    """``text`` with the reference section replaced (or appended at the end)."""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        return head + reference() + tail
    return text.rstrip("\n") + "\n\n" + reference() + "\n"


def main() -> int:
    old = README.read_text(encoding="utf-8")
    new = rewrite(old)
    if new != old:
        README.write_text(new, encoding="utf-8")
        print(f"rewrote the CLI reference in {README}")
    else:
        print(f"{README}: CLI reference is up to date")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
