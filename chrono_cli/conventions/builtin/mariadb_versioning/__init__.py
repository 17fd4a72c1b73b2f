"""MariaDB system-versioned tables (``WITH SYSTEM VERSIONING``): the server keeps every row's versions itself."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.mariadb_versioning.convention:CONVENTION",
              tables=(TableSign(fact="system-versioning"),)),
    name="mariadb-versioning", title="MariaDB system-versioned table", shape="period",
    # transaction-precise tables carry their transaction; timestamp tables only their statement's time
    traits=Traits(exact_changesets=True), facts=("system-versioning",))
