"""``chrono check-migrations``: prove that every history store still matches its base table.

One bulk catalog read (``Catalog.full_snapshot``), the same detection pass ``chrono tables`` runs (one membership
query per shared store), then pure comparisons: the shared comparators registered in ``columns``, ``keys``
and ``meta`` (imported below, in the order they report) run on every subject whose convention's check spec opts
into their rule, then the convention's own comparators (``CheckSpec.comparators``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from chrono_cli import conventions
from chrono_cli.config import Config, TableConfig
from chrono_cli.conventions import Detection
from chrono_cli.conventions.checkspec import StoreKind
from chrono_cli.conventions.remedy import Remedy
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.errors import ConfigError, NoConvention
from chrono_cli.model import CheckedTable, CheckReport, Finding, Severity, TableRef
from chrono_cli.records import replace
from chrono_cli.services.check import (  # noqa: F401 - registers comparators
    columns,
    keys,
    meta,
)
from chrono_cli.services.check.baseline import compare as compare_baseline
from chrono_cli.services.check.baseline import read as read_baseline
from chrono_cli.services.check.baseline import write as write_versioning
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
        progress: Progress | None = None, baseline: Path | None = None, write_baseline: Path | None = None,
        allow_empty: bool = False) -> CheckReport:
    """Open the workspace's catalog and check it (against the baseline, or writing one)."""
    with ws.catalog() as cat:
        return check_migrations(cat, tables=tables, strict=strict, suggest=suggest, progress=progress,
                                baseline=baseline, write_baseline=write_baseline, allow_empty=allow_empty)


def check_migrations(cat: Catalog, *, tables: Sequence[str] = (), strict: bool = False, suggest: bool = False,
                     progress: Progress | None = None, baseline: Path | None = None,
                     write_baseline: Path | None = None, allow_empty: bool = False) -> CheckReport:
    """Compare every history store with its base table; ``tables`` limits the check to some tables.

    With a baseline (``baseline``, else the config's ``[check] baseline``), a table it records as versioned that
    is not versioned the same way now is an error. ``write_baseline`` records what this check found instead.
    A database with no history store at all is refused (exit 5) unless ``allow_empty``: a CI job pointed at the
    wrong database must not pass.
    """
    _check_severities(cat.config)
    baseline = baseline or (None if write_baseline else cat.config.baseline)
    expected = read_baseline(baseline) if baseline is not None else None
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
    remedies: list[tuple[int, Remedy]] = []
    for done, subject in enumerate(subjects, 1):
        for drift in _drifts(subject, ctx):
            if drift.kind == "trigger":
                drift = _with_history_rows(cat, snapshot, detections, subject, drift)
            finding = _finding(subject, drift)
            if finding is None:
                continue
            if drift.remedy is not None:
                remedies.append((len(findings), drift.remedy))
            findings.append(finding)
        if progress and (done % 200 == 0 or done == len(subjects)):
            progress("comparing tables", done, len(subjects))
    checked = tuple(dict.fromkeys(CheckedTable(s.table, s.history, s.convention) for s in subjects))
    if not checked and not allow_empty and expected is None:
        raise NoConvention("no history store in this database: check-migrations has nothing to check",
                           hint="point --db at the application's database, or pass --allow-empty")
    versioned = tuple(dict.fromkeys(CheckedTable(s.table, s.history, s.convention) for s in subjects if s.store
                                    is not None and (s.base is not None or s.spec.store is StoreKind.SHARED)))
    versioned_cols = _versioned_columns(subjects)
    if expected is not None:
        reported = {f.table for f in findings if f.kind == "missing-history"}
        errors = {(f.table, f.column) for f in findings if f.column and f.severity is Severity.ERROR}
        for f in compare_baseline(expected, versioned, wanted, versioned_cols, lambda ref: _columns_of(snapshot, ref)):
            if f.table in reported or (f.table, f.column) in errors or (_override(
                    cat.config.table(f.table.name, f.table.schema), f.kind, f.table) or "error") in _OFF:
                continue
            remedy = _reinstate(snapshot, f)
            if remedy is not None:
                remedies.append((len(findings), remedy))
            findings.append(f)
    notes = list(SKIPPED) + ctx.notes + _uncovered(detections)
    if write_baseline is not None:
        count = write_versioning(write_baseline, versioned, versioned_cols)
        notes.append(f"baseline written to {write_baseline}: {count} versioned table(s); commit it and set [check] "
                     "baseline in chrono.toml")
    elif baseline is not None:
        notes.append(f"compared with the baseline {baseline}")
    notes += [f"{ref} has no history convention: nothing to check" for ref in sorted(wanted)
              if not any(ref in (c.table, c.history) for c in checked)]
    report = CheckReport(tuple(findings), checked, strict=strict, dialect=cat.dialect, notes=tuple(notes))
    if suggest:
        report = _with_fixes(report, cat, remedies)
    return report


