"""Rendering check-migrations reports: JUnit XML, GitHub annotations, JSON, plain and rich text."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET

from chrono_cli.model import CheckedTable, CheckReport, Finding, Fix, Severity, TableRef
from chrono_cli.render.check_out import document, github_annotations, junit, render_report

USER, USER_H = TableRef(None, "appuser"), TableRef(None, "appuser_history")
NOTE, NOTE_H = TableRef(None, "note"), TableRef(None, "note_audit")
CHECKED = (CheckedTable(USER, USER_H, "history-meta"), CheckedTable(NOTE, NOTE_H, "chrononaut"))


def report(strict: bool = False) -> CheckReport:
    findings = (
        Finding(USER, "missing-column", Severity.ERROR, "appuser.nick (varchar(40)) is not in appuser_history",
                "nick", USER_H, "history-meta", Fix(("ALTER TABLE appuser_history ADD COLUMN nick VARCHAR(40)",),
                                                    "op.add_column('appuser_history', sa.Column('nick'))"), USER_H),
        Finding(NOTE, "missing-column", Severity.WARNING, 'hidden? say so with [tables.note] hidden = ["a,b: 100%"]',
                "secret", NOTE_H, "chrononaut", target=NOTE_H),
        Finding(USER, "extra-column", Severity.INFO, "appuser_history.old is no longer in appuser", "old", USER_H,
                "history-meta", target=USER_H),
    )
    return CheckReport(findings, CHECKED, strict=strict, dialect="sqlite", notes=("trigger checks skipped",))


def test_junit_has_a_case_per_pair_and_failures_for_failing_findings() -> None:
    root = ET.fromstring(junit(report()))
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"appuser -> appuser_history", "note -> note_audit"}
    failure = cases["appuser -> appuser_history"].find("failure")
    assert failure is not None and failure.get("type") == "missing-column"
    assert "ALTER TABLE appuser_history ADD COLUMN nick" in (failure.text or "")
    assert "extra-column" in (cases["appuser -> appuser_history"].findtext("system-out") or "")
    assert cases["note -> note_audit"].find("failure") is None
    strict = ET.fromstring(junit(report(strict=True))).find("testsuite")
    assert strict is not None and strict.get("failures") == "2"


def test_github_annotations_escape_properties_and_data() -> None:
    lines = list(github_annotations(report()))
    assert lines[0].startswith("::error title=chrono check-migrations missing-column%3A appuser_history.nick::error: ")
    assert "%0AALTER TABLE appuser_history ADD COLUMN nick VARCHAR(40);" in lines[0]
    assert lines[1].startswith("::warning title=chrono check-migrations missing-column%3A note_audit.secret::")
    assert 'hidden = ["a,b: 100%25"]' in lines[1]  # data escapes %, not , or :
    assert lines[2].startswith("::notice ")
    assert lines[-1].startswith("checked 2 tables: 1 error, 1 warning, 1 info - FAILED")
    assert all("\n" not in line for line in lines)
    assert list(github_annotations(report(strict=True)))[1].startswith("::error ")


def test_json_document_shape() -> None:
    doc = json.loads(json.dumps(document(report())))
    assert set(doc) == {"findings", "summary", "checked"}
    assert doc["summary"] | {"notes": []} == {"tables": 2, "errors": 1, "warnings": 1, "info": 1, "failing": 1,
                                              "strict": False, "passed": False, "dialect": "sqlite", "notes": []}
    first = doc["findings"][0]
    assert first["target"] == "appuser_history" and first["fails"] is True
    assert first["fix"]["ddl"] == ["ALTER TABLE appuser_history ADD COLUMN nick VARCHAR(40)"]
    assert "fix" not in doc["findings"][1]


def test_plain_groups_by_table_and_ends_with_the_verdict() -> None:
    out = io.StringIO()
    render_report(report(), "plain", out)
    text = out.getvalue()
    assert text.splitlines()[0] == "appuser -> appuser_history (history-meta)"
    assert "  error    missing-column       appuser_history.nick" in text
    assert "ALTER TABLE appuser_history ADD COLUMN nick VARCHAR(40);" in text
    assert text.rstrip().endswith("FAILED")
    clean = io.StringIO()
    render_report(CheckReport((), CHECKED), "plain", clean)
    assert clean.getvalue() == "checked 2 tables: 0 errors, 0 warnings, 0 info - passed\n"


def test_rich_table_is_plain_text_without_colour() -> None:
    out = io.StringIO()
    render_report(report(), "table", out, width=120)
    text = out.getvalue()
    assert "appuser -> appuser_history (history-meta)" in text and "\x1b[" not in text
    assert "missing-column" in text


def test_csv_and_markdown() -> None:
    out = io.StringIO()
    render_report(report(), "csv", out)
    rows = out.getvalue().splitlines()
    assert rows[0] == "table,history,convention,severity,kind,column,message,fails,ddl,alembic"
    assert len(rows) >= 4
    md = io.StringIO()
    render_report(report(), "markdown", md)
    assert '\\| ' not in md.getvalue().splitlines()[0] and md.getvalue().rstrip().endswith("FAILED**")
