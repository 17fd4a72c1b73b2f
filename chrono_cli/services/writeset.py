"""What every write shares: picking the writer, the checks before writing, and the plan item it becomes."""

from __future__ import annotations

import getpass
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from chrono_cli import conventions
from chrono_cli.config import Config
from chrono_cli.conventions import Convention, Detection
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.writes import WriteContext, WriteMeta, Writer, WriteSet, WriteState
from chrono_cli.conventions.writes.checks import conflicts, pending_row
from chrono_cli.conventions.writes.values import fingerprint, jsonable
from chrono_cli.errors import NothingToWrite, Refused, RowNotFound, UsageError
from chrono_cli.model import FieldChange, RowKey, Timeline
from chrono_cli.records import Struct
from chrono_cli.services.attribution import actor_value, attribution
from chrono_cli.services.history import load_timeline, refuse_degraded
from chrono_cli.services.plan import PlanItem, compiled
from chrono_cli.services.target import Target, history_detection
from chrono_cli.services.workspace import Catalog


class Prepared(Struct, frozen=True):
    """The writer for a table and the context it writes in."""

    convention: Convention
    writer: Writer
    ctx: WriteContext
    history: Detection | None   # where versions live (None: the table only has an archive column)
    archive: Detection | None   # the archive column, if any

    @property
    def bookkeeping(self) -> frozenset[str]:
        return self.writer.bookkeeping(self.ctx.det)


def resolve_meta(config: Config, actor: str | None, reason: str | None) -> WriteMeta:
    """--actor, else config ``actor``, else the OS user name; and the reason as given."""
    if actor is None:
        actor = config.actor
    if actor is None:
        try:
            actor = getpass.getuser()
        except (OSError, KeyError):
            actor = None
    return WriteMeta(actor=actor or None, reason=reason or None)


def default_reason(meta: WriteMeta, text: str) -> WriteMeta:
    """``meta`` with ``text`` as its reason when the user gave none (history then says what chrono did)."""
    return meta if meta.reason else WriteMeta(actor=meta.actor, reason=text)


def prepare(cat: Catalog, target: Target, convention: str | None, meta: WriteMeta, now: datetime,
            shared: WriteState | None = None) -> Prepared:
    """The writer of the table's history convention (or of its archive column when it has no history).

    ``shared`` is the state the rows of one multi-row write share (pass the same one for each row, in order).
    """
    det = history_detection(target, convention)
    conv = conventions.of(det)
    if conv.traits.archive and convention == det.adapter:
        versioned = [d.adapter for d in target.detections if not conventions.is_archive(d)]
        if versioned:
            raise UsageError(f"{target.ref} is versioned by {', '.join(versioned)}: its history must be written too",
                             hint="leave out --convention, or name the history convention")
    writer = conv.write()
    ctx = writer.context(WriteContext(cat.conn, target.snapshot, det, cat.table_config(target.ref), now, meta,
                                      WriteState() if shared is None else shared))
    return Prepared(conv, writer, ctx, None if conv.traits.archive else det, target.archive())


def stamped(prep: Prepared, new: Mapping[str, Any]) -> Mapping[str, Any]:
    """``new`` with the declared actor column set to the writer's actor (--actor, else config ``actor``).

    Otherwise the row would keep claiming its last editor made the state chrono writes."""
    ctx = prep.ctx
    column = ctx.config.actor_column
    if column is None or ctx.meta.actor is None or column in prep.bookkeeping:
        return new
    attr = attribution(ctx.config, ctx.live_info, ctx.snapshot)
    return {**new, column: actor_value(ctx.conn, ctx.snapshot, attr, ctx.meta.actor)}


def key_text(key: RowKey | Mapping[str, Any]) -> str:
    """The KEY argument that names ``key`` again (``42`` or ``a=1,b=2``)."""
    items = list(key.items) if isinstance(key, RowKey) else list(key.items())
    if len(items) == 1:
        return str(items[0][1])
    return ",".join(f"{k}={v}" for k, v in items)


