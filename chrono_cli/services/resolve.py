"""Resolving what the user typed as TABLE to a real table."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

from chrono_cli.config import Config
from chrono_cli.errors import AmbiguousTable, TableNotFound
from chrono_cli.model import TableRef


def variants(name: str) -> list[str]:
    """Singular/plural and model-name spellings of ``name``, most likely first."""
    low = name.lower()
    out = [low]
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    out.append(snake)
    for base in (low, snake):
        if base.endswith("ies"):
            out.append(base[:-3] + "y")
        elif base.endswith(("ses", "xes", "ches", "shes")):
            out.append(base[:-2])
        elif base.endswith("s"):
            out.append(base[:-1])
        if base.endswith("y") and not base.endswith(("ay", "ey", "oy", "uy")):
            out.append(base[:-1] + "ies")
        elif base.endswith(("s", "x", "ch", "sh")):
            out.append(base + "es")
        else:
            out.append(base + "s")
    out += [v.replace("_", "") for v in list(out)]
    seen: list[str] = []
    for v in out:
        if v not in seen:
            seen.append(v)
    return seen


def resolve_table(query: str, names: Mapping[str | None, Sequence[str]], config: Config, *,
                  default_schema: str | None = None) -> TableRef:
    """Exact, schema-qualified, case-insensitive, plural/singular, alias and model-name matches, in that order.

    ``default_schema`` is the name of the schema ``names`` lists unqualified (under None): SQLite's ``main``,
    MariaDB's current database; ``main.users`` then names the table ``users``.
    """
    target = config.aliases.get(query, query)
    schema_part, _, bare = target.rpartition(".")
    if schema_part and schema_part not in names and schema_part == default_schema and None in names:
        schema_part = ""
        names = {None: names[None]}
    scopes = {s: n for s, n in names.items() if not schema_part or s == schema_part}
    if schema_part and not scopes:
        raise TableNotFound(f"no schema named '{schema_part}'",
                            hint=f"schemas searched: {', '.join(str(s) for s in names if s) or '(default)'}")
    for matcher in (lambda n: n == bare, lambda n: n.lower() == bare.lower()):
        hit = _first(scopes, matcher)
        if hit:
            return hit
    for v in variants(bare):
        hit = _first(scopes, lambda n, v=v: n.lower() == v)
        if hit:
            return hit
    everything = [n for ns in scopes.values() for n in ns]
    close = difflib.get_close_matches(bare, everything, n=3, cutoff=0.6)
    raise TableNotFound(f"no table named '{query}'",
                        hint=f"did you mean {' or '.join(repr(c) for c in close)}?" if close
                        else "run 'chrono tables' to list the versioned tables")


def _first(scopes: Mapping[str | None, Sequence[str]], match: object) -> TableRef | None:
    hits = [TableRef(s, n) for s, ns in scopes.items() for n in ns if match(n)]  # type: ignore[operator]
    if not hits:
        return None
    if len({h.name for h in hits}) > 1 and len({h.schema for h in hits}) == 1:
        raise AmbiguousTable(f"'{hits[0].name}' matches several tables: {', '.join(str(h) for h in hits)}",
                             hint="give the exact table name")
    return hits[0]  # the first schema on the search path wins, as in SQL
