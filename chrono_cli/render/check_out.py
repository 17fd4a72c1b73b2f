"""Rendering check-migrations reports: human (rich or plain), json/jsonl/csv, markdown, GitHub annotations, JUnit."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any, TextIO

from chrono_cli.model import CheckedTable, CheckReport, Finding, Fix, Severity
from chrono_cli.render.encode import dumps

FORMATS = ("auto", "table", "plain", "markdown", "github", "json", "jsonl", "csv", "junit")
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_report(report: CheckReport, fmt: str, out: TextIO, *, color: bool = False, width: int | None = None) -> None:
    """Write ``report`` to ``out`` in ``fmt`` (already resolved from ``auto``)."""
    if fmt == "json":
        out.write(dumps(document(report)) + "\n")
    elif fmt == "jsonl":
        for f in report.findings:
            out.write(dumps(finding_doc(report, f), indent=None) + "\n")
    elif fmt == "csv":
        _csv(report, out)
    elif fmt == "github":
        out.writelines(line + "\n" for line in github_annotations(report))
    elif fmt == "junit":
        out.write(junit(report) + "\n")
    elif fmt == "markdown":
        _markdown(report, out)
    elif fmt == "table":
        _rich(report, out, color=color, width=width)
    else:
        _plain(report, out)


def summary_line(report: CheckReport) -> str:
    """One line: what was checked, what was found, and whether the check passed."""
    counts = report.counts()
    parts = [_count(counts["error"], "error"), _count(counts["warning"], "warning"), f"{counts['info']} info"]
    verdict = "FAILED" if report.failed else "passed"
    strict = " (--strict: warnings fail)" if report.strict and counts["warning"] else ""
    return f"checked {_count(len(report.checked), 'table')}: {', '.join(parts)} - {verdict}{strict}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- documents ---

def fix_doc(fix: Fix | None) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {"ddl": list(fix.ddl), "alembic": fix.alembic, "note": fix.note}


def finding_doc(report: CheckReport, f: Finding) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "table": str(f.table), "history": None if f.history is None else str(f.history),
        "convention": f.convention, "target": None if f.target is None else str(f.target), "kind": f.kind,
        "severity": f.severity.value, "column": f.column,
        "message": f.message, "fails": report.fails(f)}
    if f.fix is not None:
        doc["fix"] = fix_doc(f.fix)
    return doc


def document(report: CheckReport) -> dict[str, Any]:
    """What ``-f json`` prints: ``{"findings": [...], "summary": {...}, ...}``."""
    counts = report.counts()
    doc: dict[str, Any] = {
        "findings": [finding_doc(report, f) for f in report.findings],
        "summary": {"tables": len(report.checked), "errors": counts["error"], "warnings": counts["warning"],
                    "info": counts["info"], "failing": len(report.failing), "strict": report.strict,
                    "passed": not report.failed, "dialect": report.dialect, "notes": list(report.notes)},
        "checked": [{"table": str(c.table), "history": None if c.history is None else str(c.history),
                     "convention": c.convention, "findings": len(report.for_table(c))} for c in report.checked],
    }
    if report.migration is not None:
        doc["migration"] = fix_doc(report.migration)
    return doc


def _where(f: Finding) -> str:
    """The table (and column) a finding is about, without the schema."""
    table = (f.target or f.table).name
    return f"{table}.{f.column}" if f.column else table


def _label(c: CheckedTable) -> str:
    return f"{c.table} -> {c.history}" if c.history is not None else str(c.table)


def _fix_lines(fix: Fix | None) -> list[str]:
    if fix is None:
        return []
    lines = [line for stmt in fix.ddl for line in (stmt + ";").splitlines()]
    if fix.alembic:
        lines += fix.alembic.splitlines()
    if fix.note:
        lines.append(f"({fix.note})")
    return lines


# --- GitHub Actions workflow commands ---

def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: CheckReport) -> Iterator[str]:
    """``::error title=...::message`` lines; failing findings are errors, others warnings or notices."""
    for f in report.findings:
        level = "error" if report.fails(f) else ("warning" if f.severity is Severity.WARNING else "notice")
        title = f"chrono check-migrations {f.kind}: {_where(f)}"
        message = "\n".join([f"{f.severity.value}: {f.message}", *_fix_lines(f.fix)])
        yield f"::{level} title={_gh_prop(title)}::{_gh_data(message)}"
    yield summary_line(report)


# --- JUnit XML ---

def junit(report: CheckReport) -> str:
    """One test case per checked table pair; failing findings become its <failure>."""
    failing_cases = sum(1 for c in report.checked if any(report.fails(f) for f in report.for_table(c)))
    suites = ET.Element("testsuites", name="chrono check-migrations", tests=str(len(report.checked)),
                        failures=str(failing_cases), errors="0")
    suite = ET.SubElement(suites, "testsuite", name="chrono check-migrations", tests=str(len(report.checked)),
                          failures=str(failing_cases), errors="0", skipped="0")
    for c in report.checked:
        case = ET.SubElement(suite, "testcase", classname=f"chrono.check-migrations.{c.convention}",
                             name=_label(c))
        found = report.for_table(c)
        failing = [f for f in found if report.fails(f)]
        if failing:
            message = failing[0].message + (f" (+{len(failing) - 1} more)" if len(failing) > 1 else "")
            failure = ET.SubElement(case, "failure", type=failing[0].kind, message=message)
            failure.text = "\n".join(_finding_text(f) for f in failing)
        rest = [f for f in found if not report.fails(f)]
        if rest:
            ET.SubElement(case, "system-out").text = "\n".join(_finding_text(f) for f in rest)
    if report.notes:
        ET.SubElement(suite, "system-out").text = "\n".join(report.notes)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def _finding_text(f: Finding) -> str:
    lines = [f"{f.severity.value} {f.kind} {_where(f)}: {f.message}"]
    lines += ["    " + ln for ln in _fix_lines(f.fix)]
    return "\n".join(lines)


# --- tabular and human formats ---

_COLUMNS = ["table", "history", "convention", "severity", "kind", "column", "message"]


def _row(f: Finding) -> list[str]:
    return [str(f.table), "" if f.history is None else str(f.history), f.convention or "", f.severity.value,
            f.kind, f.column or "", f.message]


def _csv(report: CheckReport, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    suggest = any(f.fix is not None for f in report.findings)
    writer.writerow(_COLUMNS + ["fails"] + (["ddl", "alembic"] if suggest else []))
    for f in report.findings:
        extra = [";\n".join(f.fix.ddl) if f.fix else "", (f.fix.alembic or "") if f.fix else ""] if suggest else []
        writer.writerow(_row(f) + ["true" if report.fails(f) else "false"] + extra)


def _markdown(report: CheckReport, out: TextIO) -> None:
    from tabulate import tabulate

    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", "<br>")

    if report.findings:
        rows = [[cell(v) for v in _row(f)] for f in report.findings]
        out.write(tabulate(rows, headers=_COLUMNS, tablefmt="pipe", disable_numparse=True) + "\n\n")
    out.write(f"**{summary_line(report)}**\n")


def _grouped(report: CheckReport) -> Iterator[tuple[CheckedTable, tuple[Finding, ...]]]:
    for c in report.checked:
        found = report.for_table(c)
        if found:
            yield c, found


def _plain(report: CheckReport, out: TextIO) -> None:
    for c, found in _grouped(report):
        out.write(f"{_label(c)} ({c.convention})\n")
        for f in found:
            out.write(f"  {f.severity.value:<7}  {f.kind:<19}  {_where(f):<24}  {f.message}\n")
            for line in _fix_lines(f.fix):
                out.write(f"{'':41}{line}\n")
        out.write("\n")
    _migration_plain(report, out)
    for note in report.notes:
        out.write(f"note: {note}\n")
    out.write(summary_line(report) + "\n")


def _migration_plain(report: CheckReport, out: TextIO) -> None:
    m = _migration(report)
    if m is None:
        return
    out.write("suggested migration (DDL):\n")
    out.writelines(f"  {line}\n" for stmt in m.ddl for line in (stmt + ";").splitlines())
    if m.alembic:
        out.write("suggested migration (alembic upgrade()):\n")
        out.writelines(f"  {line}\n" for line in m.alembic.splitlines())
    out.write("\n")


def _migration(report: CheckReport) -> Fix | None:
    """The whole suggested migration, when it is more than one finding's fix."""
    if sum(1 for f in report.findings if f.fix and f.fix.ddl) < 2:
        return None
    return report.migration


