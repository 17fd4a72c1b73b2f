"""Run SQLAlchemy's own versioning examples in tests, without copying them into this repository.

The examples are not part of the SQLAlchemy wheel, only of its sdist. At test-setup time we download
the sdist of the *installed* SQLAlchemy version once into a cache and extract just the files we need:

    <cache>/sqlalchemy-<ver>.tar.gz                       the sdist, as pip downloaded it
    <cache>/sqlalchemy-<ver>-examples/                    extracted subset (<sdist>/examples/ stripped)
        versioned_history/__init__.py, history_meta.py
        versioned_rows/__init__.py, versioned_rows_w_versionid.py
        .complete                                         written last; the directory is renamed into place

``<cache>`` is ``$CHRONO_TEST_CACHE`` if set, else ``~/.cache/chrono-tests``. Both steps are safe when
several processes race (pytest-xdist): each one downloads / extracts into its own temporary name inside
the cache and then renames it into place; a loser of the rename discards its copy. A file lock in the cache
(``sqlalchemy-<ver>.lock``) makes the other processes wait for the first download instead of repeating it.

Public functions:

* ``examples_dir()``        -> Path of the extracted examples (fetching them if needed).
* ``load_history_meta()``   -> the imported ``versioned_history/history_meta.py`` module
  (``Versioned``, ``versioned_session``, ``create_version``, ...). Importing it has no side effects.
* ``load_versioned_rows()`` -> the imported ``versioned_rows/versioned_rows_w_versionid.py`` module; use its
  ``Versioned`` mixin with your own ``DeclarativeBase``. See the function's docstring for the side effects
  of that file and how they are contained.
* ``configure_quietly(Base)`` -> configure models that use that mixin without its ``SAWarning``.

Both modules are imported once per process, as ``_sa_examples_<ver>.<package>.<module>`` (a synthetic
package whose ``__path__`` is the cache directory), so the files run unmodified, straight from the cache.
If the sdist cannot be fetched, ``ExamplesUnavailable`` is raised; tests may turn that into a skip.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy

from .clone import file_lock

#: Example files we need, relative to the sdist's ``examples/`` directory.
EXAMPLE_FILES = (
    "versioned_history/history_meta.py",
    "versioned_rows/versioned_rows_w_versionid.py",
)

_lock = threading.RLock()


class ExamplesUnavailable(RuntimeError):
    """SQLAlchemy's example code could not be downloaded or extracted."""


def sqlalchemy_version() -> str:
    """Version of the SQLAlchemy that is installed (and whose examples we load)."""
    return sqlalchemy.__version__


def cache_dir() -> Path:
    """``$CHRONO_TEST_CACHE`` if set, else ``~/.cache/chrono-tests`` (created if missing)."""
    env = os.environ.get("CHRONO_TEST_CACHE")
    path = Path(env).expanduser() if env else Path.home() / ".cache" / "chrono-tests"
    path.mkdir(parents=True, exist_ok=True)
    return path


def examples_dir() -> Path:
    """Return ``<cache>/sqlalchemy-<ver>-examples``, downloading and extracting it on first use."""
    version = sqlalchemy_version()
    cache = cache_dir()
    target = cache / f"sqlalchemy-{version}-examples"
    if (target / ".complete").exists():
        return target
    with _lock, file_lock(cache / f"sqlalchemy-{version}.lock"):  # threads, then processes (xdist workers)
        if (target / ".complete").exists():
            return target
        sdist = _download_sdist(version, cache)
        _extract_examples(sdist, target)
    return target



def load_history_meta() -> types.ModuleType:
    """Import (once per process) and return ``examples/versioned_history/history_meta.py``.

    The module only defines things (``Versioned``, ``versioned_session``, ``create_version``...); it
    has no import-time side effects.
    """
    return _import_example("versioned_history", "history_meta")


def load_versioned_rows() -> types.ModuleType:
    """Import (once per process) and return ``examples/versioned_rows/versioned_rows_w_versionid.py``.

    That file is a script. At import time it:

    1. defines the ``Versioned`` mixin (``id`` + ``version_id`` composite PK, ``is_current_version``,
       ``__declare_last__`` adding ``calc_is_current_version``, ``new_version()``);
    2. registers ``before_flush`` on the ``sqlalchemy.orm.Session`` *class*, i.e. for every session in
       the process; it only acts on instances of that module's ``Versioned``, so other models are
       untouched, but it must never be registered twice -- hence the import-once rule;
    3. rebinds the module name ``Session`` to a ``sessionmaker``, builds
       ``create_engine("sqlite://", echo=True)`` and runs two demos (tables ``example``, ``parent``,
       ``child`` in its own ``declarative_base()`` registry, which is separate from yours).

    To keep the demo quiet we patch ``sqlalchemy.create_engine`` while the file executes so that it
    gets ``echo=False`` (``echo=True`` would attach a permanent stdout handler to the shared
    ``sqlalchemy.engine.Engine`` logger), redirect stdout/stderr, and silence warnings (it uses the
    legacy ``sqlalchemy.ext.declarative.declarative_base``). Afterwards its in-memory engine is
    disposed. The file's code and its assertions run unchanged.

    Use ``module.Versioned`` as a mixin with your own ``DeclarativeBase``; your plain sessions get
    the versioning behaviour through the class-level listener. The mixin's ``__declare_last__``
    builds ``select(...)`` without ``.scalar_subquery()``, so configuring each model emits an
    ``SAWarning`` ("implicitly coercing SELECT object to scalar subquery"), an error under
    ``-W error``: call ``configure_quietly(YourBase)`` right after declaring the models.
    """
    key = ("versioned_rows", "versioned_rows_w_versionid")
    with _lock:
        name = _module_name(*key)
        if name in sys.modules:
            return sys.modules[name]
        with _quiet_script():
            module = _import_example(*key, locked=True)
        engine = getattr(module, "engine", None)
        if engine is not None:
            engine.dispose()
        return module


