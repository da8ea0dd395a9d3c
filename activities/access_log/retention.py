"""The access log's retention: rows older than ACCESS_LOG_RETENTION_DAYS are purged, by the owner role only.

Run as `python -m activities.access_log.retention` (daily, e.g. a CronJob) with MIGRATION_DATABASE_URL (the
owner; falls back to DATABASE_URL). The service's own role cannot delete log rows, so it cannot purge.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import AsyncConnection
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from activities.platform.db import Pool

logger = logging.getLogger(__name__)

# Datatilsynet: delete logs automatically after a period set by their purpose. The old
# sikkerhedsbekendtgørelse §19 kept them at least 6 months, up to 5 years on special need [UNCERTAIN: historic
# rule, so configuration]. Default 5 years: as long as a physiotherapist's record itself (journalførings-
# bekendtgørelsen §15), so a citizen can learn who saw a record for as long as it exists.
DEFAULT_RETENTION_DAYS = 5 * 365 + 1
MINIMUM_RETENTION_DAYS = 183  # the historic 6-month minimum: a shorter setting is a typo, not a policy
MAXIMUM_RETENTION_DAYS = 10 * 365 + 3  # the longest record retention in the notes (doctors' records)


class RetentionSettings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    access_log_retention_days: int = Field(
        default=DEFAULT_RETENTION_DAYS,
        ge=MINIMUM_RETENTION_DAYS,
        le=MAXIMUM_RETENTION_DAYS,
        description="Days an access log row is kept before the purge removes it",
    )

    def cutoff(self, now: datetime | None = None) -> datetime:
        """Rows that occurred before this instant are past their retention."""
        return (now or datetime.now(UTC)) - timedelta(days=self.access_log_retention_days)


def owner_database_url() -> str | None:
    """The owner's connection string: MIGRATION_DATABASE_URL, else DATABASE_URL (one role for both)."""
    return os.environ.get("MIGRATION_DATABASE_URL") or os.environ.get("DATABASE_URL")


async def purge_older_than(owner: Pool | AsyncConnection[Any], cutoff: datetime) -> int:
    """Delete the rows that occurred before `cutoff`; returns how many went. Must run as the owner role
    (purge_access_log is not executable by the application role: that raises InsufficientPrivilege)."""
    if isinstance(owner, AsyncConnection):
        return await _purge(owner, cutoff)
    async with owner.connection() as conn:
        return await _purge(conn, cutoff)


async def _purge(conn: AsyncConnection[Any], cutoff: datetime) -> int:
    # One transaction: the function's cutoff setting is local to it (a savepoint if the caller has one open).
    async with conn.transaction():
        cursor = await conn.execute("SELECT purge_access_log(%s)", (cutoff,))
        row = await cursor.fetchone()
    removed = int(row[0]) if row else 0
    logger.info("access log: purged %d row(s) older than %s", removed, cutoff.isoformat())
    return removed


async def purge_expired(conninfo: str, settings: RetentionSettings | None = None) -> int:
    """Purge what the configured retention has expired, on a connection of its own as the owner."""
    cutoff = (settings or RetentionSettings()).cutoff()
    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
        return await purge_older_than(conn, cutoff)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    conninfo = owner_database_url()
    if not conninfo:
        logger.error("MIGRATION_DATABASE_URL (or DATABASE_URL) is not set")
        return 2
    asyncio.run(purge_expired(conninfo))
    return 0


if __name__ == "__main__":
    sys.exit(main())
