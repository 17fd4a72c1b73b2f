"""Who did it when the application records it in the row: ``[tables.X] actor_column`` / ``reason_column``.

The actor of a version is the value of the actor column in the state that version produced (a user id is
shown through its foreign key as the user's username, email or name). A deletion keeps what the store says.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from sqlalchemy.engine import Connection

from chrono_cli import conventions
from chrono_cli.config import TableConfig
from chrono_cli.conventions import Detection, ReadContext
from chrono_cli.conventions.actors import UserLink, find_user, labels, target, user_link
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.errors import ConfigError, UsageError
from chrono_cli.model import Op, RowChange, Version
from chrono_cli.records import Struct, replace

# column names applications use for "who saved this row last": suggested by `tables --explain`, never applied
ACTOR_NAMES = ("updated_by", "modified_by", "changed_by", "last_modified_by", "last_editor_id", "last_editor",
               "updated_by_id", "modified_by_id", "editor_id", "edited_by")
REASON_NAMES = ("change_reason", "update_reason", "reason", "change_comment", "comment")


class Attribution(Struct, frozen=True):
    """The declared actor and reason columns of one table, and how an actor id is shown."""

    actor: str | None = None
    reason: str | None = None
    link: UserLink | None = None

    @property
    def declared(self) -> bool:
        return self.actor is not None or self.reason is not None


def attribution(tcfg: TableConfig, info: TableInfo, snapshot: SchemaSnapshot | None = None) -> Attribution:
    """The table's declared columns, checked against the table (a typo is an error, not silence)."""
    for option, column in (("actor_column", tcfg.actor_column), ("reason_column", tcfg.reason_column)):
        if column is not None and column not in info.columns:
            raise ConfigError(f"config [tables.{info.ref.name}] {option}: no column {column!r} in {info.ref}",
                              hint=f"columns: {', '.join(info.columns)}")
    link = user_link(info, tcfg.actor_column, snapshot) if tcfg.actor_column else None
    return Attribution(tcfg.actor_column, tcfg.reason_column, link)


def suggestions(info: TableInfo, tcfg: TableConfig) -> list[str]:
    """Config lines ``tables --explain`` proposes for columns named like an actor or a reason."""
    out = []
    for option, names, declared in (("actor_column", ACTOR_NAMES, tcfg.actor_column),
                                    ("reason_column", REASON_NAMES, tcfg.reason_column)):
        found = next((c for c in names if c in info.columns), None)
        if declared is None and found is not None:
            out.append(f'[tables.{info.ref.name}] {option} = "{found}"')
    return out


def attribute_versions(conn: Connection, snapshot: SchemaSnapshot, attr: Attribution,
                       versions: Sequence[Version]) -> list[Version]:
    """Each version's actor and reason from the state it produced (deletions keep the store's own)."""
    if not attr.declared:
        return list(versions)
    shown = _labels(conn, snapshot, attr, [v.values.get(attr.actor) for v in versions
                                           if v.values is not None and attr.actor])
    out = []
    for v in versions:
        if v.values is None:
            out.append(v)
            continue
        changes: dict[str, Any] = {}
        if attr.actor is not None and attr.actor in v.values:
            raw = v.values[attr.actor]
            changes["actor"] = None if raw is None else shown.get(raw, str(raw))
        if attr.reason is not None and attr.reason in v.values:
            raw = v.values[attr.reason]
            changes["reason"] = None if raw in (None, "") else str(raw)
        out.append(replace(v, **changes))
    return out


def attribute_stream(conn: Connection, snapshot: SchemaSnapshot, attr: Attribution, versions: Iterable[Version],
                     batch: int = 1000) -> Iterator[Version]:
    """``attribute_versions`` over a stream, a batch at a time (one user lookup per batch)."""
    if not attr.declared:
        yield from versions
        return
    it = iter(versions)
    while chunk := list(islice(it, batch)):
        yield from attribute_versions(conn, snapshot, attr, chunk)


