"""The contract a convention implements, built-in or plugin: one ``Convention`` bundling its parts.

A convention is what one versioning library (or a database feature, or a layout declared in chrono.toml)
writes. Like a SQLAlchemy dialect, it is one object whose attributes are its parts:

- ``detector`` finds it in a reflected schema (``ConventionAdapter.detect``), with evidence;
- ``reader`` reads one record's versions (``ConventionAdapter.versions``), ``lister`` lists changes by time
  (``ConventionAdapter.events``); built-ins pass the same adapter object for the three when it has them;
- ``writer`` builds the statements of a restore, undelete, archive or delete the way the library writes them;
- ``bulk`` restores many rows set-based; ``check`` holds what check-migrations compares;
- ``traits`` says what the store records (inserts, deletions, actors, exact change sets).

What a convention can do (``capabilities``) follows from which parts exist: it is never declared separately.
A plugin package exposes a ``Convention`` under the entry-point group ``chrono.conventions``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, ReadContext
from chrono_cli.db.facts import KNOWN as KNOWN_FACTS
from chrono_cli.errors import UnsupportedOperation

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter
    from chrono_cli.conventions.writes.base import Writer

__all__ = ["ENTRY_POINT_GROUP", "SHAPES", "Capability", "Convention", "ConventionAdapter", "Detection", "EventQuery",
           "ReadContext", "Traits"]

ENTRY_POINT_GROUP = "chrono.conventions"

# The shapes a history store comes in; every convention is one of them (see README "Writing a convention").
SHAPES = ("old-state", "new-state", "json-snapshot", "json-diff", "in-table", "period", "archive")


class Capability(enum.Flag):
    """What a convention can do, derived from its parts."""

    HISTORY = enum.auto()   # reads one record's versions
    CHANGES = enum.auto()   # lists changes by time across records
    RESTORE = enum.auto()   # writes restores (and undeletes, deletes where the writer has them)
    BULK = enum.auto()      # restores many rows set-based
    ARCHIVE = enum.auto()   # an archive column: archive and unarchive rows
    CHECK = enum.auto()     # check-migrations compares its stores with their base tables


@dataclass(frozen=True, slots=True)
class Traits:
    """What the store records; services ask these instead of a convention's name."""

    records_inserts: bool = True    # a version is written when a row is created
    records_deletes: bool = True    # a deletion leaves a trace in the store
    records_actor: bool = False     # the store has a place for who made a change and why
    exact_changesets: bool = False  # changes carry the transaction that made them
    archive: bool = False           # an archive column, not a history store


@dataclass(frozen=True, slots=True)
class Convention:
    """One convention: its name, shape, parts and traits."""

    name: str                                 # the --convention value and what output shows
    title: str                                # a human name ("SQLAlchemy-Continuum 2.x")
    shape: str                                # one of SHAPES
    detector: ConventionAdapter
    traits: Traits = field(default_factory=Traits)
    reader: ConventionAdapter | None = None
    lister: ConventionAdapter | None = None
    writer: Writer | None = None
    bulk: BulkWriter | None = None
    check: Any = None                         # check-migrations spec (comparators, meta columns)
    after: tuple[str, ...] = ()               # detect after these conventions (precedence)
    facts: tuple[str, ...] = ()               # catalog facts beyond tables and columns it needs (db/facts.py)
    source: str = "chrono_cli"                # the distribution that provides it
    version: str = ""                         # that distribution's version

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"convention {self.name}: unknown shape {self.shape!r} (one of {', '.join(SHAPES)})")
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"convention name {self.name!r}: use letters, digits, '-' and '_'")
        unknown = set(self.facts) - KNOWN_FACTS
        if unknown:
            raise ValueError(f"convention {self.name}: unknown catalog fact(s) {', '.join(sorted(unknown))} "
                             f"(known: {', '.join(sorted(KNOWN_FACTS))})")

    @property
    def capabilities(self) -> Capability:
        """What the parts that exist make possible."""
        caps = Capability(0)
        if self.reader is not None and not self.traits.archive:  # an archive column's reader shows the live row only
            caps |= Capability.HISTORY
        for part, cap in ((self.lister, Capability.CHANGES),
                          (self.bulk, Capability.BULK), (self.check, Capability.CHECK)):
            if part is not None:
                caps |= cap
        if self.writer is not None:
            caps |= Capability.ARCHIVE if self.traits.archive else Capability.RESTORE
        return caps

    @property
    def capability_names(self) -> list[str]:
        return [c.name.lower() for c in Capability if c.name and c in self.capabilities]

    def read(self) -> ConventionAdapter:
        """The reader, or a refusal naming what this convention cannot do."""
        if self.reader is None:
            raise UnsupportedOperation(f"{self.name} cannot read history")
        return self.reader

    def list_changes(self) -> ConventionAdapter:
        """The lister, or a refusal."""
        if self.lister is None:
            raise UnsupportedOperation(f"{self.name} stores no times, so its changes cannot be listed by time")
        return self.lister

    def write(self) -> Writer:
        """The writer, or a refusal."""
        if self.writer is None:
            raise UnsupportedOperation(f"chrono cannot write for the {self.name} convention")
        return self.writer

    def write_bulk(self) -> BulkWriter:
        """The bulk writer, or a refusal with the way around it."""
        if self.bulk is None:
            raise UnsupportedOperation(f"a set-based restore is not available for {self.name} tables",
                                       hint="restore rows one by one ('chrono restore TABLE KEY --at TIME') or "
                                            "revert their change sets")
        return self.bulk
