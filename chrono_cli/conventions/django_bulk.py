"""Set-based restores and reverts for the Django libraries' shared stores (django-reversion, django-auditlog,
django-pghistory).

Their stores name a record by a text or integer id (``object_id``, ``object_pk``, ``pgh_obj_id``), not by the live
key columns, and a record's state at a time is what its timeline says (reversion: the version valid then; auditlog:
the differences folded back from the live row; pghistory: the newest event). So the keys changed since a time come
from the store (decoded to the live key's type) and each record's state at T is the state of its own timeline
valid at T (the reader's, the same a single-row ``restore --at T`` picks, told from the store rows of a thousand
records read at once: ``timelines``); a row whose state at T is not fully recorded (a gap in auditlog's
differences, a field recorded in no version) refuses the whole restore rather than writing a guess. The live rows
are then written set-based from the staging table (one UPDATE, one INSERT), and each convention adds the history
rows its library writes (or lets its triggers write them).

``chrono revert`` reads a change set's records the same way (``undo``, shapes/timeline_bulk.py). The set's versions
of a record are found as ``services/revert.py`` finds them: by the version number where the set's id numbers the
versions (a reversion revision), else by the times of the set's versions (an auditlog cid, a pghistory context:
``Undo.times``; an inferred set: the span's times). A record whose state before them is not fully recorded is left
to the row-by-row code (``Fallback.ROW``: ``op`` None), which refuses it or, should it write it, turns the whole
revert row by row.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import ConventionAdapter, ReadContext
from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.shapes.bulk import CHUNK, Span, Undo, insert_live, update_live
from chrono_cli.conventions.shapes.staging import ABSENT, STAGE
from chrono_cli.conventions.shapes.timeline_bulk import Key, Read, Timelines, known, stamped, state_at
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import Op, RowKey, Version

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def decoded_keys(ctx: WriteContext, raws: Sequence[Any]) -> list[Key]:
    """Store ids as live keys (one key column), in their order, once each; an id that names no row of the live
    key's type is left out."""
    column = ctx.live_info.columns[ctx.det.key[0]]
    out: dict[Any, None] = {}
    for raw in raws:
        try:
            out[decode(raw, column.type)] = None
        except Undecodable:
            continue
    return [(k,) for k in out]


class TimelineBulk(Timelines):
    """A bulk writer whose states at a time are read from each record's timeline."""

    reader: ConventionAdapter
    undo_listed = True  # an exact set's records in the listing's order (``undo``)

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
        what the set did to it, told from its timeline read in bulk (see the module); None: the store does not
        know the group (another store's id) or holds none of its rows."""
        if isinstance(group, Span):
            return super().undo(ctx, group)
        query = self.group_query(ctx, group)
        if query is None:
            return None
        keys = decoded_keys(ctx, ctx.conn.execute(query).scalars().all())
        if not keys:
            return None
        groups: dict[Any, Any] = {}
        firsts: dict[Key, datetime | None] = {}

        def find(key: Key, versions: list[Version]) -> tuple[list[int], tuple[datetime, ...]]:
            numbered = [i for i, v in enumerate(versions) if v.number == group and v.op is not Op.UNKNOWN]
            times = {v.valid_from for v in versions if v.op is not Op.UNKNOWN and groups.get(v.number) == group}
            made = numbered or stamped(versions, times)
            firsts[key] = versions[made[0]].valid_from if made else None
            return made, () if numbered else tuple(sorted(t for t in times if t is not None))

        out = self.undo_keys(ctx, keys, find, lambda chunk: self._timelines(ctx, chunk, groups))
        assert out is not None  # a record not answered exactly is left to the row-by-row code (Fallback.ROW)
        # an exact set lists its records as the listing does (``changes.group``): by the time of each one's first
        # change, records of one time in the reverse of the order the store's query gave them
        place = {k: n for n, k in enumerate(keys)}
        return {k: out[k] for k in sorted(keys, key=lambda k: (firsts[k] is None, firsts[k] or _EPOCH, -place[k]))}

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
        """Each record the store holds rows of under ``keys`` with its state at ``at`` (None: it did not exist
        then); refused when that state is not fully recorded (``known``)."""
        query: Select[Any] = select(self.store_key(ctx)).distinct()
        for cond in (keys, self.mine(ctx)):
            if cond is not None:
                query = query.where(cond)
        wanted = self.recorded(ctx)
        found = decoded_keys(ctx, ctx.conn.execute(query).scalars().all())
        for i in range(0, len(found), CHUNK):  # the timelines of a thousand records at a time
            for key, (versions, _) in self.timelines(ctx, found[i:i + CHUNK]).items():
                version = state_at(versions, at)
                if version is None or version.op is Op.DELETE or version.values is None:
                    yield key, None
                else:
                    yield key, known(ctx, key, version, wanted, at)

    def timelines(self, ctx: WriteContext, keys: Sequence[Key]) -> dict[Key, Read]:
        return self._timelines(ctx, keys, {})

    def _timelines(self, ctx: WriteContext, keys: Sequence[Key], groups: dict[Any, Any]) -> dict[Key, Read]:
        """Each record's versions, its store rows read in one query (``history_query``) and told by the store's
        reader (``history_states``), and its live row; ``groups`` gains the change set of each version number the
        store records one for. Where the server matched a stored id that is not the key's text, the records are
        read one by one, as the reader reads them."""
        read = ReadContext(ctx.conn, ctx.snapshot, ctx.config)
        column = self.store_key(ctx)
        named = {self.stored(ctx, k[0]): k for k in keys}
        currents: Mapping[Key, dict[str, Any]] = self.live_rows(ctx, keys, None)
        rows: dict[Key, list[Any]] = {}
        stray = False
        for row in ctx.conn.execute(self.history_query(ctx).where(column.in_(list(named)))).mappings():
            number, belongs = self.row_group(row)
            if belongs is not None:
                groups[number] = belongs
            found = named.get(row[column.key])
            if found is None:  # an id the server matched otherwise (MariaDB's case-insensitive text)
                stray = True
            else:
                rows.setdefault(found, []).append(row)
        return {key: (self.reader.versions(read, ctx.det, RowKey(((ctx.det.key[0], key[0]),))) if stray
                      else self.history_states(ctx, read, key, rows.get(key, []), currents.get(key)),
                      currents.get(key)) for key in keys}
