"""Blue/green rebuild of every read model (`cases`, `applications`, `start_guarantee_facts`) in one pass.

The events are read once, stream by stream in (stream, version) order, each opened once; each complete stream
is folded once into each read model it feeds (case streams into `cases` and the start-guarantee facts,
application streams into `applications`) and each row sealed and written once. New tables are filled that way
up to a head every earlier transaction has finished with (so nothing below it can still commit), while appends
go on; the swap transaction then takes `LOCK TABLE events IN EXCLUSIVE MODE`, folds again from scratch every
stream appended to meanwhile, and replaces the three tables in one step. Readers see the old tables until the
commit and the new ones after it, never half-built ones. Nothing else happens during a rebuild: no
notifications, no messages.

Run as `python -m activities.store.rebuild rebuild` (reads DATABASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, sql

from activities.platform.db import Pool, open_pool
from activities.sealing.personal_data import CitizenKeys
from activities.store.blue_green import RebuildResult, RebuiltTable, swap_in
from activities.store.eventstore import FINAL_HEAD
from activities.store.read_models.applications import APPLICATIONS, APPLICATIONS_TABLE
from activities.store.read_models.cases import CASES, CASES_TABLE
from activities.store.read_models.guarantee_facts import FACTS_TABLE, insert_history
from activities.store.read_models.guarantee_facts_rebuild import case_history
from activities.store.stored_events import (
    AnyStoredEvent,
    StoredApplicationEvent,
    StoredEvent,
)
from activities.store.stream_reads import complete_streams

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 5.0


# The models rebuilt, with the column each table's primary key is on (folded together in `_fold`).
CASES_MODEL = RebuiltTable(CASES_TABLE, "case_id")
APPLICATIONS_MODEL = RebuiltTable(APPLICATIONS_TABLE, "application_id")
FACTS_MODEL = RebuiltTable(FACTS_TABLE, "fact_id")
MODELS = (CASES_MODEL, APPLICATIONS_MODEL, FACTS_MODEL)
REBUILD_TABLE = CASES_MODEL.rebuild_table


@dataclass(frozen=True)
class RebuildResults:
    cases: RebuildResult
    applications: RebuildResult
    facts: RebuildResult  # `cases` counts fact versions here


def _citizen(stream: list[AnyStoredEvent]) -> str | None:
    """The CPR the stream's folded state is sealed for (its latest plan's or application's citizen), if any."""
    for stored in reversed(stream):
        event: Any = stored.event
        if isinstance(stored, StoredEvent) and hasattr(event, "plan"):
            return str(event.plan.patient.cpr)
        if isinstance(stored, StoredApplicationEvent) and hasattr(event, "application"):
            return str(event.application.citizen.cpr)
    return None


async def _fold(conn: AsyncConnection[Any], streams: list[list[AnyStoredEvent]]) -> int:
    """Fold complete streams into the rebuild tables (each from its initial state: nothing is reloaded)."""
    cases = [stored for stream in streams for stored in stream if isinstance(stored, StoredEvent)]
    applications = [stored for stream in streams for stored in stream if isinstance(stored, StoredApplicationEvent)]
    keys = CitizenKeys(conn)  # one per batch: every citizen's key held for sealing in one statement
    await keys.hold_for_cprs([cpr for stream in streams if (cpr := _citizen(stream)) is not None])
    await keys.of_streams([stream[0].case_id for stream in streams])  # their links exist: not inserted again
    await CASES.project(conn, cases, CASES_MODEL.rebuild_table, loaded={}, keys=keys)
    await APPLICATIONS.project(conn, applications, APPLICATIONS_MODEL.rebuild_table, loaded={}, keys=keys)
    history = [
        version
        for stream in streams
        if isinstance(stream[0], StoredEvent)
        for version in case_history([stored for stored in stream if isinstance(stored, StoredEvent)])
    ]
    await insert_history(conn, history, FACTS_MODEL.rebuild_table)
    return sum(len(stream) for stream in streams)


async def _fill(conn: AsyncConnection[Any], batch_size: int, **bounds: Any) -> int:
    """Fold every stream within `bounds` (see `complete_streams`), a batch per transaction (a savepoint inside the
    swap's); returns the events folded. Logs its progress every PROGRESS_SECONDS, for the operator's terminal."""
    folded, reported = 0, time.monotonic()
    batches = complete_streams(conn, batch_size, **bounds)
    while True:
        async with conn.transaction(), conn.pipeline():
            streams = await anext(batches, None)
            if streams is None:
                return folded
            folded += await _fold(conn, streams)
        if time.monotonic() - reported >= PROGRESS_SECONDS:
            logger.info("read-model rebuild: %d event(s) folded", folded)
            reported = time.monotonic()


