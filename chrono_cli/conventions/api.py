"""The contract a convention implements, built-in or plugin: one ``Convention`` bundling its parts.

A convention is what one versioning library (or a database feature, or a layout declared in chrono.toml)
writes. Like a SQLAlchemy dialect, it is one object whose attributes are its parts:

- ``detector`` finds it in a reflected schema (``ConventionAdapter.detect``), with evidence;
- ``reader`` reads one record's versions (``ConventionAdapter.versions``), ``lister`` lists changes by time
  (``ConventionAdapter.events``); built-ins pass the same adapter object for the three when it has them;
- ``writer`` builds the statements of a restore, undelete, archive or delete the way the library writes them;
- ``bulk`` restores many rows set-based; ``check`` holds what check-migrations compares;
- ``traits`` says what the store records (inserts, deletions, actors, exact change sets).

chrono's own conventions are *declared* (``Convention.declare``): a ``Signature`` names the tables their detector
looks for and where their parts are, so a command imports the code of the conventions its schema has only.

What a convention can do (``capabilities``) follows from which parts exist: it is never declared separately.
A plugin package exposes a ``Convention`` under the entry-point group ``chrono.conventions``.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, ReadContext
from chrono_cli.db.facts import KNOWN as KNOWN_FACTS
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.records import Struct, replace

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter
    from chrono_cli.conventions.writes.base import Writer
    from chrono_cli.db.reflect import SchemaSnapshot, TableInfo

__all__ = ["ENTRY_POINT_GROUP", "SHAPES", "Capability", "Convention", "ConventionAdapter", "Detection", "EventQuery",
           "ReadContext", "Signature", "TableSign", "Traits"]

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


class Traits(Struct, frozen=True):
    """What the store records; services ask these instead of a convention's name."""

    records_inserts: bool = True    # a version is written when a row is created
    records_deletes: bool = True    # a deletion leaves a trace in the store
    records_actor: bool = False     # the store has a place for who made a change and why
    exact_changesets: bool = False  # changes carry the transaction that made them
    archive: bool = False           # an archive column, not a history store


class TableSign(Struct, frozen=True):
    """A table a convention's detector looks for: one that has every attribute given here. A schema without any
    of a convention's signs is one its detector would find nothing in (it is not asked, nor its code imported)."""

    name: str | None = None          # it is called this
    suffix: str | None = None        # its name ends with this
    columns: tuple[str, ...] = ()    # it has these columns
    key: tuple[str, ...] = ()        # its primary key has these columns
    fact: str | None = None          # reflection found this catalog fact on it (db/facts.py)
    trigger: str | None = None       # one of its triggers calls this function

    def fits(self, t: TableInfo) -> bool:
        name = t.ref.name
        return ((self.name is None or name == self.name) and (self.suffix is None or name.endswith(self.suffix))
                and all(c in t.columns for c in self.columns) and all(c in t.pk for c in self.key)
                and (self.fact is None or bool(t.facts.get(self.fact)))
                and (self.trigger is None or any(x.function == self.trigger for x in t.triggers)))


Related = Callable[[str, Collection[str]], set[str]]


class Signature(Struct, frozen=True):
    """What chrono knows of a declared convention before importing its code (``Convention.declare``)."""

    parts: str                               # "module:NAME": the Convention (or list) bundling its parts
    tables: tuple[TableSign, ...] = ()       # detection asks it only about a schema holding one of these
    singleton_stores: tuple[str, ...] = ()   # as its detector's (targeted reflection reads them with every table)
    paired_suffixes: tuple[str, ...] = ()
    related: Related | None = None           # as its detector's ``related``
    bulk: str = ""  # "module:NAME": a function making its bulk writer, called on first use (else in ``parts``)

    def seen_in(self, snapshot: SchemaSnapshot) -> bool:
        """Whether the snapshot holds a table the detector looks for."""
        return any(sign.fits(t) for t in snapshot for sign in self.tables)


PARTS = ("detector", "reader", "lister", "writer", "bulk", "check")


