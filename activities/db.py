"""Connection pools for the event store, the read models and the registers."""

from __future__ import annotations

from typing import TypeAlias

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

Pool: TypeAlias = AsyncConnectionPool[AsyncConnection[TupleRow]]


async def open_pool(
    conninfo: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    application_name: str = "genoptraening-cases",
    wait_seconds: float = 30.0,
    checkout_seconds: float | None = None,
) -> Pool:
    """Open a pool and wait until its first connections work, so a bad DATABASE_URL fails at startup.

    `checkout_seconds` bounds the later wait for a connection (default: `wait_seconds`): the API keeps it
    short, so a database outage answers 503 in seconds instead of holding the request."""
    pool: Pool = AsyncConnectionPool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        kwargs={"application_name": application_name},
        # Checking on checkout costs a round trip but turns a restarted server into a reconnect,
        # not a failed activity.
        check=AsyncConnectionPool.check_connection,
        timeout=checkout_seconds or wait_seconds,
        open=False,
    )
    await pool.open(wait=True, timeout=wait_seconds)
    return pool
