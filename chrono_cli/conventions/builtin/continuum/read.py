"""Reading one record's Continuum versions, transactions, meta and association memberships (see continuum.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.engine import RowMapping

from chrono_cli.conventions.actors import UserLink, labels, user_link
from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.builtin.continuum.options import ContinuumOptions
from chrono_cli.conventions.memberships import change_note, member, ordered
from chrono_cli.conventions.rows import as_utc, count, fetch_live, key_where
from chrono_cli.conventions.shapes.common import Bypass, Entry, states_after
from chrono_cli.conventions.shapes.new_state import page_bounds, page_slice, window_rows
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Op, RowKey, Version
from chrono_cli.records import Struct, field

TX_COL, OP_COL = "transaction_id", "operation_type"
OPS = {0: Op.INSERT, 1: Op.UPDATE, 2: Op.DELETE}
REASON_KEYS = ("reason", "change_reason", "comment", "message", "rationale")
_CHUNK = 500
BYPASS = Bypass(entry="recorded version", update="bulk update or raw SQL", delete="bulk delete or raw SQL")


class _Tx(Struct, frozen=True):
    at: Any = None
    user: Any = None
    remote_addr: Any = None


class _Link(Struct):
    """One association's rows for this parent, grouped by transaction, and the membership so far."""

    name: str
    columns: tuple[str, ...]
    by_tx: dict[Any, list[RowMapping]]
    members: dict[Any, Any] = field(default_factory=dict)

    def apply(self, tx: Any) -> tuple[list[Any], list[Any]]:
        """Apply the transaction's rows; (members before, members after)."""
        before = list(self.members.values())
        for row in self.by_tx.get(tx, ()):
            value = member(row, self.columns)
            frozen = tuple(value) if isinstance(value, list) else value
            if row[OP_COL] == 2:
                self.members.pop(frozen, None)
            else:
                self.members[frozen] = value
        return before, list(self.members.values())


def _info(ctx: ReadContext, name: str | None) -> TableInfo | None:
    return next((t for t in ctx.snapshot if str(t.ref) == name), None) if name else None


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _transactions(ctx: ReadContext, tx_info: TableInfo, ids: list[Any]) -> dict[Any, _Tx]:
    t = tx_info.table()
    cols = [t.c.id, t.c.issued_at] + [t.c[c] for c in ("user_id", "remote_addr") if c in t.c]
    out: dict[Any, _Tx] = {}
    for chunk in _chunks(ids):
        for row in ctx.conn.execute(select(*cols).where(t.c.id.in_(chunk))).mappings():
            out[row["id"]] = _Tx(row["issued_at"], row.get("user_id"), row.get("remote_addr"))
    return out


