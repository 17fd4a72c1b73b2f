"""Read a simple-history story database back through django-simple-history, then make one ordinary save.

Run in a subprocess after chrono wrote to a database built by ``simple_history_story``::

    python -m tests.support.simple_history_after URL OUT.json [--save ID]

The record::

    {"before": {"1": [{"history_id": 1, "type": "+", "reason": null, "user": "alice", "question": "...",
                       "votes": 0, "tags": [2], "diff": {"votes": [3, 0]}}, ...]},   # oldest first;
                                          # diff = diff_against(the previous record) as {field: [old, new]}
     "after": {...} | null,               # the same after poll ID's save (--save ID)
     "saved": {"history_id": 12, "type": "~"} | null}

Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tests.support.simple_history_story import _database


def run(url: str, save: int | None) -> dict[str, Any]:
    """Read every poll's history with the library's manager and diff_against, save one poll, read again."""
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "simple_history",
                        "tests.support.djangoapp"],
        DATABASES={"default": _database(url)}, USE_TZ=True, TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField", MIGRATION_MODULES={"djangoapp": None})
    django.setup()
    from tests.support.djangoapp.models import Poll

    def read() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for poll in Poll.objects.order_by("id"):
            records = list(poll.history.all().order_by("history_date", "history_id"))
            rows = []
            for i, h in enumerate(records):
                diff: dict[str, Any] = {}
                if i:
                    delta = h.diff_against(records[i - 1])
                    for change in delta.changes:
                        old, new = change.old, change.new
                        if change.field == "tags":
                            old = sorted(m["tag"] for m in old)
                            new = sorted(m["tag"] for m in new)
                        diff[change.field] = [str(old) if old is not None else None,
                                              str(new) if new is not None else None]
                rows.append({"history_id": h.history_id, "type": h.history_type,
                             "reason": h.history_change_reason,
                             "user": None if h.history_user is None else h.history_user.username,
                             "question": h.question, "votes": h.votes,
                             "tags": sorted(t.tag_id for t in h.tags.all()), "diff": diff})
            out[str(poll.id)] = rows
        return out

    record: dict[str, Any] = {"before": read(), "after": None, "saved": None}
    if save is not None:
        poll = Poll.objects.get(pk=save)
        poll.votes += 1
        poll.save()
        newest = poll.history.order_by("-history_date", "-history_id").first()
        record["saved"] = {"history_id": newest.history_id, "type": newest.history_type}
        record["after"] = read()
    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--save", type=int)
    args = parser.parse_args()
    record = run(args.url, args.save)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, default=str)


if __name__ == "__main__":
    main()