def configure_quietly(base: Any) -> None:
    """Configure the mappers of ``base``'s registry, hiding the versioned_rows mixin's SAWarning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="implicitly coercing SELECT object to scalar subquery")
        base.registry.configure()


# --------------------------------------------------------------------------- fetching


def _download_sdist(version: str, cache: Path) -> Path:
    final = cache / f"sqlalchemy-{version}.tar.gz"
    if final.exists():
        return final
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
    try:
        # "--no-binary sqlalchemy": the sdist of SQLAlchemy only. ":all:" would also build SQLAlchemy's build
        # requirements (Cython) from source to prepare its metadata, which takes minutes.
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "sqlalchemy",
            f"sqlalchemy=={version}", "-d", str(tmp),
        ]  # fmt: skip
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ExamplesUnavailable(f"could not run {' '.join(cmd)!r}: {exc}") from exc
        # Older sdists are called SQLAlchemy-x.y.z.tar.gz, newer ones sqlalchemy-x.y.z.tar.gz.
        found = [p for p in tmp.iterdir() if p.name.lower() == f"sqlalchemy-{version}.tar.gz"]
        if proc.returncode != 0 or not found:
            lines = (proc.stderr or proc.stdout or "").strip().splitlines()[-12:]
            tail = "\n".join(
                line if len(line) < 300 else line[:140] + " ... " + line[-140:] for line in lines
            )
            raise ExamplesUnavailable(
                f"downloading the SQLAlchemy {version} sdist failed (exit {proc.returncode}).\n"
                f"command: {' '.join(cmd)}\n{tail}\n"
                f"Hint: needs network access to PyPI; or put the sdist at {final} by hand."
            )
        os.replace(found[0], final)  # atomic; a racing process writes identical bytes
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _extract_examples(sdist: Path, target: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        try:
            with tarfile.open(sdist) as tf:
                members = {}
                for m in tf.getmembers():
                    parts = m.name.split("/")
                    # "<sdist-root>/examples/<rel>"
                    if m.isfile() and len(parts) > 2 and parts[1] == "examples":
                        members["/".join(parts[2:])] = m
                wanted = _import_closure(tf, members)
                for rel in sorted(wanted):
                    data = tf.extractfile(members[rel]).read()  # type: ignore[union-attr]
                    dest = tmp.joinpath(*rel.split("/"))
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(data)
        except (tarfile.TarError, OSError, KeyError) as exc:
            raise ExamplesUnavailable(f"could not extract the examples from {sdist}: {exc}") from exc
        (tmp / ".complete").write_text(sqlalchemy_version() + "\n")
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the cache may be shared
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / ".complete").exists():  # not a lost race: a real error
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _import_closure(tf: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> set[str]:
    """EXAMPLE_FILES plus whatever they import from the examples folder (and package __init__s).

    For the 2.x examples this is just the two files and their packages' ``__init__.py`` (which
    hold only docstrings): both files import nothing but ``sqlalchemy``.
    """
    missing = [f for f in EXAMPLE_FILES if f not in members]
    if missing:
        raise ExamplesUnavailable(f"the sdist has no examples/{', examples/'.join(missing)}")
    todo, seen = list(EXAMPLE_FILES), set()
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        pkg = rel.rsplit("/", 1)[0] if "/" in rel else ""
        init = f"{pkg}/__init__.py" if pkg else ""
        if init in members:
            seen.add(init)
        source = tf.extractfile(members[rel]).read()  # type: ignore[union-attr]
        for node in ast.walk(ast.parse(source)):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative import inside the examples folder
                    base = pkg.split("/")[: len(pkg.split("/")) - (node.level - 1)] if pkg else []
                    mod = "/".join(base + (node.module.split(".") if node.module else []))
                    names = [mod] + [f"{mod}/{a.name}" for a in node.names]
                else:
                    names = [_local_name(node.module or "", pkg)]
            elif isinstance(node, ast.Import):
                names = [_local_name(a.name, pkg) for a in node.names]
            for n in names:
                for cand in (f"{n}.py", f"{n}/__init__.py"):
                    if n and cand in members:
                        todo.append(cand)
    return seen


def _local_name(module: str, pkg: str) -> str:
    """Map an absolute import to a path in the examples folder, or "" if it is not one."""
    parts = module.split(".")
    if parts[0] == "examples":
        return "/".join(parts[1:])
    if pkg and len(parts) == 1:  # sibling-module import, e.g. "from history_meta import Versioned"
        return f"{pkg}/{parts[0]}"
    return ""


# --------------------------------------------------------------------------- importing


def _root_package() -> str:
    name = "_sa_examples_" + sqlalchemy_version().replace(".", "_").replace("-", "_")
    if name not in sys.modules:
        pkg = types.ModuleType(name, "SQLAlchemy examples, loaded from the test cache")
        pkg.__path__ = [str(examples_dir())]
        sys.modules[name] = pkg
    return name


def _module_name(package: str, module: str) -> str:
    return f"{_root_package()}.{package}.{module}"


def _import_example(package: str, module: str, *, locked: bool = False) -> types.ModuleType:
    if not locked:
        with _lock:
            return _import_example(package, module, locked=True)
    return importlib.import_module(_module_name(package, module))


@contextlib.contextmanager
def _quiet_script() -> Iterator[None]:
    real_create_engine = sqlalchemy.create_engine

    def create_engine_no_echo(*args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["echo"] = False
        return real_create_engine(*args, **kwargs)

    sink = io.StringIO()
    with (
        mock.patch.object(sqlalchemy, "create_engine", create_engine_no_echo),
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        yield
