"""Which base table check-migrations compares with which store, and under which convention."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Connection

from chrono_cli.config import Config, TableConfig
from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.chrononaut_activity import STORE as ACTIVITY
from chrono_cli.conventions.chrononaut_activity import ChrononautActivityAdapter
from chrono_cli.conventions.potion import STORE as POTION
from chrono_cli.conventions.potion import PotionAdapter
from chrono_cli.conventions.types import col_is, has_timezone, is_integer
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import TableRef
from chrono_cli.services.check.registry import PAIRED, Subject

SUFFIX = "_history"
DETECTED = ("continuum", "simple-history")  # conventions paired by their adapters' detection
CONTINUUM = ("transaction_id", "operation_type", "end_transaction_id")  # a convention chrono does not read yet
CHRONONAUT_META = frozenset({"version", "changed", "change_info"})


def find_subjects(conn: Connection, snapshot: SchemaSnapshot, config: Config) -> list[Subject]:
    """Every (base, store) pair, lone store and store-less versioned table in the snapshot."""
    pairing = _Pairing(snapshot, config)
    pairing.declared_stores()
    pairing.named_pairs()
    pairing.custom_pairs()
    pairing.singletons(conn)
    pairing.detected()
    pairing.versioned_rows()
    pairing.missing()
    return pairing.subjects


def classify(store: TableInfo, base: TableInfo | None, tcfg: TableConfig) -> str:
    """Chrononaut 0.2 writes change_info and an aware ``changed`` next to a nullable base version;
    SQLAlchemy's history_meta writes no change_info, and its base version is NOT NULL."""
    if tcfg.convention in PAIRED:
        return tcfg.convention
    if "change_info" in store.columns:
        return "chrononaut"
    changed = store.columns.get("changed")
    version = base.columns.get("version") if base is not None else None
    if changed is not None and has_timezone(changed.type) and version is not None and version.nullable:
        return "chrononaut"  # its change_info is what went missing
    return "history-meta"


def joined_child(store: TableInfo) -> bool:
    """Joined inheritance: the history table's (id, version) refers to the parent's history table."""
    return any("version" in fk.columns for fk in store.foreign_keys)


