"""What shell completion offers from the database: tables, keys, columns, versions, change-set ids.

Every function reads only (the workspace's read transactions) and is bounded: completion asks while a
person waits, so nothing here reads a whole history store.
"""

from __future__ import annotations

from chrono_cli.errors import ChronoError
from chrono_cli.services.workspace import Workspace

LIMIT = 200  # keys and change sets offered at most: the most recently changed ones


def tables(ws: Workspace) -> list[str]:
    """The detected tables and the config's aliases."""
    from chrono_cli.services.catalog import list_tables

    return [t["table"] for t in list_tables(ws).document["tables"]] + list(ws.config.aliases)


def keys(ws: Workspace, table: str, limit: int = LIMIT) -> list[str]:
    """Keys of the records of ``table`` that changed most recently, newest first (as KEY is typed)."""
    from chrono_cli.services.changes import list_changes
    from chrono_cli.services.writeset import key_text

    found: dict[str, None] = {}
    try:
        sets = list_changes(ws, [table], limit=limit).changesets
    except ChronoError:  # a store that cannot list its changes by time: nothing to offer
        return []
    for changeset in sets:
        for change in changeset.changes:
            found.setdefault(key_text(change.key.as_dict()))
    return list(found)[:limit]


def columns(ws: Workspace, table: str) -> list[str]:
    """The live table's columns, in table order."""
    from chrono_cli.services.target import open_target

    with ws.catalog() as cat:
        return list(open_target(cat, table).info.columns)


def versions(ws: Workspace, table: str, key: str) -> list[str]:
    """A record's versions as --version takes them: the library's numbers where it numbers them, else pN."""
    from chrono_cli.services.history import load_timeline
    from chrono_cli.services.target import open_target

    with ws.catalog() as cat:
        tl = load_timeline(cat, open_target(cat, table), key, None)
    numbered = [str(v.number) for v in tl.versions if v.number is not None]
    positions = [f"p{v.seq}" for v in tl.versions]
    return list(dict.fromkeys(numbered + positions)) if numbered else positions


def changesets(ws: Workspace, limit: int = 50) -> list[str]:
    """The ids of the newest change sets, newest first."""
    from chrono_cli.services.changes import list_changes

    return [s.id for s in list_changes(ws, [], limit=limit).changesets]
