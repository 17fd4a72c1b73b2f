"""postgresql-audit: detection and reading of ``activity`` rows (the state after a change = old_data ||
changed_data, the library's ``Activity.data``), grouped by ``native_transaction_id``.

Inserts carry the whole new row in ``changed_data``; updates the whole old row in ``old_data`` and only the
changed keys in ``changed_data``; deletes the old row. Columns excluded from auditing never appear: they are
not recorded. States are built by the diff-log engine (shapes/json_diff.py): an update whose old_data does not
start from the state the previous activity left (a write with versioning disabled, or with the trigger off)
shows as an explicit unrecorded change. The version number is the transaction (``native_transaction_id``):
two updates of one row in one transaction are two versions with one number, told apart by position.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.base import ConventionAdapter, Degradation, Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.postgresql_audit.check import CHECK
from chrono_cli.conventions.builtin.postgresql_audit.store import (
    ACTIVITY,
    FUNCTION,
    NAME,
    AuditOptions,
    audit_triggers,
    excluded,
    key_match,
    stores,
    unaudited,
)
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.conventions.events import window
from chrono_cli.conventions.rows import as_utc, fetch_live
from chrono_cli.conventions.shapes.common import as_json, decode_values
from chrono_cli.conventions.shapes.json_diff import Change, diff_states
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.model import Op, RowChange, RowKey, Version

VERBS = {"insert": Op.INSERT, "update": Op.UPDATE, "delete": Op.DELETE}


def xid(value: Any) -> int | None:
    """A ``native_transaction_id`` (xid8 arrives as text) as an integer."""
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PostgresqlAuditAdapter(ConventionAdapter):
    """postgresql-audit's trigger-written ``activity`` log."""

    name = NAME
    title = "postgresql-audit (activity + transaction)"
    singleton_stores = (ACTIVITY,)
    table_column = "table_name"
    check = CHECK

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for activity, tx in stores(snapshot):
            for base in snapshot:
                if base is activity or base is tx or not base.pk:
                    continue
                triggers = audit_triggers(base)
                schema = triggers[0].function_schema if triggers else activity.ref.schema
                missing = unaudited(base)
                degraded = tuple(Degradation(f"no enabled audit trigger records {e.lower()}s on {base.ref.name}: "
                                             "such a write would leave no activity") for e in missing)
                evidence = (f"{activity.ref} has verb, old_data and changed_data JSONB, native_transaction_id",
                            f"{tx.ref} has native_transaction_id (postgresql-audit's, not Continuum's)")
                if triggers:
                    names = ", ".join(f"{t.name}{'' if t.enabled else ' (disabled)'}" for t in triggers)
                    evidence += (f"{base.ref.name} has audit trigger(s) calling {FUNCTION}(): {names}",)
                else:
                    evidence += (f"{activity.ref} holds rows with table_name = '{base.ref.name}'",)
                yield Detection(self.name, base.ref, activity.ref, base.pk, time_col="issued_at", score=4,
                                confirm=not triggers, degraded=degraded if triggers else (), evidence=evidence,
                                options=AuditOptions(tx.ref, schema))

    def _rows(self, ctx: ReadContext, det: Detection) -> Select[Any]:
        store = ctx.info(det.store).table()
        tx = ctx.info(det.opts(AuditOptions).transaction).table()
        actor = tx.c["actor_id"] if "actor_id" in tx.c else None
        query = select(store, *([actor.label("chrono_actor")] if actor is not None else [])).select_from(
            store.outerjoin(tx, store.c.transaction_id == tx.c.id) if "transaction_id" in store.c else store)
        query = query.where(store.c.table_name == det.live.name)
        schema = det.live.schema or ctx.snapshot.default_schema
        if schema and "schema_name" in store.c:
            query = query.where(store.c.schema_name == schema)
        return query

    def _decoded(self, ctx: ReadContext, det: Detection, raw: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
        values, unknown = decode_values(ctx, det, as_json(raw))
        return {c: v for c, v in values.items() if c not in unknown}, unknown

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        """States from the activities, oldest first, and the live row."""
        store = ctx.info(det.store).table()
        rows = ctx.conn.execute(self._rows(ctx, det).where(key_match(store, key)).order_by(store.c.id)).mappings()
        rows = list(rows)
        seen = {k for r in rows for raw in (r["old_data"], r["changed_data"]) for k in (as_json(raw) or {})}
        live_info = ctx.info(det.live)
        # excluded by audit_table(), or by the triggers' history: never in any activity, so never recorded
        skip = set(ctx.config.unrecorded) | set(excluded(live_info)) | (
            {c for c in live_info.columns if c not in seen} if rows else set())
        changes: list[Change] = []
        for r in rows:
            old, gone_old = self._decoded(ctx, det, r["old_data"])
            new, gone_new = self._decoded(ctx, det, r["changed_data"])
            unknown = tuple(dict.fromkeys((*gone_old, *gone_new)))
            note = f"keys with no matching column: {', '.join(unknown)}" if unknown else None
            changes.append(Change({c: v for c, v in old.items() if c not in skip},
                                  {c: v for c, v in new.items() if c not in skip},
                                  VERBS.get(str(r["verb"]).lower(), Op.UNKNOWN), as_utc(r["issued_at"]),
                                  xid(r["native_transaction_id"]), _actor(r), note=note))
        live = fetch_live(ctx.conn, live_info.table(), key)
        shown = [c for c in live_info.columns if c not in skip]
        return diff_states(changes, live, shown, tuple(c for c in live_info.columns if c in skip),
                           dict(key.as_dict()))

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        """Row changes in the window, newest first; ``query.group``: one transaction's (native id)."""
        store = ctx.info(det.store).table()
        stmt = self._rows(ctx, det).where(window(store.c.issued_at, query, None, ctx.conn.dialect.name))
        if query.group is not None:
            if xid(query.group) is None:
                return []
            stmt = stmt.where(cast(store.c.native_transaction_id, String) == str(xid(query.group)))
        rows = ctx.conn.execute(stmt.order_by(store.c.issued_at.desc(), store.c.id.desc())
                                .limit(query.limit)).mappings().all()
        info = ctx.info(det.live)
        columns = [c for c in info.columns if c not in ctx.config.unrecorded and c not in excluded(info)]
        out: list[RowChange] = []
        for r in rows:
            op = VERBS.get(str(r["verb"]).lower(), Op.UNKNOWN)
            old, _ = self._decoded(ctx, det, r["old_data"])
            changed, _ = self._decoded(ctx, det, r["changed_data"])
            data = {**old, **changed}
            if any(k not in data for k in det.key):
                continue
            key = RowKey(tuple((k, data[k]) for k in det.key))
            before = None if op is Op.INSERT else old
            after = None if op is Op.DELETE else data
            shown = [c for c in columns if c in data]
            out.append(RowChange(det.live, key, op, as_utc(r["issued_at"]), _actor(r), None,
                                 field_changes(before, after, shown), group=xid(r["native_transaction_id"])))
        return out


def _actor(row: Mapping[str, Any]) -> str | None:
    value = row.get("chrono_actor")
    return None if value is None else str(value)
