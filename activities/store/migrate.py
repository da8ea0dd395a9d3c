"""Schema migrations: the numbered SQL files in activities/store/migrations, each applied once, in order.

Run as `python -m activities.store.migrate` as the owner role: it reads MIGRATION_DATABASE_URL, else DATABASE_URL
(see deploy/README.md, "Database roles"). Safe to run from several processes at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import sys
from dataclasses import dataclass
from importlib import resources

import psycopg

from activities.platform.startup_checks import check_database_url, database_unreachable

logger = logging.getLogger(__name__)

# Any fixed bigint works; it only has to differ from other advisory locks taken in this database.
MIGRATION_LOCK_KEY = 7_204_118_340_001
_FILE_NAME = re.compile(r"^\d{4}_[a-z0-9_]+\.sql$")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name       text PRIMARY KEY,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationChanged(RuntimeError):
    """An applied migration file was edited; add a new migration instead."""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: bytes

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql).hexdigest()


def load_migrations() -> list[Migration]:
    # importlib.resources, not a path next to __file__, so an installed wheel finds its package data.
    folder = resources.files("activities.store").joinpath("migrations")
    found = [
        Migration(name=entry.name, sql=entry.read_bytes())
        for entry in folder.iterdir()
        if entry.is_file() and _FILE_NAME.match(entry.name)
    ]
    return sorted(found, key=lambda migration: migration.name)


async def apply_migrations(conninfo: str) -> list[str]:
    """Apply the migrations the database lacks; returns the names applied by this call."""
    applied: list[str] = []
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        for migration in load_migrations():
            # One transaction per file: a failing file leaves the earlier ones applied and itself absent.
            async with conn.transaction():
                # Held to the end of the transaction, so a second process waits, then sees the file applied.
                await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
                await conn.execute(_CREATE_LEDGER)
                cursor = await conn.execute("SELECT checksum FROM schema_migrations WHERE name = %s", (migration.name,))
                row = await cursor.fetchone()
                if row is not None:
                    if row[0] != migration.checksum:
                        raise MigrationChanged(f"{migration.name} differs from the version already applied")
                    continue
                # Bytes, not str: a whole file of statements goes in one simple-protocol query.
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES (%s, %s)",
                    (migration.name, migration.checksum),
                )
            applied.append(migration.name)
            logger.info("applied migration %s", migration.name)
    return applied


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The service's own role may not create tables: migrations connect as the owner when one is given.
    conninfo = os.environ.get("MIGRATION_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not conninfo:
        logger.error("MIGRATION_DATABASE_URL (or DATABASE_URL) is not set")
        return 2
    setting = "MIGRATION_DATABASE_URL" if os.environ.get("MIGRATION_DATABASE_URL") else "DATABASE_URL"
    # One line naming the setting: libpq's own messages would quote a malformed URL, password and all.
    try:
        check_database_url(conninfo, setting)
        applied = asyncio.run(apply_migrations(conninfo))
    except ValueError as err:
        logger.error("%s", err)
        return 2
    except psycopg.OperationalError as err:
        logger.error("%s", database_unreachable(conninfo, err, setting))
        return 1
    logger.info("%d migration(s) applied", len(applied))
    return 0


if __name__ == "__main__":
    sys.exit(main())
