"""The one colour scheme: every command (diff, history, changes, plans, report) styles values with these names.

``Styled`` is a string that carries its colours: plain formats print it as it is, the terminal renderer
turns its spans into colour. So a value reads the same everywhere and is coloured only on a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

OLD = "red"  # a value before the change, words and JSON paths a change removed
NEW = "green"  # a value after the change, words and JSON paths a change added
MUTED = "dim"  # NULL, "removed"/"added" markers, labels
CHANGED = "yellow"  # an update, a row a plan changes
POSITION = "yellow"  # p3, change-set ids
OPERATIONS = {"insert": NEW, "update": CHANGED, "delete": OLD, "+": NEW, "~": CHANGED, "-": OLD}


class Styled(str):
    """A string with coloured spans ``(start, end, style)``; the spans never change the text."""

    spans: tuple[tuple[int, int, str], ...]

    def __new__(cls, value: str, spans: Iterable[tuple[int, int, str]] = ()) -> Styled:
        self = super().__new__(cls, value)
        self.spans = tuple(spans)
        return self

    @classmethod
    def whole(cls, value: str, style: str) -> Styled:
        """``value`` in one style."""
        return cls(value, [(0, len(value), style)] if value else [])

    @classmethod
    def assemble(cls, pieces: Sequence[tuple[str, str | None]], sep: str = "") -> Styled:
        """Pieces ``(text, style or None)`` put together."""
        text, spans, at = [], [], 0
        for i, (piece, style) in enumerate(pieces):
            if i and sep:
                text.append(sep)
                at += len(sep)
            if style and piece:
                spans.append((at, at + len(piece), style))
            text.append(piece)
            at += len(piece)
        return cls("".join(text), spans)

    @classmethod
    def lines(cls, lines: Sequence[Styled | str]) -> Styled:
        """Lines joined by newlines, each keeping its spans."""
        text, spans, at = [], [], 0
        for line in lines:
            spans += [(at + s, at + e, style) for s, e, style in getattr(line, "spans", ())]
            text.append(str(line))
            at += len(line) + 1
        return cls("\n".join(text), spans)