def finish(prep: Prepared, key: RowKey, action: str, current: Mapping[str, Any] | None, new: Mapping[str, Any],
           *, kept: Sequence[Mapping[str, Any]] = (), timeline: Timeline | None = None,
           target: Mapping[str, Any] | None = None, only: tuple[str, ...] | None = None,
           what: str = "that state") -> PlanItem:
    """Refuse no-ops and constraint breaks, build the writer's statements, and describe them as a plan item."""
    ctx, writer = prep.ctx, prep.writer
    refuse_degraded(prep.history)
    changes = changed_fields(current, new)
    where = f"{ctx.det.live} {key_text(key)}"
    if not changes:
        raise NothingToWrite(f"{where} is already in {what}: nothing to write")
    new = stamped(prep, new)
    changes = changed_fields(current, new)
    inserted = ctx.shared.inserted
    problems = conflicts(ctx.conn, ctx.live_info, key, new, [c.column for c in changes],
                         inserting=current is None, skip=prep.bookkeeping, pending=inserted)
    if problems:
        raise Refused(f"cannot write {where}: " + "; ".join(problems))
    if current is None:
        assert timeline is not None
        written = writer.insert(ctx, key, new, timeline)
        inserted.add(pending_row(ctx.det.live, key.as_dict()))
    else:
        written = writer.update(ctx, key, current, new, changes, timeline)
    return _item(prep, key, action, current, changes, written, target=target, only=only, kept=kept)


def changed_fields(current: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[FieldChange]:
    """The columns of ``new`` that differ from the live row ``current`` (every one when there is none)."""
    return [FieldChange(c, None if current is None else current.get(c), v) for c, v in new.items()
            if current is None or not same(current.get(c), v)]


def diff_doc(changes: Iterable[FieldChange]) -> list[dict[str, Any]]:
    """``changes`` as a plan document lists them."""
    return [{"column": c.column, "old": jsonable(c.old), "new": jsonable(c.new)} for c in changes]


def finish_delete(prep: Prepared, key: RowKey, current: Mapping[str, Any], timeline: Timeline | None) -> PlanItem:
    """Build the writer's delete statements for ``key`` and describe them as a plan item."""
    changes = [FieldChange(c, v, None) for c, v in current.items() if c not in prep.bookkeeping]
    return _item(prep, key, "delete", current, changes, prep.writer.delete(prep.ctx, key, current, timeline))


def _item(prep: Prepared, key: RowKey, action: str, current: Mapping[str, Any] | None,
          changes: Sequence[FieldChange], written: WriteSet, *, target: Mapping[str, Any] | None = None,
          only: tuple[str, ...] | None = None, kept: Sequence[Mapping[str, Any]] = ()) -> PlanItem:
    ctx, writer = prep.ctx, prep.writer
    notes = list(written.notes)
    if not prep.convention.traits.records_actor and not prep.convention.traits.archive \
            and ctx.config.actor_column is None:
        notes.append(f"{ctx.det.adapter} has no place for an actor or a reason: they are not recorded")
    return PlanItem(action=action, key=jsonable(key.as_dict()), convention=ctx.det.adapter,
                    history=None if ctx.det.in_table else str(ctx.det.store),
                    expected_row=fingerprint(current), expected_history=writer.history_count(ctx, key),
                    diff=diff_doc(changes),
                    statements=compiled(written.steps, ctx.conn.dialect), target=target, only=only,
                    kept=list(kept), notes=tuple(notes), steps=tuple(written.steps), table=str(ctx.det.live))


def timeline_or_none(cat: Catalog, target: Target, prep: Prepared, key: RowKey,
                     convention: str | None) -> Timeline | None:
    """The key's timeline, or None when the table has no history or the history does not know the key."""
    if prep.history is None:
        return None
    try:
        return load_timeline(cat, target, key_text(key), convention)
    except RowNotFound:
        return None
