"""The version rows chrono writes as PaperTrail would, one record or many: the store's serialization and skipped
attributes (learnt from its newest rows) and the row itself."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from chrono_cli.conventions.builtin.paper_trail import codec, psych
from chrono_cli.conventions.builtin.paper_trail.adapter import PaperTrailOptions, item_types
from chrono_cli.conventions.rows import zone
from chrono_cli.conventions.types import is_json
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.errors import Refused

SCAN = 20  # newest documents read to learn the store's serialization and the attributes it skips


def _samples(ctx: WriteContext) -> list[Any]:
    store = ctx.store
    memo = ctx.shared.memo("paper-trail-samples")
    if ctx.det.live.name not in memo:
        types = item_types(ctx.conn, store, ctx.det.live.name, ctx.config.model)
        memo[ctx.det.live.name] = list(ctx.conn.execute(
            select(store.c.object).where(store.c.item_type.in_(types), store.c.object.is_not(None))
            .order_by(store.c.id.desc()).limit(SCAN)).scalars())
    samples: list[Any] = memo[ctx.det.live.name]
    return samples


def store_form(ctx: WriteContext) -> codec.Form:
    """How this store serializes documents, learnt from its column type and newest rows."""
    if is_json(ctx.store_info.columns["object"].type):
        return codec.Form(json_column=True, zone=ctx.config.timezone)
    texts = [s for s in _samples(ctx) if isinstance(s, str)]
    if texts and texts[0].lstrip().startswith("{"):
        return codec.Form(json_text=True, zone=ctx.config.timezone)
    return codec.Form(style=psych.learn_style(texts), zone=ctx.config.timezone)


def skipped_columns(ctx: WriteContext) -> set[str]:
    """Columns the newest ``object`` documents leave out (PaperTrail's ``skip``): parsed once per write."""
    memo = ctx.shared.memo("paper-trail-skipped")
    if ctx.det.live.name not in memo:
        docs = [d for d in (codec.parse(s) for s in _samples(ctx)) if isinstance(d, dict)]
        memo[ctx.det.live.name] = {c for c in ctx.live_info.columns if docs and all(c not in d for d in docs)}
    return set(memo[ctx.det.live.name])


def one_type(ctx: WriteContext, types: list[str]) -> str:
    """The class a table's versions are recorded under, when no version of the record says it."""
    if len(types) != 1:
        raise Refused(f"cannot tell which class PaperTrail records {ctx.det.live.name} under",
                      hint=f"declare it: [tables.{ctx.det.live.name}] model = \"ClassName\"")
    return types[0]


def metadata_notes(ctx: WriteContext) -> list[str]:
    """What the plan says about the application's metadata columns."""
    opts = ctx.det.opts(PaperTrailOptions)
    if not opts.metadata:
        return []
    return [f"PaperTrail metadata columns ({', '.join(opts.metadata)}) come from application code: left NULL"]


def version_record(ctx: WriteContext, form: codec.Form, event: str, item_type: str, item_id: Any,
                   subtype: str | None, before: Mapping[str, Any] | None, changes: Mapping[str, Any],
                   at: datetime) -> dict[str, Any]:
    """One ``versions`` row: ``object`` = ``before`` (None on create), ``object_changes`` = ``changes``."""
    info = ctx.store_info
    opts = ctx.det.opts(PaperTrailOptions)
    columns = ctx.live_info.columns
    moment = at if at.tzinfo else at.replace(tzinfo=zone(ctx.config.timezone))  # naive: the wall clock of stamp
    record: dict[str, Any] = {
        "item_type": item_type, "item_id": item_id, "event": event,
        "object": None if before is None else form.document(before, columns),
        "created_at": stamp(moment, info.columns["created_at"].type, ctx.config.timezone)}
    if "whodunnit" in info.columns:
        record["whodunnit"] = ctx.meta.actor
    if opts.changes:
        record["object_changes"] = form.document(changes, columns, pairs=True)
    if opts.subtype and subtype is not None:
        record["item_subtype"] = subtype
    return record