def _meta(ctx: ReadContext, meta_info: TableInfo | None, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    if meta_info is None or not meta_info.has(TX_COL, "key", "value"):
        return {}
    m = meta_info.table()
    out: dict[Any, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        query = select(m.c[TX_COL], m.c.key, m.c.value).where(m.c[TX_COL].in_(chunk)).order_by(m.c.key)
        for tx, k, value in ctx.conn.execute(query):
            out.setdefault(tx, {})[k] = value
    return out


def _links(ctx: ReadContext, det: Detection, key: RowKey) -> list[_Link]:
    out: list[_Link] = []
    wanted = key.as_dict()
    for assoc in det.opts(ContinuumOptions).associations:
        info = _info(ctx, assoc.version_table)
        if info is None:
            continue
        av = info.table()
        where = and_(*(av.c[acol] == wanted[pcol] for acol, pcol in assoc.parent_columns.items()))
        by_tx: dict[Any, list[RowMapping]] = {}
        for row in ctx.conn.execute(select(av).where(where).order_by(av.c[TX_COL])).mappings():
            by_tx.setdefault(row[TX_COL], []).append(row)
        if by_tx:
            out.append(_Link(assoc.name, tuple(assoc.member_columns), by_tx))
    return out


class _Level(Struct):
    """One ancestor table of a joined-inheritance child: its version rows for the key, by transaction."""

    name: str
    columns: list[str]
    by_tx: dict[Any, RowMapping]

    def at(self, tx: Any) -> RowMapping | None:
        """Its version row of transaction ``tx``, else its newest older one (None: none yet)."""
        row = self.by_tx.get(tx)
        if row is None:
            older = [t for t in self.by_tx if t < tx]
            row = self.by_tx[max(older)] if older else None
        return row


def _levels(ctx: ReadContext, det: Detection, key: RowKey) -> list[_Level]:
    wanted = key.as_dict()
    out: list[_Level] = []
    for up in det.opts(ContinuumOptions).inherits:
        info = _info(ctx, up.version_table)
        if info is None:
            continue
        pv = info.table()
        where = and_(*(pv.c[theirs] == wanted[mine] for mine, theirs in up.key.items()))
        rows = ctx.conn.execute(select(pv).where(where).order_by(pv.c[TX_COL])).mappings()
        columns = [c for c in up.columns if c not in ctx.config.unrecorded]
        out.append(_Level(up.version_table, columns, {r[TX_COL]: r for r in rows}))
    return out


def _unrecorded_above(ctx: ReadContext, det: Detection) -> tuple[str, ...]:
    """Columns of the joined-inheritance ancestors that their version tables do not record (or config says so)."""
    out: list[str] = []
    for up in det.opts(ContinuumOptions).inherits:
        info = _info(ctx, up.table)
        recorded = set(up.columns) - set(ctx.config.unrecorded)
        out += [c for c in info.columns if c not in recorded and c not in up.key.values()] if info else []
    return tuple(out)


def _inherited(levels: list[_Level], tx: Any, notes: list[str]) -> dict[str, Any]:
    """The ancestors' values at ``tx`` (root first), noting ancestors without a row of that transaction."""
    values: dict[str, Any] = {}
    for level in levels:
        row = level.at(tx)
        if tx not in level.by_tx:
            notes.append(f"no {level.name} row in this transaction: its columns as of its previous version")
        values |= {c: None if row is None else row[c] for c in level.columns}
    return values


def _meta_text(meta: Mapping[str, Any]) -> tuple[str | None, str | None]:
    reason_key = next((k for k in REASON_KEYS if meta.get(k) not in (None, "")), None)
    rest = [f"{k}={v}" for k, v in meta.items() if k != reason_key]
    return (None if reason_key is None else str(meta[reason_key])), ("meta: " + ", ".join(rest) if rest else None)


def _mod_note(row: Mapping[Any, Any], mods: Mapping[str, str], recorded: list[str],
              prev: Mapping[str, Any] | None) -> str | None:
    flagged = [c for c in recorded if c in mods and row.get(mods[c])]
    if prev is None:
        return f"changed per _mod flags: {', '.join(flagged) or 'none'}"
    changed = [c for c in recorded if c in mods and c in prev and prev[c] != row[c]]
    if set(flagged) != set(changed):
        return f"_mod flags mark {', '.join(flagged) or 'nothing'}; values changed: {', '.join(changed) or 'none'}"
    return None


def read(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """The record's versions oldest first, with membership-only transactions as their own entries."""
    store = ctx.info(det.store).table()
    rows = {r[TX_COL]: r for r in ctx.conn.execute(
        select(store).where(key_where(store, key)).order_by(store.c[TX_COL])).mappings()}
    return _versions(ctx, det, rows, _links(ctx, det, key), _levels(ctx, det, key), _live(ctx, det, key))


def page(ctx: ReadContext, det: Detection, key: RowKey, before: int | None, size: int) -> list[Version] | None:
    """A page of versions (``ConventionAdapter.versions_page``) read by window: version row i is version i (no
    membership or ancestor entries: a record with association rows, or a joined-inheritance table, returns None),
    the live row only for the page that ends with the newest row."""
    o = det.opts(ContinuumOptions)
    if o.inherits or o.extends or _links(ctx, det, key):
        return None
    store = ctx.info(det.store).table()
    where = key_where(store, key)
    total = count(ctx.conn, store, where)
    first, last, shown = page_bounds(total, before, size)
    if shown < 1:
        return []
    rows = {r[TX_COL]: r for r in window_rows(ctx, store, where, [store.c[TX_COL]], first, last, total)}
    live = _live(ctx, det, key) if last == total else None
    return page_slice(_versions(ctx, det, rows, [], [], live), first, shown, size)


def _versions(ctx: ReadContext, det: Detection, rows: Mapping[Any, Mapping[Any, Any]], links: list[_Link],
              levels: list[_Level], live: dict[str, Any] | None) -> list[Version]:
    """The versions of consecutive version ``rows`` (by transaction, oldest first), then what ``live`` adds."""
    o = det.opts(ContinuumOptions)
    live_info = ctx.info(det.live)
    tx_info = _info(ctx, o.transaction_table)
    assert tx_info is not None, "detected transaction table missing from the snapshot"
    declared = set(ctx.config.unrecorded)
    recorded = [c for c in o.versioned_columns if c not in declared]
    unrecorded = tuple(c for c in live_info.columns if c not in recorded) + _unrecorded_above(ctx, det)
    mods: Mapping[str, str] = o.mod_columns
    keys = set(det.key)
    first = min(rows, default=None)
    ids = sorted(set(rows) | {t for link in links for t in link.by_tx}
                 | {t for lv in levels for t in lv.by_tx if first is not None and t > first})
    txs = _transactions(ctx, tx_info, ids)
    metas = _meta(ctx, _info(ctx, o.transaction_meta), ids)
    link: UserLink | None = user_link(tx_info, "user_id", ctx.snapshot) if o.user_column else None
    actors = labels(ctx.conn, ctx.snapshot, link, (t.user for t in txs.values())) if link else {}
    tz = ctx.config.timezone

    entries: list[Entry] = []
    for tx in ids:
        info = txs.get(tx, _Tx())
        notes: list[str] = []
        members: dict[str, list[Any]] = {}
        for lk in links:
            before, after = lk.apply(tx)
            members[lk.name] = ordered(after)
            note = change_note(lk.name, before, after)
            if note:
                notes.append(note)
        prev = entries[-1] if entries else None
        row = rows.get(tx)
        if row is not None:
            op = OPS.get(row[OP_COL], Op.UNKNOWN)
            values: dict[str, Any] | None = None
            if op is not Op.DELETE:
                inherited = _inherited(levels, tx, notes)
                values = ({c: row[c] for c in recorded if c in keys} | inherited
                          | {c: row[c] for c in recorded if c not in keys} | members)
                if op is Op.UPDATE and mods:
                    note = _mod_note(row, mods, recorded, prev.values if prev else None)
                    if note:
                        notes.append(note)
                if op is Op.UPDATE and prev is None:
                    notes.append("first recorded version is an update (inserted in the same transaction, "
                                 "or versioned later)")
            gaps = () if values is None else unrecorded
        elif levels and any(tx in lv.by_tx for lv in levels):
            if prev is None or prev.values is None:
                continue  # an ancestor's row while this record did not exist
            op, gaps = Op.UPDATE, prev.unrecorded or ()
            values = {**prev.values, **_inherited(levels, tx, []), **members}
            notes.append(f"only {', '.join(lv.name for lv in levels if tx in lv.by_tx)} has a row in this "
                         f"transaction (no {det.store.name} row)")
        elif not notes:
            continue  # the transaction's association rows left the membership as it was
        elif prev is None:
            op, values, gaps = Op.UNKNOWN, dict(members), tuple(live_info.columns)
            notes.append("membership changed before the first recorded version")
        elif prev.values is None:
            continue  # links of a deleted record
        else:
            op, values, gaps = Op.UPDATE, {**prev.values, **members}, prev.unrecorded or ()
        meta_reason, meta_note = _meta_text(metas.get(tx, {}))
        if meta_note:
            notes.append(meta_note)
        if info.remote_addr:
            notes.append(f"remote_addr {info.remote_addr}")
        actor = actors.get(info.user, str(info.user)) if info.user is not None else None
        entries.append(Entry(values=values, op=op, number=tx, at=as_utc(info.at, tz), actor=actor,
                             reason=meta_reason, unrecorded=gaps, note="; ".join(notes) or None))
    shown = recorded + [c for lv in levels for c in lv.columns]
    return states_after(entries, live, shown, unrecorded, unrecorded, bypass=BYPASS)


def _live(ctx: ReadContext, det: Detection, key: RowKey) -> dict[str, Any] | None:
    """The live row, joined-inheritance ancestors' columns included."""
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
    wanted = key.as_dict()
    for up in det.opts(ContinuumOptions).inherits if live is not None else ():
        info = _info(ctx, up.table)
        if info is not None:
            t = info.table()
            row = ctx.conn.execute(select(t).where(*(t.c[theirs] == wanted[mine]
                                                     for mine, theirs in up.key.items()))).mappings().first()
            live = {**dict(row or {}), **(live or {})}
    return live
