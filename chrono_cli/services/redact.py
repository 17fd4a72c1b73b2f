"""Secrets stay out of what chrono shows in every format, JSON included: columns named like a secret (password,
token, secret, api_key...) and the columns of ``[tables.X] redact``, unless ``--show-secrets``. Reads only: a
write still works on the real values."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from typing import Any

from chrono_cli.config import Config
from chrono_cli.model import (
    REDACTED,
    SECRET_NAMES,
    BlameView,
    ChangeList,
    ChangeSet,
    DiffView,
    FieldChange,
    TableRef,
    Timeline,
    TimelineStream,
    Version,
)
from chrono_cli.records import replace


def secret_columns(config: Config, table: TableRef, columns: Iterable[str]) -> frozenset[str]:
    """The columns of ``table`` whose values are shown as redacted."""
    declared = set(config.table(table.name, table.schema).redact)
    return frozenset(c for c in columns if c in declared or SECRET_NAMES.search(c))


def hides(config: Config, table: str, show: bool = False) -> Callable[[str], bool]:
    """Whether a column of ``table`` (``name`` or ``schema.name``) is shown redacted (plans, ``--sql``)."""
    if show:
        return lambda _column: False
    schema, _, name = table.rpartition(".")
    declared = set(config.table(name, schema or None).redact)
    return lambda column: column in declared or bool(SECRET_NAMES.search(column))


def timeline(config: Config, tl: Timeline, show: bool = False) -> Timeline:
    """``tl`` with secret values replaced (values and changes alike), and one line saying so."""
    hidden = set() if show else secret_columns(config, tl.table, tl.columns)
    if not hidden:
        return tl
    versions = tuple(replace(v, values=_values(v.values, hidden), changes=_changes(v.changes, hidden.__contains__))
                     for v in tl.versions)
    return replace(tl, versions=versions, warnings=(*tl.warnings, _note(sorted(hidden))))


def stream(config: Config, ts: TimelineStream, show: bool = False) -> TimelineStream:
    """``timeline`` for a timeline being read: each version as it comes; a secret column only the history holds
    adds its line to ``late_warnings`` once the versions are read."""
    if show:
        return ts
    base = secret_columns(config, ts.head.table, ts.head.columns)
    known: dict[str, bool] = {c: c in base for c in ts.head.columns}

    def secret(column: str) -> bool:
        if column not in known:
            known[column] = bool(secret_columns(config, ts.head.table, [column]))
        return known[column]

    def versions() -> Iterator[Version]:
        for v in ts.versions:
            hidden = {c for c in v.values or () if secret(c)} | {c.column for c in v.changes if secret(c.column)}
            yield replace(v, values=_values(v.values, hidden), changes=_changes(v.changes, secret)) if hidden else v
        late = sorted(c for c, is_secret in known.items() if is_secret and c not in base)
        if late:
            ts.late_warnings.append(_note(late))

    head = replace(ts.head, warnings=(*ts.head.warnings, _note(sorted(base)))) if base else ts.head
    return TimelineStream(head, versions(), ts.late_warnings)


def _note(hidden: Iterable[str]) -> str:
    return f"{', '.join(hidden)} redacted (a secret): --show-secrets shows the values"


def version(config: Config, tl: Timeline, v: Version, show: bool = False) -> Version:
    """One version with secret values replaced."""
    hidden = set() if show else secret_columns(config, tl.table, tl.columns)
    return replace(v, values=_values(v.values, hidden), changes=_changes(v.changes, hidden.__contains__)) \
        if hidden else v


def changes(config: Config, result: ChangeList | ChangeSet, show: bool = False) -> Any:
    """Change sets with the secret columns of each table's changes replaced."""
    if show:
        return result
    sets = (result,) if isinstance(result, ChangeSet) else result.changesets
    cleaned = []
    for s in sets:
        rows = tuple(replace(c, changes=_changes(c.changes, lambda col, t=c.table: bool(  # type: ignore[misc]
            secret_columns(config, t, [col])))) for c in s.changes)
        cleaned.append(replace(s, changes=rows))
    return cleaned[0] if isinstance(result, ChangeSet) else replace(result, changesets=tuple(cleaned))


def _values(values: Mapping[str, Any] | None, hidden: Set[str]) -> Mapping[str, Any] | None:
    if values is None:
        return None
    return {c: REDACTED if c in hidden and v is not None else v for c, v in values.items()}


def _changes(found: Iterable[FieldChange], secret: Callable[[str], bool]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(c.column, REDACTED if c.old is not None else None, REDACTED if c.new is not None
                             else None) if secret(c.column) else c for c in found)


def diff_view(config: Config, view: DiffView, show: bool = False) -> DiffView:
    """A diff computed on the real values, shown with secrets replaced."""
    hidden = set() if show else secret_columns(config, view.timeline.table, view.timeline.columns)
    if not hidden:
        return view
    return replace(view, timeline=timeline(config, view.timeline), old=version(config, view.timeline, view.old),
                   new=version(config, view.timeline, view.new), changes=_changes(view.changes, hidden.__contains__))


def blame_view(config: Config, view: BlameView, show: bool = False) -> BlameView:
    """Blame computed on the real values, shown with secrets replaced."""
    hidden = set() if show else secret_columns(config, view.timeline.table, view.timeline.columns)
    if not hidden:
        return view
    tl = view.timeline
    lines = tuple(replace(line, value=REDACTED if line.value is not None else None,
                          previous=REDACTED if line.previous is not None else None,
                          version=None if line.version is None else version(config, tl, line.version))
                  if line.column in hidden else line for line in view.lines)
    return replace(view, timeline=timeline(config, tl), state=version(config, tl, view.state), lines=lines)
