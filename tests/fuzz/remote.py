"""The test-process side of tests/fuzz/worker.py: a library driver whose calls run in the worker."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.conftest import ROOT


class Remote:
    """A worker process for one library and one database (one per test function)."""


    def __init__(self, kind: str, url: str, table: str, columns: tuple[str, ...]) -> None:
        self.table, self.columns = table, columns
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.worker", kind, url], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, encoding="utf-8")
        assert self._answer() == "ready"

    def _answer(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"the worker exited with {self.proc.wait()}"
        answer = json.loads(line)
        assert "error" not in answer, "the library failed:\n" + answer["error"]
        return answer["result"]

    def _call(self, **command: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def reset(self) -> None:
        self._call(cmd="reset")

    def apply(self, step: list[Any]) -> None:
        self._call(cmd="apply", step=step)

    def reading(self, key: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(cmd="reading", key=key)
        return result

    def apply_at(self, step: list[Any]) -> str:
        """``apply``, returning the time just after the step's commit (continuum-joined)."""
        return str(self._call(cmd="apply", step=step))

    def live(self, key: int) -> Any:
        return self._call(cmd="live", key=key)

    def state_at(self, key: int, at: str) -> Any:
        return self._call(cmd="state_at", key=key, at=at)

    def ordinary_write(self, key: int) -> None:
        self._call(cmd="write", key=key)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
