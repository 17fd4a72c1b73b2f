"""Finer diffs of one field: changed words inside a long text (as ``git diff --word-diff``), changed paths inside
a JSON document (``prefs.tags[1]: "b" → removed``).

``detail`` is the structured form (what ``-f json`` prints under ``"detail"``, see README); ``marked`` is how a
person reads it, a ``Styled`` string: ``[-removed-]{+added+}`` words, one line per JSON path. A redacted value is
never diffed. Pure functions of two values: the CLI, plans, the report and the browser can share them.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from chrono_cli.model import Redacted
from chrono_cli.render.colors import MUTED, NEW, OLD, Styled
from chrono_cli.render.display import visible
from chrono_cli.render.encode import dumps

LONG_TEXT = 40  # a text at least this long (on either side) that holds words is diffed word by word
SHOWN_PATHS = 20  # JSON paths listed for a person; -f json lists them all
_WORDS = re.compile(r"\s+|\w+|[^\w\s]")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ABSENT = object()


def detail(column: str, old: Any, new: Any) -> dict[str, Any] | None:
    """How ``old`` became ``new`` in detail, or None when there is nothing finer than old → new.

    ``{"kind": "words", "parts": [{"op": "same|removed|added", "text": ...}]}`` for two long texts;
    ``{"kind": "json", "paths": [{"path", "change": "changed|added|removed", "old", "new"}]}`` for two JSON
    objects or arrays (JSON columns, or JSON text in text columns when both sides parse)."""
    if isinstance(old, Redacted) or isinstance(new, Redacted) or old is None or new is None:
        return None
    a, b = _document(old), _document(new)
    if a is not _ABSENT and b is not _ABSENT:
        paths = [{"path": p, "change": change, "old": o, "new": n} for p, change, o, n in _paths(a, b, column)]
        return {"kind": "json", "paths": paths} if paths else None
    if isinstance(old, str) and isinstance(new, str) and old != new and _long(old, new):
        parts = _words(old, new)
        # nothing in common but spaces: the whole value changed, and old → new says it better
        return (
            {"kind": "words", "parts": parts} if any(p["op"] == "same" and p["text"].strip() for p in parts) else None
        )
    return None


def marked(found: dict[str, Any]) -> Styled:
    """A detail for people: words with ``[-...-]``/``{+...+}`` around the changes, or one line per JSON path."""
    if found["kind"] == "words":
        pieces: list[tuple[str, str | None]] = []
        for part in found["parts"]:
            shown = visible(part["text"])
            if part["op"] == "removed":
                pieces.append((f"[-{shown}-]", OLD))
            elif part["op"] == "added":
                pieces.append((f"{{+{shown}+}}", NEW))
            else:
                pieces.append((shown, None))
        return Styled.assemble(pieces)
    paths = found["paths"]
    lines = [_path_line(p) for p in paths[:SHOWN_PATHS]]
    if len(paths) > SHOWN_PATHS:
        lines.append(Styled.whole(f"… {len(paths) - SHOWN_PATHS} more paths (-f json lists them all)", MUTED))
    return Styled.lines(lines)


def _path_line(p: dict[str, Any]) -> Styled:
    old = ("added", MUTED) if p["change"] == "added" else (_json(p["old"]), OLD)
    new = ("removed", MUTED) if p["change"] == "removed" else (_json(p["new"]), NEW)
    return Styled.assemble([(f"{p['path']}: ", None), old, (" → ", None), new])


def _json(value: Any) -> str:
    return visible(dumps(value, indent=None))


def _document(value: Any) -> Any:
    """A JSON object or array: the value itself, or the text parsed; else ``_ABSENT``."""
    if isinstance(value, Mapping | list):
        return value
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return _ABSENT
        return parsed if isinstance(parsed, dict | list) else _ABSENT
    return _ABSENT


def _long(old: str, new: str) -> bool:
    return max(len(old), len(new)) >= LONG_TEXT and any(c.isspace() for c in old + new)


def _words(old: str, new: str) -> list[dict[str, str]]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    parts: list[dict[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append({"op": "same", "text": "".join(a[i1:i2])})
            continue
        if i2 > i1:
            parts.append({"op": "removed", "text": "".join(a[i1:i2])})
        if j2 > j1:
            parts.append({"op": "added", "text": "".join(b[j1:j2])})
    return parts


def _paths(old: Any, new: Any, path: str) -> Iterator[tuple[str, str, Any, Any]]:
    """(path, change, old, new) for every leaf that differs; arrays are matched element by element in order,
    so removing one element reads as that element removed, not as every later one changed."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for k in dict.fromkeys([*old, *new]):
            sub = f"{path}.{k}" if _KEY.fullmatch(str(k)) else f"{path}[{json.dumps(str(k), ensure_ascii=False)}]"
            if k not in new:
                yield sub, "removed", old[k], None
            elif k not in old:
                yield sub, "added", None, new[k]
            else:
                yield from _paths(old[k], new[k], sub)
    elif isinstance(old, list) and isinstance(new, list):
        a, b = [_key(v) for v in old], [_key(v) for v in new]
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "equal":
                continue
            if op == "replace" and i2 - i1 == j2 - j1:
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                    yield from _paths(old[i], new[j], f"{path}[{i}]")
                continue
            for i in range(i1, i2):
                yield f"{path}[{i}]", "removed", old[i], None
            for j in range(j1, j2):
                yield f"{path}[{j}]", "added", None, new[j]
    elif _key(old) != _key(new):
        yield path, "changed", old, new


def _key(value: Any) -> str:
    """A value as comparable text: 1 and true differ, key order does not matter."""
    return json.dumps(value, sort_keys=True, default=str)
