"""``chrono report``: one ticket-ready page about a record: its timeline, blame, the diff of its last change and,
on request, the plan that would restore an earlier version. Reads only; secrets redacted as everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from chrono_cli.db.engine import safe_url
from chrono_cli.errors import NothingToWrite, Refused
from chrono_cli.model import REDACTED, BlameView, DiffView, Timeline
from chrono_cli.records import Struct, replace
from chrono_cli.services import redact, select
from chrono_cli.services.blame import blame_timeline
from chrono_cli.services.history import filter_timeline, load_timeline
from chrono_cli.services.plan import Plan, item_title
from chrono_cli.services.restore import plan_restore
from chrono_cli.services.sqltext import plan_sql
from chrono_cli.services.target import open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Workspace


class Report(Struct, frozen=True):
    """What the page shows; ``last_change`` is None for a record with one version, ``plan`` None unless asked
    (or when the restore would be refused: ``plan_note`` says why)."""

    timeline: Timeline
    blame: BlameView
    last_change: DiffView | None
    database: str
    made_at: datetime
    since: datetime | None = None
    restore_to: str | None = None
    plan: Plan | None = None
    sql: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    plan_note: str | None = None
    titles: tuple[str, ...] = ()  # one line naming each item of the plan


def report(
    ws: Workspace,
    table: str,
    key: str,
    *,
    since: str | None = None,
    restore_to: str | None = None,
    convention: str | None = None,
) -> Report:
    """Everything ``chrono report`` prints, read in one read-only transaction (the plan in its own)."""
    with ws.catalog() as cat:
        tl = load_timeline(cat, open_target(cat, table), key, convention)
    config, show = ws.config, ws.settings.show_secrets
    tz = config.table(tl.table.name, tl.table.schema).timezone
    since_t = parse_time(since, tz_name=tz) if since else None
    shown = filter_timeline(tl, since=since_t) if since_t else tl
    blame = redact.blame_view(config, blame_timeline(tl, tl.columns), show)
    last = redact.diff_view(config, select.diff(tl), show) if len(tl.versions) > 1 else None
    plan: Plan | None = None
    sql: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    why: str | None = None
    if restore_to is not None:
        try:
            plan = plan_restore(ws, table, key, version=restore_to, convention=convention)
            sql = tuple((title, tuple(stmts)) for title, stmts in plan_sql(ws, plan))
            plan = _redacted(ws, plan)
        except (NothingToWrite, Refused) as exc:  # the page says so; exit 0: the report itself is complete
            why = str(exc)
    return Report(
        redact.timeline(config, shown, show),
        blame,
        last,
        safe_url(ws.url),
        datetime.now(UTC),
        since=since_t,
        restore_to=restore_to,
        plan=plan,
        sql=sql,
        plan_note=why,
        titles=() if plan is None else tuple(item_title(plan, i) for i in plan.items),
    )


def _redacted(ws: Workspace, plan: Plan) -> Plan:
    """The plan as the page shows it: secret values of its diff replaced (the plan is never applied from here)."""
    items = []
    for item in plan.items:
        hides = redact.hides(ws.config, item.table or plan.table, ws.settings.show_secrets)
        diff = [
            {
                **d,
                "old": REDACTED if hides(d["column"]) and d["old"] is not None else d["old"],
                "new": REDACTED if hides(d["column"]) and d["new"] is not None else d["new"],
            }
            for d in item.diff
        ]
        items.append(replace(item, diff=diff))
    return replace(plan, items=tuple(items))