def attribute_events(conn: Connection, snapshot: SchemaSnapshot, attr: Attribution, events: Sequence[RowChange],
                     states: Mapping[Any, Sequence[Version]]) -> list[RowChange]:
    """Row changes with the actor and reason of the state each produced.

    ``states`` holds the timeline of each key (``key -> versions``) for changes that left the declared
    columns unchanged: their value is then the one the record already held.
    """
    if not attr.declared:
        return list(events)
    out = []
    for e in events:
        state = _state(e, states.get(e.key, ()))
        actor, reason, actor_id = e.actor, e.reason, e.actor_id
        if state is not None and attr.actor is not None and attr.actor in state:
            actor = actor_id = state[attr.actor]
        if state is not None and attr.reason is not None and attr.reason in state:
            reason = None if state[attr.reason] in (None, "") else str(state[attr.reason])
        out.append(replace(e, actor=actor, reason=reason, actor_id=actor_id))
    shown = _labels(conn, snapshot, attr, [e.actor for e, o in zip(out, events, strict=True) if e is not o])
    return [e if e is o or e.actor is None else replace(e, actor=shown.get(e.actor, str(e.actor)))
            for e, o in zip(out, events, strict=True)]


def needs_state(attr: Attribution, event: RowChange) -> bool:
    """Whether the change alone does not say the declared columns' new values."""
    changed = {c.column for c in event.changes}
    return event.op is not Op.DELETE and any(c is not None and c not in changed for c in (attr.actor, attr.reason))


def _state(e: RowChange, versions: Sequence[Version]) -> Mapping[str, Any] | None:
    """The values the change produced: its own new values over the matching version's state."""
    if e.op is Op.DELETE:
        return None
    values: dict[str, Any] = {}
    match = next((v for v in versions if v.valid_from == e.at and v.op is e.op and v.values is not None), None)
    if match is not None and match.values is not None:
        values.update(match.values)
    values.update({c.column: c.new for c in e.changes})
    return values


def _labels(conn: Connection, snapshot: SchemaSnapshot, attr: Attribution, ids: Iterable[Any]) -> dict[Any, str]:
    if attr.link is None or attr.link.table is None:
        return {}
    return labels(conn, snapshot, attr.link, ids)


def actor_value(conn: Connection, snapshot: SchemaSnapshot, attr: Attribution, actor: str) -> Any:
    """What to store in the actor column for ``--actor``: the text itself, or the user id it displays as."""
    link = attr.link
    if link is None or link.table is None or link.key is None:
        return actor
    info = target(conn, snapshot, link.table)
    if info is None:
        return actor
    found = find_user(conn, info, link.key, actor)
    if found is not None:
        return found
    raise UsageError(f"--actor {actor!r} names no row of {link.table}: {attr.actor} holds a {link.table} id",
                     hint=f"give the id or the {link.display or 'username, email or name'} chrono shows")


def attribute_changes(ctx: ReadContext, det: Detection, events: Sequence[RowChange]) -> list[RowChange]:
    """``chrono changes``: the declared actor and reason of each change (before grouping by actor).

    A change that left the declared column as it was takes its value from the record's state, read once per key.
    """
    info = ctx.snapshot.get(det.live)
    if info is None:
        return list(events)
    attr = attribution(ctx.config, info, ctx.snapshot)
    if not attr.declared:
        return list(events)
    reader = conventions.of(det).read()
    states = {e.key: reader.versions(ctx, det, e.key) for e in events if needs_state(attr, e)}
    return attribute_events(ctx.conn, ctx.snapshot, attr, events, states)


def attributed(ctx: ReadContext, det: Detection) -> bool:
    """Whether the config names the row's own actor or reason column for ``det``'s table (the store's are not
    the ones shown, so a lister may not filter by them)."""
    info = ctx.snapshot.get(det.live)
    return info is not None and attribution(ctx.config, info, ctx.snapshot).declared
