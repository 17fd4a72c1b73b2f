"""``chrono diff`` word and JSON-path changes, through the CLI: in JSON as ``detail``, in plain text with
``[-...-]{+...+}`` marks, and in a real terminal at 80 and 200 columns in colour (no line wider than the
terminal, no token split); piped output has no escape codes. Secrets are never diffed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from tests.cli.fine_db import HOSTILE, TOKEN1, TOKEN2, build
from tests.cli.test_terminal import COLOUR, run_piped, run_tty
from tests.conftest import invoke

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
RED, GREEN = "\x1b[31m", "\x1b[32m"


@pytest.fixture
def doc(tmp_path: Path) -> str:
    return build(f"sqlite:///{tmp_path / 'doc.db'}")


def shown_lines(out: str) -> list[str]:
    return ANSI.sub("", out).replace("\r", "").split("\n")


def test_json_detail_for_words_and_paths(runner: CliRunner, sqlite_or_pg_url: str) -> None:
    url = build(sqlite_or_pg_url)
    result = invoke(runner, ["--db", url, "-f", "json", "diff", "doc", "1"])
    assert result.exit_code == 0, result.output
    changes = {c["column"]: c for c in json.loads(result.stdout)["changes"]}
    bio = changes["bio"]["detail"]
    assert bio["kind"] == "words"
    assert [(p["op"], p["text"]) for p in bio["parts"] if p["op"] != "same"] == [
        ("removed", "brown"),
        ("added", "red"),
        ("removed", "lazy"),
        ("added", "sleepy"),
    ]
    prefs = changes["prefs"]["detail"]
    assert prefs["kind"] == "json"
    assert sorted(prefs["paths"], key=lambda p: p["path"]) == [  # jsonb keeps keys in its own order
        {"path": "prefs.notify.sms", "change": "added", "old": None, "new": False},
        {"path": "prefs.tags[1]", "change": "removed", "old": "b", "new": None},
        {"path": "prefs.theme", "change": "changed", "old": "dark", "new": "light"},
    ]
    assert changes["payload"]["detail"]["paths"] == [  # JSON text in a text column
        {"path": "payload.items[2]", "change": "added", "old": None, "new": 3}
    ]
    assert "detail" not in changes["title"]  # nothing in common: old and new say it
    assert changes["api_token"] == {"column": "api_token", "old": "redacted", "new": "redacted"}
    assert TOKEN1 not in result.stdout and TOKEN2 not in result.stdout


def test_plain_diff_marks_words_and_paths(doc: str) -> None:
    result = run_piped(["--db", doc, "diff", "doc", "1"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Ada writes the quick [-brown-]{+red+} fox jumps over the [-lazy-]{+sleepy+} dog" in out
    for line in (
        'prefs.theme: "dark" → "light"',
        'prefs.tags[1]: "b" → removed',
        "prefs.notify.sms: added → false",
        "payload.items[2]: added → 3",
    ):
        assert line in out
    assert "\x1b" not in out and TOKEN1 not in out and TOKEN2 not in out


def test_show_secrets_shows_and_diffs_the_secret(runner: CliRunner, doc: str) -> None:
    result = invoke(runner, ["--db", doc, "--show-secrets", "-f", "json", "diff", "doc", "1"])
    token = next(c for c in json.loads(result.stdout)["changes"] if c["column"] == "api_token")
    assert (token["old"], token["new"]) == (TOKEN1, TOKEN2)


def on_terminal(args: list[str], cols: int, tokens: tuple[str, ...]) -> str:
    """Run chrono in a pseudo-terminal ``cols`` wide: it succeeds, no line is wider, every token is whole."""
    code, out = run_tty(args, cols=cols, rows=60)
    assert code == 0, out
    lines = shown_lines(out)
    assert max(cell_len(line) for line in lines) <= cols, out
    text = "\n".join(lines)
    for token in tokens:
        assert token in text, (token, text)
    return out


@pytest.mark.parametrize("cols", [80, 200])
def test_diff_in_a_terminal(doc: str, cols: int) -> None:
    tokens = (
        "[-brown-]{+red+}",
        "[-lazy-]{+sleepy+}",
        "prefs.tags[1]:",
        "prefs.notify.sms:",
        "payload.items[2]:",
        "<script>alert('x')</script>",
        "p1 (version 1) → p2 (version 2)",
    )
    out = on_terminal(["--db", doc, "--no-pager", "diff", "doc", "1"], cols, tokens)
    assert RED in out and GREEN in out and COLOUR.search(out)
    assert TOKEN1 not in out and TOKEN2 not in out


def test_diff_all_leaves_unchanged_fields_uncoloured(doc: str) -> None:
    code, out = run_tty(["--db", doc, "--no-pager", "diff", "doc", "1", "--all"], cols=200, rows=60)
    assert code == 0, out
    rows = {
        ANSI.sub("", line).split()[1]: line
        for line in out.replace("\r", "").split("\n")
        if len(ANSI.sub("", line).split()) > 2 and ANSI.sub("", line).split()[0] in "│┃"
    }
    assert not COLOUR.search(rows["id"]), rows["id"]  # unchanged: 1 and 1, plain
    assert RED in rows["title"] and GREEN in rows["title"]  # changed: old red, new green
    assert RED in rows["bio"] and GREEN in rows["bio"]  # the changed words only
    assert "Ada writes the quick" in ANSI.sub("", rows["bio"]).split("[-")[0]


def test_history_uses_the_diff_colours(doc: str) -> None:
    code, out = run_tty(["--db", doc, "--no-pager", "history", "doc", "1"], cols=200, rows=60)
    assert code == 0, out
    assert RED + "ada" in out and GREEN in out  # old value red, new value green, as diff shows them
    piped = run_piped(["--db", doc, "history", "doc", "1"])
    assert "\x1b" not in piped.stdout and HOSTILE.splitlines()[0] in piped.stdout
