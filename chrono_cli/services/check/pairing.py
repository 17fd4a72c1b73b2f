"""What check-migrations checks: the detections ``chrono tables --explain`` shows (degraded ones included), plus
what only a check looks for: stores whose base is gone, versioned base tables whose store is missing, and tables
config declares versioned that no detection found."""

from __future__ import annotations

from collections.abc import Iterable

from chrono_cli import conventions
from chrono_cli.config import Config, TableConfig
from chrono_cli.conventions import ConventionAdapter, Detection
from chrono_cli.conventions.checkspec import CheckSpec, Rule, StoreKind
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import TableRef
from chrono_cli.services.check.registry import Subject


def checked_adapters() -> list[tuple[ConventionAdapter, CheckSpec]]:
    """The conventions check-migrations compares, in detection order."""
    return [(c.detector, c.check) for c in conventions.registry() if c.check is not None]


def find_subjects(snapshot: SchemaSnapshot, config: Config, detections: Iterable[Detection]) -> list[Subject]:
    """Every detection with a check spec, then orphaned stores, missing stores and undetected declarations."""
    pairing = _Pairing(snapshot, config)
    pairing.detected(detections)
    pairing.declared()
    pairing.lone_stores()
    pairing.missing()
    return pairing.subjects


def joined_child(store: TableInfo, spec: CheckSpec) -> bool:
    """Joined inheritance: the store's foreign key covers a column the convention keeps on the base (the
    version lives on the parent's table)."""
    return any(set(fk.columns) & spec.base_meta_names for fk in store.foreign_keys)


class _Pairing:
    def __init__(self, snapshot: SchemaSnapshot, config: Config) -> None:
        self.snapshot = snapshot
        self.config = config
        self.subjects: list[Subject] = []
        self.done: set[TableRef] = set()      # bases and stores already claimed (or ignored)
        self.tables = sorted(snapshot, key=lambda t: (t.ref.schema or "", t.ref.name))
        self.specs = {a.name: spec for a, spec in checked_adapters()}

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

    def detected(self, detections: Iterable[Detection]) -> None:
        """The one detection pass: every detection of a convention that has a check spec."""
        for det in sorted(detections, key=lambda d: (d.live.schema or "", d.live.name)):
            spec = self.specs.get(det.adapter)
            base, store = self.snapshot.get(det.live), self.snapshot.get(det.store)
            if spec is None or base is None or store is None:
                continue
            tcfg = self.cfg(det.live)
            declared = tcfg.convention == det.adapter or (bool(tcfg.history) and not det.in_table)
            self.add(Subject(det.adapter, spec, base, store, tcfg, declared=declared,
                             joined_child=joined_child(store, spec), options=det.options))
        self.done |= {s.store.ref for s in self.subjects if s.store is not None}

    def declared(self) -> None:
        """``[tables.X] history = "..."`` or ``convention = "..."`` that no detection confirmed."""
        for base in self.tables:
            tcfg = self.cfg(base.ref)
            if base.ref in self.done or not (tcfg.history or tcfg.convention):
                continue
            spec = self.specs.get(tcfg.convention) if tcfg.convention else None
            name = tcfg.convention
            if spec is None and tcfg.history:  # the store is named but not its convention: what the base suggests
                name, spec = next(((n, s) for n, s in self.specs.items() if Rule.STORE_EXISTS in s.rules
                                   and s.versioned_base is not None and s.versioned_base(base)),
                                  next(((n, s) for n, s in self.specs.items() if Rule.STORE_EXISTS in s.rules),
                                       (None, None)))
            if spec is None or name is None:
                continue
            if spec.store is StoreKind.IN_TABLE:
                self.add(Subject(name, spec, base, base, tcfg, declared=True))
            elif spec.store is StoreKind.SHARED:
                store = next((t for t in self.tables if spec.lone_store is not None and spec.lone_store(t)), None)
                if store is not None and store is not base:
                    self.add(Subject(name, spec, base, store, tcfg, declared=True))
            elif tcfg.history or spec.store_suffix:
                schema, _, store_name = (tcfg.history or base.ref.name + spec.store_suffix).rpartition(".")
                ref = TableRef(schema or base.ref.schema, store_name)
                found = self.snapshot.get(ref)
                if found is None and Rule.STORE_EXISTS not in spec.rules:
                    continue
                self.add(Subject(name, spec, base, found, tcfg, store_ref=ref, declared=True,
                                 joined_child=found is not None and joined_child(found, spec)))

    def lone_stores(self) -> None:
        """Shared stores (checked once, on their own) and per-table stores whose base is gone."""
        for store in self.tables:
            for name, spec in self.specs.items():
                if spec.lone_store is None or not spec.lone_store(store):
                    continue
                if spec.store is StoreKind.SHARED:
                    self.add(Subject(name, spec, None, store, self.cfg(store.ref)))
                    break
                if store.ref in self.done:
                    break
                base_ref = None
                if spec.store_suffix and store.ref.name.endswith(spec.store_suffix):
                    base_ref = TableRef(store.ref.schema, store.ref.name[: -len(spec.store_suffix)])
                    if self.snapshot.get(base_ref) is not None:
                        self.done.add(store.ref)  # its base is there but not versioned by it: a leftover
                        break
                self.add(Subject(name, spec, None, store, self.cfg(store.ref), base_ref=base_ref))
                break

    def missing(self) -> None:
        """Base tables shaped like the ones a convention versions in this schema, without their store."""
        in_use = {(s.table.schema, s.convention) for s in self.subjects if s.base is not None and s.store is not None}
        shared_bases = any(s.spec.store is StoreKind.SHARED and s.spec.base_meta for s in self.subjects)
        paired = [(n, s) for n, s in self.specs.items() if Rule.STORE_EXISTS in s.rules and s.store_suffix]
        for t in self.tables:
            tcfg = self.cfg(t.ref)
            if t.ref in self.done or tcfg.convention or not t.pk or shared_bases:
                continue
            if any(s.lone_store is not None and s.lone_store(t) for s in self.specs.values()) \
                    or any(t.ref.name.endswith(s.store_suffix) for _, s in paired):
                continue
            likely = [(n, s) for n, s in paired if s.versioned_base is not None and s.versioned_base(t)]
            if not likely:
                continue
            used = [(n, s) for n, s in [*likely, *paired] if (t.ref.schema, n) in in_use]
            if used:
                name, spec = used[0]
                self.add(Subject(name, spec, t, None, tcfg,
                                 store_ref=TableRef(t.ref.schema, t.ref.name + spec.store_suffix)))
