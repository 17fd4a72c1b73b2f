"""Exit codes and the error hierarchy; every error chrono reports is one of these."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import ClassVar


class ExitCode(enum.IntEnum):
    """Process exit codes, documented in README.md."""

    OK = 0
    ERROR = 1
    USAGE = 2
    DRIFT = 3
    NOT_FOUND = 4
    CONVENTION = 5
    REFUSED = 6
    DATABASE = 7
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # the reader of stdout went away, as for a process killed by SIGPIPE


class ChronoError(Exception):
    """Base of every error chrono reports as a one-line message."""

    exit_code: ClassVar[ExitCode] = ExitCode.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(ChronoError):
    """A value given on the command line or in config cannot be used."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The configuration file is malformed."""


class AmbiguousTable(UsageError):
    """The name matches more than one table."""


class NotFound(ChronoError):
    """Something named by the user does not exist."""

    exit_code = ExitCode.NOT_FOUND


class TableNotFound(NotFound):
    """No table matches the name given."""


class RowNotFound(NotFound):
    """No row (live or in history) has the key given."""


class VersionNotFound(NotFound):
    """The version or time lies outside the record's history."""


class ConventionError(ChronoError):
    """No, ambiguous or unsupported history convention."""

    exit_code = ExitCode.CONVENTION


class NoConvention(ConventionError):
    """The table carries no convention chrono can read."""


class AmbiguousConvention(ConventionError):
    """More than one convention claims the table."""

    def __init__(self, message: str, candidates: Sequence[str], *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.candidates = tuple(candidates)


class UnsupportedOperation(ConventionError):
    """The convention cannot do what was asked."""


class Refused(ChronoError):
    """A write was refused: it would lose data, change nothing, or was not confirmed."""

    exit_code = ExitCode.REFUSED


class NothingToWrite(Refused):
    """A write would change nothing: the row is already in the state asked for."""


class DatabaseError(ChronoError):
    """Cannot connect to, reflect or query the database."""

    exit_code = ExitCode.DATABASE


class DamagedHistory(DatabaseError):
    """The history store holds rows chrono cannot make sense of."""
