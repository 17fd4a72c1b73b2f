"""``chrono conventions``: every convention chrono can read, where it comes from and what it can do."""

from __future__ import annotations

from typing import Any

from chrono_cli.conventions import registry
from chrono_cli.model import ResultSet

COLUMNS = ("name", "shape", "source", "capabilities", "records")
_RECORDS = (("records_inserts", "inserts"), ("records_deletes", "deletes"), ("records_actor", "actor"),
            ("exact_changesets", "exact change sets"))


def list_conventions() -> ResultSet:
    """One row per loaded convention, in detection order; plugins that failed to load are notes."""
    reg = registry()
    docs: list[dict[str, Any]] = []
    for conv in reg:
        records = [label for attr, label in _RECORDS if getattr(conv.traits, attr)]
        docs.append({"name": conv.name, "title": conv.title, "shape": conv.shape, "source": conv.source,
                     "version": conv.version or None, "capabilities": conv.capability_names,
                     "traits": {attr: getattr(conv.traits, attr) for attr, _ in _RECORDS} |
                               {"archive": conv.traits.archive},
                     "records": records})
    rows = [[d["name"], d["shape"], f"{d['source']} {d['version'] or ''}".strip(), ", ".join(d["capabilities"]),
             ", ".join(d["records"]) or "-"] for d in docs]
    return ResultSet(COLUMNS, rows, title="conventions", document={"conventions": docs,
                                                                   "problems": list(reg.problems)},
                     notes=tuple(f"skipped: {p}" for p in reg.problems))
