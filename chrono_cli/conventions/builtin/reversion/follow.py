"""django-reversion's ``follow``: the versions of related objects a save adds to its revision.

What the library does [V: django-reversion 6.x, ``revisions._add_to_revision``]: when an object is saved inside a
``create_revision()`` block, its version is added (``explicit``), then, for each name in its registration's
``follow``, the related object (a foreign key's target, or every object of a reverse relation or many-to-many
manager) is added as a version of its **current** state, unless the revision already holds a version of it; the
followed object's own ``follow`` is applied in turn (recursively). Only registered models are followed.

``follow`` is app code, invisible in the database, so chrono infers the forward foreign keys that are followed
from the revisions themselves: a foreign key field is followed when, in the newest revisions holding a version
of the model with that field set, every one also holds a version of the object it names (and at least one
does). A restore then writes, in its revision, a version of each followed object's current row, serialized as
that object's own versions are. Reverse relations (``follow=["parts"]``) are not inferred.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.builtin.reversion import formats
from chrono_cli.conventions.django_models import content_type_of
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import TableRef

SAMPLE = 50  # newest revisions of a model read to infer its followed foreign keys


@dataclass(frozen=True, slots=True)
class Followed:
    """A followed foreign key: its column, the table it names and that table's content type."""

    column: str
    target: TableInfo
    content_type: int


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


def followed(ctx: WriteContext, info: TableInfo, ct: int) -> list[Followed]:
    """The foreign keys of ``info`` (content type ``ct``) its revisions show to be followed (once per write)."""
    memo = ctx.shared.memo("reversion follow")
    if (info.ref, ct) in memo:
        return memo[(info.ref, ct)]  # type: ignore[no-any-return]
    out: list[Followed] = []
    v = ctx.store
    rows = ctx.conn.execute(
        select(v.c.revision_id, v.c.serialized_data, v.c.format)
        .where(v.c.content_type_id == ct)
        .order_by(v.c.id.desc())
        .limit(SAMPLE)
    ).all()
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
        named = [
            (r.revision_id, (formats.parse(r.serialized_data, r.format).get("fields") or {}).get(field)) for r in rows
        ]
        named = [(rev, pk) for rev, pk in named if pk is not None]
        if named and all(_holds(ctx, rev, target_ct, pk) for rev, pk in named):
            out.append(Followed(fk.columns[0], target, target_ct))
    memo[(info.ref, ct)] = out
    return out


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
    """(table, content type, current row) of every object the saved ``state`` follows, recursively (each once)."""
    seen = set() if seen is None else seen
    for f in followed(ctx, info, ct):
        pk = state.get(f.column)
        if pk is None or (f.content_type, str(pk)) in seen:
            continue
        seen.add((f.content_type, str(pk)))
        t = f.target.table()
        row = ctx.conn.execute(select(t).where(t.c[f.target.pk[0]] == pk)).mappings().first()
        if row is None:
            continue
        current = dict(row)
        yield f.target, f.content_type, current
        yield from follow_rows(ctx, f.target, f.content_type, current, seen)