async def _create_tables(conn: AsyncConnection[Any]) -> None:
    # A failed rebuild leaves its tables behind; the next rebuild starts by dropping them. No secondary
    # indexes while filling: they are created once, at the swap.
    for model in MODELS:
        await conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(model.rebuild_table)))
        await conn.execute(
            sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING DEFAULTS INCLUDING CONSTRAINTS, PRIMARY KEY ({}))").format(
                sql.Identifier(model.rebuild_table), sql.Identifier(model.table), sql.Identifier(model.key)
            )
        )


async def _count(conn: AsyncConnection[Any], table: str) -> int:
    cursor = await conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
    row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def rebuild_read_models(pool: Pool, *, batch_size: int = 2000, lock_timeout: str = "30s") -> RebuildResults:
    """Rebuild `cases`, `applications` and `start_guarantee_facts` in one pass over the events and swap them in.
    Appends wait only during the swap."""
    async with pool.connection() as conn:
        async with conn.transaction():
            await _create_tables(conn)
            # Every event at or below this head is final: its transaction and every earlier one have finished.
            cursor = await conn.execute(FINAL_HEAD)
            row = await cursor.fetchone()
            head = int(row[0]) if row else 0
        folded = await _fill(conn, batch_size, up_to=head)
        logger.info("read-model rebuild filled up to position %d (%d event(s)); swapping", head, folded)
        async with conn.transaction():
            await conn.execute("SELECT set_config('lock_timeout', %s, true)", (lock_timeout,))
            # Nothing appends from here to the commit: the streams appended to since the head are folded anew.
            await conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            cursor = await conn.execute(
                "SELECT DISTINCT case_id FROM events"
                " WHERE global_position > %s AND stream_type IN ('case', 'application')",
                (head,),
            )
            late = [str(found[0]) for found in await cursor.fetchall()]
            if late:
                for model in MODELS:
                    key = "case_id" if model is FACTS_MODEL else model.key
                    await conn.execute(
                        sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)").format(
                            sql.Identifier(model.rebuild_table), sql.Identifier(key)
                        ),
                        (late,),
                    )
                await _fill(conn, batch_size, stream_ids=late)
            for model in MODELS:
                await swap_in(conn, model)
            cursor = await conn.execute("SELECT coalesce(max(global_position), 0) FROM events")
            row = await cursor.fetchone()
            position = int(row[0]) if row else 0
            counts = [await _count(conn, model.table) for model in MODELS]
    results = RebuildResults(*(RebuildResult(cases=count, position=position) for count in counts))
    logger.info(
        "read models rebuilt up to position %d: %d case(s), %d application(s), %d fact version(s)",
        position,
        *counts,
    )
    return results


async def rebuild_cases_projection(pool: Pool, *, batch_size: int = 2000, lock_timeout: str = "30s") -> RebuildResult:
    """`rebuild_read_models` (all of them: one pass serves every model), answering for `cases`."""
    return (await rebuild_read_models(pool, batch_size=batch_size, lock_timeout=lock_timeout)).cases


async def rebuild_applications_projection(
    pool: Pool, *, batch_size: int = 2000, lock_timeout: str = "30s"
) -> RebuildResult:
    """`rebuild_read_models`, answering for `applications`."""
    return (await rebuild_read_models(pool, batch_size=batch_size, lock_timeout=lock_timeout)).applications


async def rebuild_guarantee_facts(pool: Pool, *, batch_size: int = 2000, lock_timeout: str = "30s") -> RebuildResult:
    """`rebuild_read_models`, answering for `start_guarantee_facts` (fact versions counted)."""
    return (await rebuild_read_models(pool, batch_size=batch_size, lock_timeout=lock_timeout)).facts


async def _main_async(conninfo: str) -> None:
    pool = await open_pool(conninfo, max_size=2)
    try:
        await rebuild_read_models(pool)
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m activities.store.rebuild")
    parser.add_argument(
        "command",
        choices=["rebuild"],
        help="rebuild: rebuild the cases, applications and start-guarantee read models (one pass over the events)",
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
