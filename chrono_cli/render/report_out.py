"""``chrono report`` as Markdown or HTML: safe to paste into a ticket.

Every value is escaped for the format: in Markdown a pipe, a newline, ``<``, ``>``, ``&`` and the characters that
would start emphasis, links or code; in HTML everything through ``html.escape``. Code blocks are fenced with more
backticks than any run inside them."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from chrono_cli.model import ResultSet
from chrono_cli.render.colors import CHANGED, MUTED, NEW, OLD, Styled
from chrono_cli.render.display import Display
from chrono_cli.render.encode import text
from chrono_cli.render.output import without_empty
from chrono_cli.render.plan_out import counts, item_table
from chrono_cli.render.views import tabular

_MD_SPECIAL = re.compile(r"([\\`*_\[\]#~|])")
_CLASSES = {OLD: "old", NEW: "new", MUTED: "muted", CHANGED: "changed"}
_CSS = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    ".old{color:#b31d28;background:#ffeef0}.new{color:#22863a;background:#f0fff4}.muted{color:#6a737d}.changed{color:#b08800}"
    "pre{background:#f6f8fa;padding:1em;overflow-x:auto}"
)


def sections(report: Any, display: Display) -> list[tuple[str, list[Any]]]:
    """``(heading, parts)``: a part is a paragraph (str), a table (ResultSet) or code (a one-item tuple)."""
    tl = report.timeline
    since = f" since {display.time(report.since)}" if report.since else ""
    timeline = without_empty(tabular(tl, display))
    out: list[tuple[str, list[Any]]] = [
        ("Timeline" + since, [timeline] if timeline.rows else ["no version in that window"]),
        ("Blame", [without_empty(tabular(report.blame, display))]),
    ]
    if report.last_change is not None:
        diff = tabular(report.last_change, display)
        out.append(("Last change", [diff.title or "", without_empty(diff)]))
    else:
        out.append(("Last change", ["only one version is recorded: no change to show"]))
    if report.restore_to is not None:
        parts: list[Any] = []
        if report.plan is None:
            parts.append(f"restore to {report.restore_to}: {report.plan_note}")
        else:
            plan = report.plan
            for item, title in zip(plan.items, report.titles, strict=True):
                rs = item_table(item.action, title, item.diff, lambda _c: False)
                parts += [rs.title or "", without_empty(rs)]
            add, change, delete = counts([i.action for i in plan.items])
            parts.append(f"Plan: {add} to add, {change} to change, {delete} to delete.")
            parts.append((_sql(report.sql),))
        out.append((f"Restore to {report.restore_to} (not applied)", parts))
    return out


def _sql(blocks: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    return "\n".join(
        f"-- {title}\n" + "\n".join(f"-- {label}\n{sql}" for label, sql in stmts) for title, stmts in blocks
    )


def _heading(report: Any, display: Display) -> tuple[str, str]:
    tl = report.timeline
    title = f"{tl.table} {tl.key}"
    store = f"{tl.convention}" + (f": {tl.history}" if tl.history else "")
    made = report.made_at.isoformat(timespec="milliseconds")
    about = (
        f"History from {store}, database {report.database}. Report made by chrono at {made}; "
        f"{display.legend}; secret values redacted. Nothing was written."
    )
    return title, about


def _warnings(report: Any) -> list[str]:
    return list(dict.fromkeys(report.timeline.warnings))


# --- Markdown ---


def markdown(report: Any, display: Display) -> str:
    """The report as GitHub-flavoured Markdown."""
    title, about = _heading(report, display)
    lines = [f"# chrono report: {_md(title)}", "", _md(about), ""]
    lines += [f"> **note:** {_md(w)}" for w in _warnings(report)] + ([""] if _warnings(report) else [])
    for heading, parts in sections(report, display):
        lines += [f"## {_md(heading)}", ""]
        for part in parts:
            if isinstance(part, ResultSet):
                lines += _md_table(part) + [""]
            elif isinstance(part, tuple):
                fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", part[0])), default=0))
                lines += [f"{fence}sql", part[0], fence, ""]
            else:
                lines += [_md(part), ""]
    return "\n".join(lines).rstrip() + "\n"


def _md(value: Any) -> str:
    s = "NULL" if value is None else text(value)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace("\r", "").replace("\n", "<br>")


def _md_table(rs: ResultSet) -> list[str]:
    head = "| " + " | ".join(_md(c) for c in rs.columns) + " |"
    rule = "|" + "|".join("---" for _ in rs.columns) + "|"
    return [head, rule] + ["| " + " | ".join(_md(v) for v in row) + " |" for row in rs.rows]


# --- HTML ---


def html_page(report: Any, display: Display) -> str:
    """The report as one self-contained HTML page (inline style, no script)."""
    title, about = _heading(report, display)
    body = [f"<h1>chrono report: {_h(title)}</h1>", f"<p>{_h(about)}</p>"]
    body += [f'<p class="muted"><strong>note:</strong> {_h(w)}</p>' for w in _warnings(report)]
    for heading, parts in sections(report, display):
        body.append(f"<h2>{_h(heading)}</h2>")
        for part in parts:
            if isinstance(part, ResultSet):
                body.append(_h_table(part))
            elif isinstance(part, tuple):
                body.append(f"<pre><code>{html.escape(part[0], quote=True)}</code></pre>")
            else:
                body.append(f"<p>{_h(part)}</p>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>chrono report: {_h(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _h(value: Any) -> str:
    """Escaped text; a Styled value's spans become classed spans; newlines become line breaks."""
    if value is None:
        return '<span class="muted">NULL</span>'
    if not isinstance(value, Styled):
        return html.escape(text(value), quote=True).replace("\n", "<br>")
    out, at = [], 0
    for start, end, style in sorted(value.spans):
        if start < at:
            continue
        out.append(_h(str(value)[at:start]) if start > at else "")
        out.append(f'<span class="{_CLASSES.get(style, "muted")}">{_h(str(value)[start:end])}</span>')
        at = end
    out.append(_h(str(value)[at:]) if at < len(value) else "")
    return "".join(out)


def _h_table(rs: ResultSet) -> str:
    head = "".join(f"<th>{_h(c)}</th>" for c in rs.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_h(v)}</td>" for v in row) + "</tr>\n" for row in rs.rows)
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>"
