"""Deleting a row the way its versioning library records a deletion (``chrono revert`` of an insert)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from chrono_cli.conventions.writes import WriteMeta, WriteState
from chrono_cli.conventions.writes.checks import referencing
from chrono_cli.errors import NothingToWrite, Refused
from chrono_cli.model import RowKey, TableRef
from chrono_cli.services.plan import PlanItem
from chrono_cli.services.target import Target
from chrono_cli.services.workspace import Catalog
from chrono_cli.services.writeset import finish_delete, key_text, prepare, timeline_or_none


def delete_item(cat: Catalog, target: Target, key: RowKey, *, convention: str | None, meta: WriteMeta,
                now: datetime, shared: WriteState | None = None,
                deleting: Collection[tuple[TableRef, RowKey]] = ()) -> PlanItem:
    """The write-set that deletes ``key``, refused while rows outside ``deleting`` still reference it."""
    prep = prepare(cat, target, convention, meta, now, shared)
    where = f"{target.ref} {key_text(key)}"
    prep.writer.writable(prep.ctx, key)
    current = prep.writer.current_row(prep.ctx, key)
    if current is None:
        raise NothingToWrite(f"{where} does not exist: nothing to delete")
    children = [(t, fk, k) for t, fk, k in referencing(cat.conn, cat.full_snapshot(), target.info, key)
                if (t, k) not in deleting]
    if children:
        shown = ", ".join(f"{t} {key_text(k)}" for t, _, k in children[:5])
        more = f" and {len(children) - 5} more" if len(children) > 5 else ""
        raise Refused(f"cannot delete {where}: still referenced by {shown}{more} (foreign key {children[0][1]})")
    return finish_delete(prep, key, current, timeline_or_none(cat, target, prep, key, convention))
