"""Soft-delete and archive columns (``is_archived``, ``deleted_at``, ...): a row is hidden, not removed."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.base import ArchiveOptions, ConventionAdapter, Detection, ReadContext
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.types import has_timezone, is_boolean, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import Op, RowKey, Version

TIMESTAMP_NAMES = ("deleted_at", "archived_at", "discarded_at", "removed_at", "deleted")
BOOLEAN_NAMES = ("is_archived", "is_deleted", "archived", "deleted")
COMPANIONS = ("deleted_by_cascade", "restored_at")


def archive_column(t: TableInfo, declared: str | None = None) -> tuple[str, str, list[str]] | None:
    """(column, 'boolean'|'timestamp', evidence) for the table's archive column, if it has one."""
    names = (declared,) if declared else TIMESTAMP_NAMES + BOOLEAN_NAMES
    for name in names:
        c = t.columns.get(name) if name else None
        if c is None or name in t.pk:
            continue
        if is_timestamp(c.type) and c.nullable:
            kind = "timestamp"
            evidence = [f"{t.ref.name}.{name} nullable timestamp{' with time zone' if has_timezone(c.type) else ''}"]
        elif is_boolean(c.type):
            kind = "boolean"
            evidence = [f"{t.ref.name}.{name} boolean"]
        else:
            continue
        if declared:
            evidence.append("declared as archive_column in config")
        if any(name in ix.columns for ix in t.indexes):
            evidence.append(f"{name} is indexed")
        evidence += [f"companion column {x}" for x in COMPANIONS if x in t.columns]
        return name, kind, evidence
    return None


class SoftDeleteAdapter(ConventionAdapter):
    """Archive columns: archived rows stay in the table with a flag or a timestamp set."""

    name = "soft-delete"
    title = "soft-delete / archive column"

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for t in snapshot:
            found = archive_column(t)
            if found is None or not t.pk:
                continue
            column, kind, evidence = found
            yield Detection(self.name, t.ref, t.ref, t.pk, time_col=column if kind == "timestamp" else None,
                            score=len(evidence), evidence=tuple(evidence),
                            options=ArchiveOptions(column, kind))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
        if live is None:
            return []
        declared = set(ctx.config.unrecorded)
        return [Version(values={k: v for k, v in live.items() if k not in declared}, op=Op.UNKNOWN, current=True,
                        unrecorded=tuple(sorted(declared & set(live))),
                        note="no history store: the live row only")]

    @staticmethod
    def is_archived(value: object) -> bool:
        return value is not None and value is not False and value != 0
