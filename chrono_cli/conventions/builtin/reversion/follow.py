"""django-reversion's ``follow``: the versions of related objects a save adds to its revision.

What the library does [V: django-reversion 6.x, ``revisions._add_to_revision`` / ``_follow_relations``]: when
an object is saved inside a ``create_revision()`` block, its version is added (``explicit``), then, for each
name in its registration's ``follow``, ``getattr(obj, name)``: a model instance (a foreign key's target) is
added, a manager (a reverse foreign key's ``parts``, a many-to-many field) adds every object of its ``.all()``;
each as a version of its **current** state, unless the revision already holds a version of it (then its own
follows are not visited again); the followed object's own ``follow`` is applied in turn (recursively). Only
registered models can be followed (``_get_options`` raises otherwise).

``follow`` is app code, invisible in the database, so chrono infers it from the revisions themselves, reading
the newest ``SAMPLE`` versions of the model M:

* a **foreign key** of M (column ``f_id``) is followed when every sampled version with ``f`` set shares its
  revision with a version of the object ``f`` names (and at least one version has ``f`` set);
* a **reverse foreign key** (a registered model C whose foreign key ``m_id`` names M's primary key, found by a
  catalog read of the foreign keys of M's schema) is followed when, for every sampled version of an object p
  in revision R, each C object whose newest version at or before R (by revision id) names p also has a
  version in R, and at least one sampled revision holds a C version naming p. The C objects looked at are
  those versioned in the sampled revisions and those naming p now (their live rows): one that named p then
  and neither is now nor was versioned there cannot be seen. An app that always saves p and all its C
  objects in one block is indistinguishable from ``follow`` and is taken as one;
* a **many-to-many field** ``tags`` of M (a list of pks in its versions, kept in the link table
  ``<M's table>_tags``, Django's default name, whose two foreign keys name M and the target) is followed when
  every sampled version's listed objects all have a version in its revision (and at least one lists some);
* the **reverse side of a many-to-many field** (``follow=["poll_set"]`` on the target M: a registered model C
  whose field ``tags`` lists M's objects, link table ``<C's table>_tags``) by the reverse foreign key's rule,
  "names p" meaning "lists p", the C objects listing p now read from the link table.

Not inferred: a link table of another name (``through=``, ``db_table``), a many-to-many field of a model to
itself, and relations on a multi-column key.

A restore then writes, in its revision, a version of each followed object's current row (for a reverse
relation: the rows naming the restored object now, before the write; for a many-to-many field: its current
members in the link table), serialized as that object's own versions are, each object once, recursively, never
the restored objects themselves again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import select

from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.builtin.reversion import formats
from chrono_cli.conventions.decode import Undecodable
from chrono_cli.conventions.django_models import content_type_of, field_column
from chrono_cli.conventions.shapes.bulk import CHUNK
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import TableRef
from chrono_cli.records import Struct, replace

SAMPLE = 50  # newest versions of a model read to infer what it follows


class Followed(Struct, frozen=True):
    """A followed relation: the foreign key ``column`` (of this table; of ``target`` when ``reverse``; of
    ``through`` naming the target, for a many-to-many field, whose column ``own`` names this table's row), the
    table it leads to and that table's content type."""

    column: str
    target: TableInfo
    content_type: int
    reverse: bool = False
    through: TableInfo | None = None
    own: str = ""


def _sample(ctx: WriteContext, ct: int) -> list[str]:
    from chrono_cli.conventions.builtin.reversion.adapter import sample_fields

    return sample_fields(ctx.conn, ctx.store_info, ct)


def content_type(ctx: WriteContext, info: TableInfo) -> int | None:
    """The content type of the table ``info`` among those the versions use."""
    t = ctx.store
    used = ctx.conn.execute(select(t.c.content_type_id).distinct()).scalars().all()
    config = ctx.config if info.ref == ctx.det.live else replace(ctx.config, model=None)  # [tables.X] model: X's
    read = ReadContext(ctx.conn, ctx.snapshot, config)
    return content_type_of(read, info, used, lambda ct: _sample(ctx, ct))


def _field(data: str, fmt: str, name: str) -> Any:
    return (formats.parse(data, fmt).get("fields") or {}).get(name)


def followed(ctx: WriteContext, info: TableInfo, ct: int) -> list[Followed]:
    """The relations of ``info`` (content type ``ct``) its revisions show to be followed (once per write)."""
    memo = ctx.shared.memo("reversion follow")
    if (info.ref, ct) in memo:
        return memo[(info.ref, ct)]  # type: ignore[no-any-return]
    v = ctx.store
    rows = ctx.conn.execute(
        select(v.c.revision_id, v.c.object_id, v.c.serialized_data, v.c.format)
        .where(v.c.content_type_id == ct)
        .order_by(v.c.id.desc())
        .limit(SAMPLE)
    ).all()
    out = _forward(ctx, info, rows) + _many(ctx, info, rows) + _reverse(ctx, info, rows)
    memo[(info.ref, ct)] = out
    return out


def _forward(ctx: WriteContext, info: TableInfo, rows: Sequence[Any]) -> list[Followed]:
    out = []
    for fk in info.foreign_keys:
        if len(fk.columns) != 1 or not fk.columns[0].endswith("_id"):
            continue
        target = _table(ctx, fk.referred)
        if target is None or len(target.pk) != 1:
            continue
        target_ct = content_type(ctx, target)
        if target_ct is None:
            continue
        field = fk.columns[0][: -len("_id")]
        named = [(r.revision_id, _field(r.serialized_data, r.format, field)) for r in rows]
        named = [(rev, pk) for rev, pk in named if pk is not None]
        if named and all(_holds(ctx, rev, target_ct, pk) for rev, pk in named):
            out.append(Followed(fk.columns[0], target, target_ct))
    return out


def _many(ctx: WriteContext, info: TableInfo, rows: Sequence[Any]) -> list[Followed]:
    if len(info.pk) != 1:
        return []
    lists: dict[str, list[tuple[int, list[Any]]]] = {}  # many-to-many field -> (revision, the pks it lists)
    for r in rows:
        for name, value in (formats.parse(r.serialized_data, r.format).get("fields") or {}).items():
            if isinstance(value, list) and field_column(name, info.columns) is None:
                lists.setdefault(name, []).append((r.revision_id, value))
    tables = {t.ref.name: t for t in _schema(ctx, info.ref.schema)} if lists else {}
    out = []
    for name, named in lists.items():
        through = tables.get(f"{info.ref.name}_{name}")
        link = None if through is None else _link(through, info)
        target = None if link is None else _table(ctx, link[2])
        if link is None or target is None or len(target.pk) != 1:
            continue
        target_ct = content_type(ctx, target)
        members = [(rev, pk) for rev, pks in named for pk in pks]
        if target_ct is not None and members and all(_holds(ctx, rev, target_ct, pk) for rev, pk in members):
            out.append(Followed(link[1], target, target_ct, through=through, own=link[0]))
    return out


def _link(through: TableInfo, info: TableInfo) -> tuple[str, str, TableRef] | None:
    """(its column naming ``info``'s row, its column naming the target, the target) of a many-to-many link table
    (two single-column foreign keys, exactly one of them to ``info``)."""
    fks = [fk for fk in through.foreign_keys if len(fk.columns) == 1]
    own = [fk for fk in fks if fk.referred == info.ref and fk.referred_columns == info.pk]
    other = [fk for fk in fks if fk not in own]
    if len(fks) != 2 or len(own) != 1 or len(other) != 1:
        return None
    return own[0].columns[0], other[0].columns[0], other[0].referred


def _reverse(ctx: WriteContext, info: TableInfo, rows: Sequence[Any]) -> list[Followed]:
    """Reverse foreign keys and reverse many-to-many fields of ``info`` its revisions show to be followed."""
    if len(info.pk) != 1 or not rows:
        return []
    out = []
    for child in _schema(ctx, info.ref.schema):
        for fk in child.foreign_keys:
            if (fk.referred != info.ref or fk.referred_columns != info.pk or len(fk.columns) != 1
                    or not fk.columns[0].endswith("_id") or len(child.pk) != 1):
                continue
            child_ct = content_type(ctx, child)
            field = fk.columns[0][: -len("_id")]
            if child_ct is not None and _reverse_followed(ctx, rows, child_ct, field, child, fk.columns[0],
                                                          child.pk[0]):
                out.append(Followed(fk.columns[0], child, child_ct, reverse=True))
        link = _link(child, info)
        owner = None if link is None else _table(ctx, link[2])
        if link is None or owner is None or len(owner.pk) != 1 or not child.ref.name.startswith(owner.ref.name + "_"):
            continue
        owner_ct = content_type(ctx, owner)
        field = child.ref.name[len(owner.ref.name) + 1:]  # Django's default link table: <owner's table>_<field>
        if owner_ct is not None and _reverse_followed(ctx, rows, owner_ct, field, child, link[0], link[1]):
            out.append(Followed(link[1], owner, owner_ct, through=child, own=link[0]))
    return out


def _named(value: Any) -> set[str]:
    """The pks a serialized relation field names (a foreign key's pk, a many-to-many field's list)."""
    if isinstance(value, list):
        return {str(v) for v in value}
    return set() if value is None else {str(value)}


def _reverse_followed(ctx: WriteContext, rows: Sequence[Any], ct: int, field: str, table: TableInfo, naming: str,
                      named_by: str) -> bool:
    """The rule of the module doc for the objects of content type ``ct`` naming the sampled objects through
    their ``field``; which name them now: ``table``'s rows whose ``naming`` column is one of them, the objects
    in their ``named_by`` column (the model's own table, or a many-to-many link table)."""
    v = ctx.store
    sampled = {(r.revision_id, r.object_id) for r in rows}
    revisions = sorted({rev for rev, _ in sampled})
    in_revision: dict[int, dict[str, set[str]]] = {}  # revision -> {object: the objects it names there}
    for r in ctx.conn.execute(
        select(v.c.revision_id, v.c.object_id, v.c.serialized_data, v.c.format)
        .where(v.c.content_type_id == ct, v.c.revision_id.in_(revisions))
    ):
        in_revision.setdefault(r.revision_id, {})[r.object_id] = _named(_field(r.serialized_data, r.format, field))
    if not any(p in named for rev, p in sampled for named in in_revision.get(rev, {}).values()):
        return False  # no sampled revision holds an object naming its sampled object
    from chrono_cli.conventions.builtin.reversion.adapter import field_value

    t = table.table()
    parents = []
    for p in sorted({p for _, p in sampled}):
        try:
            parents.append(field_value(p, table.columns[naming], None))
        except Undecodable:
            continue
    now: set[str] = set()
    for i in range(0, len(parents), CHUNK):
        query = select(t.c[named_by]).where(t.c[naming].in_(parents[i:i + CHUNK]))
        now |= {str(k) for k in ctx.conn.execute(query).scalars()}
    history: dict[str, list[tuple[int, set[str]]]] = {}  # object -> (revision, the objects it names), newest first
    ids = sorted(now | {c for held in in_revision.values() for c in held})
    for i in range(0, len(ids), CHUNK):
        for r in ctx.conn.execute(
            select(v.c.revision_id, v.c.object_id, v.c.serialized_data, v.c.format)
            .where(v.c.content_type_id == ct, v.c.object_id.in_(ids[i:i + CHUNK]))
            .order_by(v.c.revision_id.desc())
        ):
            history.setdefault(r.object_id, []).append(
                (r.revision_id, _named(_field(r.serialized_data, r.format, field))))
    for rev, p in sampled:
        held = in_revision.get(rev, {})
        for c, versions in history.items():
            then = next((named for at, named in versions if at <= rev), set())
            if p in then and c not in held:
                return False
    return True


def _schema(ctx: WriteContext, schema: str | None) -> list[TableInfo]:
    """Every table of ``schema`` with its foreign keys (a catalog read, once per write)."""
    memo = ctx.shared.memo("reversion schema")
    if schema not in memo:
        from chrono_cli.db import reflect

        memo[schema] = list(reflect.reflect(ctx.conn, {schema: None}, facts=()))
    return memo[schema]  # type: ignore[no-any-return]


def _table(ctx: WriteContext, ref: TableRef) -> TableInfo | None:
    """A table of the snapshot, else reflected (a write's snapshot holds the written table and its stores)."""
    found = ctx.snapshot.get(ref)
    if found is None:
        from chrono_cli.db import reflect

        found = reflect.reflect(ctx.conn, {ref.schema: [ref.name]}).get(ref)
    return found


def _holds(ctx: WriteContext, revision: int, ct: int, pk: Any) -> bool:
    v = ctx.store
    return (
        ctx.conn.execute(
            select(v.c.id)
            .where(v.c.revision_id == revision, v.c.content_type_id == ct, v.c.object_id == str(pk))
            .limit(1)
        ).first()
        is not None
    )


def follow_rows(
    ctx: WriteContext, info: TableInfo, ct: int, state: Mapping[str, Any], seen: set[tuple[int, str]] | None = None
) -> Iterator[tuple[TableInfo, int, dict[str, Any]]]:
    """(table, content type, current row) of every object the saved ``state`` follows, recursively (each once,
    never the saved object itself)."""
    if seen is None:
        seen = {(ct, str(state.get(info.pk[0])))} if len(info.pk) == 1 else set()
    for f in followed(ctx, info, ct):
        t = f.target.table()
        key = t.c[f.target.pk[0]]
        own = state.get(info.pk[0])
        if f.through is not None:
            link = f.through.table()
            members = select(link.c[f.column]).where(link.c[f.own] == own)
            query = None if own is None else select(t).where(key.in_(members)).order_by(key)
        elif f.reverse:
            query = None if own is None else select(t).where(t.c[f.column] == own).order_by(key)
        else:
            pk = state.get(f.column)
            query = None if pk is None else select(t).where(key == pk)
        if query is None:
            continue
        for row in ctx.conn.execute(query).mappings().all():
            current = dict(row)
            ident = (f.content_type, str(current[f.target.pk[0]]))
            if ident in seen:
                continue
            seen.add(ident)
            yield f.target, f.content_type, current
            yield from follow_rows(ctx, f.target, f.content_type, current, seen)
