"""A record's timeline: versions numbered, changes computed, filtered by time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain

from chrono_cli import conventions
from chrono_cli.conventions import ConventionAdapter, Detection, ReadContext
from chrono_cli.errors import NotFound, Refused, RowNotFound, UsageError
from chrono_cli.model import FieldChange, Op, RowKey, Timeline, TimelineStream, Version
from chrono_cli.records import replace
from chrono_cli.services.attribution import attribute_stream, attribute_versions, attribution
from chrono_cli.services.diff import diff_values
from chrono_cli.services.keys import parse_key
from chrono_cli.services.target import Target, history_detection
from chrono_cli.services.workspace import Catalog


def load_timeline(cat: Catalog, target: Target, key_text: str, convention: str | None = None,
                  at: datetime | None = None) -> Timeline:
    """Every version of one record, oldest first, from whichever convention holds its history; given ``at``, only
    the state then (and the one before it) when the convention answers "as of" itself."""
    det, key, reader, ctx = _reader(cat, target, key_text, convention)
    info = target.info
    versions = (reader.state_at(ctx, det, key, at) if at is not None else None) or reader.versions(ctx, det, key)
    if not versions:
        raise RowNotFound(f"no row with key {_key_text(key)} in {target.ref} or its history")
    columns = _base_columns(target, det)
    for v in versions:
        columns += [c for c in (v.values or {}) if c not in columns]
    row_type = _row_type(target, versions)
    if target.identity is not None and row_type != target.identity:
        raise NotFound(f"{target.ref} {_key_text(key)} is a '{row_type}', not a '{target.identity}'",
                       hint=f"ask for it as: chrono history {row_type} {key_text}")
    attr = attribution(cat.table_config(target.ref), info, target.snapshot)
    versions = attribute_versions(cat.conn, target.snapshot, attr, versions)
    return Timeline(target.ref, key, det.adapter, None if det.in_table else det.store, tuple(columns),
                    number(versions, columns), row_type, degraded_warning(det))


def stream_timeline(cat: Catalog, target: Target, key_text: str, convention: str | None = None) -> TimelineStream:
    """``load_timeline`` without holding the history: the versions are read (a server-side cursor where the
    adapter streams), attributed and numbered as the caller consumes them, inside the catalog's transaction."""
    if target.discriminator:  # the row type is the newest state's, checked before anything is printed
        tl = load_timeline(cat, target, key_text, convention)
        return TimelineStream(replace(tl, versions=()), iter(tl.versions))
    det, key, reader, ctx = _reader(cat, target, key_text, convention)
    versions = reader.iter_versions(ctx, det, key)
    first = next(versions, None)
    if first is None:
        raise RowNotFound(f"no row with key {_key_text(key)} in {target.ref} or its history")
    columns = _base_columns(target, det)
    head = Timeline(target.ref, key, det.adapter, None if det.in_table else det.store, tuple(columns), (), None,
                    degraded_warning(det))
    attr = attribution(cat.table_config(target.ref), target.info, target.snapshot)
    attributed = attribute_stream(cat.conn, target.snapshot, attr, chain((first,), versions))
    return TimelineStream(head, iter_numbered(attributed, columns))


def load_page(cat: Catalog, target: Target, key_text: str, convention: str | None, before: int | None,
              size: int) -> Timeline | None:
    """Up to ``size`` versions of one record before position ``before`` (None: the newest), oldest first, with
    their positions and changes as ``load_timeline`` gives them, the store reading only that window; a page
    without versions has none left. None: the store cannot page (or a typed row, whose type is the newest
    state's): read the timeline whole."""
    if target.discriminator:
        return None
    det, key, reader, ctx = _reader(cat, target, key_text, convention)
    window = reader.versions_page(ctx, det, key, before, size)
    if window is None:
        return None
    if not window and before is None:
        raise RowNotFound(f"no row with key {_key_text(key)} in {target.ref} or its history")
    columns = _base_columns(target, det)
    attr = attribution(cat.table_config(target.ref), target.info, target.snapshot)
    # the window's first version may be the one before the page: the changes of the page's oldest are from it
    numbered = list(iter_numbered(attribute_versions(cat.conn, target.snapshot, attr, window), columns))
    newest = window[-1].seq if window else 0
    return Timeline(target.ref, key, det.adapter, None if det.in_table else det.store, tuple(columns),
                    tuple(v for v in numbered if v.seq > newest - size), None, degraded_warning(det))


