"""Finding the table a command is about, its detections, and the convention that holds its history."""

from __future__ import annotations

from sqlalchemy import inspect

from chrono_cli import conventions
from chrono_cli.conventions import Detection
from chrono_cli.conventions.rows import holds
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.errors import AmbiguousConvention, NoConvention, TableNotFound
from chrono_cli.model import TableRef
from chrono_cli.records import Struct
from chrono_cli.services.resolve import resolve_table
from chrono_cli.services.workspace import Catalog


class Target(Struct, frozen=True):
    """A resolved table with what was detected on it."""

    ref: TableRef
    snapshot: SchemaSnapshot
    detections: tuple[Detection, ...]
    identity: str | None = None       # polymorphic identity the user asked for (STI)
    discriminator: str | None = None

    @property
    def info(self) -> TableInfo:
        info = self.snapshot.get(self.ref)
        assert info is not None
        return info

    def archive(self) -> Detection | None:
        return next((d for d in self.detections if conventions.is_archive(d)), None)


def open_target(cat: Catalog, query: str) -> Target:
    """Resolve TABLE (name, alias, plural, model name or polymorphic identity) and detect its conventions."""
    identity = None
    try:
        ref = resolve_table(query, cat.names(), cat.config, default_schema=inspect(cat.conn).default_schema_name)
    except TableNotFound:
        found = _polymorphic(cat, query)
        if found is None:
            raise
        ref, identity = found, query
    snapshot = cat.snapshot_for(ref)
    detections = cat.detections(snapshot, only=ref)
    if not snapshot.complete and not _history(detections):
        snapshot = cat.full_snapshot()  # a custom-named history store is found by shape only
        detections = cat.detections(snapshot, only=ref)
    info = snapshot.get(ref)
    if info is None:
        raise TableNotFound(f"no table named '{query}'")
    tcfg = cat.table_config(ref)
    disc = tcfg.discriminator or ("type" if "type" in info.columns and identity else None)
    return Target(ref, snapshot, tuple(detections), identity, disc)


def _history(detections: list[Detection]) -> list[Detection]:
    return [d for d in detections if conventions.is_history(d)]


def history_detection(target: Target, convention: str | None = None) -> Detection:
    """The detection whose store holds the table's versions (or its archive column, if that is all)."""
    hist = _history(list(target.detections))
    detected = ", ".join(d.adapter for d in target.detections) or "none"
    if convention:
        conventions.get(convention)
        hist = [d for d in target.detections if d.adapter == convention]
        if not hist:
            raise NoConvention(f"convention {convention} not detected on table '{target.ref}'",
                               hint=f"detected: {detected}")
    if len(hist) > 1:
        names = [f"{d.adapter} ({d.store})" for d in hist]
        raise AmbiguousConvention(f"table '{target.ref}' has several history conventions: {', '.join(names)}",
                                  [d.adapter for d in hist], hint="pass --convention NAME to pick one")
    if hist:
        return hist[0]
    archive = target.archive()
    if archive is not None:
        return archive
    raise NoConvention(f"no history convention detected for table '{target.ref}'",
                       hint=f"declare it in chrono.toml ([tables.{target.ref.name}] convention = ...); "
                            f"known: {', '.join(conventions.names())}")


def _polymorphic(cat: Catalog, identity: str) -> TableRef | None:
    """A table whose discriminator column (config or ``type``) holds ``identity``."""
    snapshot = cat.full_snapshot()
    for info in snapshot:
        column = cat.table_config(info.ref).discriminator or "type"
        if column not in info.columns or info.ref.name.endswith("_history"):
            continue
        if holds(cat.conn, info.table(), column, identity):
            return info.ref
    return None
