"""``chrono check-migrations``: prove that every history store still matches its base table.

One bulk catalog read (``Catalog.full_snapshot``), the same detection pass ``chrono tables`` runs (one membership
query per shared store), then pure comparisons: the shared comparators registered in ``columns``, ``keys``
and ``meta`` (imported below, in the order they report) run on every subject whose convention's check spec opts
into their rule, then the convention's own comparators (``CheckSpec.comparators``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from chrono_cli import conventions
from chrono_cli.config import TableConfig
from chrono_cli.conventions import Detection
from chrono_cli.errors import ConfigError
from chrono_cli.model import CheckedTable, CheckReport, Finding, Severity, TableRef
from chrono_cli.services.check import (  # noqa: F401 - registers comparators
    columns,
    keys,
    meta,
)
from chrono_cli.services.check.declared import with_declared
from chrono_cli.services.check.pairing import find_subjects
from chrono_cli.services.check.registry import KINDS, CheckContext, Drift, Subject, comparators_for
from chrono_cli.services.resolve import resolve_table
from chrono_cli.services.workspace import Catalog, Workspace

__all__ = ["KINDS", "Progress", "check_migrations", "run"]

Progress = Callable[[str, int, int], None]  # (stage, done, total)
SKIPPED = ("trigger checks skipped: check-migrations does not cover trigger-based conventions (temporal_tables, "
           "audit triggers) yet",)
_LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}
_OFF = ("ignore", "off", "none")
_ORDER = {kind: i for i, kind in enumerate(KINDS)}


def run(ws: Workspace, *, tables: Sequence[str] = (), strict: bool = False, suggest: bool = False,
        progress: Progress | None = None) -> CheckReport:
    """Open the workspace's catalog and check it."""
    with ws.catalog() as cat:
        return check_migrations(cat, tables=tables, strict=strict, suggest=suggest, progress=progress)


def check_migrations(cat: Catalog, *, tables: Sequence[str] = (), strict: bool = False, suggest: bool = False,
                     progress: Progress | None = None) -> CheckReport:
    """Compare every history store with its base table; ``tables`` limits the check to some tables."""
    wanted = {resolve_table(q, cat.names(), cat.config) for q in tables}
    if progress:
        progress("reading the catalog", 0, 0)
    snapshot = cat.full_snapshot()
    detections = cat.detections(snapshot, missing_ok=True)
    subjects = find_subjects(snapshot, cat.config, detections)
    subjects = with_declared(snapshot, cat.config, subjects)  # layouts declared in chrono.toml
    if wanted:
        subjects = [s for s in subjects if s.table in wanted or s.history in wanted]
    source = cat.config.source
    ctx = CheckContext(cat.conn.dialect, source.name if source is not None else "chrono.toml")
    findings: list[Finding] = []
    remedies: list[tuple[int, Drift]] = []
    for done, subject in enumerate(subjects, 1):
        for drift in _drifts(subject, ctx):
            finding = _finding(subject, drift)
            if finding is None:
                continue
            if drift.remedy is not None:
                remedies.append((len(findings), drift))
            findings.append(finding)
        if progress and (done % 200 == 0 or done == len(subjects)):
            progress("comparing tables", done, len(subjects))
    checked = tuple(dict.fromkeys(CheckedTable(s.table, s.history, s.convention) for s in subjects))
    notes = list(SKIPPED) + ctx.notes + _uncovered(detections)
    notes += [f"{ref} has no history convention: nothing to check" for ref in sorted(wanted)
              if not any(ref in (c.table, c.history) for c in checked)]
    report = CheckReport(tuple(findings), checked, strict=strict, dialect=cat.dialect, notes=tuple(notes))
    if suggest:
        report = _with_fixes(report, cat, [(i, d) for i, d in remedies])
    return report


def _uncovered(detections: Sequence[Detection]) -> list[str]:
    """Conventions chrono reads but check-migrations does not compare yet: say so rather than pass silently."""
    out = []
    for conv in conventions.registry():
        if conv.check is None:
            tables = sorted({d.live.name for d in detections if d.adapter == conv.name})
            if tables:
                out.append(f"not checked: {conv.name} ({', '.join(tables)}): check-migrations does not compare "
                           "this convention's stores yet")
    return out


def _drifts(subject: Subject, ctx: CheckContext) -> Iterable[Drift]:
    """Every comparator's findings for one subject, in the order KINDS lists them."""
    drifts = [d for fn in comparators_for(subject.spec) for d in fn(subject, ctx)]
    return sorted(drifts, key=lambda d: _ORDER[d.kind])


def _finding(subject: Subject, drift: Drift) -> Finding | None:
    level = _override(subject.config, drift.kind, subject.table)
    if level in _OFF:
        return None
    severity = _LEVELS[level] if level else drift.severity
    return Finding(subject.table, drift.kind, severity, drift.message, drift.column, subject.history,
                   subject.convention, target=drift.target or subject.table)


def _override(tcfg: TableConfig, kind: str, ref: TableRef) -> str | None:
    if not tcfg.severity:
        return None
    for key, value in tcfg.severity.items():
        if key not in KINDS:
            raise ConfigError(f"config [tables.{ref.name}] severity: unknown finding kind {key!r}",
                              hint=f"kinds: {', '.join(KINDS)}")
        if not isinstance(value, str) or value not in (*_LEVELS, *_OFF):
            raise ConfigError(f"config [tables.{ref.name}] severity.{key}: expected error, warning, info or ignore")
    level = tcfg.severity.get(kind)
    return level if isinstance(level, str) else None


def _with_fixes(report: CheckReport, cat: Catalog, remedies: list[tuple[int, Drift]]) -> CheckReport:
    from dataclasses import replace

    from chrono_cli.services.check.suggest import suggest

    fixes, migration = suggest([(i, d.remedy) for i, d in remedies if d.remedy is not None], cat.conn,
                               cat.full_snapshot().default_schema)
    findings = tuple(replace(f, fix=fixes.get(i)) for i, f in enumerate(report.findings))
    return replace(report, findings=findings, migration=migration if migration.ddl else None)
