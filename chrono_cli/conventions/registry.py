"""The one registry of conventions: built-ins and plugins alike load through the ``chrono.conventions`` entry points.

chrono's own conventions are declared as entry points in its pyproject.toml, next to any a third-party package
declares, so a plugin is found exactly the way a built-in is (pytest's dogfooding). An entry point names a
``Convention`` (or a callable returning one or a list of them); chrono's own name the light declarations in
``builtin/<name>/__init__.py``, whose parts are imported only for a schema that has their tables. A plugin that
fails to import, returns something else, or reuses a taken name is reported in one line and skipped; chrono goes
on with the rest.

Detection order: conventions declare ``after=(...)`` (``"*"``: after every convention without ``"*"``); ties keep
load order, chrono's own first.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from importlib import metadata

from chrono_cli.conventions.api import ENTRY_POINT_GROUP, Convention, as_conventions
from chrono_cli.errors import UsageError

OWN = "chrono_cli"
Reporter = Callable[[str], None]


class Registry:
    """Conventions by name, in detection order, and the plugins that could not be loaded."""

    def __init__(self, conventions: Iterable[Convention], problems: Iterable[str] = ()) -> None:
        self._ordered = _ordered(list(conventions))
        self._by_name = {c.name: c for c in self._ordered}
        self.problems: tuple[str, ...] = tuple(problems)

    def __iter__(self) -> Iterator[Convention]:
        return iter(self._ordered)

    def __len__(self) -> int:
        return len(self._ordered)

    def names(self) -> list[str]:
        """Every convention's name, in detection order."""
        return [c.name for c in self._ordered]

    def get(self, name: str) -> Convention:
        """The convention called ``name`` (the ``--convention`` value)."""
        found = self._by_name.get(name)
        if found is None:
            raise UsageError(f"unknown convention: {name}", hint=f"one of: {', '.join(self.names())}")
        return found

    def find(self, name: str) -> Convention | None:
        return self._by_name.get(name)


_DEFAULT: Registry | None = None
_reporter: Reporter | None = None


def set_reporter(report: Reporter | None) -> None:
    """Where problems with plugins are reported when the registry loads (the CLI prints a warning line)."""
    global _reporter
    _reporter = report


def default() -> Registry:
    """The registry of every installed convention, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        conventions, problems = load_entry_points()
        _DEFAULT = Registry(conventions, problems)
        if _reporter is not None:
            for problem in _DEFAULT.problems:
                _reporter(problem)
    return _DEFAULT


def reset() -> None:
    """Forget the loaded registry (tests that install or remove a plugin)."""
    global _DEFAULT
    _DEFAULT = None


def load_entry_points() -> tuple[list[Convention], list[str]]:
    """Conventions from every ``chrono.conventions`` entry point, chrono's own first, and the problems met."""
    found: list[Convention] = []
    problems: list[str] = []
    points = list(metadata.entry_points(group=ENTRY_POINT_GROUP))
    origins = _Origins()
    points.sort(key=lambda ep: origins.name(ep) != OWN)  # stable: chrono's own first, each in declared order
    if not any(origins.name(ep) == OWN for ep in points):
        found += builtins()  # running from a source tree without installed metadata
    taken = {c.name for c in found}
    for ep in points:
        dist = origins.name(ep)
        where = f"plugin {ep.name!r} ({ep.value}, from {dist or 'an unknown package'})"
        try:
            loaded = as_conventions(ep.load())
        except Exception as exc:  # noqa: BLE001 - a broken plugin must never take the CLI down
            problems.append(f"{where} could not be loaded: {type(exc).__name__}: {_first_line(exc)}")
            continue
        if loaded is None:
            problems.append(f"{where} is not a Convention (nor a callable returning Conventions)")
            continue
        for conv in loaded:
            if conv.name in taken:
                problems.append(f"{where}: a convention named {conv.name!r} is already loaded; skipped")
                continue
            taken.add(conv.name)
            found.append(conv.located(dist or conv.source, origins.version(ep) or conv.version))
    return found, problems


def builtins() -> list[Convention]:
    """chrono's own conventions straight from their declarations in ``chrono_cli.conventions.builtin.*`` (no
    package metadata needed)."""
    import chrono_cli.conventions.builtin as package

    out: list[Convention] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        out += as_conventions(getattr(module, "CONVENTION", None) or getattr(module, "CONVENTIONS", None)) or []
    return out


def _ordered(conventions: list[Convention]) -> list[Convention]:
    """Load order, moved only as ``after`` requires (a stable topological sort; cycles keep load order)."""
    names = {c.name for c in conventions}
    last = {c.name for c in conventions if "*" in c.after}
    deps = {c.name: ({d for d in c.after if d in names} | (names - last if c.name in last else set())) - {c.name}
            for c in conventions}
    out: list[Convention] = []
    placed: set[str] = set()
    pending = list(conventions)
    while pending:
        at = next((i for i, c in enumerate(pending) if deps[c.name] <= placed), 0)
        ready = pending.pop(at)  # by position: comparing conventions would import declared ones' parts
        out.append(ready)
        placed.add(ready.name)
    return out


class _Origins:
    """The name and version of the distribution behind each entry point, its metadata read once per distribution
    (parsing a METADATA file costs milliseconds, and every entry point of a distribution asked for it again)."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[str | None, str | None]] = {}

    def _read(self, ep: metadata.EntryPoint) -> tuple[str | None, str | None]:
        dist = getattr(ep, "dist", None)
        if dist is None:
            return None, None
        found = self._seen.get(id(dist))
        if found is None:
            found = self._seen[id(dist)] = _name_version(dist)
        return found

    def name(self, ep: metadata.EntryPoint) -> str | None:
        name = self._read(ep)[0]
        if name is not None and name.replace("-", "_").lower() == OWN:
            return OWN
        return name

    def version(self, ep: metadata.EntryPoint) -> str | None:
        return self._read(ep)[1]


def _name_version(dist: metadata.Distribution) -> tuple[str | None, str | None]:
    """A distribution's Name and Version, read from its metadata's header lines (``dist.metadata`` parses the whole
    file with the email package: chrono's holds its README, and a read paid for that on every run)."""
    try:
        text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    except OSError:
        text = ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the end of the headers
        field, sep, value = line.partition(":")
        if sep and field in ("Name", "Version") and field not in found:
            found[field] = value.strip()
    return found.get("Name"), found.get("Version")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else "(no message)"