def _rich(report: CheckReport, out: TextIO, *, color: bool, width: int | None) -> None:
    from rich.table import Table
    from rich.text import Text

    from chrono_cli.render.console import output_console

    console = output_console(out, color=color, width=width)
    for c, found in _grouped(report):
        table = Table(title=f"{_label(c)} ({c.convention})", title_justify="left", header_style="bold")
        for name in ("severity", "kind", "where", "message"):
            table.add_column(name, overflow="fold")
        for f in found:
            message = Text(f.message)
            for line in _fix_lines(f.fix):
                message.append("\n" + line, style="dim")
            table.add_row(Text(f.severity.value, style=_STYLE[f.severity]), Text(f.kind), Text(_where(f)), message)
        console.print(table)
    migration = _migration(report)
    if migration is not None:
        console.print(Text("suggested migration (DDL):", style="bold"))
        console.print(Text("\n".join(s + ";" for s in migration.ddl)), soft_wrap=True)
        if migration.alembic:
            console.print(Text("suggested migration (alembic upgrade()):", style="bold"))
            console.print(Text(migration.alembic), soft_wrap=True)
    for note in report.notes:
        console.print(Text(f"note: {note}", style="dim"))
    console.print(Text(summary_line(report), style="bold red" if report.failed else "bold green"))
