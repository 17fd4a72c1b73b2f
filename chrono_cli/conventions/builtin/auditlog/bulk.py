"""Set-based restores for django-auditlog: the live rows from the staging table, one entry per restored row.

State at T: the record's state valid at T, rebuilt backwards from the live row through its differences (its
timeline); a state across a gap in the differences is not fully known and refuses the restore. Statements: one
multi-row INSERT of the entries the single-row restore writes (action 1 with ``[old, new]`` of the changed
tracked fields, action 0 with ``["None", value]`` for a re-created row, formatted as auditlog formats them),
then the live rows' UPDATE and the re-created rows' INSERT. Masked and excluded fields are not restored. For
``chrono revert``: a change set is a ``cid`` or inferred; the rows it created are deleted with one DELETE after
one action-2 entry each (``[value, "None"]``, as auditlog logs a delete).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, null, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.actors import user_id
from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.builtin.auditlog.adapter import STORE, AuditlogAdapter, Reading, cid_changeset
from chrono_cli.conventions.builtin.auditlog.write import AuditlogWriter, actor_notes, deletion
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.django_bulk import TimelineBulk
from chrono_cli.conventions.shapes.bulk import CHUNK, delete_live, locked_rows
from chrono_cli.conventions.shapes.staging import ABSENT, STAGE
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.model import RowKey, Version

_WRITER = AuditlogWriter()


class AuditlogBulk(TimelineBulk):
    """django-auditlog ``auditlog_logentry``."""

    reader = AuditlogAdapter()

    def check(self, ctx: WriteContext) -> None:
        super().check(ctx)
        _WRITER.table_fields(ctx)

    def notes(self, ctx: WriteContext) -> list[str]:
        _, fields = _WRITER.table_fields(ctx)
        masked = f"; masked fields are not restored ({', '.join(sorted(fields.masked))})" if fields.masked else ""
        return ["auditlog: one entry per restored row, as an ordinary save logs it" + masked]

    def meta_notes(self, ctx: WriteContext) -> list[str]:
        return actor_notes(ctx, user_id(ctx.conn, ctx.store_info, "actor_id", ctx.meta.actor))

    def recorded(self, ctx: WriteContext) -> list[str]:
        _, fields = _WRITER.table_fields(ctx)
        skip = set(ctx.config.unrecorded) | set(ctx.det.key) | set(fields.masked)
        return [c for c in ctx.live_info.columns if c in fields.names and c not in skip]

    def store_key(self, ctx: WriteContext) -> Any:
        return ctx.store.c.object_pk

    def mine(self, ctx: WriteContext) -> Any:
        ct, _ = _WRITER.table_fields(ctx)
        return ctx.store.c.content_type_id == ct

    def stored(self, ctx: WriteContext, key: Any) -> Any:
        return str(key)

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        t = ctx.store
        col, value = time_pair(t.c.timestamp, since, ctx.config.timezone, ctx.conn.dialect.name)
        return select(t.c.object_pk).where(self.mine(ctx), col >= value).distinct()

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        label = f"{STORE}: one entry per restored row (action 1, or 0 when re-created)"
        return [*self._logged(ctx, stage, columns, label), *self.live_steps(ctx, stage, columns)]

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        label = f"{STORE}: one entry per deleted row (action 2)"
        return [*self._logged(ctx, stage, None, label), delete_live(ctx, stage)]

    def _logged(self, ctx: WriteContext, stage: Table, columns: Sequence[str] | None, label: str) -> list[Step]:
        """The INSERT of the staged rows' entries (``columns`` None: their deletions), none when no row logs one."""
        notes: list[str] = []
        target = insert(ctx.store_info.insert_table())
        if stage.name == STAGE:  # planning: the staging table does not exist yet; entries are per row
            names = (
                "content_type_id",
                "object_pk",
                "object_id",
                "object_repr",
                "action",
                "changes",
                "timestamp",
                "actor_id",
                "changes_text",
            )
            rows: list[dict[str, Any]] | None = [{n: bindparam(n) for n in names}]
        else:
            rows = self._entries(ctx, stage, columns, notes)
        return [Step(target.values(rows), label + ("; " + "; ".join(notes) if notes else ""))] if rows else []

    def _entries(
        self, ctx: WriteContext, stage: Table, columns: Sequence[str] | None, notes: list[str]
    ) -> list[dict[str, Any]]:
        ct, fields = _WRITER.table_fields(ctx)
        live_names = list(ctx.live.columns.keys())
        current = {k: dict(zip(live_names, row, strict=True)) for k, row in locked_rows(ctx, stage).items()}
        staged = list(ctx.conn.execute(select(stage)).mappings())
        (name,) = ctx.det.key
        reprs = self._reprs(ctx, [r[name] for r in staged])
        out = []
        for row in staged:
            key = row[name]
            text = _WRITER.formatter(ctx, RowKey(((name, key),)), fields)
            if columns is None:
                out.append(_WRITER.entry_row(ctx, notes, ct, key, reprs.get(str(key)), 2,
                                             deletion(text, fields, current[(key,)])))
                continue
            new = {c: row[c] for c in columns}
            if row[ABSENT]:
                full = {name: key, **new}
                diff = {
                    f: ["None", text(c, full[c])]
                    for c, f in fields.names.items()
                    if full.get(c) is not None and c not in fields.masked
                }
                action = 0
            else:
                before = current[(key,)]
                diff = {
                    fields.names[c]: [text(c, before[c]), text(c, v)]
                    for c, v in new.items()
                    if c in fields.names and not same(before[c], v)
                }
                action = 1
            if diff:
                out.append(_WRITER.entry_row(ctx, notes, ct, key, reprs.get(str(key)), action, diff))
        return out

    def _reprs(self, ctx: WriteContext, keys: Sequence[Any]) -> dict[str, str]:
        """The newest ``object_repr`` of each of ``keys`` (``str(obj)`` is app code: reused, never made up)."""
        t = ctx.store
        out: dict[str, str] = {}
        for i in range(0, len(keys), CHUNK):
            chunk = [str(k) for k in keys[i : i + CHUNK]]
            query = (
                select(t.c.object_pk, t.c.object_repr)
                .where(self.mine(ctx), t.c.object_pk.in_(chunk))
                .order_by(t.c.timestamp, t.c.id)
            )
            out.update({r.object_pk: r.object_repr for r in ctx.conn.execute(query)})
        return out

    def group_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        t = ctx.store
        if not isinstance(group, uuid.UUID) or "cid" not in t.c:
            return None  # a change set of another store (a transaction id)
        cids = ctx.conn.execute(select(t.c.cid).where(self.mine(ctx), t.c.cid.is_not(None)).distinct()).scalars()
        named = [c for c in cids if cid_changeset(c) == group]
        return select(t.c.object_pk).where(self.mine(ctx), t.c.cid.in_(named)).order_by(t.c.timestamp.desc()) \
            if named else None

    def history_query(self, ctx: WriteContext) -> Select[Any]:
        """The entries (``actor_id`` not read: an undo does not show the actor)."""
        t = ctx.store
        return (select(*(null().label(c.name) if c.name == "actor_id" else c for c in t.columns))
                .where(self.mine(ctx)).order_by(t.c.object_pk, t.c.timestamp, t.c.id))

    def history_states(self, ctx: WriteContext, read: ReadContext, key: tuple[Any, ...], rows: list[Any],
                       live: dict[str, Any] | None) -> list[Version]:
        memo = ctx.shared.memo("auditlog reading")
        if ctx.det.live not in memo:
            ct, _ = _WRITER.table_fields(ctx)
            memo[ctx.det.live] = self.reader.reading(read, ctx.det, ct)
        reading: Reading = memo[ctx.det.live]
        return reading.states(read, RowKey(((ctx.det.key[0], key[0]),)), reading.changes(read, rows), live)

    def row_group(self, row: Any) -> tuple[Any, Any]:
        return row["id"], cid_changeset(row.get("cid"))
