"""SQLAlchemy-Continuum 1.x/2.x and SQLAlchemy-History: ``<table>_version`` rows plus a ``transaction`` table.

Each version row holds the NEW state of a record after one transaction (``operation_type`` 0 insert,
1 update, 2 delete), keyed by the base primary key + ``transaction_id``. Timeline semantics chosen here:

* versions are ordered by ``transaction_id``, which is also the version number; times are
  ``transaction.issued_at`` (naive UTC, or the table's configured ``timezone``);
* a delete row (op 2) is shown with values None (the stored values are the last loaded state);
* actor = ``transaction.user_id``, shown as the user's username / email / name when the table its foreign key
  points at has one (evidence and ``ContinuumOptions.actor`` say which); ``remote_addr`` goes into the note;
* reason = the ``transaction_meta`` value under ``reason`` / ``change_reason`` / ``comment`` / ``message`` /
  ``rationale`` (first found); other meta keys are listed in the note;
* base columns missing from the version table (``exclude``) are ``unrecorded``; PropertyModTracker's
  ``<col>_mod`` flags are only used for notes: which columns a first update touched, or a disagreement
  with the computed change. No value is ever taken from them;
* a versioned association table (``<assoc>_version`` of a table whose key is only foreign keys) appears on
  the parent as a pseudo-column holding the sorted member ids (see ``memberships``); a transaction that
  changed only the membership becomes an ``update`` entry carrying the parent's previous values;
* native versioning (PostgreSQL triggers ``<t>_trigger`` -> ``<t>_audit()``) reads the same way; it is
  reported in the evidence and ``ContinuumOptions.native`` (a writer must then write base DML only);
* joined-table inheritance (a versioned table whose whole primary key is a foreign key to another versioned
  table's key, e.g. ``book.id -> item.id``): Continuum writes one version row per table of the hierarchy in
  each transaction that touches the object (every version table with its own bookkeeping columns). The child's
  versions also show the ancestors' versioned columns, taken from their version rows of the same transaction
  (``ContinuumOptions.inherits``, root first); ``versioned_columns`` stays the child's own. The root lists its
  children in the evidence and ``ContinuumOptions.children``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.actors import user_link
from chrono_cli.conventions.base import ConventionAdapter, Degradation, Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.continuum import SUFFIX, TX_TABLE, related
from chrono_cli.conventions.builtin.continuum import read as continuum_read
from chrono_cli.conventions.builtin.continuum.check import CHECK
from chrono_cli.conventions.builtin.continuum.options import (
    END_COL,
    OP_COL,
    TX_COL,
    Ancestor,
    Association,
    ContinuumOptions,
    NativeTriggers,
    data_columns,
    mod_columns,
)
from chrono_cli.conventions.drift import extra, retyped
from chrono_cli.conventions.memberships import pseudo_name
from chrono_cli.conventions.types import col, col_is, is_integer, is_timestamp
from chrono_cli.db import reflect
from chrono_cli.db.reflect import ForeignKeyInfo, SchemaSnapshot, TableInfo
from chrono_cli.model import RowChange, RowKey, TableRef, Version
from chrono_cli.records import replace


def transaction_evidence(t: TableInfo) -> list[str] | None:
    """Evidence that ``t`` is Continuum's transaction table, or None."""
    if t.ref.name != TX_TABLE or t.pk != ("id",) or not col_is(t, "id", is_integer):
        return None
    if not col_is(t, "issued_at", is_timestamp) or "native_transaction_id" in t.columns:
        return None  # native_transaction_id: postgresql-audit's transaction table
    extra = [c for c in ("remote_addr", "user_id") if c in t.columns]
    return [f'"{TX_TABLE}" has id integer primary key and issued_at timestamp'
            + (f" ({', '.join(extra)})" if extra else "")]


def version_evidence(v: TableInfo) -> list[str] | None:
    """Evidence that ``v`` has a Continuum version table's bookkeeping columns, or None."""
    tx, op = col(v, TX_COL), col(v, OP_COL)
    if tx is None or not is_integer(tx.type) or tx.nullable or TX_COL not in v.pk:
        return None
    if op is None or not is_integer(op.type) or op.nullable:
        return None
    end = col(v, END_COL)
    if end is not None and not is_integer(end.type):
        return None
    ev = [f"{v.ref.name}.{TX_COL} integer NOT NULL in primary key, {OP_COL} integer NOT NULL"]
    ev.append(f"{v.ref.name}.{END_COL}: validity strategy" if end is not None
              else f"no {END_COL}: subquery strategy")
    return ev


