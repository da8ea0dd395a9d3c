"""The PostgreSQL event store, its activities and its migrations, against a real server."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest
from psycopg import sql
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.platform.db import Pool
from activities.store.activities import StoreActivities
from activities.store.eventstore import NOTIFY_CHANNEL, ConcurrencyConflict, EventStore, InvalidAppend
from activities.store.migrate import apply_migrations, load_migrations
from tests.support.factories import lifecycle_batches, make_append, new_case_id, plan_received
from tests.support.store_helpers import append_all, count_events, head_position
from workflows.contracts.store import AppendResult, PlanDelivery
from workflows.domain.model import Recipient


async def test_appended_events_read_back_in_order(pool: Pool) -> None:
    store, case_id = EventStore(pool), new_case_id()
    batches = lifecycle_batches(case_id)
    results = await append_all(store, case_id, batches)
    events = [event for batch in batches for event in batch]

    stream = await store.read_stream(case_id)

    assert [stored.event for stored in stream] == events
    assert [stored.case_version for stored in stream] == list(range(1, len(events) + 1))
    positions = [stored.global_position for stored in stream]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert results[-1] == AppendResult(case_version=len(events), last_global_position=positions[-1])
    assert all(stored.event_type == stored.event.type and stored.schema_version == 1 for stored in stream)
    assert stream[0].metadata.workflow_id == case_id
    assert stream[0].payload["plan"]["patient"]["cpr"] == "2509479989"


async def test_a_stream_read_by_event_type_holds_only_those_events_in_order(pool: Pool) -> None:
    store, case_id = EventStore(pool), new_case_id()
    await append_all(store, case_id, lifecycle_batches(case_id))
    stream = await store.read_stream(case_id)
    wanted = {"PlanReceived", "CitizenContacted"}

    chosen = await store.read_stream_events_of(case_id, sorted(wanted))

    assert [stored.case_version for stored in chosen] == [s.case_version for s in stream if s.event_type in wanted]
    assert {stored.event_type for stored in chosen} == wanted
    assert await store.read_stream_events_of(case_id, ["NoteAdded"]) == []


async def test_wrong_expected_version_conflicts_and_writes_nothing(pool: Pool) -> None:
    store, case_id = EventStore(pool), new_case_id()
    first, *rest = lifecycle_batches(case_id)
    await store.append(make_append(case_id, first, 0))

    for wrong in (0, 2):
        with pytest.raises(ConcurrencyConflict) as conflict:
            await store.append(make_append(case_id, rest[0], wrong))
        assert conflict.value.actual_version == 1

    assert await count_events(pool, case_id) == 1
    assert (await store.append(make_append(case_id, rest[0], 1))).case_version == 1 + len(rest[0])


async def test_retried_append_stores_once_and_returns_the_same_result(pool: Pool) -> None:
    store, case_id = EventStore(pool), new_case_id()
    first, second, *_ = lifecycle_batches(case_id)
    await store.append(make_append(case_id, first, 0))
    request = make_append(case_id, second, 1)

    results = [await store.append(request), await store.append(request)]

    assert results[0] == results[1]
    assert await count_events(pool, case_id) == 1 + len(second)
    # The retry still answers after the case moved on, as a worker crash before completion would see.
    later = await store.append(make_append(case_id, [plan_received()], 1 + len(second)))
    assert await store.append(request) == results[0]
    assert later.case_version == 2 + len(second)


async def test_event_ids_reused_for_other_events_are_rejected(pool: Pool) -> None:
    store, case_id = EventStore(pool), new_case_id()
    first = make_append(case_id, [plan_received()], 0)
    await store.append(first)
    with pytest.raises(InvalidAppend):
        await store.append(make_append(case_id, [plan_received()], 1, event_ids=first.event_ids))
    with pytest.raises(InvalidAppend):
        await store.append(make_append(case_id, [plan_received()], 1, event_ids=["not-a-uuid"]))


async def test_empty_append_returns_the_current_version(pool: Pool) -> None:
    store, case_id = EventStore(pool), new_case_id()
    assert await store.append(make_append(case_id, [], 0)) == AppendResult(case_version=0, last_global_position=0)
    written = await store.append(make_append(case_id, [plan_received()], 0))
    assert await store.append(make_append(case_id, [], 1)) == written


async def test_concurrent_appends_never_hide_an_event_from_a_polling_reader(pool: Pool) -> None:
    store = EventStore(pool)
    after = await head_position(pool)
    writers, appends_each = 6, 12
    seen: list[int] = []
    polls = 0
    writing = True

    async def write(case_id: str) -> None:
        for version in range(appends_each):
            await store.append(make_append(case_id, [plan_received()], version))

    async def leave_a_hole() -> None:
        # A rolled-back append burns a position for good; readers must pass over it without waiting.
        async with pool.connection() as conn, conn.transaction(force_rollback=True):
            await conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            await conn.execute(
                "INSERT INTO events (event_id, case_id, case_version, event_type, payload, metadata, occurred_at)"
                " VALUES (%s, 'hole', 1, 'PlanReceived', '{\"type\": \"PlanReceived\"}', '{}', now())",
                (uuid.uuid4(),),
            )
            await asyncio.sleep(0.05)

    async def read() -> None:
        nonlocal polls
        last = after
        while writing or last < await head_position(pool):
            batch = await store.read_all(last, 25)
            polls += 1
            seen.extend(stored.global_position for stored in batch)
            last = batch[-1].global_position if batch else last
            await asyncio.sleep(0)

    reader = asyncio.create_task(read())
    await asyncio.gather(*(write(new_case_id()) for _ in range(writers)), leave_a_hole(), leave_a_hole())
    writing = False
    await reader

    committed = [stored.global_position for stored in await store.read_all(after, 1_000_000)]
    assert len(committed) == writers * appends_each
    assert seen == committed  # nothing skipped, nothing twice, strictly increasing
    assert polls > 3


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET event_type = 'X' WHERE case_id = %s",
        "DELETE FROM events WHERE case_id = %s",
        "TRUNCATE events",
    ],
)
async def test_the_database_refuses_to_change_events(pool: Pool, statement: str) -> None:
    case_id = new_case_id()
    await EventStore(pool).append(make_append(case_id, [plan_received()], 0))
    async with pool.connection() as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            await conn.execute(statement.encode(), (case_id,) if "%s" in statement else None)
    assert await count_events(pool, case_id) == 1


async def test_append_notifies_listeners_with_the_last_position(pool: Pool, database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as listener:
        await listener.execute(sql.SQL("LISTEN {}").format(sql.Identifier(NOTIFY_CHANNEL)))
        result = await EventStore(pool).append(make_append(new_case_id(), [plan_received()], 0))
        payloads = [note.payload async for note in listener.notifies(timeout=5, stop_after=1)]
    assert payloads == [str(result.last_global_position)]


async def test_append_activity_reports_a_conflict_as_non_retryable(pool: Pool) -> None:
    activities, case_id = StoreActivities(pool), new_case_id()
    env = ActivityEnvironment()
    await env.run(activities.append_case_events, make_append(case_id, [plan_received()], 0))
    with pytest.raises(ApplicationError) as failure:
        await env.run(activities.append_case_events, make_append(case_id, [plan_received()], 0))
    assert failure.value.type == "ConcurrencyConflict" and failure.value.non_retryable


async def test_delivering_twice_queues_one_message(pool: Pool) -> None:
    activities, case_id = StoreActivities(pool), new_case_id()
    delivery = PlanDelivery(case_id=case_id, recipient=Recipient.GP, plan_id="GOP-1", address="227871000016001")
    env = ActivityEnvironment()

    receipts = [await env.run(activities.deliver_plan, delivery) for _ in range(2)]
    receipts += await asyncio.gather(*(activities.deliver_plan(delivery) for _ in range(4)))

    assert len({receipt.message_id for receipt in receipts}) == 1
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT message_id::text FROM outbox WHERE case_id = %s", (case_id,))
        assert await cursor.fetchall() == [(receipts[0].message_id,)]

    # A replacing plan is another document: it is queued anew for the same recipient.
    replacing = delivery.model_copy(update={"plan_id": "GOP-2"})
    assert (await activities.deliver_plan(replacing)).message_id != receipts[0].message_id


async def test_migrations_apply_once_even_when_started_together(fresh_database_url: str, database_url: str) -> None:
    names = [migration.name for migration in load_migrations()]
    assert await apply_migrations(database_url) == []
    async with await psycopg.AsyncConnection.connect(fresh_database_url, autocommit=True) as conn:
        # The fixture migrated it: start over from an empty schema to race two fresh runs.
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    first, second = await asyncio.gather(apply_migrations(fresh_database_url), apply_migrations(fresh_database_url))
    assert sorted(first + second) == names
    assert await apply_migrations(fresh_database_url) == []
