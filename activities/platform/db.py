"""Connection pools for the event store, the read models and the registers.

psycopg_pool's pool, with two policies changed so that the service is back within a second or so of
PostgreSQL returning after an outage or a restart:

- Reconnecting: the stock pool retries a lost connection after 1, 2, 4, 8... s (up to `reconnect_timeout`),
  so after a few seconds of outage the next attempt could be 8 s or more after the server was back. Here the
  pause between two attempts is at most RECONNECT_PAUSE_SECONDS (each pool slot makes at most one attempt a
  second while the server is away; a refused connection costs the server nothing).
- Checking on checkout: a request that draws a dead connection (the server restarted under the idle ones)
  does not wait the stock 1, 2, 4 s before it draws the next; the dead one is replaced at once and the other
  idle connections are tested right away, so the request takes the first good connection.
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import TypeAlias

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool
from psycopg_pool.pool_async import AddConnection, MaintenanceTask

Pool: TypeAlias = AsyncConnectionPool[AsyncConnection[TupleRow]]

RECONNECT_PAUSE_SECONDS = 1.0
logger = logging.getLogger("genoptraening.db")


class ReconnectingPool(AsyncConnectionPool[AsyncConnection[TupleRow]]):
    """An AsyncConnectionPool that comes back at once when the server does (see the module's docstring).
    Open it without `check=`: `getconn` checks each connection itself."""

    async def schedule_task(self, task: MaintenanceTask, delay: float) -> None:
        if isinstance(task, AddConnection):  # a reconnect attempt after a failed one; other tasks keep their delay
            delay = min(delay, RECONNECT_PAUSE_SECONDS)
        await super().schedule_task(task, delay)

    async def getconn(self, timeout: float | None = None) -> AsyncConnection[TupleRow]:  # noqa: ASYNC109 (overrides)
        deadline = monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            conn = await super().getconn(deadline - monotonic())  # PoolTimeout once the deadline has passed
            try:
                # A round trip per checkout turns a restarted server into a reconnect, not a failed request.
                await self.check_connection(conn)
            except Exception as error:
                logger.info("dropping a dead pooled connection (%s); testing the idle ones", type(error).__name__)
                await conn.close()  # so the pool discards it, even if the check only timed out
                await self.putconn(conn)  # and opens a replacement at once
                await self.check()  # its idle siblings most likely died with it: replace them now, not one by one
                continue
            return conn


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
    pool = ReconnectingPool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        kwargs={"application_name": application_name},
        timeout=checkout_seconds or wait_seconds,
        open=False,
    )
    await pool.open(wait=True, timeout=wait_seconds)
    return pool