def _pairs(v: TableInfo, b: TableInfo) -> bool:
    data = set(data_columns(v))
    if b.pk:
        return set(v.pk) == set(b.pk) | {TX_COL} and set(b.pk) <= data
    return set(b.columns) <= data and set(v.pk) <= set(b.columns) | {TX_COL}  # an association without a key


def base_of(snapshot: SchemaSnapshot, v: TableInfo) -> TableInfo | None:
    """The table ``v`` versions: ``<base>_version`` by name, else the one table whose key and columns fit."""
    if v.ref.name.endswith(SUFFIX):
        b = snapshot.sibling(v.ref, v.ref.name[: -len(SUFFIX)])
        return b if b is not None and _pairs(v, b) else None
    data = set(data_columns(v))
    fits = [b for b in snapshot if b.ref.schema == v.ref.schema and b is not v and b.pk
            and _pairs(v, b) and data <= set(b.columns) and len(data) > len(b.pk)]
    return fits[0] if len(fits) == 1 else None


def associations(snapshot: SchemaSnapshot, parent: TableInfo,
                 found: list[tuple[TableInfo, TableInfo]]) -> list[Association]:
    """Versioned association tables whose rows link ``parent`` to other records (for membership changes)."""
    out: list[Association] = []
    for v, a in found:
        to_parent = [fk for fk in a.foreign_keys if fk.referred == parent.ref]
        if len(to_parent) != 1 or set(to_parent[0].referred_columns) != set(parent.pk) or not parent.pk:
            continue
        fk = to_parent[0]
        fk_columns = {c for f in a.foreign_keys for c in f.columns}
        if a.pk and not set(a.pk) <= fk_columns:
            continue  # an entity with a key of its own (one-to-many child), not a link table
        others = tuple(c for f in a.foreign_keys if f is not fk for c in f.columns if c in v.columns)
        by_referred = dict(zip(fk.referred_columns, fk.columns, strict=True))
        if not others or any(by_referred[k] not in v.columns for k in parent.pk):
            continue
        taken = set(parent.columns) | {x.name for x in out}
        out.append(Association(pseudo_name(a.ref.name, parent.ref.name, taken), str(a.ref), str(v.ref),
                               {by_referred[k]: k for k in parent.pk}, others))
    return out


def _parent_link(b: TableInfo, bases: dict[TableRef, tuple[TableInfo, TableInfo]]) -> ForeignKeyInfo | None:
    """The foreign key from ``b``'s whole primary key to another versioned table's primary key, if any."""
    for fk in b.foreign_keys:
        parent = bases.get(fk.referred)
        if parent is not None and parent[1] is not b and b.pk and set(fk.columns) == set(b.pk) \
                and set(fk.referred_columns) == set(parent[1].pk):
            return fk
    return None


def _unreflected_parent(snapshot: SchemaSnapshot, b: TableInfo) -> TableRef | None:
    """The table ``b``'s whole primary key refers to when targeted reflection left it out (a possible parent)."""
    for fk in b.foreign_keys:
        if b.pk and set(fk.columns) == set(b.pk) and snapshot.get(fk.referred) is None:
            return fk.referred
    return None


def inheritance(b: TableInfo, found: list[tuple[TableInfo, TableInfo]]) -> list[Ancestor]:
    """Joined-table inheritance: the versioned ancestors of ``b``, root first."""
    bases = {a.ref: (v, a) for v, a in found}
    chain: list[Ancestor] = []
    key = {c: c for c in b.pk}
    child, seen = b, {b.ref}
    while (fk := _parent_link(child, bases)) is not None and fk.referred not in seen:
        pv, parent = bases[fk.referred]
        up = dict(zip(fk.columns, fk.referred_columns, strict=True))
        key = {mine: up[theirs] for mine, theirs in key.items()}
        data = set(data_columns(pv))
        chain.insert(0, Ancestor(str(parent.ref), str(pv.ref), dict(key),
                                 tuple(c for c in parent.columns if c in data and c not in parent.pk)))
        child = parent
        seen.add(parent.ref)
    return chain


