"""Blue/green rebuild of the read models (`cases`, `applications`) from the event store.

The new table is filled from position 0 while appends go on; the swap transaction then takes the same
events lock the appends take, folds whatever was appended meanwhile, and replaces the table in one step.
Readers see the old table until the commit and the new one after it, never a half-built one. Each read
model folds only its own kind of stream: case streams into `cases`, application streams into `applications`.

Run as `python -m activities.store.rebuild rebuild` (reads DATABASE_URL; rebuilds both, and the start-guarantee
facts of `activities.store.read_models.guarantee_facts_rebuild`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, sql

from activities.platform.db import Pool, open_pool
from activities.store.blue_green import RebuildResult, RebuiltTable, swap_in
from activities.store.eventstore import read_all_on
from activities.store.read_models.applications import APPLICATIONS_TABLE, project_applications
from activities.store.read_models.cases import CASES_TABLE, project_cases
from activities.store.read_models.guarantee_facts_rebuild import rebuild_guarantee_facts
from activities.store.stored_events import AnyStoredEvent, StoredApplicationEvent, StoredEvent

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 5.0


async def _fold_cases(conn: AsyncConnection[Any], batch: Sequence[AnyStoredEvent], table: str) -> None:
    await project_cases(conn, [stored for stored in batch if isinstance(stored, StoredEvent)], table)


async def _fold_applications(conn: AsyncConnection[Any], batch: Sequence[AnyStoredEvent], table: str) -> None:
    await project_applications(conn, [stored for stored in batch if isinstance(stored, StoredApplicationEvent)], table)


CASES = RebuiltTable(CASES_TABLE, "case_id", _fold_cases)
APPLICATIONS = RebuiltTable(APPLICATIONS_TABLE, "application_id", _fold_applications)
REBUILD_TABLE = CASES.rebuild_table


async def _fold_from(
    conn: AsyncConnection[Any], model: RebuiltTable, position: int, batch_size: int, *, locked: bool = False
) -> int:
    """Fold every event of the model's kind after `position` into its rebuild table; returns the last
    position read. Logs its progress (events folded) every PROGRESS_SECONDS, for the operator's terminal."""
    folded, reported = 0, time.monotonic()
    while True:
        # Each batch is its own transaction (a savepoint inside the swap), so the fill holds no long one.
        async with conn.transaction():
            batch = await read_all_on(conn, position, batch_size, appends_locked_out=locked)
            if not batch:
                return position
            await model.fold(conn, batch, model.rebuild_table)
        position, folded = batch[-1].global_position, folded + len(batch)
        if time.monotonic() - reported >= PROGRESS_SECONDS:
            logger.info("%s rebuild: %d event(s) read, up to position %d", model.table, folded, position)
            reported = time.monotonic()


async def _rebuild(pool: Pool, model: RebuiltTable, batch_size: int, lock_timeout: str) -> RebuildResult:
    async with pool.connection() as conn:
        # A failed rebuild leaves its table behind; the next rebuild starts by dropping it.
        async with conn.transaction():
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(model.rebuild_table)))
            # No secondary indexes while filling: they are created once, at the swap.
            await conn.execute(
                sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY ({}))").format(
                    sql.Identifier(model.rebuild_table), sql.Identifier(model.table), sql.Identifier(model.key)
                )
            )
        position = await _fold_from(conn, model, 0, batch_size)
        logger.info("%s rebuild filled up to position %d; swapping", model.table, position)
        async with conn.transaction():
            await conn.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout,))
            # The appends' lock: nothing commits between the catch-up and the swap.
            await conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            position = await _fold_from(conn, model, position, batch_size, locked=True)
            await swap_in(conn, model)
            cursor = await conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(model.table)))
            row = await cursor.fetchone()
    result = RebuildResult(cases=int(row[0]) if row else 0, position=position)
    logger.info("%s read model rebuilt: %d row(s) up to position %d", model.table, result.cases, result.position)
    return result


async def rebuild_cases_projection(pool: Pool, *, batch_size: int = 1000, lock_timeout: str = "30s") -> RebuildResult:
    """Rebuild `cases` from every case stream and swap it in. Appends wait only during the swap."""
    return await _rebuild(pool, CASES, batch_size, lock_timeout)


async def rebuild_applications_projection(
    pool: Pool, *, batch_size: int = 1000, lock_timeout: str = "30s"
) -> RebuildResult:
    """Rebuild `applications` from every application stream and swap it in."""
    return await _rebuild(pool, APPLICATIONS, batch_size, lock_timeout)


async def _main_async(conninfo: str) -> None:
    pool = await open_pool(conninfo, max_size=2)
    try:
        await rebuild_cases_projection(pool)
        await rebuild_applications_projection(pool)
        await rebuild_guarantee_facts(pool)
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m activities.store.rebuild")
    parser.add_argument(
        "command",
        choices=["rebuild"],
        help="rebuild: rebuild the cases, applications and start-guarantee read models",
    )
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    conninfo = os.environ.get("DATABASE_URL")
    if not conninfo:
        logger.error("DATABASE_URL is not set")
        return 2
    asyncio.run(_main_async(conninfo))
    return 0


if __name__ == "__main__":
    sys.exit(main())
