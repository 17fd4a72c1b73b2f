"""Drive Rails' PaperTrail (Debian's ruby-paper-trail 12.0.0, ActiveRecord 6.1) from the Python tests.

``story(url)`` runs paper_trail_story.rb (the install migration, then saves PaperTrail records itself) and
returns its record; ``reading(url, save)`` runs paper_trail_reading.rb (``reify``/``changeset``, the shape
tests/conformance/readers.py describes). Both get the SQLAlchemy URL as ActiveRecord's connection config.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

HERE = Path(__file__).parent


def ar_config(url: str) -> dict[str, Any]:
    """ActiveRecord's ``establish_connection`` hash for a SQLAlchemy URL (SQLite file, PostgreSQL, MariaDB)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return {"adapter": "sqlite3", "database": u.database}
    if u.get_backend_name() == "postgresql":
        return {"adapter": "postgresql", "database": u.database, "host": u.host, "port": u.port or 5432,
                "username": u.username, **({"password": u.password} if u.password else {})}
    if u.get_backend_name() in ("mysql", "mariadb"):
        return {"adapter": "mysql2", "database": u.database, "host": u.host, "port": u.port or 3306,
                "username": u.username, "encoding": "utf8mb4", **({"password": u.password} if u.password else {})}
    raise ValueError(f"PaperTrail story: no ActiveRecord adapter for {u.get_backend_name()}")


def run_ruby(script: str, url: str, *args: str, local_zone: str | None = None) -> Any:
    """Run ``ruby tests/support/<script> ARGS`` against ``url`` and return the JSON it printed. ``local_zone``:
    the application keeps ActiveRecord's times in that zone's wall clock (``default_timezone = :local``)."""
    env = {**os.environ, "CHRONO_AR_CONFIG": json.dumps(ar_config(url))}
    if local_zone:
        env |= {"TZ": local_zone, "CHRONO_AR_LOCAL_TIME": "1"}
    proc = subprocess.run(["ruby", str(HERE / script), *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def story(url: str, local_zone: str | None = None) -> dict[str, Any]:
    """Let PaperTrail write the story into the empty database at ``url``."""
    record: dict[str, Any] = run_ruby("paper_trail_story.rb", url, local_zone=local_zone)
    return record


def reading(url: str, save: tuple[str, str] | None = None, local_zone: str | None = None) -> dict[str, Any]:
    """PaperTrail's own reading of every versioned record (then one ordinary save of ``save``, read again)."""
    out: dict[str, Any] = run_ruby("paper_trail_reading.rb", url, *(["--save", *save] if save else []),
                                   local_zone=local_zone)
    return out
