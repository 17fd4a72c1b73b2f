"""Set-based restores for the Django libraries' shared stores (django-reversion, django-auditlog, django-pghistory).

Their stores name a record by a text or integer id (``object_id``, ``object_pk``, ``pgh_obj_id``), not by the live
key columns, and a record's state at a time is what its timeline says (reversion: the version valid then; auditlog:
the differences folded back from the live row; pghistory: the newest event). So the keys changed since a time come
from the store (decoded to the live key's type) and each record's state at T is the state of its own timeline
valid at T (the reader's, the same a single-row ``restore --at T`` picks, told from the store rows of a thousand
records read at once: django_undo.timelines); a row whose state at T is not fully
recorded (a gap in auditlog's differences, a field recorded in no version) refuses the whole restore rather than
writing a guess. The live rows are then written set-based from the staging table (one UPDATE, one INSERT), and
each convention adds the history rows its library writes (or lets its triggers write them). ``chrono revert``
reads a change set's records the same way (``undo``, django_undo.py).
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
from chrono_cli.conventions.django_undo import decoded_keys, django_undo, timelines
from chrono_cli.conventions.shapes.bulk import CHUNK, BulkWriter, Undo, insert_live, update_live
from chrono_cli.conventions.shapes.staging import ABSENT, STAGE
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.errors import Refused, UnsupportedOperation
from chrono_cli.model import Op, Version


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
    undo_listed = True  # an exact set's records in the listing's order (django_undo.py)

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
        return decoded_keys(ctx, ctx.conn.execute(self.changed_since(ctx, since)).scalars().all())

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """Each record of the change set ``group`` (the store's change-set id, or an inferred set's ``Span``) with
        what the set did to it, told from its timeline read in bulk (django_undo.py)."""
        return django_undo(self, ctx, group)

    def group_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        """The store ids (``store_key``) of the records the exact change set ``group`` changed, in the order the
        store's lister reads them (``events``); None: ``group`` is no change-set id of this store."""
        return None

    @abc.abstractmethod
    def history_query(self, ctx: WriteContext) -> Select[Any]:
        """The table's store rows as the reader reads a record's (``history_states``), each record's in timeline
        order (the caller adds the condition on ``store_key``); the actor's columns may be left NULL: an undo does
        not show them."""

    @abc.abstractmethod
    def history_states(self, ctx: WriteContext, read: ReadContext, key: tuple[Any, ...], rows: list[Any],
                       live: dict[str, Any] | None) -> list[Version]:
        """The record's versions from its store rows (``history_query``'s, in order) and its live row, as the
        reader's ``versions`` tells them."""

    @abc.abstractmethod
    def row_group(self, row: Any) -> tuple[Any, Any]:
        """A store row's version number and the change-set id it carries (None: none)."""

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
        wanted = self.recorded(ctx)
        found = decoded_keys(ctx, ctx.conn.execute(query).scalars().all())
        for i in range(0, len(found), CHUNK):  # the timelines of a thousand records at a time (django_undo.py)
            chunk = found[i:i + CHUNK]
            versions, _ = timelines(self, ctx, chunk, self.live_rows(ctx, chunk, None))
            for key in chunk:
                yield key, self._state(ctx, key[0], state_at(versions[key], at), at, wanted)

    def _state(self, ctx: WriteContext, key: Any, version: Version | None, at: datetime,
               wanted: list[str]) -> dict[str, Any] | None:
        """The restored columns of the record's state at ``at`` (None: it did not exist then); refused when that
        state is not fully recorded."""
        if version is None or version.op is Op.DELETE or version.values is None:
            return None
        missing = [c for c in wanted if c not in version.values or c in version.unrecorded]
        if missing:
            raise Refused(
                f"{ctx.det.live} {key}: its state at {at.isoformat()} is not fully recorded "
                f"({', '.join(missing)} unknown{': ' + version.note if version.note else ''}); "
                "nothing written",
                hint=f"restore the other columns with --only, or this row alone ('chrono restore "
                f"{ctx.det.live.name} {key} --at TIME' shows what is known)",
            )
        return {c: version.values[c] for c in wanted}
