"""SQLAlchemy-Continuum: what ``version.revert()`` writes, one new transaction per restored row.

Python-side versioning (§4.6 of the conventions): 1. INSERT a ``transaction`` row (id from
``nextval('transaction_id_seq')`` on PostgreSQL, where the column has no default; autoincrement elsewhere),
``issued_at`` = now (naive UTC), ``user_id`` only when --actor is the id of a user row; 2. UPDATE the base
row's versioned columns (INSERT it for an undelete); 3. validity strategy: close the key's open version row
(``end_transaction_id`` = X); 4. INSERT the version row with the new state, ``operation_type`` 1 (0 for a
re-insert) and ``<col>_mod`` = old IS DISTINCT FROM new (all true on a re-insert); 5. ``transaction_changes``
(X, entity class name); 6. ``transaction_meta`` (X, 'reason', --reason). X is never known when the plan is
made: later statements read it back in SQL (``currval`` on PostgreSQL, ``LAST_INSERT_ID()`` on MariaDB, the
newest id under SQLite's write lock). A delete is the same with ``operation_type`` 2, the last state and every
``_mod`` flag true. Rows of one multi-row write (``chrono revert``) share one transaction row, as one commit of
the application would; ``transaction_changes`` then gets each entity name once. A link row of a versioned
association table gets only the version row Continuum's execute hook writes (op 0 or 2, no validity update,
no ``transaction_changes``). Native versioning: steps 1, 2 and 6 only; the triggers write the rest.
Association memberships are not restored by a single-row restore.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Sequence as DbSequence
from sqlalchemy import (
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import REGCLASS

from chrono_cli.conventions.actors import user_id
from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.builtin.continuum.adapter import entity_name
from chrono_cli.conventions.builtin.continuum.options import ContinuumOptions
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.memberships import membership_note
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.shapes.old_state_write import missing_keys
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet, find_info
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.db import reflect
from chrono_cli.db.reflect import TableInfo
from chrono_cli.errors import Refused
from chrono_cli.model import FieldChange, RowKey, TableRef, Timeline, Version
from chrono_cli.records import replace

_NEXTVAL = re.compile(r"nextval\('([^']+)'")
INSERT, UPDATE, DELETE = 0, 1, 2  # operation_type


def is_link(info: TableInfo) -> bool:
    """A plain association table: every column is in its key and in a foreign key (``secondary=`` tables)."""
    fk_columns = {c for fk in info.foreign_keys for c in fk.columns}
    return len(info.foreign_keys) >= 2 and set(info.columns) <= fk_columns


class ContinuumWriter(Writer):
    """SQLAlchemy-Continuum / SQLAlchemy-History ``<table>_version`` + ``transaction``."""


    def bookkeeping(self, det: Detection) -> frozenset[str]:
        return frozenset(a.name for a in det.opts(ContinuumOptions).associations)

    def context(self, ctx: WriteContext) -> WriteContext:
        """A joined-inheritance child is written as its object: every column of the tables up to it."""
        from chrono_cli.conventions.builtin.continuum.joined import ancestors, merged_info

        up = ancestors(ctx)
        if not up:
            return ctx
        merged: dict[Any, TableInfo] = ctx.shared.memo("continuum:merged")  # one per write: its Table built once
        if ctx.det.live not in merged:
            merged[ctx.det.live] = merged_info(up, ctx.live_info)
        return replace(ctx, merged=merged[ctx.det.live])

    def current_row(self, ctx: WriteContext, key: RowKey) -> dict[str, Any] | None:
        if ctx.merged is None:
            return super().current_row(ctx, key)
        from chrono_cli.conventions.builtin.continuum.joined import ancestors, rows_of

        return rows_of(ctx, ancestors(ctx), key)

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        joined = self._joined(ctx, key, new, op=UPDATE)
        if joined is not None:
            return joined
        versioned = set(ctx.det.opts(ContinuumOptions).versioned_columns)
        values = {c.column: new[c.column] for c in changes}
        base = Step(update(ctx.live).where(key_where(ctx.live, key)).values(values), "base row", expect=1)
        out = WriteSet()
        if not versioned & set(values):
            out.notes.append(f"{', '.join(values)} not versioned by Continuum: no transaction, no version row")
            out.steps.append(base)
            return out
        state = {**current, **new}
        self._write(ctx, key, out, base, state, current, op=UPDATE)
        self._notes(ctx, out, new, timeline)
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        self._refuse_part(ctx, key)
        joined = self._joined(ctx, key, new, op=INSERT)
        if joined is not None:
            return joined
        out = WriteSet()
        base = Step(insert(ctx.live_info.insert_table()).values(dict(new)), "base row re-created")
        self._write(ctx, key, out, base, dict(new), None, op=INSERT)
        self._notes(ctx, out, new, timeline)
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        joined = self._joined(ctx, key, {}, op=DELETE)
        if joined is not None:
            return joined
        out = WriteSet()
        base = Step(delete(ctx.live).where(key_where(ctx.live, key)), "base row deleted", expect=1)
        self._write(ctx, key, out, base, dict(current), None, op=DELETE)
        self._notes(ctx, out, {}, None)
        return out

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        return missing_keys(ctx, None, limit)

    def restorable(self, ctx: WriteContext, key: RowKey, version: Version, label: str) -> None:
        """Refuse to bring a joined-inheritance object's row to a version of another class than its class now (its
        key deleted and reused by an object of another class): its other tables' rows would not follow."""
        from chrono_cli.conventions.builtin.continuum.joined import class_at

        chain = _subclass_chain(ctx, key)
        if not chain or not isinstance(version.number, int):
            return  # not an object of a joined hierarchy's subclass, then or now
        values = tuple(v for _, v in key.items)
        then, now = class_at(ctx, values, chain, version.number), class_at(ctx, values, chain, None)
        if then != now:
            raise Refused(f"{ctx.det.live} {key} was an object of {then} at {label} and is one of {now} now: "
                          f"restoring its {ctx.det.live} row alone would leave it half of each",
                          hint=f"chrono history {then} {key} shows the object it was")

    def _refuse_part(self, ctx: WriteContext, key: RowKey) -> None:
        """Refuse to re-create half an object of a joined-inheritance hierarchy (which Continuum cannot load):
        a deleted object of a subclass from a table above its class's (this table's history holds only this
        table's columns, so its rows below would be left out), and an object whose key an ancestor table's live
        row holds now (an object of another class: its row there would be written over)."""
        from chrono_cli.conventions.builtin.continuum.joined import ancestors

        chain = _subclass_chain(ctx, key)
        if chain:
            raise Refused(f"{ctx.det.live} {key} was an object of {chain[-1]} (its versions are there): "
                          f"re-creating it from {ctx.det.live} would leave out its row in "
                          f"{', '.join(str(r) for r in chain)}",
                          hint=f"chrono restore {chain[-1]} {key} re-creates the whole object")
        for m in ancestors(ctx)[:-1]:
            t = m.base.table()
            if ctx.conn.execute(select(t.c[m.key[key.items[0][0]]]).where(m.where(t, key)).limit(1)).first():
                raise Refused(f"{ctx.det.live} {key} cannot be re-created: {m.base.ref} {key} exists, an object of "
                              "another class holds the key now",
                              hint=f"delete {m.base.ref} {key} first (chrono history {m.base.ref} {key} shows it)")

    def _joined(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], *, op: int) -> WriteSet | None:
        """The write-set of an object of a joined hierarchy (None: the table is not part of one)."""
        from chrono_cli.conventions.builtin.continuum.joined import hierarchy, joined_steps

        members = hierarchy(ctx, key)
        if not members:
            return None
        o = ctx.det.opts(ContinuumOptions)
        tx_info = find_info(ctx, o.transaction_table)
        if tx_info is None:
            raise Refused(f"the transaction table {o.transaction_table} is not in the schema")
        out = WriteSet()
        tx_step, x = self._transaction(ctx, tx_info)
        opened = str(tx_info.ref)
        if ctx.shared.once("transaction", opened):
            out.steps.append(tx_step)
        out.steps += joined_steps(ctx, key, members, new, x, op, opened)
        meta = find_info(ctx, o.transaction_meta)
        if meta is not None and ctx.meta.reason and meta.has("transaction_id", "key", "value") \
                and ctx.shared.once("transaction_meta", opened, "reason"):
            out.steps.append(Step(insert(meta.insert_table()).values({"transaction_id": x, "key": "reason",
                                                               "value": ctx.meta.reason}),
                                  "transaction_meta: reason"))
        out.notes.append("joined-table inheritance: " + ", ".join(str(m.base.ref) for m in members)
                         + " written together (base rows and one version row each)")
        self._notes(ctx, out, new, None)
        return out

    def _write(self, ctx: WriteContext, key: RowKey, out: WriteSet, base: Step, state: Mapping[str, Any],
               old: Mapping[str, Any] | None, *, op: int) -> None:
        o = ctx.det.opts(ContinuumOptions)
        tx_info = find_info(ctx, o.transaction_table)
        if tx_info is None:
            raise Refused(f"the transaction table {o.transaction_table} is not in the schema")
        native = bool(o.native)
        if native and (not o.native_enabled or not (o.triggers.transaction if o.triggers else None)):
            raise Refused(f"{ctx.det.live} uses native versioning but its trigger "
                          f"{o.triggers.table if o.triggers else None} is disabled or transaction_trigger is missing: "
                          "a write would not be versioned", hint="re-enable the triggers (sync_trigger) first")
        tx_step, x = self._transaction(ctx, tx_info)
        opened = str(tx_info.ref)
        if ctx.shared.once("transaction", opened):
            out.steps.append(tx_step)
        out.steps.append(base)
        link = is_link(ctx.live_info)
        if not native:
            v = ctx.store
            end = o.end_transaction_column
            if end and not link:
                out.steps.append(Step(update(v).where(key_where(v, key), v.c[end].is_(None)).values({end: x}),
                                      "close the open version row (end_transaction_id = the new transaction)"))
            what = {INSERT: "the new state", UPDATE: "the new state", DELETE: "the last state"}[op]
            out.steps.append(Step(insert(ctx.store_info.insert_table()).values(
                self._version_row(ctx, state, old, x, op)), f"version row: {what}, operation_type {op}"))
            from chrono_cli.conventions.builtin.continuum.joined import own_class

            changes = find_info(ctx, o.transaction_changes)
            name = entity_name(ctx.conn, ctx.snapshot, ctx.det, own_class(ctx)) \
                if changes is not None and not link else None
            if changes is not None and name is not None and ctx.shared.once("transaction_changes", opened, name):
                out.steps.append(Step(insert(changes.insert_table()).values({"transaction_id": x, "entity_name": name}),
                                      f"transaction_changes: {name}"))
        else:
            out.notes.append("native versioning: the triggers write the version row and close the previous one")
        meta = find_info(ctx, o.transaction_meta)
        if meta is not None and ctx.meta.reason and meta.has("transaction_id", "key", "value"):
            if ctx.shared.once("transaction_meta", opened, "reason"):
                out.steps.append(Step(insert(meta.insert_table()).values({"transaction_id": x, "key": "reason",
                                                                   "value": ctx.meta.reason}),
                                      "transaction_meta: reason"))
        elif ctx.meta.reason:
            out.notes.append("no transaction_meta table: the reason is not recorded")

    def _transaction(self, ctx: WriteContext, tx_info: TableInfo) -> tuple[Step, Any]:
        """The INSERT of the transaction row, and the SQL expression that reads its id back later."""
        tx = tx_info.table()
        row: dict[str, Any] = {"issued_at": stamp(ctx.now, tx_info.columns["issued_at"].type, ctx.config.timezone)}
        user_col = ctx.det.opts(ContinuumOptions).user_column
        if user_col and user_col in tx_info.columns:
            uid = user_id(ctx.conn, tx_info, user_col, ctx.meta.actor)
            row[user_col] = uid
        dialect = ctx.conn.dialect.name
        if dialect == "postgresql":
            default = tx_info.columns["id"].default
            m = _NEXTVAL.search(default or "")
            if m:
                seq = m.group(1)
            else:
                name = str(ctx.det.opts(ContinuumOptions).sequence or "transaction_id_seq")
                row["id"] = DbSequence(name, schema=tx_info.ref.schema).next_value()
                seq = f"{tx_info.ref.schema}.{name}" if tx_info.ref.schema else name
            x: Any = func.currval(cast(seq, REGCLASS))
        elif dialect in ("mysql", "mariadb"):
            name = str(ctx.det.opts(ContinuumOptions).sequence or "transaction_id_seq")
            if reflect.has_sequence(ctx.conn, name, tx_info.ref.schema):  # MariaDB >= 10.3: what SQLAlchemy created
                sequence = DbSequence(name, schema=tx_info.ref.schema)
                row["id"] = sequence.next_value()
                x = func.lastval(literal_column(ctx.conn.dialect.identifier_preparer.format_sequence(sequence)))
            else:
                x = func.last_insert_id()
        else:
            x = select(func.max(tx.c.id)).scalar_subquery()
        label = "transaction row: the write's transaction (one for all its rows)"
        step = Step(insert(tx_info.insert_table()).values(row), label)
        return step, x

    def _version_row(self, ctx: WriteContext, state: Mapping[str, Any], old: Mapping[str, Any] | None, x: Any,
                     op: int) -> dict[str, Any]:
        o = ctx.det.opts(ContinuumOptions)
        info = ctx.store_info
        mods: Mapping[str, str] = o.mod_columns
        flags = set(mods.values())
        internal = {o.transaction_column, o.operation_type_column, o.end_transaction_column}
        row: dict[str, Any] = {}
        for c in info.columns:
            if c in internal or c in flags:
                continue
            row[c] = state.get(c)
        row[o.transaction_column] = x
        row[o.operation_type_column] = op
        if o.end_transaction_column:
            row[o.end_transaction_column] = None
        for c, flag in mods.items():
            row[flag] = op != UPDATE or old is None or not same(old.get(c), state.get(c))
        return row

    def _notes(self, ctx: WriteContext, out: WriteSet, new: Mapping[str, Any], timeline: Timeline | None) -> None:
        out.notes += actor_notes(ctx)
        names = [a.name for a in ctx.det.opts(ContinuumOptions).associations]
        note = membership_note(ctx.det, names, new, timeline)
        if note:
            out.notes.append(note)


def _subclass_chain(ctx: WriteContext, key: RowKey) -> tuple[TableRef, ...] | None:
    """The tables below the written one down to the class of ``key``'s object, where it is (or was) of a subclass
    (``joined.subclass_tables``)."""
    from chrono_cli.conventions.builtin.continuum.joined import subclass_tables

    values = tuple(v for _, v in key.items)
    return (subclass_tables(ctx, [values]) or {}).get(values)


def actor_notes(ctx: WriteContext) -> list[str]:
    """What a write's plan says about the actor: one that names no user leaves the transaction's user NULL."""
    user_col = ctx.det.opts(ContinuumOptions).user_column
    tx_info = find_info(ctx, ctx.det.opts(ContinuumOptions).transaction_table)
    if user_col and tx_info is not None and ctx.meta.actor:
        if user_id(ctx.conn, tx_info, user_col, ctx.meta.actor) is None:
            return [f"actor {ctx.meta.actor!r} is not a user id: transaction.{user_col} left NULL"]
        return []
    return ["the transaction table has no user column: the actor is not recorded"] if ctx.meta.actor else []
