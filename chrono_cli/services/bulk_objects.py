"""``chrono restore TABLE --at T --all-changed-since S | --keys FILE`` on a table of a joined-inheritance
hierarchy (SQLAlchemy-Continuum): each object written whole, one after another, in one transaction.

One object is a row in each table of its hierarchy, versioned together (a version row per table, one Continuum
transaction). The set-based restore writes such objects a part per table (services/bulk_joined.py) where it can;
where it cannot (tables keyed otherwise, tables that disagree) they are restored here:
each key as ``chrono restore TABLE KEY --at T`` restores one (``restore.restore_item``: the object's rows in
every table it spans and the version rows Continuum writes for them), all sharing one Continuum transaction. Keys
with no state at T (created later, or deleted then) and keys already in their state at T are skipped and listed,
as the set-based restore counts them. The plan is a row-by-row one: ``--dry-run``, ``-f json`` and ``chrono apply``
read it as any restore's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from chrono_cli.conventions.writes import WriteMeta, WriteState
from chrono_cli.conventions.writes.values import jsonable
from chrono_cli.errors import NothingToWrite, VersionNotFound
from chrono_cli.model import RowKey
from chrono_cli.services.bulk_restore import SKIPPED_ABSENT, SKIPPED_LATER, SKIPPED_SAME
from chrono_cli.services.history import load_timeline
from chrono_cli.services.plan import Plan, PlanItem
from chrono_cli.services.restore import restore_item
from chrono_cli.services.select import at_time
from chrono_cli.services.target import Target
from chrono_cli.services.workspace import Catalog
from chrono_cli.services.writeset import key_text, prepare

NOTE = ("{table} is part of a joined-inheritance hierarchy: each object is restored whole, one after another, as "
        "'chrono restore {table} KEY --at T' restores one (a set-based restore writes one table)")


def plan_objects(cat: Catalog, target: Target, database: str, keys: Sequence[tuple[Any, ...]], at: datetime,
                 only: tuple[str, ...] | None, convention: str | None, meta: WriteMeta, now: datetime,
                 progress: Callable[[str, int, int], None] | None = None) -> Plan:
    """Each object of ``keys`` (key column values of ``target``) brought to its state at ``at``; ``progress(stage,
    done, total)`` hears of each."""
    prep = prepare(cat, target, convention, meta, now)
    shared = WriteState()  # one Continuum transaction for the whole restore
    items: list[PlanItem] = []
    skipped: list[dict[str, Any]] = []
    for n, values in enumerate(keys):
        if progress:
            progress("planning objects", n, len(keys))
        key = RowKey(tuple(zip(prep.ctx.det.key, values, strict=True)))
        current = prep.writer.current_row(prep.ctx, key)
        tl = load_timeline(cat, target, key_text(key), convention)
        try:
            chosen = at_time(tl, at)
        except VersionNotFound:  # no state then: created later, or deleted at the time
            skipped.append(_skipped(target, key, SKIPPED_ABSENT if current is None else SKIPPED_LATER))
            continue
        saved = shared.checkpoint()
        try:
            items.append(restore_item(cat, target, key, action="undelete" if current is None else "restore",
                                      seq=chosen.seq, only=only, convention=convention, meta=meta, now=now,
                                      timeline=tl, shared=shared))
        except NothingToWrite:
            shared.rollback(saved)
            skipped.append(_skipped(target, key, SKIPPED_SAME))
    if not items:
        counts = Counter(str(s["why"]) for s in skipped)
        what = ", ".join(f"{n} {why}" for why, n in counts.items()) or "no rows changed"
        raise NothingToWrite(f"nothing to restore in {target.ref} ({what})")
    return Plan(table=str(target.ref), dialect=cat.dialect, database=database, created_at=now, items=tuple(items),
                actor=meta.actor, reason=meta.reason, notes=(NOTE.format(table=target.ref),), skipped=tuple(skipped))


def _skipped(target: Target, key: RowKey, why: str) -> dict[str, Any]:
    return {"table": str(target.ref), "key": jsonable(key.as_dict()), "why": why}

