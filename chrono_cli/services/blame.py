"""``chrono blame``: for each column of a record, the version that last set its value (git blame for a row)."""

from __future__ import annotations

from collections.abc import Sequence

from chrono_cli.errors import UsageError, VersionNotFound
from chrono_cli.model import BlameLine, BlameView, Op, Timeline, Version
from chrono_cli.services import redact, select
from chrono_cli.services.diff import same
from chrono_cli.services.history import load_timeline
from chrono_cli.services.target import open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Workspace


def blame(ws: Workspace, table: str, key: str, *, columns: str | None = None, all_columns: bool = False,
          version: str | None = None, at: str | None = None, convention: str | None = None) -> BlameView:
    """Who last set each column of a record (as of now, or of a version or time)."""
    if version is not None and at is not None:
        raise UsageError("give --version or --at, not both")
    with ws.catalog() as cat:
        tl = load_timeline(cat, open_target(cat, table), key, convention)
    tcfg = ws.config.table(tl.table.name, tl.table.schema)
    upto = None
    if version is not None or at is not None:
        upto = select.pick(tl, version, at=parse_time(at, tz_name=tcfg.timezone) if at else None, tz=tcfg.timezone)
    wanted = _columns(tl, columns, () if all_columns else tcfg.columns)
    return redact.blame_view(ws.config, blame_timeline(tl, wanted, upto), ws.settings.show_secrets)


def blame_timeline(tl: Timeline, columns: Sequence[str], upto: Version | None = None) -> BlameView:
    """Blame ``columns`` of the newest recorded state up to ``upto`` (default: the whole timeline)."""
    versions = list(tl.versions)
    if upto is not None:
        versions = versions[: versions.index(upto) + 1]
    deleted = versions[-1] if versions[-1].values is None else None
    while versions and versions[-1].values is None:
        versions.pop()
    if not versions:
        raise VersionNotFound(f"no recorded state of {tl.table} {tl.key} to blame")
    return BlameView(tl, versions[-1], tuple(blame_column(versions, c) for c in columns), deleted)


def blame_column(versions: Sequence[Version], column: str) -> BlameLine:
    """Walk back from the last state to the version that set ``column``; stop, unblamed, at any gap."""
    state = versions[-1]
    assert state.values is not None
    if column not in state.values:
        return BlameLine(column, None, recorded=False, note="not recorded")
    value = state.values[column]
    k = len(versions) - 1
    while k > 0:
        before, setter = versions[k - 1], versions[k]
        if before.values is None:  # re-created after a deletion: the value came with the new record
            return BlameLine(column, value, version=setter)
        if column not in before.values:
            return BlameLine(column, value, note=f"not recorded: unchanged since p{setter.seq}, "
                                                 f"but p{before.seq} did not record it")
        if not same(before.values[column], value):
            return BlameLine(column, value, version=setter, previous=before.values[column], has_previous=True)
        k -= 1
    first = versions[0]
    if first.op is Op.INSERT:
        return BlameLine(column, value, version=first)
    return BlameLine(column, value, note=f"not recorded: unchanged since the first recorded state p{first.seq}")


def _columns(tl: Timeline, text: str | None, default: Sequence[str]) -> tuple[str, ...]:
    if text:
        wanted = tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))
        unknown = [c for c in wanted if c not in tl.columns]
        if unknown:
            raise UsageError(f"no column {', '.join(unknown)} in {tl.table}", hint=f"columns: {', '.join(tl.columns)}")
        return wanted
    if default:
        kept = tuple(c for c in default if c in tl.columns)
        if kept:
            return kept
    return tl.columns
