"""Readers of the global order under concurrent writers: appends lock only their own stream (migration 0026), so
positions commit out of order, and a reader must still never pass over an event that commits later."""

from __future__ import annotations

import asyncio
import uuid

from activities.platform.db import Pool
from activities.store.eventstore import EventStore, global_order_after
from tests.support.databases import temporary_pool
from tests.support.factories import make_append, new_case_id, plan_received
from tests.support.store_helpers import head_position

WRITERS = 16


async def test_readers_following_the_global_order_miss_nothing_under_16_writers(postgres_server_url: str) -> None:
    async with temporary_pool(postgres_server_url, max_size=WRITERS + 2) as pool:
        store = EventStore(pool)
        appends_each = 8
        seen: list[int] = []
        writing = True

        async def write(case_id: str) -> None:
            for version in range(appends_each):
                await store.append(make_append(case_id, [plan_received()], version))

        async def read() -> None:
            last = 0
            while writing or last < await head_position(pool):
                batch = await store.read_all(last, 10)
                seen.extend(stored.global_position for stored in batch)
                last = batch[-1].global_position if batch else last
                await asyncio.sleep(0)

        reader = asyncio.create_task(read())
        await asyncio.gather(*(write(new_case_id()) for _ in range(WRITERS)))
        writing = False
        await reader

        committed = [stored.global_position for stored in await store.read_all(0, 1_000_000)]
        assert len(committed) == WRITERS * appends_each
        assert seen == committed  # nothing skipped, nothing twice, strictly increasing


async def _slow_append(pool: Pool, started: asyncio.Event, release: asyncio.Event) -> int:
    """An append that draws its position, inserts, then waits before it commits (as a slow writer would)."""
    async with pool.connection() as conn, conn.transaction():
        cursor = await conn.execute("SELECT events_allocate_positions(1)")
        row = await cursor.fetchone()
        assert row is not None
        position = int(row[0][0])
        await conn.execute(
            "INSERT INTO events (global_position, event_id, case_id, case_version, event_type, payload, metadata,"
            " occurred_at) OVERRIDING SYSTEM VALUE"
            " VALUES (%s, %s, %s, 1, 'PlanReceived', '{\"type\": \"PlanReceived\"}', '{}', now())",
            (position, uuid.uuid4(), new_case_id()),
        )
        started.set()
        await release.wait()
    return position


async def _positions_after(pool: Pool, after: int) -> list[int]:
    """What a reader of the global order is given (the condition `read_all` reads with)."""
    async with pool.connection() as conn:
        query = "SELECT global_position FROM events" + global_order_after()
        cursor = await conn.execute(query.encode(), (after, 100))
        return [int(row[0]) for row in await cursor.fetchall()]


async def test_a_reader_waits_for_a_lower_position_that_commits_after_a_higher_one(postgres_server_url: str) -> None:
    # A database of its own: the slow append's bare row is no event the other tests' rebuilds could read.
    async with temporary_pool(postgres_server_url, max_size=4) as pool:
        store = EventStore(pool)
        after = await head_position(pool)
        started, release = asyncio.Event(), asyncio.Event()
        slow = asyncio.create_task(_slow_append(pool, started, release))
        await started.wait()

        later = await store.append(make_append(new_case_id(), [plan_received()], 0))  # commits first, higher position
        held_back = await _positions_after(pool, after)
        release.set()
        lower = await slow
        released = await _positions_after(pool, after)

    assert lower < later.last_global_position
    assert held_back == []  # not 'later' alone: that would skip 'lower' for good
    assert released == [lower, later.last_global_position]


async def test_positions_are_drawn_with_the_transaction_id_and_release_their_lock(pool: Pool) -> None:
    async with pool.connection() as conn, conn.transaction():
        cursor = await conn.execute(
            "SELECT events_allocate_positions(3), pg_current_xact_id_if_assigned() IS NOT NULL,"
            " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())"
        )
        row = await cursor.fetchone()
    assert row is not None
    positions, has_transaction_id, advisory_locks = row
    assert len(positions) == 3 and positions == sorted(positions)
    assert has_transaction_id and advisory_locks == 0
