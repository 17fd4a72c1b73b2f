"""Plain values shared by every layer: table references, keys, versions, timelines, result sets."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from chrono_cli.records import Struct, field, replace


class TableRef(Struct, frozen=True, order=True):
    """A table, optionally schema-qualified."""

    schema: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


class RowKey(Struct, frozen=True):
    """A primary-key value: ordered (column, value) pairs, cast to the column types."""

    items: tuple[tuple[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.items)

    def __str__(self) -> str:
        if len(self.items) == 1:
            return str(self.items[0][1])
        return ",".join(f"{k}={v}" for k, v in self.items)


class Op(enum.StrEnum):
    """What happened to a record at a version."""

    INSERT = "insert"
    UPDATE = "update"
    DELETE = "delete"
    UNKNOWN = "unknown"


class Redacted:
    """A secret's place in a value: shown as ``redacted`` in every format (JSON: the string "redacted")."""

    def __repr__(self) -> str:
        return "redacted"

    __str__ = __repr__


REDACTED = Redacted()
# columns whose name says they hold a secret: redacted in every format unless --show-secrets
SECRET_NAMES = re.compile(r"password|passwd|secret|token|api_?key|private_?key|credential", re.IGNORECASE)


class FieldChange(Struct, frozen=True):
    """One column's value before and after a change."""

    column: str
    old: Any
    new: Any


class Version(Struct, frozen=True):
    """One state of a record in its timeline.

    ``values`` is None for a deletion. ``unrecorded`` lists columns whose value the store did not keep
    for this state (hidden, untracked, excluded, or simply unknowable): they are never guessed.
    """

    values: Mapping[str, Any] | None
    op: Op
    number: Any = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    actor: str | None = None
    reason: str | None = None
    unrecorded: tuple[str, ...] = ()
    current: bool = False
    note: str | None = None
    seq: int = 0
    changes: tuple[FieldChange, ...] = ()


class Timeline(Struct, frozen=True):
    """Every known state of one record, oldest first."""

    table: TableRef
    key: RowKey
    convention: str
    history: TableRef | None
    columns: tuple[str, ...]
    versions: tuple[Version, ...]
    row_type: str | None = None
    warnings: tuple[str, ...] = ()  # for the person (stderr), e.g. a store that no longer follows its table


class TimelineStream(Struct, frozen=True):
    """A timeline printed while it is read (``chrono history``): ``head`` is the timeline without its versions,
    which come oldest first as the store yields them; iterate them once. ``late_warnings`` fills up as they come
    (a secret column only the history holds)."""

    head: Timeline
    versions: Iterator[Version]
    late_warnings: list[str] = field(default_factory=list)

    def whole(self) -> Timeline:
        """Every version read, as one ``Timeline`` (what the formats that need all rows at once print)."""
        versions = tuple(self.versions)
        return replace(self.head, versions=versions, warnings=(*self.head.warnings, *self.late_warnings))


class RecordView(Struct, frozen=True):
    """The whole record at one version (``chrono show``)."""

    timeline: Timeline
    version: Version
    columns: tuple[str, ...]


class DiffView(Struct, frozen=True):
    """Field differences between two versions of one record (``chrono diff``)."""

    timeline: Timeline
    old: Version
    new: Version
    changes: tuple[FieldChange, ...]
    unrecorded: tuple[str, ...]
    show_all: bool = False
    unchanged: tuple[str, ...] = ()  # with show_all: the listed columns whose value did not change


class ResultSet(Struct, frozen=True):
    """A generic table of results; ``document`` is what JSON output prints (default: list of row dicts);
    ``lines`` what jsonl prints (default: the document's list)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    title: str | None = None
    document: Any = None
    notes: tuple[str, ...] = ()
    lines: Sequence[Any] | None = None


class BlameLine(Struct, frozen=True):
    """Who last set one column of a record, and what it held before (one line of ``chrono blame``).

    ``version`` is None when the value's origin is unknowable (a version in between did not record the
    column, or the value predates the first recorded state); ``note`` says why. ``recorded`` is False when
    even the current value is not stored.
    """

    column: str
    value: Any
    recorded: bool = True
    version: Version | None = None
    previous: Any = None
    has_previous: bool = False
    note: str | None = None


class BlameView(Struct, frozen=True):
    """Every column of one state of a record with the version that last set it (``chrono blame``)."""

    timeline: Timeline
    state: Version
    lines: tuple[BlameLine, ...]
    deleted: Version | None = None


class Severity(enum.StrEnum):
    """How bad a check-migrations finding is: errors break history writes or lose data silently."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Fix(Struct, frozen=True):
    """What would repair a finding: DDL for the connected dialect and the alembic ``op`` lines."""

    ddl: tuple[str, ...] = ()
    alembic: str | None = None
    note: str | None = None


class Finding(Struct, frozen=True):
    """One way a history store no longer matches its base table (``chrono check-migrations``)."""

    table: TableRef
    kind: str
    severity: Severity
    message: str
    column: str | None = None
    history: TableRef | None = None
    convention: str | None = None
    fix: Fix | None = None
    target: TableRef | None = None  # the table the finding is about: the one a fix changes


class CheckedTable(Struct, frozen=True):
    """A base table and the store check-migrations compared it with (None: no store found)."""

    table: TableRef
    history: TableRef | None
    convention: str


class CheckReport(Struct, frozen=True):
    """Everything ``check-migrations`` found; ``failing`` are the findings that fail the build."""

    findings: tuple[Finding, ...]
    checked: tuple[CheckedTable, ...]
    strict: bool = False
    dialect: str | None = None
    notes: tuple[str, ...] = ()
    migration: Fix | None = None

    def fails(self, finding: Finding) -> bool:
        """Errors always fail; warnings fail under --strict."""
        return finding.severity is Severity.ERROR or (self.strict and finding.severity is Severity.WARNING)

    @property
    def failing(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if self.fails(f))

    @property
    def failed(self) -> bool:
        return any(self.fails(f) for f in self.findings)

    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        return {s.value: sum(1 for f in self.findings if f.severity is s) for s in Severity}

    def for_table(self, checked: CheckedTable) -> tuple[Finding, ...]:
        """The findings about one checked table pair."""
        return tuple(f for f in self.findings if f.table == checked.table and f.history == checked.history)


class RowChange(Struct, frozen=True):
    """One row's change inside a change set."""

    table: TableRef
    key: RowKey
    op: Op
    at: datetime | None
    actor: str | None = None
    reason: str | None = None
    changes: tuple[FieldChange, ...] = ()
    group: Any = None  # the store's own transaction id, when it has one
    note: str | None = None
    actor_id: Any = None  # the stored user id behind ``actor``, when the store keeps one


class ChangeSet(Struct, frozen=True):
    """Changes made together: one transaction (exact) or one actor within a short window (inferred)."""

    id: str
    at: datetime | None
    actor: str | None
    reason: str | None
    exact: bool
    changes: tuple[RowChange, ...]


class ChangeList(Struct, frozen=True):
    """A page of change sets, newest first; ``next_before`` continues the listing."""

    changesets: tuple[ChangeSet, ...]
    next_before: str | None = None
    notes: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()  # how to make listing faster (an index to create): the CLI says it once per database
