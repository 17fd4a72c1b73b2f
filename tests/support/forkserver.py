"""Run ``python -m tests.support.<module> ARGS`` as a fork of a process that has already imported the drivers.

The library stories and read-back scripts each run in a process of their own (a library configures itself once
per process: Django's settings, Continuum's mappers). Started with ``python -m`` each paid about 0.4 s of CPU to
import SQLAlchemy, the database drivers and Django again, some 230 times a run. Here one server process per test
process imports them once (nothing that configures anything: no settings, no mappers) and forks a child for each
script: the child is as fresh as a new interpreter for everything the script sets up, with the imports done.

Protocol (one JSON object a line on stdin/stdout): the request ``{"module": name, "argv": [...], "env": {...},
"stdout": path, "stderr": path}`` (``"code"`` in place of ``"module"``: ``python -c CODE ARGS``; ``env``: the
caller's environment at the call, as ``subprocess.run`` passes it), the answer ``{"returncode": n}`` once the child
has ended; the child's output is in the files.

Where the system cannot fork, ``run`` starts ``python -m`` as before.
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import select
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PRELOAD = (  # imported once by the server: pure imports, nothing here configures a library or opens a connection
    "sqlalchemy", "sqlalchemy.orm", "sqlalchemy.dialects.postgresql", "sqlalchemy.dialects.mysql",
    "sqlalchemy.dialects.sqlite", "psycopg2", "pymysql", "sqlalchemy_utils", "sqlalchemy_continuum",
    "django", "django.db.models", "django.apps", "yaml",
)


@dataclass(frozen=True)
class Done:
    """What ``subprocess.run(..., capture_output=True, text=True)`` would have returned, in part."""

    returncode: int
    stdout: str
    stderr: str


class _Server:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.forkserver"], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, encoding="utf-8")
        assert self._answer(120)["ready"]

    def _answer(self, timeout: float) -> dict[str, object]:
        assert self.proc.stdout is not None
        readable, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not readable:
            self.proc.kill()
            raise TimeoutError(f"the fork server gave no answer in {timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the fork server exited with {self.proc.wait()}")
        answer: dict[str, object] = json.loads(line)
        return answer

    def run(self, what: dict[str, str], argv: list[str], timeout: float) -> Done:
        with tempfile.TemporaryDirectory() as tmp:
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            assert self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({**what, "argv": argv, "env": dict(os.environ), "stdout": str(out),
                                              "stderr": str(err)}) + "\n")
            self.proc.stdin.flush()
            code = self._answer(timeout)["returncode"]
            assert isinstance(code, int)
            return Done(code, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8"))

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


_server: _Server | None = None


def run(module: str, *args: str, timeout: float = 300) -> Done:
    """``python -m module ARGS`` from the repository's root, its output captured (in a fork where possible)."""
    return _run({"module": module}, ["-m", module], list(args), timeout)


def run_code(code: str, *args: str, timeout: float = 300) -> Done:
    """``python -c CODE ARGS`` from the repository's root, its output captured (in a fork where possible)."""
    return _run({"code": code}, ["-c", code], list(args), timeout)


def _run(what: dict[str, str], command: list[str], args: list[str], timeout: float) -> Done:
    global _server
    if not hasattr(os, "fork"):
        proc = subprocess.run([sys.executable, *command, *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)
        return Done(proc.returncode, proc.stdout, proc.stderr)
    if _server is None or _server.proc.poll() is not None:
        _server = _Server()
        atexit.register(_server.close)
    return _server.run(what, args, timeout)


# --------------------------------------------------------------------------- the server


def _child(request: dict[str, Any]) -> None:
    """In the forked child: the module (or code) as ``__main__`` with its argv, its output to the request's files."""
    code = 0
    try:
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(target, fd)
            os.close(target)
        os.environ.clear()  # the caller's environment now, as subprocess.run would pass it
        os.environ.update(request["env"])
        null = os.open(os.devnull, os.O_RDONLY)  # not the server's requests
        os.dup2(null, 0)
        os.close(null)
        if "code" in request:
            sys.argv = ["-c", *request["argv"]]
            exec(compile(request["code"], "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102 - python -c
        else:
            sys.argv = [request["module"], *request["argv"]]
            runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - reported as the interpreter would, then a non-zero exit
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _serve() -> None:
    for name in PRELOAD:
        __import__(name)
    reply = sys.stdout
    print(json.dumps({"ready": True}), file=reply, flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), file=reply, flush=True)


if __name__ == "__main__":
    _serve()
