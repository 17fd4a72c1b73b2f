"""Set-based restores for the Django libraries' shared stores (django-reversion, django-auditlog, django-pghistory).

Their stores name a record by a text or integer id (``object_id``, ``object_pk``, ``pgh_obj_id``), not by the live
key columns, and a record's state at a time is what its timeline says (reversion: the version valid then; auditlog:
the differences folded back from the live row; pghistory: the newest event). So the keys changed since a time come
from the store (decoded to the live key's type) and each record's state at T is the state of its own timeline
valid at T (the reader's, the same a single-row ``restore --at T`` picks); a row whose state at T is not fully
recorded (a gap in auditlog's differences, a field recorded in no version) refuses the whole restore rather than
writing a guess. The live rows are then written set-based from the staging table (one UPDATE, one INSERT), and
each convention adds the history rows its library writes (or lets its triggers write them).
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import ConventionAdapter, ReadContext
from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.shapes.bulk import CHUNK, BulkWriter, insert_live, update_live
from chrono_cli.conventions.shapes.staging import ABSENT, STAGE
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.errors import Refused, UnsupportedOperation
from chrono_cli.model import Op, RowKey, Version


def state_at(versions: Sequence[Version], at: datetime) -> Version | None:
    """The version valid at ``at`` (the last one whose interval holds it), None when none does."""
    found = None
    for v in versions:
        if (v.valid_from is None or v.valid_from <= at) and (v.valid_to is None or at < v.valid_to):
            found = v
    return found


class TimelineBulk(BulkWriter):
    """A bulk writer whose states at a time are read from each record's timeline."""

    reader: ConventionAdapter

    def check(self, ctx: WriteContext) -> None:
        if len(ctx.det.key) != 1:
            raise UnsupportedOperation(f"{ctx.det.live}: the store names records by one key column")

    def live_steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        """The live rows' UPDATE, and the INSERT of the re-created ones when there are any (MariaDB refuses an
        INSERT ... SELECT leaving out a NOT NULL column without default even when it selects no row)."""
        steps = [update_live(ctx, stage, columns)]
        if (
            stage.name == STAGE
            or ctx.conn.execute(select(func.count()).select_from(stage).where(stage.c[ABSENT].is_(True))).scalar()
        ):
            steps.append(insert_live(ctx, stage, columns))
        return steps

    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset()  # the libraries keep no version column in the live table

    @abc.abstractmethod
    def store_key(self, ctx: WriteContext) -> Any:
        """The store column naming the record."""

    def mine(self, ctx: WriteContext) -> ColumnElement[bool] | None:
        """The condition selecting the live table's store rows (a content type), None: all of them."""
        return None

    def stored(self, ctx: WriteContext, key: Any) -> Any:
        """A live key as the store column holds it."""
        return key

    def keys_since(self, ctx: WriteContext, since: datetime) -> list[tuple[Any, ...]]:
        column = ctx.live_info.columns[ctx.det.key[0]]
        out: dict[Any, None] = {}
        for raw in ctx.conn.execute(self.changed_since(ctx, since)).scalars():
            try:
                out[decode(raw, column.type)] = None
            except Undecodable:
                continue  # an id that names no row of this table's key type
        return [(k,) for k in out]

    def key_filter(
        self, ctx: WriteContext, table: Table, keys: Sequence[tuple[Any, ...]], since: datetime | None
    ) -> Iterator[ColumnElement[bool]]:
        """IN chunks of the keys, on the store's id column or the live key column (``since`` is not used: the
        store's ids are not the live key's type)."""
        for i in range(0, len(keys), CHUNK):
            chunk = [k[0] for k in keys[i : i + CHUNK]]
            if table is ctx.store:
                yield self.store_key(ctx).in_([self.stored(ctx, k) for k in chunk])
            else:
                yield table.c[ctx.det.key[0]].in_(chunk)

    def states_where(
        self,
        ctx: WriteContext,
        at: datetime,
        keys: ColumnElement[bool] | None,
    ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        query: Select[Any] = select(self.store_key(ctx)).distinct()
        for cond in (keys, self.mine(ctx)):
            if cond is not None:
                query = query.where(cond)
        name = ctx.det.key[0]
        column = ctx.live_info.columns[name]
        wanted = self.recorded(ctx)
        read = ReadContext(ctx.conn, ctx.snapshot, ctx.config)
        for raw in ctx.conn.execute(query).scalars():
            try:
                key = decode(raw, column.type)
            except Undecodable:
                continue
            version = state_at(self.reader.versions(read, ctx.det, RowKey(((name, key),))), at)
            if version is None or version.op is Op.DELETE or version.values is None:
                yield (key,), None
                continue
            missing = [c for c in wanted if c not in version.values or c in version.unrecorded]
            if missing:
                raise Refused(
                    f"{ctx.det.live} {key}: its state at {at.isoformat()} is not fully recorded "
                    f"({', '.join(missing)} unknown{': ' + version.note if version.note else ''}); "
                    "nothing written",
                    hint=f"restore the other columns with --only, or this row alone ('chrono restore "
                    f"{ctx.det.live.name} {key} --at TIME' shows what is known)",
                )
            yield (key,), {c: version.values[c] for c in wanted}
