"""The database a command works on: settings, a lazily built engine, and one catalog per command."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL, Connection

from chrono_cli import conventions
from chrono_cli.config import Config, TableConfig, named_database
from chrono_cli.conventions import Detection, ReadContext
from chrono_cli.db import engine as dbengine
from chrono_cli.db import reflect
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.errors import TableNotFound, UsageError
from chrono_cli.model import TableRef
from chrono_cli.records import Struct, field


class Settings(Struct, frozen=True):
    """What the user told chrono about where to look."""

    url: str | None = None
    schemas: tuple[str, ...] = ()
    config: Config = field(default_factory=Config)
    show_secrets: bool = False  # --show-secrets: no column is redacted


class Workspace:
    """Settings plus a lazily created engine; closed once per command."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.config = settings.config
        self._engine: Engine | None = None

    @property
    def url(self) -> URL:
        raw = named_database(self.settings.url, self.config)
        if not raw:
            raise UsageError("no database given",
                             hint="pass --db URL, set CHRONO_DATABASE_URL, or put database = ... in chrono.toml")
        return dbengine.resolve_url(raw)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = dbengine.make_engine(self.url)
        return self._engine

    @contextmanager
    def catalog(self) -> Iterator[Catalog]:
        """A read-only transaction and the catalog seen through it."""
        with dbengine.read_only(self.engine) as conn:
            yield Catalog(conn, self.config, self.settings.schemas)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class Catalog:
    """Table names, snapshots and detections for one command, each read once."""

    def __init__(self, conn: Connection, config: Config, schemas: tuple[str, ...] = ()) -> None:
        self.conn = conn
        self.config = config
        self._explicit = schemas
        self._names: dict[str | None, list[str]] | None = None
        self._full: SchemaSnapshot | None = None

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    def schemas(self) -> list[str | None]:
        """--schema, else the search path plus any schema holding a known history store."""
        return list(self.names())

    def names(self) -> dict[str | None, list[str]]:
        if self._names is None:
            if self._explicit:
                known = set(inspect(self.conn).get_schema_names())
                unknown = [s for s in self._explicit if s not in known]
                if unknown:
                    raise TableNotFound(f"no schema named {', '.join(map(repr, unknown))}",
                                        hint=f"schemas: {', '.join(sorted(known))}")
                self._names = reflect.table_names(self.conn, list(self._explicit))
            else:
                path = reflect.search_path(self.conn)
                names = reflect.table_names(self.conn, path)
                stores = conventions.store_names()
                declared = {t.history.rpartition(".")[0] for t in self.config.tables.values()
                            if t.layout is not None and t.history and "." in t.history}  # declared layouts
                for schema, tables in reflect.table_names(
                        self.conn, reflect.other_schemas(self.conn, path)).items():
                    if stores & set(tables) or schema in declared:
                        names[schema] = tables
                self._names = names
        return self._names

    def full_snapshot(self) -> SchemaSnapshot:
        if self._full is None:
            self._full = reflect.reflect(self.conn, dict.fromkeys(self.names()), conventions.catalog_facts())
        return self._full

    def snapshot_for(self, ref: TableRef) -> SchemaSnapshot:
        """Only the tables that could hold ``ref``'s history: its time does not grow with the schema."""
        if self._full is not None:
            return self._full
        by_schema: dict[str | None, list[str]] = {}
        for schema, names in self.names().items():
            wanted = self._related(ref, names)
            by_schema[schema] = [n for n in names if n in wanted]
        return reflect.reflect(self.conn, dict(by_schema), conventions.catalog_facts())

    def _related(self, ref: TableRef, all_names: Collection[str] = ()) -> set[str]:
        name = ref.name
        wanted = {name} | conventions.store_names() | {name + s for s in conventions.paired_suffixes()}
        wanted |= conventions.related(name, all_names)
        tcfg = self.table_config(ref)
        if tcfg.history:
            wanted.add(tcfg.history.rsplit(".", 1)[-1])
        return wanted

    def table_config(self, ref: TableRef) -> TableConfig:
        return self.config.table(ref.name, ref.schema)

    def detections(self, snapshot: SchemaSnapshot, only: TableRef | None = None, *,
                   missing_ok: bool = False) -> list[Detection]:
        """Detections in ``snapshot`` (for one live table if ``only``), singleton stores confirmed by rows.

        ``missing_ok``: a declared history table that is gone is no error (check-migrations reports it)."""
        found = conventions.detect(snapshot, self.config, missing_ok=missing_ok)
        if only is not None:
            found = [d for d in found if d.live == only]
        pending: dict[tuple[str, TableRef], list[Detection]] = {}
        for d in found:
            if d.confirm:
                pending.setdefault((d.adapter, d.store), []).append(d)
        rejected: set[int] = set()
        for (adapter_name, _store), dets in pending.items():
            detector = conventions.get(adapter_name).detector
            members = detector.members(self.conn, snapshot, dets[0], sorted({d.live.name for d in dets}))
            rejected |= {id(d) for d in dets if d.live.name not in members}
        return [d for d in found if id(d) not in rejected]

    def context(self, snapshot: SchemaSnapshot, ref: TableRef) -> ReadContext:
        return ReadContext(self.conn, snapshot, self.table_config(ref))