def _native(base: TableInfo, tx: TableInfo) -> tuple[NativeTriggers | None, bool, list[str]]:
    """Native versioning's triggers on ``base``, whether enabled, and the evidence."""
    trig = next((t for t in base.triggers if t.name == f"{base.ref.name}_trigger"), None)
    if trig is None or trig.function != f"{base.ref.name}_audit":
        return None, True, []
    tx_trig = next((t for t in tx.triggers if t.name == "transaction_trigger"), None)
    state = "enabled" if trig.enabled else "DISABLED: changes are not versioned"
    ev = [f"native versioning: trigger {trig.name} -> {trig.function}() ({state})"]
    if tx_trig is not None:
        ev.append(f"trigger transaction_trigger -> {tx_trig.function}() on \"{TX_TABLE}\"")
    return NativeTriggers(trig.name, trig.function, None if tx_trig is None else tx_trig.name), trig.enabled, ev


def _drift(b: TableInfo, v: TableInfo, excluded: list[str], mods: Mapping[str, str]) -> list[Degradation]:
    """Base columns missing where ``exclude`` does not explain them, columns the base dropped, changed types."""
    out: list[Degradation] = []
    for c in excluded:
        if f"{c}_mod" in v.columns:
            out.append(Degradation(f"base column {c} has no history column but {c}_mod is there: "
                                   "a migration dropped it", c))
        elif not mods:  # without PropertyModTracker flags, `exclude` and a forgotten column look the same
            out.append(Degradation(f"base column {c} has no history column (excluded, or a migration missed it)",
                                   c, blocks_writes=False))
    data = data_columns(v)
    flag = lambda n: n.endswith("_mod") and n.removesuffix("_mod") in b.columns  # noqa: E731 - a flag of a base column
    return out + extra(b, v, data, flag) + retyped(b, v, data)


def _camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_") if p)


