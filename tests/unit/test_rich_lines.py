"""The terminal log writes the lines that fit itself (``rich_out._Lines``): byte for byte what rich prints."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.text import Text

from chrono_cli.render.colors import MUTED, NEW, OLD, POSITION
from chrono_cli.render.rich_out import _Lines


def _texts() -> list[Text]:
    head = Text("p12")
    head.stylize(POSITION)
    head.stylize("bold yellow")  # the same range twice: the styles combine in span order
    head.append("  ")
    head.append("update", style="yellow")
    head.append("  2026-01-01 00:00:01  alice@example.com")
    change = Text.assemble(Text("    changes: ", style=MUTED), "plan: free → pro")
    change.stylize(OLD, 19, 23)
    change.stylize(NEW, 26, 29)
    nested = Text("outer inner outer", style="italic")
    nested.stylize("bold", 0, 17)
    nested.stylize("red", 6, 11)
    nested.stylize("underline", 8, 100)  # past the end, as rich allows
    nested.stylize("blue", 2, 7)  # over red: the later span wins, as does a span over the base style
    based = Text("base red, span green", style="red")
    based.stylize("green", 15)
    return [
        Text("plain"), Text(""), Text("title [history-meta: x]", style="bold"), head, change, nested, based,
        Text("wide 漢字 and emoji 🙂 " * 3, style=NEW),  # cells wider than characters: still fits
        Text("x" * 30 + " word " * 30),  # longer than the width: rich wraps it
        Text("two\nlines", style=OLD), Text("a\ttab"),
    ]


@pytest.mark.parametrize(("force", "no_color"), [(True, False), (True, True), (False, False)])
@pytest.mark.parametrize("system", ["truecolor", "256", "standard"])
def test_lines_print_what_rich_prints(force: bool, no_color: bool, system: str) -> None:
    def console(out: io.StringIO) -> Console:
        return Console(file=out, force_terminal=force, no_color=no_color,
                       color_system=system if force else "auto",  # type: ignore[arg-type]
                       width=60, highlight=False, soft_wrap=False)

    ours, theirs = io.StringIO(), io.StringIO()
    line, reference = _Lines(console(ours)), console(theirs)
    for text in _texts():
        line(text)
        line()
        reference.print(text, overflow="fold")
        reference.print()
    line.flush()
    assert ours.getvalue() == theirs.getvalue()
    assert ("\x1b[" in ours.getvalue()) == force