def _reader(cat: Catalog, target: Target, key_text: str,
            convention: str | None) -> tuple[Detection, RowKey, ConventionAdapter, ReadContext]:
    """The detection holding the record's history, its key, and the adapter and context that read it."""
    det = history_detection(target, convention)
    key = parse_key(key_text, det.key, {c: target.info.columns[c].type for c in det.key})
    return det, key, conventions.of(det).read(), cat.context(target.snapshot, target.ref)


def _base_columns(target: Target, det: Detection) -> list[str]:
    skip = {det.version_col, *det.options.bookkeeping()}
    return [c for c in target.info.columns if c not in skip]


def refuse_degraded(det: Detection | None) -> None:
    """No write where the drift breaks the library's own next write: chrono would write something else."""
    blocking = [d.reason for d in det.degraded if d.blocks_writes] if det is not None else []
    if det is not None and blocking:
        raise Refused(f"{det.store} does not match {det.live} ({'; '.join(blocking)}): a write would not be "
                      f"what {det.adapter} writes", hint="fix the drift first: chrono check-migrations --suggest")


def degraded_warning(det: Detection) -> tuple[str, ...]:
    """One warning line when the store no longer follows its table (read anyway; check-migrations has details)."""
    if not det.degraded:
        return ()
    return (f"{det.store} does not match {det.live} ({'; '.join(det.reasons)}): columns it lacks are shown as "
            "not recorded; run chrono check-migrations",)


def number(versions: list[Version], columns: list[str]) -> tuple[Version, ...]:
    """Give each version its position and the changes that produced it."""
    return tuple(iter_numbered(versions, list(columns)))


def iter_numbered(versions: Iterable[Version], columns: list[str]) -> Iterator[Version]:
    """``number`` one version at a time; ``columns`` grows by the columns only the history holds, as they come
    (a change involves only columns of the two states it compares, so it is the same as with the whole list)."""
    prev: Version | None = None
    for i, v in enumerate(versions, 1):
        columns += [c for c in (v.values or ()) if c not in columns]
        changes: tuple[FieldChange, ...]
        if v.op is Op.DELETE:
            changes = ()
        elif prev is None:
            changes = tuple(diff_values(None, v.values, columns)) if v.op is Op.INSERT else ()
        else:
            changes = tuple(diff_values(prev.values, v.values, columns))
        yield replace(v, seq=v.seq or i, changes=changes)  # a state read "as of" has its position
        prev = v


def filter_timeline(tl: Timeline, *, since: datetime | None = None, until: datetime | None = None,
                    limit: int | None = None) -> Timeline:
    """Versions that began within [since, until]; ``limit`` keeps the newest N."""
    if (since or until) and not any(v.valid_from or v.valid_to for v in tl.versions):
        raise UsageError(f"the {tl.convention} history of {tl.table} stores no timestamps",
                         hint="select versions by number instead of by time")
    kept = [v for v in tl.versions
            if (since is None or (v.valid_from is not None and v.valid_from >= since))
            and (until is None or v.valid_from is None or v.valid_from <= until)]
    if limit is not None:
        if limit < 1:
            raise UsageError("--limit must be at least 1")
        kept = kept[-limit:]
    return replace(tl, versions=tuple(kept))


def _row_type(target: Target, versions: list[Version]) -> str | None:
    if not target.discriminator:
        return None
    for v in reversed(versions):
        if v.values and v.values.get(target.discriminator) is not None:
            return str(v.values[target.discriminator])
    return None


def _key_text(key: RowKey) -> str:
    return ", ".join(f"{k}={v}" for k, v in key.items)
