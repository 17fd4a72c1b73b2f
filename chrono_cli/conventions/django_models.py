"""Django models behind shared history tables: ``django_content_type`` rows mapped to the tables they name.

django-reversion and django-auditlog key their rows by ``content_type_id``; a content type names a model
(``app_label``, lower-case ``model``), whose table is ``<app_label>_<model>`` unless the model's ``db_table``
says otherwise (app code, invisible here). A table is mapped to a content type, in order:

1. ``[tables.<table>] model = "app_label.model"`` in chrono.toml;
2. the content type whose ``<app_label>_<model>`` is the table's name;
3. a content type whose default table does not exist and whose stored field names (a sample of its rows,
   foreign keys under the field name) are all columns of exactly one candidate table.

Field values are stored under field names: ``owner`` is column ``owner_id`` (``field_column``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection

from chrono_cli.conventions.base import ReadContext
from chrono_cli.db import reflect
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import TableRef
from chrono_cli.records import Struct

CONTENT_TYPES = "django_content_type"

Sample = Callable[[int], Collection[str]]  # content type id -> field names its stored rows use


class ContentType(Struct, frozen=True):
    """One ``django_content_type`` row."""

    id: int
    app_label: str
    model: str

    @property
    def label(self) -> str:
        return f"{self.app_label}.{self.model}"

    @property
    def default_table(self) -> str:
        return f"{self.app_label}_{self.model}"


def content_types(conn: Connection, snapshot: SchemaSnapshot, schema: str | None,
                  ids: Iterable[int] | None = None) -> dict[int, ContentType]:
    """The content types (all, or those of ``ids``) of ``schema``, by id."""
    info = snapshot.get(TableRef(schema, CONTENT_TYPES))
    if info is None:
        return {}
    t = info.table()
    query = select(t.c.id, t.c.app_label, t.c.model)
    if ids is not None:
        query = query.where(t.c.id.in_(sorted(set(ids))))
    return {r.id: ContentType(r.id, r.app_label, r.model) for r in conn.execute(query)}


def field_column(name: str, columns: Collection[str]) -> str | None:
    """The column a serialized field name stands for (a foreign key ``owner`` is ``owner_id``)."""
    if name in columns:
        return name
    return f"{name}_id" if f"{name}_id" in columns else None


def _fits(info: TableInfo, fields: Collection[str]) -> bool:
    return bool(info.pk) and bool(fields) and all(field_column(f, info.columns) for f in fields)


def table_map(conn: Connection, snapshot: SchemaSnapshot, schema: str | None, types: Mapping[int, ContentType],
              tables: Iterable[TableInfo], sample: Sample, models: Mapping[str, str] | None = None) -> dict[str, int]:
    """{table name: content type id} for those of ``tables`` a content type names (rules in the module doc).

    ``models``: table name -> "app_label.model" from config."""
    candidates = list(tables)
    by_label = {ct.label: ct.id for ct in types.values()}
    out: dict[str, int] = {}
    for t in candidates:
        label = (models or {}).get(t.ref.name)
        if label is not None and label.lower() in by_label:
            out[t.ref.name] = by_label[label.lower()]
    by_default = {ct.default_table: ct.id for ct in types.values()}
    for t in candidates:
        if t.ref.name not in out and t.ref.name in by_default:
            out[t.ref.name] = by_default[t.ref.name]
    taken = set(out.values())
    for ct in types.values():
        if ct.id in taken or ct.default_table in _relations(conn, snapshot, schema):
            continue
        fields = sample(ct.id)
        fits = [t for t in candidates if t.ref.name not in out and _fits(t, fields)]
        if len(fits) == 1:
            out[fits[0].ref.name] = ct.id
    return out


def _relations(conn: Connection, snapshot: SchemaSnapshot, schema: str | None) -> frozenset[str]:
    """The schema's table and view names, listed once for the snapshot (not one query a content type)."""
    return snapshot.remember(("relations", schema), lambda: reflect.relation_names(conn, schema))


def content_type_of(ctx: ReadContext, live: TableInfo, used: Iterable[int], sample: Sample) -> int | None:
    """The content type of the live table among the ``used`` ones (None: no row of the store names it)."""
    types = content_types(ctx.conn, ctx.snapshot, live.ref.schema, used)
    models = {live.ref.name: ctx.config.model} if ctx.config.model else None
    return table_map(ctx.conn, ctx.snapshot, live.ref.schema, types, [live], sample, models).get(live.ref.name)


def members(conn: Connection, snapshot: SchemaSnapshot, store: TableRef, names: Iterable[str],
            sample: Sample) -> set[str]:
    """Which of ``names`` a content type of the store's rows (``content_type_id``) names."""
    info = snapshot.tables[store]
    t = info.table()
    used = conn.execute(select(t.c.content_type_id).distinct()).scalars().all()
    types = content_types(conn, snapshot, store.schema, used)
    wanted = set(names)
    tables = [i for i in snapshot if i.ref.schema == store.schema and i.ref.name in wanted]
    return set(table_map(conn, snapshot, store.schema, types, tables, sample))


def store_content_type(ctx: ReadContext, store: TableRef, live: TableRef, sample: Sample) -> int | None:
    """The content type of ``live`` among those the store's rows use: found once for the snapshot (the distinct
    content types are a scan of the store, once a page before), asked again while none is found (a write may add
    the first row of one)."""
    remembered = ("content type", store, live, ctx.config.model)
    found: int | None = ctx.snapshot.lookups.get(remembered)
    if found is None:
        t = ctx.info(store).table()
        used = ctx.conn.execute(select(t.c.content_type_id).distinct()).scalars().all()
        found = content_type_of(ctx, ctx.info(live), used, sample)
        if found is not None:
            ctx.snapshot.lookups[remembered] = found
    return found
