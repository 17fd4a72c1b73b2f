"""``chrono report``: one page to paste into a ticket, in Markdown or HTML, on the demo, on hostile values and on a
store the real django-simple-history wrote on PostgreSQL. Secrets redacted, every value escaped, nothing written."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from tests.cli.fine_db import TOKEN1, TOKEN2, build
from tests.conftest import ROOT, StoryClone, invoke
from tests.integration.restore_support import checksum, support_clone


@pytest.fixture
def demo(tmp_path: Path) -> list[str]:
    copy = tmp_path / "demo.sqlite"
    shutil.copy(ROOT / "examples" / "demo.sqlite", copy)
    return ["--db", f"sqlite:///{copy}", "--config", str(ROOT / "examples" / "chrono.toml")]


def _headings(page: str) -> list[str]:
    return [line for line in page.splitlines() if line.startswith("#")]


def test_markdown_report_on_the_demo(runner: CliRunner, demo: list[str]) -> None:
    before = checksum(demo[1])
    result = invoke(runner, [*demo, "report", "users", "42", "--since", "2026-11-16T11:00Z", "--restore-to", "p2"])
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert _headings(page) == [
        "# chrono report: users 42",
        "## Timeline since 2026-11-16 11:00:00",
        "## Blame",
        "## Last change",
        "## Restore to p2 (not applied)",
    ]
    timeline = page.split("## Blame")[0]
    assert "| p9 | update |" in timeline and "| p10 current | update |" in timeline
    assert "| p8 |" not in timeline  # before --since
    assert "| name | Dana Okafor | p10 |" in page  # blame
    assert "users 42 \\[history-meta: users\\_history\\]: p9 (version 9) → p10 (version 10)" in page
    restore = page.split("## Restore to p2 (not applied)")[1]
    assert "~ restore users 42 to p2 (version 2)" in restore and "| name | Dana Okafor | Dana Whitfield |" in restore
    assert "Plan: 0 to add, 1 to change, 0 to delete." in restore
    assert "```sql\n-- restore users 42 to p2" in restore and "UPDATE users SET name='Dana Whitfield'" in restore
    assert checksum(demo[1]) == before


def test_markdown_escapes_hostile_values(runner: CliRunner, tmp_path: Path) -> None:
    url = build(f"sqlite:///{tmp_path / 'doc.db'}")
    result = invoke(runner, ["--db", url, "report", "doc", "1", "--restore-to", "p1"])
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert "<script>" not in page.split("```")[0] and "&lt;script&gt;alert('x')&lt;/script&gt;" in page
    assert "\\| pipe" in page and "<br>second line &amp; more" in page
    cells = None  # every row of a table has as many cells as its header: no pipe or newline broke out
    for line in page.splitlines():
        if not line.startswith("|"):
            cells = None
            continue
        count = len(re.findall(r"(?<!\\)\|", line))
        cells = count if cells is None else cells
        assert count == cells, line
    fences = re.findall(r"^(`{3,})sql$", page, re.MULTILINE)
    assert fences == ["````"]  # longer than the ``` inside the value, which cannot close it
    assert TOKEN1 not in page and TOKEN2 not in page and "api\\_token='redacted'" not in page
    assert "api_token='redacted'" in page  # the SQL block is code: shown as is


def test_html_report_escapes_everything(runner: CliRunner, tmp_path: Path) -> None:
    url = build(f"sqlite:///{tmp_path / 'doc.db'}")
    result = invoke(runner, ["--db", url, "report", "doc", "1", "--restore-to", "p1", "-f", "html"])
    assert result.exit_code == 0, result.output
    page = result.stdout

    class Tags(HTMLParser):
        seen: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.seen.add(tag)

    parser = Tags()
    parser.feed(page)
    assert "script" not in parser.seen  # the hostile value stayed text
    assert parser.seen <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "h1",
        "h2",
        "p",
        "strong",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "span",
        "br",
        "pre",
        "code",
    }
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; | pipe &quot;quoted&quot;" in page
    assert '<span class="old">[-brown-]</span><span class="new">{+red+}</span>' in page  # the last change
    assert '<span class="old">[-red-]</span><span class="new">{+brown+}</span>' in page  # the plan undoes it
    assert TOKEN1 not in page and TOKEN2 not in page


def test_report_never_writes_and_keeps_exit_codes(runner: CliRunner, demo: list[str]) -> None:
    before = checksum(demo[1])
    assert invoke(runner, [*demo, "report", "nope", "1"]).exit_code == ExitCode.NOT_FOUND
    assert invoke(runner, [*demo, "report", "users", "4242"]).exit_code == ExitCode.NOT_FOUND
    missing = invoke(runner, [*demo, "report", "users", "42", "--restore-to", "p99"])
    assert missing.exit_code == ExitCode.NOT_FOUND and missing.stdout == ""
    wrong = invoke(runner, [*demo, "-f", "json", "report", "users", "42"])
    assert wrong.exit_code == ExitCode.USAGE
    assert wrong.stderr.splitlines()[0] == "error: chrono report prints markdown or html, not json"
    assert invoke(runner, [*demo, "report", "users", "42", "-f", "csv"]).exit_code == ExitCode.USAGE
    same = invoke(runner, [*demo, "report", "users", "42", "--restore-to", "p-1"])  # already the current state
    assert same.exit_code == 0 and "restore to p-1: " in same.stdout
    assert invoke(runner, [*demo, "-f", "markdown", "report", "users", "42"]).exit_code == 0
    assert checksum(demo[1]) == before


def test_report_on_a_simple_history_store_on_postgresql(runner: CliRunner, story_clone: StoryClone) -> None:
    url, _ = support_clone(story_clone, "postgresql", "simple_history_story")
    before = checksum(url)
    result = invoke(runner, ["--db", url, "report", "djangoapp_poll", "1", "--restore-to", "p1"])
    assert result.exit_code == 0, result.output
    page = result.stdout
    assert (
        _headings(page)[0] == "# chrono report: public.djangoapp\\_poll 1"
        or _headings(page)[0] == "# chrono report: djangoapp\\_poll 1"
    )
    assert "simple-history" in page and "## Blame" in page and "## Last change" in page
    assert "Plan: 0 to add, 1 to change, 0 to delete." in page and "UPDATE " in page
    html = invoke(runner, ["--db", url, "report", "djangoapp_poll", "1", "-f", "html"])
    assert html.exit_code == 0 and html.stdout.startswith("<!DOCTYPE html>")
    assert checksum(url) == before
