"""Read a simple-history story database back through django-simple-history, then make one ordinary save.

Run in a subprocess after chrono wrote to a database built by ``simple_history_story``::

    python -m tests.support.simple_history_after URL OUT.json [--model poll|choice] [--save ID]

``--model`` picks the model read and saved (default ``poll``); the save adds one vote. The record::

    {"before": {"1": [{"history_id": 1, "type": "+", "reason": null, "user": "alice", "question": "...",
                       "votes": 0, "tags": [2], "diff": {"votes": [3, 0]}}, ...]},   # oldest first;
                                          # diff = diff_against(the previous record) as {field: [old, new]};
                                          # a choice has choice_text, votes, is_archived and no tags
     "after": {...} | null,               # the same after object ID's save (--save ID)
     "saved": {"history_id": 12, "type": "~"} | null}

Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tests.support.simple_history_story import configure

FIELDS = {"poll": ("question", "votes"), "choice": ("choice_text", "votes", "is_archived")}


def run(url: str, save: int | None, model: str = "poll") -> dict[str, Any]:
    """Read every object's history with the library's manager and diff_against, save one object, read again."""
    configure(url)
    from tests.support.djangoapp.models import Choice, Poll

    cls: Any = {"poll": Poll, "choice": Choice}[model]

    def read() -> dict[str, Any]:
        out: dict[str, Any] = {}
        for obj in cls.objects.order_by("id"):
            records = list(obj.history.all().order_by("history_date", "history_id"))
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
                row = {"history_id": h.history_id, "type": h.history_type, "reason": h.history_change_reason,
                       "user": None if h.history_user is None else h.history_user.username,
                       **{f: getattr(h, f) for f in FIELDS[model]}, "diff": diff}
                if model == "poll":
                    row["tags"] = sorted(t.tag_id for t in h.tags.all())
                rows.append(row)
            out[str(obj.id)] = rows
        return out

    record: dict[str, Any] = {"before": read(), "after": None, "saved": None}
    if save is not None:
        obj = cls.objects.get(pk=save)
        obj.votes += 1
        obj.save()
        newest = obj.history.order_by("-history_date", "-history_id").first()
        record["saved"] = {"history_id": newest.history_id, "type": newest.history_type}
        record["after"] = read()
    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--model", default="poll", choices=["poll", "choice"])
    parser.add_argument("--save", type=int)
    args = parser.parse_args()
    record = run(args.url, args.save, args.model)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, default=str)


if __name__ == "__main__":
    main()