class ContinuumAdapter(ConventionAdapter):
    """SQLAlchemy-Continuum / SQLAlchemy-History: NEW states per transaction in ``<table>_version``."""

    name = "continuum"
    pages_by_group = True  # transaction ids: its version table indexes them
    title = "SQLAlchemy-Continuum"
    check = CHECK

    def related(self, name: str, all_names: Collection[str]) -> set[str]:
        return related(name, all_names)

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for tx in snapshot:
            tx_ev = transaction_evidence(tx)
            if tx_ev is None:
                continue
            found: list[tuple[TableInfo, TableInfo]] = []
            for v in snapshot:
                if v.ref.schema == tx.ref.schema and v is not tx and version_evidence(v) is not None:
                    b = base_of(snapshot, v)
                    if b is not None:
                        found.append((v, b))
            dets = [self._detection(snapshot, tx, tx_ev, v, b, found) for v, b in found if b.pk]
            if any(d.opts(ContinuumOptions).native for d in dets):
                dets = [replace(d, options=replace(d.opts(ContinuumOptions), schema_native=True)) for d in dets]
            yield from dets

    def _detection(self, snapshot: SchemaSnapshot, tx: TableInfo, tx_ev: list[str], v: TableInfo, b: TableInfo,
                   found: list[tuple[TableInfo, TableInfo]]) -> Detection:
        data = data_columns(v)
        mods = mod_columns(v)
        evidence = list(version_evidence(v) or [])
        evidence.append(f"primary key of {v.ref.name} = primary key of {b.ref.name} + {TX_COL}")
        evidence += tx_ev
        excluded = [c for c in b.columns if c not in data]
        if excluded:
            evidence.append(f"not versioned (excluded): {', '.join(excluded)}")
        if mods:
            evidence.append(f"PropertyModTracker flags: {', '.join(mods.values())}")
        if any(ix.name == f"ix_{v.ref.name}_pk_{TX_COL}" for ix in v.indexes):
            evidence.append(f"index ix_{v.ref.name}_pk_{TX_COL}: written by SQLAlchemy-Continuum 2.x")
        link = user_link(tx, "user_id", snapshot) if "user_id" in tx.columns else None
        if link is not None:
            evidence.append(f"actor: {TX_TABLE}.{link.described}")
        triggers, enabled, native_ev = _native(b, tx)
        evidence += native_ev
        assoc = associations(snapshot, b, [(av, a) for av, a in found if a is not b])
        evidence += [f"membership changes from {x.version_table} shown as {x.name}" for x in assoc]
        inherits = inheritance(b, found)
        for up in inherits:
            evidence.append(f"joined inheritance: extends {up.table} ({up.version_table}): its columns "
                            f"{', '.join(up.columns) or '(key only)'} shown with each version")
        bases = {a.ref: (av, a) for av, a in found}
        children = [str(a.ref) for _, a in found if (fk := _parent_link(a, bases)) is not None and fk.referred == b.ref]
        if children:
            evidence.append(f"joined inheritance root of {', '.join(children)}: their versions carry this table's "
                            "columns too")
        sibling = {n: snapshot.sibling(tx.ref, n) for n in ("transaction_changes", "transaction_meta")}
        options = ContinuumOptions(
            transaction_table=str(tx.ref), end_transaction_column=END_COL if END_COL in v.columns else None,
            strategy="validity" if END_COL in v.columns else "subquery",
            versioned_columns=tuple(c for c in b.columns if c in data), excluded=tuple(excluded),
            dropped_columns=tuple(c for c in data if c not in b.columns),
            mod_columns={c: m for c, m in mods.items() if c in b.columns},
            user_column="user_id" if link else None,
            user_table=str(link.table) if link and link.table else None,
            actor=link.described if link else None,
            remote_addr_column="remote_addr" if "remote_addr" in tx.columns else None,
            transaction_changes=str(sibling["transaction_changes"].ref) if sibling["transaction_changes"] else None,
            transaction_meta=str(sibling["transaction_meta"].ref) if sibling["transaction_meta"] else None,
            entity_name_guess=_camel(b.ref.name), associations=tuple(assoc), inherits=tuple(inherits),
            children=tuple(children), extends=_unreflected_parent(snapshot, b),
            native=triggers is not None, native_enabled=enabled, triggers=triggers)
        return Detection(self.name, b.ref, v.ref, b.pk, score=len(evidence), evidence=tuple(evidence),
                         options=options, degraded=tuple(_drift(b, v, excluded, mods)))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        if det.opts(ContinuumOptions).extends:
            ctx, det = self._with_ancestors(ctx, det)
        return continuum_read.read(ctx, det, key)

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        return continuum_read.page(ctx, det, key, before, size)

    def _with_ancestors(self, ctx: ReadContext, det: Detection) -> tuple[ReadContext, Detection]:
        """Reflect the tables a joined-inheritance child extends (up to the root), then detect it again: once per
        snapshot (a bulk restore of a joined table reads thousands of objects' timelines)."""
        snapshot, again = ctx.snapshot.remember(("continuum-ancestors", det.live, det.store),
                                                lambda: self._ancestors(ctx.conn, ctx.snapshot, det))
        return replace(ctx, snapshot=snapshot), again

    def _ancestors(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection,
                   ) -> tuple[SchemaSnapshot, Detection]:
        pending = det.opts(ContinuumOptions).extends
        for _ in range(16):  # hierarchy depth bound
            if pending is None:
                break
            ref = pending
            more = reflect.reflect(conn, {ref.schema: [ref.name, ref.name + SUFFIX]})
            if ref not in more.tables:
                break
            snapshot = SchemaSnapshot(snapshot.dialect, snapshot.default_schema, {**snapshot.tables, **more.tables},
                                      complete=False)
            pending = _unreflected_parent(snapshot, more.tables[ref])
        again = next((d for d in self.detect(snapshot) if d.live == det.live and d.store == det.store), det)
        return snapshot, again

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        from chrono_cli.conventions.builtin.continuum.events import continuum_events

        return continuum_events(ctx, det, query)

    def history_keys(self, ctx: ReadContext, det: Detection) -> Any:
        store = ctx.info(det.store).table()
        return select(*(store.c[k] for k in det.key)).distinct()


def entity_name(conn: Connection, snapshot: SchemaSnapshot, det: Detection,
                own: ColumnElement[bool] | None = None) -> str:
    """The class name ``transaction_changes`` records for this table (for writers; one query), learnt from the
    transactions of its version rows that ``own`` picks (joined.own_class: its objects of its own class)."""
    o = det.opts(ContinuumOptions)
    guess = o.entity_name_guess or _camel(det.live.name)
    changes_name = o.transaction_changes
    changes = next((t for t in snapshot if str(t.ref) == changes_name), None) if changes_name else None
    if changes is None:
        return guess
    tc, v = changes.table(), snapshot.tables[det.store].table()
    own = true() if own is None else own
    rows = conn.execute(select(tc.c.entity_name, func.count()).where(tc.c.transaction_id.in_(
        select(v.c[TX_COL]).where(own))).group_by(tc.c.entity_name)).all()
    if not rows:
        return guess
    total = conn.execute(select(func.count(func.distinct(v.c[TX_COL]))).where(own)).scalar_one()
    always = [name for name, n in rows if n == total]
    pool = always or [name for name, _ in rows]
    return guess if guess in pool else sorted(pool, key=lambda n: (-dict(rows)[n], n))[0]
