"""Set-based restores for django-reversion: one revision for the whole restore, one version per restored row.

State at T: the record's version valid at T (its timeline: the newest version of a revision dated at or before
T). Statements: the INSERT of one ``reversion_revision`` (now, --reason, --actor), one multi-row INSERT of the
restored states serialized as the single-row restore serializes them (one ``reversion_version`` each, under that
revision, as ``version.revert()`` of every row inside one ``create_revision()`` block writes), then the live
rows' UPDATE and the re-created rows' INSERT. For ``chrono revert``: a change set is a revision; the rows it
created are deleted with one DELETE (reversion records no deletion: nothing else is written).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, null, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.builtin.reversion.adapter import ReversionAdapter, revision_info, sample_fields
from chrono_cli.conventions.builtin.reversion.write import ReversionWriter
from chrono_cli.conventions.django_bulk import TimelineBulk
from chrono_cli.conventions.django_models import field_column
from chrono_cli.conventions.shapes.bulk import delete_live, locked_rows
from chrono_cli.conventions.shapes.staging import ABSENT, STAGE
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.model import Version

_WRITER = ReversionWriter()


class ReversionBulk(TimelineBulk):
    """django-reversion ``reversion_revision`` + ``reversion_version``."""

    reader = ReversionAdapter()

    def check(self, ctx: WriteContext) -> None:
        super().check(ctx)
        _WRITER.content_type(ctx)

    def notes(self, ctx: WriteContext) -> list[str]:
        return [
            "reversion: one revision holds the restored state of every row; a row whose first version is "
            "after the time is left alone (reversion records no creation)"
        ]

    def meta_notes(self, ctx: WriteContext) -> list[str]:
        return _WRITER.actor_notes(ctx)

    def recorded(self, ctx: WriteContext) -> list[str]:
        columns = ctx.live_info.columns
        fields = {field_column(f, columns) for f in sample_fields(ctx.conn, ctx.store_info, _WRITER.content_type(ctx))}
        skip = set(ctx.config.unrecorded) | set(ctx.det.key)
        return [c for c in columns if c in fields and c not in skip]

    def store_key(self, ctx: WriteContext) -> Any:
        return ctx.store.c.object_id

    def mine(self, ctx: WriteContext) -> Any:
        return ctx.store.c.content_type_id == _WRITER.content_type(ctx)

    def stored(self, ctx: WriteContext, key: Any) -> Any:
        return str(key)

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        v = ctx.store
        revision = revision_info(ctx.snapshot, ctx.det.store)
        assert revision is not None
        r = revision.table()
        col, value = time_pair(r.c.date_created, since, ctx.config.timezone, ctx.conn.dialect.name)
        return (
            select(v.c.object_id)
            .join(r, r.c.id == v.c.revision_id)
            .where(v.c.content_type_id == _WRITER.content_type(ctx), col >= value)
            .distinct()
        )

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        notes: list[str] = []
        revision = _WRITER.revision_steps(ctx, notes)
        label = f"{ctx.det.store.name}: the restored state of every row (one version each, in that revision)"
        if notes:
            label += "; " + "; ".join(notes)
        target = insert(ctx.store_info.insert_table())
        if stage.name == STAGE:  # planning: the staging table does not exist yet; documents are per row
            names = ("object_id", "content_type_id", "db", "format", "serialized_data", "object_repr", "revision_id")
            versions = Step(target.values({n: bindparam(n) for n in names}), label)
        else:
            versions = Step(target.values(self._versions(ctx, stage, columns)), label)
        return [*revision, versions, *self.live_steps(ctx, stage, columns)]

    def _versions(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[dict[str, Any]]:
        live_names = list(ctx.live.columns.keys())
        current = {k: dict(zip(live_names, row, strict=True)) for k, row in locked_rows(ctx, stage).items()}
        staged = list(ctx.conn.execute(select(stage)).mappings())
        (name,) = ctx.det.key
        ct = _WRITER.content_type(ctx)
        stored = _WRITER.stored(ctx, ct, [r[name] for r in staged])
        out, states = [], []
        for row in staged:
            key = row[name]
            new = {c: row[c] for c in columns}
            state = {name: key, **new} if row[ABSENT] else {**current[(key,)], **new}
            ctx.shared.once("reversion_version", str(ct), str(key))
            states.append(state)
            out.append(_WRITER.version_row(ctx, key, stored.get(str(key), []), state))
        return out + _WRITER.follow_versions(ctx, ct, states)

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """The staged rows deleted (one DELETE): reversion records no deletion."""
        return [delete_live(ctx, stage)]

    def group_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        if isinstance(group, bool) or not isinstance(group, int):
            return None  # a change set of another store (a UUID): revisions have integer ids
        v = ctx.store
        revision = revision_info(ctx.snapshot, ctx.det.store)
        assert revision is not None
        r = revision.table()
        return (select(v.c.object_id).join(r, r.c.id == v.c.revision_id)
                .where(self.mine(ctx), v.c.revision_id == group).order_by(r.c.date_created.desc()))

    def history_query(self, ctx: WriteContext) -> Select[Any]:
        """The versions with their revision's time (its user and comment not read: an undo does not show them)."""
        v = ctx.store
        revision = revision_info(ctx.snapshot, ctx.det.store)
        assert revision is not None
        r = revision.table()
        return (select(v.c.id, v.c.object_id, v.c.revision_id, v.c.serialized_data, v.c.format, r.c.date_created,
                       null().label("user_id"), null().label("comment"))
                .join(r, r.c.id == v.c.revision_id).where(self.mine(ctx)).order_by(v.c.object_id, v.c.id))

    def history_states(self, ctx: WriteContext, read: ReadContext, key: tuple[Any, ...], rows: list[Any],
                       live: dict[str, Any] | None) -> list[Version]:
        return self.reader.states(read, ctx.det, rows, live)

    def row_group(self, row: Any) -> tuple[Any, Any]:
        return row["revision_id"], row["revision_id"]
