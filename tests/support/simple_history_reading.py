"""Read every record's history of a simple-history story database through the library, optionally after a save.

Run in a subprocess (Django settings are configured once per process)::

    python -m tests.support.simple_history_reading URL OUT.json [--save TABLE KEY] [--build]

The conformance suite's library reading (tests/conformance): for each model of the story app, every key
that has historical records, read with the library's manager ``Model.history`` ordered by
``history_date, history_id``. The record::

    {"timelines": {"djangoapp_poll": {"1": [{"version": 4, "op": "update", "values": {...} | null,
                                             "at": "...", "actor": "bob" | null, "reason": "..." | null}, ...]}},
     "live": {"djangoapp_poll": {"1": {...} | null}},   # the base row (None: deleted)
     "saved": {"votes": 1} | null,                      # what the save (--save; one more vote) set
     "after": {...} | null}                             # timelines again after the save

A record's values are the model's tracked fields (``excluded_fields`` left out) and, for a poll, the tag
ids of its m2m history; a ``-`` record has none (``null``). ``at`` is ``history_date``, ``actor`` the
``history_user``'s username, ``reason`` ``history_change_reason``. ``--build`` first runs the story
(``simple_history_story.build``) in this process and adds its record under ``"story"``. Nothing here
imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import functools
import json
from datetime import datetime
from typing import Any

from tests.support import simple_history_story

OPS = {"+": "insert", "~": "update", "-": "delete"}
FIELDS = {"djangoapp_poll": ("id", "question", "pub_date", "votes", "author_id"),
          "custom_choice_table": ("id", "poll_id", "choice_text", "votes", "is_archived")}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def run(url: str, save: tuple[str, str] | None) -> dict[str, Any]:
    """Read every historical record with the library's manager; save one object; read again."""
    simple_history_story.configure(url)
    from tests.support.djangoapp.models import Choice, Poll

    models: dict[str, Any] = {"djangoapp_poll": Poll, "custom_choice_table": Choice}

    def read() -> tuple[dict[str, Any], dict[str, Any]]:
        timelines: dict[str, Any] = {}
        live: dict[str, Any] = {}
        for table, cls in models.items():
            out: dict[str, list[dict[str, Any]]] = {}
            for h in cls.history.all().order_by("id", "history_date", "history_id"):
                values = None
                if h.history_type != "-":
                    values = {f: _plain(getattr(h, f)) for f in FIELDS[table]}
                    if cls is Poll:
                        values["tags"] = sorted(t.tag_id for t in h.tags.all())
                out.setdefault(str(h.id), []).append(
                    {"version": h.history_id, "op": OPS[h.history_type], "values": values,
                     "at": h.history_date.isoformat(), "reason": h.history_change_reason,
                     "actor": None if h.history_user is None else h.history_user.username})
            timelines[table] = out
            live[table] = {}
            for key in out:
                row = cls.objects.filter(pk=int(key)).values(*FIELDS[table]).first()
                live[table][key] = None if row is None else {k: _plain(v) for k, v in row.items()}
        return timelines, live

    timelines, live = read()
    record: dict[str, Any] = {"timelines": timelines, "live": live, "saved": None, "after": None}
    if save is not None:
        table, key = save
        obj = models[table].objects.get(pk=int(key))
        obj.votes += 1
        obj.save()
        record["saved"] = {"votes": obj.votes}
        record["after"] = read()[0]
    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--save", nargs=2, metavar=("TABLE", "KEY"))
    parser.add_argument("--build", action="store_true")
    args = parser.parse_args()
    story = None
    if args.build:  # Django is configured once per process: the story and the reading share it
        simple_history_story.configure = functools.cache(simple_history_story.configure)  # type: ignore[assignment]
        story = simple_history_story.build(args.url)
    record = run(args.url, tuple(args.save) if args.save else None)
    record["story"] = story
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, default=str)


if __name__ == "__main__":
    main()