def _with_history_rows(cat: Catalog, snapshot: SchemaSnapshot, detections: Sequence[Detection], subject: Subject,
                       drift: Drift) -> Drift:
    """A trigger finding says how many history rows the table has: the trail the missing trigger breaks."""
    det = next((d for d in detections if d.adapter == subject.convention and d.live == subject.table), None)
    if det is None:
        return drift
    rows = conventions.of(det).detector.count_history(cat.conn, snapshot, det)
    if rows is None:
        return drift
    where = "" if det.in_table else f" in {det.store}"
    return replace(drift, message=f"{drift.message} ({rows:,} history row(s) of {det.live.name}{where} so far, "
                                  "and nothing after them)")


def _versioned_columns(subjects: Sequence[Subject]) -> dict[tuple[TableRef, str], tuple[str, ...]]:
    """(table, convention) -> the columns its convention versions now, where the convention says."""
    out: dict[tuple[TableRef, str], tuple[str, ...]] = {}
    for s in subjects:
        found = s.spec.versioned_columns(s) if s.spec.versioned_columns is not None else None
        if found is not None:
            out[(s.table, s.convention)] = found
    return out


def _columns_of(snapshot: SchemaSnapshot, ref: TableRef) -> frozenset[str]:
    info = snapshot.get(ref)
    return frozenset(info.columns) if info is not None else frozenset()


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


def _check_severities(config: Config) -> None:
    """Every [tables.X] severity names a finding kind, whether or not that finding turns up today."""
    for name, tcfg in config.tables.items():
        for kind in tcfg.severity:
            if kind not in KINDS:
                raise ConfigError(f"config [tables.{name}] severity: unknown finding kind {kind!r}",
                                  hint=f"kinds: {', '.join(KINDS)}")


def _override(tcfg: TableConfig, kind: str, ref: TableRef) -> str | None:
    """The severity config sets for ``kind`` on this table (validated up front by _check_severities)."""
    return tcfg.severity.get(kind)


def _reinstate(snapshot: SchemaSnapshot, finding: Finding) -> Remedy | None:
    """The fix of a table the baseline records as versioned, when its convention can put the versioning back."""
    info = snapshot.get(finding.table)
    conv = conventions.registry().find(finding.convention or "")
    if info is None or conv is None or conv.check is None:
        return None
    if finding.column is not None:
        again = conv.check.reinstate_column
        return None if again is None else again(info, finding.column)
    return None if conv.check.reinstate is None else conv.check.reinstate(info)


def _with_fixes(report: CheckReport, cat: Catalog, remedies: list[tuple[int, Remedy]]) -> CheckReport:
    from chrono_cli.services.check.suggest import suggest

    fixes, migration = suggest(remedies, cat.conn,
                               cat.full_snapshot().default_schema)
    findings = tuple(replace(f, fix=fixes.get(i)) for i, f in enumerate(report.findings))
    return replace(report, findings=findings, migration=migration if migration.ddl else None)