class _Pairing:
    def __init__(self, snapshot: SchemaSnapshot, config: Config) -> None:
        self.snapshot = snapshot
        self.config = config
        self.subjects: list[Subject] = []
        self.done: set[TableRef] = set()      # bases and stores already claimed (or ignored)
        self.tables = sorted(snapshot, key=lambda t: (t.ref.schema or "", t.ref.name))

    def cfg(self, ref: TableRef) -> TableConfig:
        return self.config.table(ref.name, ref.schema)

    def ignored(self, *refs: TableRef | None) -> bool:
        return any(r is not None and self.cfg(r).ignore for r in refs)

    def add(self, subject: Subject) -> None:
        for ref in (subject.base.ref if subject.base else None, subject.store.ref if subject.store else None):
            if ref is not None:
                self.done.add(ref)
        if not self.ignored(subject.table, subject.history):
            self.subjects.append(subject)

    def pair(self, base: TableInfo, store: TableInfo, convention: str | None = None, declared: bool = False) -> None:
        tcfg = self.cfg(base.ref)
        self.add(Subject(convention or classify(store, base, tcfg), base, store, tcfg, declared=declared,
                         joined_child=joined_child(store)))

    def declared_stores(self) -> None:
        """``[tables.X] history = "..."``: the user said where the history lives."""
        for base in self.tables:
            tcfg = self.cfg(base.ref)
            if not tcfg.history or tcfg.convention not in (None, *PAIRED):
                continue
            schema, _, name = tcfg.history.rpartition(".")
            ref = TableRef(schema or base.ref.schema, name)
            store = self.snapshot.get(ref)
            if store is None:
                self.add(Subject(tcfg.convention or "history-meta", base, None, tcfg, store_ref=ref, declared=True))
            else:
                self.pair(base, store, declared=True)

    def named_pairs(self) -> None:
        """``<table>_history`` next to ``<table>``, with a version column that makes it a version store."""
        for store in self.tables:
            name = store.ref.name
            if store.ref in self.done or not name.endswith(SUFFIX) or not _version_store(store):
                continue
            base = self.snapshot.sibling(store.ref, name[: -len(SUFFIX)])
            if base is not None and base.ref not in self.done:
                self.pair(base, store)
            elif base is not None:
                self.done.add(store.ref)  # the config points the base elsewhere: a leftover, not ours to judge
            elif base is None and "version" in store.pk:
                tcfg = self.cfg(store.ref)
                self.add(Subject(classify(store, None, tcfg), None, store, tcfg,
                                 base_ref=TableRef(store.ref.schema, name[: -len(SUFFIX)])))

    def custom_pairs(self) -> None:
        """Chrononaut's ``__chrononaut_tablename__``: a store matched to its base by key and columns."""
        for store in self.tables:
            if store.ref in self.done or not CHRONONAUT_META <= set(store.columns) or "version" not in store.pk \
                    or any(c in store.columns for c in CONTINUUM):
                continue
            key = set(store.pk) - {"version"}
            data = set(store.columns) - CHRONONAUT_META
            scored = sorted(((len(data & set(t.columns)), t) for t in self.tables
                             if t.ref.schema == store.ref.schema and t is not store and t.ref not in self.done
                             and set(t.pk) == key and "version" in t.columns),
                            key=lambda st: -st[0])
            best = [t for score, t in scored if score == scored[0][0]] if scored else []
            if len(best) == 1 and scored[0][0] * 2 > len(data):
                self.pair(best[0], store, "chrononaut")
            else:
                self.add(Subject("chrononaut", None, store, self.cfg(store.ref)))

    def singletons(self, conn: Connection) -> None:
        """``chrononaut_activity`` and Potion's ``history_record``: the store's shape, then each member's."""
        names = [t.ref.name for t in self.tables]
        for store in self.snapshot.named(ACTIVITY):
            self.add(Subject("chrononaut-activity", None, store, self.cfg(store.ref)))
            members = set()
            if "table_name" in store.columns:
                det = Detection("chrononaut-activity", store.ref, store.ref, ())
                members = ChrononautActivityAdapter().members(conn, self.snapshot, det, names)
            self._members("chrononaut-activity", store, members)
        for store in self.snapshot.named(POTION):
            if not store.has("object_type", "object_id"):
                continue
            self.add(Subject("potion", None, store, self.cfg(store.ref)))
            det = Detection("potion", store.ref, store.ref, ())
            self._members("potion", store, PotionAdapter().members(conn, self.snapshot, det, names))

    def _members(self, convention: str, store: TableInfo, members: Iterable[str]) -> None:
        wanted = set(members) | {t.ref.name for t in self.tables if self.cfg(t.ref).convention == convention}
        for name in sorted(wanted):
            found = self.snapshot.named(name)
            same = [t for t in found if t.ref.schema == store.ref.schema]
            for base in (same or found)[:1]:
                if base is not store:
                    self.add(Subject(convention, base, store, self.cfg(base.ref),
                                     declared=self.cfg(base.ref).convention == convention))

    def detected(self) -> None:
        """Continuum version tables and simple-history historical tables, found by their adapters."""
        from chrono_cli import conventions

        for name in DETECTED:
            found = [d for d in conventions.get(name).detector.detect(self.snapshot)
                     if d.live not in self.done and d.store not in self.done]
            native = {d.live.schema for d in found if d.options.get("native")}
            for det in found:
                tcfg = self.cfg(det.live)
                if tcfg.convention not in (None, name):
                    continue
                options = {**det.options, "schema_native": det.live.schema in native}
                self.add(Subject(name, self.snapshot.tables[det.live], self.snapshot.tables[det.store], tcfg,
                                 declared=tcfg.convention == name, options=options))

    def versioned_rows(self) -> None:
        """Versions kept in the table itself: the key includes an integer ``version_id``."""
        for t in self.tables:
            detected = "version_id" in t.pk and len(t.pk) >= 2 and col_is(t, "version_id", is_integer)
            declared = self.cfg(t.ref).convention == "versioned-rows"
            if (detected or declared) and t.ref not in self.done:
                self.add(Subject("versioned-rows", t, t, self.cfg(t.ref), declared=declared))

    def missing(self) -> None:
        """Versioned base tables without a store: declared in config, or shaped like this schema's others."""
        in_use = {(s.table.schema, s.convention) for s in self.subjects if s.base is not None and s.store is not None}
        activity = any(s.convention == "chrononaut-activity" for s in self.subjects)
        for t in self.tables:
            if t.ref in self.done or t.ref.name in (ACTIVITY, POTION) or t.ref.name.endswith(SUFFIX):
                continue
            tcfg = self.cfg(t.ref)
            expected = TableRef(t.ref.schema, t.ref.name + SUFFIX)
            if tcfg.convention in PAIRED:
                self.add(Subject(tcfg.convention, t, None, tcfg, store_ref=expected, declared=True))
                continue
            version = t.columns.get("version")
            if version is None or not is_integer(version.type) or not t.pk or activity or tcfg.convention:
                continue
            likely = "chrononaut" if version.nullable else "history-meta"
            used = [c for c in (likely, *PAIRED) if (t.ref.schema, c) in in_use]
            if used:
                self.add(Subject(used[0], t, None, tcfg, store_ref=expected))


def _version_store(store: TableInfo) -> bool:
    if "version" not in store.columns or any(c in store.columns for c in CONTINUUM):
        return False
    return "version" in store.pk or "changed" in store.columns or "change_info" in store.columns