@dataclass(frozen=True, slots=True)
class Convention:
    """One convention: its name, shape, parts and traits.

    A declared convention (``Convention.declare``) has its parts imported on first use of one of them."""

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
    signature: Signature | None = None        # a declared convention's tables and the module of its parts
    deferred: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)  # parts named, not made

    @classmethod
    def declare(cls, signature: Signature, *, name: str, title: str, shape: str, traits: Traits | None = None,
                after: tuple[str, ...] = (), facts: tuple[str, ...] = (), source: str = "chrono_cli",
                version: str = "") -> Convention:
        """A convention whose parts stay in ``signature.parts`` until one of them is used."""
        conv = object.__new__(cls)
        for attr, value in (("name", name), ("title", title), ("shape", shape), ("traits", traits or Traits()),
                            ("after", after), ("facts", facts), ("source", source), ("version", version),
                            ("signature", signature)):
            object.__setattr__(conv, attr, value)
        conv.__post_init__()
        return conv

    def with_parts(self, **parts: Any) -> Convention:
        """This declaration with its parts (what ``signature.parts`` names); a bulk writer the signature makes
        itself is made on first use, and so is a part given as ``"module:NAME"`` (NAME: the part, or a class
        whose instance it is): a read does not import the writer or the check-migrations rules."""
        deferred = tuple((part, path) for part, path in parts.items() if isinstance(path, str))
        made = {part: value for part, value in parts.items() if not isinstance(value, str)}
        conv = Convention(name=self.name, title=self.title, shape=self.shape, traits=self.traits, after=self.after,
                          facts=self.facts, source=self.source, version=self.version, signature=self.signature,
                          deferred=deferred, **made)
        for part in [p for p, _ in deferred] + (["bulk"] if self._makes_bulk and "bulk" not in parts else []):
            object.__delattr__(conv, part)
        return conv

    @property
    def _makes_bulk(self) -> bool:
        return self.signature is not None and bool(self.signature.bulk)

    def located(self, source: str, version: str) -> Convention:
        """The same convention, provided by ``source`` at ``version`` (a declared one stays unimported)."""
        if self.loaded or self.signature is None:
            return replace(self, source=source, version=version)
        return Convention.declare(self.signature, name=self.name, title=self.title, shape=self.shape,
                                  traits=self.traits, after=self.after, facts=self.facts, source=source,
                                  version=version)

    @property
    def loaded(self) -> bool:
        """Whether its parts are imported."""
        try:
            object.__getattribute__(self, "detector")
        except AttributeError:
            return False
        return True

    def __getattr__(self, attr: str) -> Any:
        # reached only for an unset slot: the parts of a declared convention not used yet, or a deferred part
        if attr not in PARTS:
            raise AttributeError(attr)
        path = self._deferred.get(attr)
        if path is not None:
            named = _named(path)
            object.__setattr__(self, attr, named() if isinstance(named, type) else named)
            return object.__getattribute__(self, attr)
        if self.signature is None:
            raise AttributeError(attr)
        if attr == "bulk" and self._makes_bulk:
            object.__setattr__(self, "bulk", _named(self.signature.bulk)())
            return object.__getattribute__(self, attr)
        bundled = [c for c in as_conventions(_named(self.signature.parts)) or [] if c.name == self.name and c.loaded]
        if not bundled:
            raise ImportError(f"convention {self.name}: {self.signature.parts} does not bundle its parts")
        later = bundled[0]._deferred
        object.__setattr__(self, "deferred", tuple(later.items()))
        for part in PARTS:
            if not (part == "bulk" and self._makes_bulk) and part not in later:
                object.__setattr__(self, part, getattr(bundled[0], part))
        return getattr(self, attr)

    @property
    def _deferred(self) -> dict[str, str]:
        """The parts still named, not made (a declared convention not loaded yet has none)."""
        try:
            return dict(object.__getattribute__(self, "deferred"))
        except AttributeError:
            return {}

    def _has(self, part: str) -> bool:
        """Whether it has this part, without making a deferred one."""
        return part in self._deferred or getattr(self, part) is not None

    def detect(self, snapshot: SchemaSnapshot) -> list[Detection]:
        """Its detections in the snapshot; a declared convention is asked only when the snapshot holds one of the
        tables its signature names."""
        if self.signature is not None and not self.signature.seen_in(snapshot):
            return []
        return list(self.detector.detect(snapshot))

    @property
    def singleton_stores(self) -> tuple[str, ...]:
        return self.detector.singleton_stores if self.signature is None else self.signature.singleton_stores

    @property
    def paired_suffixes(self) -> tuple[str, ...]:
        return self.detector.paired_suffixes if self.signature is None else self.signature.paired_suffixes

    def related(self, name: str, all_names: Collection[str]) -> set[str]:
        """Tables of ``name``'s schema its reader needs besides ``name`` (targeted reflection)."""
        if self.signature is None:
            return self.detector.related(name, all_names)
        return self.signature.related(name, all_names) if self.signature.related is not None else set()

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
        for part, cap in (("lister", Capability.CHANGES), ("check", Capability.CHECK)):
            if self._has(part):
                caps |= cap
        if self._makes_bulk or self._has("bulk"):  # a signature's bulk writer is not made to be counted
            caps |= Capability.BULK
        if self._has("writer"):
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


def _named(path: str) -> Any:
    """What ``module:NAME`` names, its module imported."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def as_conventions(obj: Any) -> list[Convention] | None:
    """What an entry point (or a signature's ``parts``) names, as conventions: a Convention, a list of them, or a
    callable returning either; None: something else."""
    if isinstance(obj, Convention):
        return [obj]
    if callable(obj) and not isinstance(obj, type):
        obj = obj()
        if isinstance(obj, Convention):
            return [obj]
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(c, Convention) for c in obj):
        return list(obj)
    return None

