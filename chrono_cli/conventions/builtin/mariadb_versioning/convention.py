"""MariaDB system-versioned tables: the server keeps each row's states in the table itself (period shape)."""

from __future__ import annotations

from chrono_cli.conventions.builtin.mariadb_versioning import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.mariadb_versioning.adapter import MariaDBVersioningAdapter

ADAPTER = MariaDBVersioningAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.mariadb_versioning.write:VersioningWriter",
                                 bulk="chrono_cli.conventions.builtin.mariadb_versioning.write:VersioningBulk")
