"""Blue/green rebuild of the cases read model from the event store.

The new table is filled from position 0 while appends go on; the swap transaction then takes the same
events lock the appends take, folds whatever was appended meanwhile, and replaces `cases` in one step.
Readers see the old table until the commit and the new one after it, never a half-built one.

Run as `python -m activities.projection rebuild` (reads DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, sql

from activities.db import Pool, open_pool
from activities.eventstore import read_all_on
from activities.read_model import CASES_TABLE, project_cases

logger = logging.getLogger(__name__)

REBUILD_TABLE = "cases_rebuild"
_PRIVILEGES = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"})


@dataclass(frozen=True)
class RebuildResult:
    cases: int
    position: int


async def _fold_from(conn: AsyncConnection[Any], position: int, batch_size: int) -> int:
    """Fold every event after `position` into the rebuild table; returns the last position folded."""
    while True:
        # Each batch is its own transaction (a savepoint inside the swap), so the fill holds no long one.
        async with conn.transaction():
            batch = await read_all_on(conn, position, batch_size)
            if not batch:
                return position
            await project_cases(conn, batch, REBUILD_TABLE)
        position = batch[-1].global_position


async def _swap(conn: AsyncConnection[Any]) -> None:
    """Replace `cases` by the rebuild table, keeping its indexes and grants. Runs inside the caller's
    transaction, after the events lock."""
    await conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(CASES_TABLE)))
    # Indexes and grants are read from the live table rather than restated here, so ones that later
    # migrations add survive a rebuild too.
    cursor = await conn.execute(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass AND NOT indisprimary",
        (CASES_TABLE,),
    )
    index_definitions = [row[0] for row in await cursor.fetchall()]
    cursor = await conn.execute(
        "SELECT privilege_type, grantee FROM information_schema.role_table_grants"
        " WHERE table_schema = current_schema() AND table_name = %s AND grantee <> current_user",
        (CASES_TABLE,),
    )
    grants = [(row[0], row[1]) for row in await cursor.fetchall() if row[0] in _PRIVILEGES]
    await conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(CASES_TABLE)))
    await conn.execute(
        sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(REBUILD_TABLE), sql.Identifier(CASES_TABLE))
    )
    await conn.execute(
        sql.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}").format(
            sql.Identifier(CASES_TABLE),
            sql.Identifier(f"{REBUILD_TABLE}_pkey"),
            sql.Identifier(f"{CASES_TABLE}_pkey"),
        )
    )
    for definition in index_definitions:
        # Catalog text from pg_get_indexdef, not outside input.
        await conn.execute(definition.encode())
    for privilege, grantee in grants:
        target = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
        await conn.execute(
            sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privilege), sql.Identifier(CASES_TABLE), target)
        )


async def rebuild_cases_projection(pool: Pool, *, batch_size: int = 1000, lock_timeout: str = "30s") -> RebuildResult:
    """Rebuild `cases` from every stored event and swap it in. Appends wait only during the swap."""
    async with pool.connection() as conn:
        # A failed rebuild leaves its table behind; the next rebuild starts by dropping it.
        async with conn.transaction():
            await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(REBUILD_TABLE)))
            # No secondary indexes while filling: they are created once, at the swap.
            await conn.execute(
                sql.SQL(
                    "CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY (case_id))"
                ).format(sql.Identifier(REBUILD_TABLE), sql.Identifier(CASES_TABLE))
            )
        position = await _fold_from(conn, 0, batch_size)
        logger.info("rebuild filled up to position %d; swapping", position)
        async with conn.transaction():
            await conn.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout,))
            # The appends' lock: nothing commits between the catch-up and the swap.
            await conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            position = await _fold_from(conn, position, batch_size)
            await _swap(conn)
            cursor = await conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(CASES_TABLE)))
            row = await cursor.fetchone()
    result = RebuildResult(cases=int(row[0]) if row else 0, position=position)
    logger.info("cases read model rebuilt: %d case(s) up to position %d", result.cases, result.position)
    return result


async def _main_async(conninfo: str) -> None:
    pool = await open_pool(conninfo, max_size=2)
    try:
        await rebuild_cases_projection(pool)
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m activities.projection")
    parser.add_argument("command", choices=["rebuild"], help="rebuild: rebuild the cases read model")
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
