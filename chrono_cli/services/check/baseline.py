"""The versioning baseline: which tables are versioned and how, recorded once and compared on every check.

``chrono check-migrations --write-baseline FILE`` writes it (commit it next to the migrations); ``[check] baseline
= FILE`` in chrono.toml (or ``--baseline FILE``) makes every later check compare with it, so a table that lost its
history store, or its versioning altogether, is an error even when nothing is left in the schema to say it was
ever versioned. Where a convention says which columns it versions (system-versioned tables, periods,
temporal_tables), the baseline records them too: a column taken out of versioning later (``WITHOUT SYSTEM
VERSIONING``, excluded, left out of the history table) is an error while it is still in the table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

from chrono_cli.errors import ConfigError, UsageError
from chrono_cli.model import CheckedTable, Finding, Severity, TableRef
from chrono_cli.records import Struct

FORMAT = 1


class Entry(Struct, frozen=True):
    """One versioned table as the baseline records it."""

    table: str
    history: str | None
    convention: str
    columns: tuple[str, ...] | None = None  # the columns versioned (None: the convention does not say)


Columns = Mapping[tuple[TableRef, str], tuple[str, ...]]  # (table, convention) -> versioned columns


def entries(checked: tuple[CheckedTable, ...], columns: Columns | None = None) -> list[Entry]:
    """The versioned tables of a check: those with a store (archive columns and orphans included as they are)."""
    cols = columns or {}
    return sorted({Entry(str(c.table), None if c.history is None else str(c.history), c.convention,
                         cols.get((c.table, c.convention)))
                   for c in checked if c.history is not None},
                  key=lambda e: (e.table, e.convention, e.history or ""))


def write(path: Path, checked: tuple[CheckedTable, ...], columns: Columns | None = None) -> int:
    """Write the baseline of ``checked`` to ``path``; the number of versioned tables recorded."""
    found = entries(checked, columns)
    doc = {"chrono_baseline": FORMAT, "tables": [
        {"table": e.table, "history": e.history, "convention": e.convention,
         **({} if e.columns is None else {"columns": list(e.columns)})} for e in found]}
    try:
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write baseline {path}: {exc.strerror or exc}") from None
    return len(found)


def read(path: Path) -> list[Entry]:
    """The entries of a baseline file (a one-line error when it is missing or not a chrono baseline)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"baseline {path} not found",
                          hint="write it with 'chrono check-migrations --write-baseline FILE'") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"cannot read baseline {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("chrono_baseline") != FORMAT or not isinstance(doc.get("tables"), list):
        raise ConfigError(f"baseline {path} is not a chrono baseline (format {FORMAT})")
    out: list[Entry] = []
    for i, item in enumerate(doc["tables"]):
        if not isinstance(item, dict) or not isinstance(item.get("table"), str) \
                or not isinstance(item.get("convention"), str) \
                or not isinstance(item.get("history"), str | None):
            raise ConfigError(f"baseline {path}: entry {i + 1} needs table, history and convention as text")
        columns = item.get("columns")
        if columns is not None and not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
            raise ConfigError(f"baseline {path}: entry {i + 1}: columns must be a list of column names")
        out.append(Entry(item["table"], item["history"], item["convention"],
                         None if columns is None else tuple(columns)))
    return out


def compare(baseline: list[Entry], checked: tuple[CheckedTable, ...], wanted: set[TableRef],
            columns: Columns | None = None,
            present: Callable[[TableRef], frozenset[str]] = lambda _: frozenset()) -> list[Finding]:
    """A finding for every versioned table of the baseline that is not versioned the same way any more, and for
    every column it records as versioned that is still in the table (``present``) but versioned no more."""
    now = {(e.table, e.convention): e for e in entries(checked, columns)}
    out: list[Finding] = []
    for e in baseline:
        ref = _ref(e.table)
        if wanted and ref not in wanted:
            continue
        current = now.get((e.table, e.convention))
        if current is not None and current.history == e.history:
            out += _columns_lost(e, current, ref, present(ref))
            continue
        where = f"{e.history}" if e.history else "its history"
        if current is None:
            message = (f"{e.table} was versioned by {e.convention} in {where} (baseline) and no longer is: "
                       "its history store is gone or no longer matches, so the next change is not recorded")
        else:
            message = f"{e.table} keeps its {e.convention} history in {current.history}, not {e.history} (baseline)"
        out.append(Finding(ref, "versioning-lost", Severity.ERROR, message, history=_ref(e.history) if e.history
                           else None, convention=e.convention, target=ref))
    return out


def _columns_lost(was: Entry, now: Entry, ref: TableRef, present: frozenset[str]) -> list[Finding]:
    """The baseline's versioned columns that are still in the table but no longer versioned."""
    if was.columns is None or now.columns is None:
        return []
    where = f"in {now.history}" if now.history != now.table else "by the server"
    return [Finding(ref, "versioning-lost", Severity.ERROR,
                    f"{ref.name}.{c} was versioned by {was.convention} (baseline) and no longer is: its changes are "
                    f"not recorded {where} any more", c, history=_ref(now.history) if now.history else None,
                    convention=was.convention, target=ref)
            for c in was.columns if c in present and c not in now.columns]


def _ref(text: str) -> TableRef:
    schema, _, name = text.rpartition(".")
    return TableRef(schema or None, name)
