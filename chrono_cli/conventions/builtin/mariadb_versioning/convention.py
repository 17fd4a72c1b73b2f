"""MariaDB system-versioned tables: the server keeps each row's states in the table itself (period shape)."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.mariadb_versioning.adapter import MariaDBVersioningAdapter
from chrono_cli.conventions.builtin.mariadb_versioning.write import VersioningBulk, VersioningWriter
from chrono_cli.db.facts import SYSTEM_VERSIONING

ADAPTER = MariaDBVersioningAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="period", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=VersioningWriter(), bulk=VersioningBulk(),
    # transaction-precise tables carry their transaction; timestamp tables only their statement's time
    traits=Traits(exact_changesets=True),
    facts=(SYSTEM_VERSIONING,))
