"""Parsing of declared layouts in chrono.toml, and the README's examples (no database needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chrono_cli.config import Shape, load
from chrono_cli.conventions.declared import ALLOWED, REQUIRED
from chrono_cli.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Declaring a home-grown history table")
    return text[start:text.index("\n## ", start + 1)]


def _load(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "chrono.toml"
    path.write_text(body, encoding="utf-8")
    return load(path)


def test_every_shape_has_a_readme_example_that_parses_and_fits_its_shape(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", _section(), re.S)
    seen = set()
    for block in blocks[1:]:  # the first block lists every key at once
        config = _load(tmp_path, block)
        (tcfg,) = config.tables.values()
        layout = tcfg.layout
        assert layout is not None
        seen.add(layout.shape)
        assert set(layout.roles) <= set(ALLOWED[layout.shape]), block
        for group in REQUIRED[layout.shape]:
            assert any(layout.role(r) for r in group), (layout.shape, group)
    assert seen == set(Shape)


def test_reference_block_keeps_every_documented_key(tmp_path: Path) -> None:
    block = re.findall(r"```toml\n(.*?)```", _section(), re.S)[0]
    layout = _load(tmp_path, block).tables["invoice"].layout
    assert layout is not None and layout.shape is Shape.OLD_STATE
    assert layout.key == ("invoice_id",)
    assert set(layout.roles) == {"version", "changed", "valid_from", "valid_to", "period", "current", "operation",
                                 "actor", "reason", "table", "row_key", "data", "old", "new", "changes"}
    assert (layout.insert, layout.update, layout.delete) == ("INSERT", "UPDATE", "DELETE")


def test_columns_list_still_means_display_columns(tmp_path: Path) -> None:
    tcfg = _load(tmp_path, '[tables.t]\ncolumns = ["a", "b"]\nhidden = ["x"]\nunrecorded = ["y"]\n').tables["t"]
    assert tcfg.columns == ("a", "b") and tcfg.layout is None
    assert tcfg.unrecorded == ("x", "y")


@pytest.mark.parametrize(("body", "message"), [
    ('[tables.t.columns]\nversion = "v"\n', "config [tables.t.columns]: column roles are only valid together with"),
    ('[tables.t]\noperations = {insert = "I"}\n', "config [tables.t] operations: only valid together with layout"),
    ('[tables.t]\nlayout = "new-state"\nhistory = "h"\n[tables.t.operations]\ninsert = "X"\nupdate = "X"\n',
     "config [tables.t.operations]: two operations have the same spelling"),
    ('[tables.t]\nlayout = "new-state"\nhistory = "h"\n[tables.t.operations]\nupsert = "X"\n',
     "config [tables.t.operations] upsert: unknown operation"),
    ('[tables.t]\nlayout = "json-snapshot"\nhistory = "h"\ndata_means = "during"\n',
     "config [tables.t] data_means: expected \"after\" or \"before\""),
    ('[tables.t]\nlayout = "new-state"\nhistory = "h"\n[tables.t.columns]\nversion = 3\n',
     "config [tables.t.columns] version: expected a column name"),
    ('[tables.t]\nlayout = "new-state"\nhistory = "h"\n[tables.t.columns]\nkey = [1]\n',
     "config [tables.t.columns] key: expected a list of column names"),
    ('[tables.t]\nlayout = "new-state"\nconvention = "history-meta"\n',
     "config [tables.t] convention: give layout or convention, not both"),
])
def test_malformed_declarations(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, body)
    assert str(err.value).startswith(message)
