"""Word and JSON-path diffs of one field (pure): what ``diff`` shows and ``-f json`` documents as ``detail``."""

from __future__ import annotations

from chrono_cli.model import REDACTED
from chrono_cli.render.finediff import SHOWN_PATHS, detail, marked

OLD = "the quick brown fox jumps over the lazy dog and keeps on running"
NEW = "the quick red fox jumps over the lazy dog and keeps on  running"


def test_long_texts_diff_word_by_word() -> None:
    found = detail("bio", OLD, NEW)
    assert found is not None and found["kind"] == "words"
    changed = [(p["op"], p["text"]) for p in found["parts"] if p["op"] != "same"]
    assert changed == [("removed", "brown"), ("added", "red"), ("removed", " "), ("added", "  ")]
    assert "".join(p["text"] for p in found["parts"] if p["op"] != "added") == OLD
    assert "".join(p["text"] for p in found["parts"] if p["op"] != "removed") == NEW
    assert str(marked(found)).startswith("the quick [-brown-]{+red+} fox")


def test_short_or_unrelated_values_have_no_detail() -> None:
    assert detail("name", "Ada", "Ada L.") is None  # short: old → new says it
    assert detail("bio", OLD, "x" * 60) is None  # nothing in common
    assert detail("bio", OLD, OLD) is None
    assert detail("n", 1, 2) is None and detail("bio", None, OLD) is None


def test_a_redacted_value_is_never_diffed() -> None:
    assert detail("api_token", REDACTED, REDACTED) is None
    assert detail("prefs", {"a": 1}, REDACTED) is None


def test_json_paths_match_array_elements_in_order() -> None:
    found = detail(
        "prefs", {"tags": ["a", "b", "c"], "theme": "dark"}, {"tags": ["a", "c"], "theme": "light", "new key": [1]}
    )
    assert found == {
        "kind": "json",
        "paths": [
            {"path": "prefs.tags[1]", "change": "removed", "old": "b", "new": None},
            {"path": "prefs.theme", "change": "changed", "old": "dark", "new": "light"},
            {"path": 'prefs["new key"]', "change": "added", "old": None, "new": [1]},
        ],
    }
    assert str(marked(found)).splitlines() == [
        'prefs.tags[1]: "b" → removed',
        'prefs.theme: "dark" → "light"',
        'prefs["new key"]: added → [1]',
    ]


def test_json_text_in_a_text_column_diffs_when_both_sides_parse() -> None:
    found = detail("payload", '{"n": 1, "ok": true}', '{"ok": true, "n": 1.5}')
    assert found is not None and found["paths"] == [{"path": "payload.n", "change": "changed", "old": 1, "new": 1.5}]
    assert detail("payload", '{"n": 1}', "not json at all, but a sentence") is None
    assert detail("payload", '{"n": 1}', '{"n": 1}') is None


def test_json_types_are_told_apart() -> None:
    found = detail("j", {"a": 1, "b": None}, {"a": True, "b": "null"})
    assert found is not None
    assert [(p["path"], p["old"], p["new"]) for p in found["paths"]] == [("j.a", 1, True), ("j.b", None, "null")]
    assert str(marked(found)).splitlines() == ["j.a: 1 → true", 'j.b: null → "null"']


def test_many_paths_are_cut_for_people_only() -> None:
    found = detail("j", {str(i): i for i in range(30)}, {str(i): i + 1 for i in range(30)})
    assert found is not None and len(found["paths"]) == 30
    lines = str(marked(found)).splitlines()
    assert len(lines) == SHOWN_PATHS + 1 and lines[-1] == "… 10 more paths (-f json lists them all)"


def test_invisible_characters_in_words_are_shown() -> None:
    found = detail("bio", OLD, OLD.replace("lazy", "la\u200bzy"))
    assert found is not None and "\\u200b" in str(marked(found))
