"""Declared conventions: each built-in's light declaration agrees with its parts, and nothing of a convention is
imported before one of its parts is used (its bulk writer not before that is used)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chrono_cli.conventions.api import Capability
from chrono_cli.conventions.registry import builtins

ROOT = Path(__file__).resolve().parents[3]
NAMES = ("article", "article_version", "transaction", "tag", "article_tag", "article_tag_version", "djangoapp_poll",
         "djangoapp_historicalpoll", "djangoapp_historicalpoll_tags", "djangoapp_poll_tags", "activity",
         "pghistory_context", "shop_itemevent", "shop_item", "post_versions", "versions", "users")


def test_every_builtin_is_declared_and_agrees_with_its_parts() -> None:
    convs = builtins()
    assert len(convs) == 24
    for conv in convs:
        assert conv.signature is not None, conv.name
        detector = conv.detector
        assert (detector.name, detector.title) == (conv.name, conv.title)
        assert conv.singleton_stores == detector.singleton_stores, conv.name
        assert conv.paired_suffixes == detector.paired_suffixes, conv.name
        for name in NAMES:
            assert conv.related(name, NAMES) == detector.related(name, NAMES), (conv.name, name)
        assert (Capability.BULK in conv.capabilities) == (conv.bulk is not None), conv.name


def test_a_declared_convention_imports_its_parts_on_first_use() -> None:
    probe = (
        "import sys\n"
        "from chrono_cli.conventions.registry import default\n"
        "convs = default()\n"
        "def parts():\n"
        "    return sorted(m.split('.')[3] for m in sys.modules\n"
        "                  if m.startswith('chrono_cli.conventions.builtin.') and m.count('.') > 3)\n"
        "before = parts()\n"
        "conv = convs.get('history-meta')\n"
        "assert not conv.loaded\n"
        "conv.reader\n"
        "bulk = 'chrono_cli.conventions.shapes.bulk' in sys.modules\n"
        "conv.bulk\n"
        "print(before, conv.loaded, sorted(set(parts())), bulk, 'chrono_cli.conventions.shapes.bulk' in sys.modules)\n"
        "written = 'chrono_cli.conventions.builtin.history_meta.write' in sys.modules\n"
        "caps = conv.capability_names\n"
        "print(written, 'chrono_cli.conventions.builtin.history_meta.write' in sys.modules, caps)\n"
        "print(type(conv.write()).__name__, 'chrono_cli.conventions.builtin.history_meta.write' in sys.modules)\n"
        "temporal = convs.get('temporal-tables')\n"
        "temporal.reader\n"
        "checks = 'chrono_cli.conventions.remedy' in sys.modules\n"
        "print(checks, type(temporal.check).__name__, 'chrono_cli.conventions.remedy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == [
        "[] True ['history_meta'] False True",  # the bulk writer: on its first use only
        # the writer too: a read does not import it, nor does asking what the convention can do
        "False False ['history', 'changes', 'restore', 'bulk', 'check']",
        "HistoryMetaWriter True",
        "False CheckSpec True",  # check-migrations' remedies come with the check spec, not with a read
    ]
