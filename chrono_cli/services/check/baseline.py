"""The versioning baseline: which tables are versioned and how, recorded once and compared on every check.

``chrono check-migrations --write-baseline FILE`` writes it (commit it next to the migrations); ``[check] baseline
= FILE`` in chrono.toml (or ``--baseline FILE``) makes every later check compare with it, so a table that lost its
history store, or its versioning altogether, is an error even when nothing is left in the schema to say it was
ever versioned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from chrono_cli.errors import ConfigError, UsageError
from chrono_cli.model import CheckedTable, Finding, Severity, TableRef

FORMAT = 1


@dataclass(frozen=True, slots=True)
class Entry:
    """One versioned table as the baseline records it."""

    table: str
    history: str | None
    convention: str


def entries(checked: tuple[CheckedTable, ...]) -> list[Entry]:
    """The versioned tables of a check: those with a store (archive columns and orphans included as they are)."""
    return sorted({Entry(str(c.table), None if c.history is None else str(c.history), c.convention)
                   for c in checked if c.history is not None},
                  key=lambda e: (e.table, e.convention, e.history or ""))


def write(path: Path, checked: tuple[CheckedTable, ...]) -> int:
    """Write the baseline of ``checked`` to ``path``; the number of versioned tables recorded."""
    found = entries(checked)
    doc = {"chrono_baseline": FORMAT, "tables": [{"table": e.table, "history": e.history,
                                                  "convention": e.convention} for e in found]}
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
        out.append(Entry(item["table"], item["history"], item["convention"]))
    return out


def compare(baseline: list[Entry], checked: tuple[CheckedTable, ...], wanted: set[TableRef]) -> list[Finding]:
    """A finding for every versioned table of the baseline that is not versioned the same way any more."""
    now = {(e.table, e.convention): e for e in entries(checked)}
    out: list[Finding] = []
    for e in baseline:
        ref = _ref(e.table)
        if wanted and ref not in wanted:
            continue
        current = now.get((e.table, e.convention))
        if current is not None and current.history == e.history:
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


def _ref(text: str) -> TableRef:
    schema, _, name = text.rpartition(".")
    return TableRef(schema or None, name)
