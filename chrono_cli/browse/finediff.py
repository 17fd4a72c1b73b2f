"""Finer diffs for people: changed words inside a text, changed JSON paths inside a document."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from rich.text import Text

from chrono_cli.render.encode import text

_WORDS = re.compile(r"\s+|\w+|[^\w\s]")
_MISSING = object()


def words(old: str, new: str) -> Text:
    """One line: unchanged words plain, removed ones red and struck through, added ones green."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    out = Text()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append("".join(a[i1:i2]))
            continue
        if i2 > i1:
            out.append("".join(a[i1:i2]), style="red strike")
        if j2 > j1:
            out.append("".join(b[j1:j2]), style="green")
    return out


def json_paths(old: Any, new: Any, path: str = "$") -> Iterator[tuple[str, Any, Any]]:
    """(path, old, new) for every leaf that differs; a side without the path gives ``_MISSING``."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for k in dict.fromkeys([*old, *new]):
            yield from json_paths(old.get(k, _MISSING), new.get(k, _MISSING), f"{path}.{k}")
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            yield from json_paths(old[i] if i < len(old) else _MISSING, new[i] if i < len(new) else _MISSING,
                                  f"{path}[{i}]")
    elif old != new or type(old) is not type(new):
        yield path, old, new


def fine(old: Any, new: Any) -> Text:
    """How ``old`` became ``new``: changed words for texts, changed paths for JSON (a JSON document kept in a text
    column too), else old → new."""
    old_doc, new_doc = _document(old), _document(new)
    if old_doc is not None and new_doc is not None:
        old, new = old_doc, new_doc
    if isinstance(old, str) and isinstance(new, str):
        return words(old, new)
    if isinstance(old, Mapping | list) and isinstance(new, Mapping | list):
        lines = [Text.assemble(f"{p}: ", _side(o, "red"), " → ", _side(n, "green"))
                 for p, o, n in json_paths(old, new)]
        return Text("\n").join(lines)
    return Text.assemble(_side(old, "red"), " → ", _side(new, "green"))


def _document(value: Any) -> Any:
    """A JSON object or array stored as text, parsed (None: not one)."""
    if not isinstance(value, str) or value.lstrip()[:1] not in ("{", "["):
        return None
    try:
        doc = json.loads(value)
    except ValueError:
        return None
    return doc if isinstance(doc, dict | list) else None


def _side(value: Any, style: str) -> Text:
    if value is _MISSING:
        return Text("(absent)", style="dim")
    if value is None:
        return Text("NULL", style="dim")
    return Text(text(value), style=style)
