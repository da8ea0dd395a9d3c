"""The cases read model (inline projection and blue/green rebuild), the case list and the registers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import pytest_asyncio
from psycopg.rows import dict_row

from activities.platform.db import Pool, open_pool
from activities.platform.keyset_pages import InvalidCursor
from activities.queries import cases as queries
from activities.sealing.personal_data import open_state
from activities.sealing.personal_fields import CASE_STATE
from activities.store.eventstore import EventStore
from activities.store.read_models.cases import case_row
from activities.store.rebuild import rebuild_cases_projection
from tests.support.factories import lifecycle_batches, make_append, make_plan, new_case_id, plan_received
from tests.support.store_helpers import append_all
from workflows.domain.events import CaseEvent, ContactDeadlineMissed, PlanDelivered
from workflows.domain.model import DISCHARGE_RECIPIENTS, CaseStatus, DeadlineKind, ProviderKind
from workflows.domain.state import CaseState, fold

# Every case's row must end exactly where its stream ends: no row ahead of, behind or without its events.
_ROWS_OUT_OF_STEP = """
SELECT coalesce(c.case_id, e.case_id) FROM cases c
FULL JOIN (
    SELECT case_id, max(case_version) AS version, max(global_position) AS position FROM events
    WHERE stream_type = 'case' GROUP BY case_id
) e ON e.case_id = c.case_id
WHERE c.version IS DISTINCT FROM e.version OR c.last_global_position IS DISTINCT FROM e.position
"""


@pytest_asyncio.fixture(loop_scope="session")
async def empty_pool(fresh_database_url: str) -> AsyncIterator[Pool]:
    opened = await open_pool(fresh_database_url, max_size=3)
    try:
        yield opened
    finally:
        await opened.close()


async def all_rows(pool: Pool) -> list[dict[str, Any]]:
    """Every case row, its state opened (sealed values differ on every write: a fresh nonce each time)."""
    async with pool.connection() as conn:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute("SELECT * FROM cases ORDER BY case_id")
            found = await cursor.fetchall()
        for row in found:
            await open_state(conn, row["state"], CASE_STATE)
        return found


async def rows_out_of_step(pool: Pool) -> list[str]:
    async with pool.connection() as conn:
        cursor = await conn.execute(_ROWS_OUT_OF_STEP)
        return [row[0] for row in await cursor.fetchall()]


@pytest.mark.parametrize("steps", [1, 4, 8])  # received, distributed, training started
async def test_case_row_is_the_fold_of_its_stream(pool: Pool, steps: int) -> None:
    case_id = new_case_id()
    await append_all(EventStore(pool), case_id, lifecycle_batches(case_id)[:steps])

    stream = await queries.case_timeline(pool, case_id)
    folded = fold(CaseState(case_id=case_id), [stored.event for stored in stream])
    row = await queries.get_case(pool, case_id)

    assert row is not None
    assert CaseState.model_validate(row["state"]) == folded
    expected = case_row(folded, stream[-1].global_position)
    del expected["state"]
    assert {column: row[column] for column in expected} == expected


async def test_a_missed_deadline_marks_the_case_overdue(pool: Pool) -> None:
    store, case_id = EventStore(pool), new_case_id()
    await append_all(store, case_id, lifecycle_batches(case_id)[:4])
    row = await queries.get_case(pool, case_id)
    assert row is not None and not row["overdue"] and row["next_deadline_kind"] == DeadlineKind.START_GUARANTEE
    state = CaseState.model_validate(row["state"])
    assert state.contact_due_on is not None

    missed = ContactDeadlineMissed(occurred_at=datetime(2026, 11, 25, tzinfo=UTC), due_on=state.contact_due_on)
    await store.append(make_append(case_id, [missed], state.version))

    row = await queries.get_case(pool, case_id)
    assert row is not None and row["overdue"] and row["version"] == state.version + 1


async def test_rebuild_reproduces_every_row_and_keeps_the_indexes(pool: Pool) -> None:
    for _ in range(3):
        case_id = new_case_id()
        await append_all(EventStore(pool), case_id, lifecycle_batches(case_id))
    indexes = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases' ORDER BY indexname"
    async with pool.connection() as conn:
        indexes_before = await (await conn.execute(indexes)).fetchall()
    before = await all_rows(pool)

    result = await rebuild_cases_projection(pool, batch_size=7)

    assert await all_rows(pool) == before
    assert result.cases == len(before)
    async with pool.connection() as conn:
        assert await (await conn.execute(indexes)).fetchall() == indexes_before
    assert "cases_pkey" in {name for name, _ in indexes_before}


async def test_rebuild_while_cases_are_appended_loses_nothing(pool: Pool) -> None:
    store = EventStore(pool)

    async def write(case_id: str) -> None:
        for version, batch in enumerate(lifecycle_batches(case_id)):
            await store.append(make_append(case_id, batch, version))
            await asyncio.sleep(0.001)

    await asyncio.gather(rebuild_cases_projection(pool, batch_size=3), *(write(new_case_id()) for _ in range(4)))

    assert await rows_out_of_step(pool) == []


async def _add_case(store: EventStore, municipality: str, received_at: datetime, distributed: bool = False) -> str:
    case_id = new_case_id()
    events: list[CaseEvent] = [plan_received(make_plan(home_municipality_code=municipality), now=received_at)]
    if distributed:
        events += [
            PlanDelivered(occurred_at=received_at, recipient=r, message_id=str(uuid.uuid4()))
            for r in DISCHARGE_RECIPIENTS
        ]
    await store.append(make_append(case_id, events, 0))
    return case_id


async def test_list_cases_filters_and_pages_newest_first(empty_pool: Pool) -> None:
    store, base = EventStore(empty_pool), datetime(2026, 11, 17, 8, tzinfo=UTC)
    in_101 = [await _add_case(store, "101", base + timedelta(hours=hour), hour % 2 == 0) for hour in range(6)]
    # The same instant as a 101 case, so the page boundary must fall back on the case id.
    in_147 = [await _add_case(store, "147", base + timedelta(hours=hour)) for hour in (1, 7, 8)]
    rows = await all_rows(empty_pool)
    newest_first = [r["case_id"] for r in sorted(rows, key=lambda r: (r["received_at"], r["case_id"]), reverse=True)]

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page, cursor = await queries.list_cases(empty_pool, limit=4, cursor=cursor)
        pages.append([row["case_id"] for row in page])
        if cursor is None:
            break
    assert [len(page) for page in pages] == [4, 4, 1]
    assert [case_id for page in pages for case_id in page] == newest_first

    by_147, _ = await queries.list_cases(empty_pool, municipality="147")
    assert {row["case_id"] for row in by_147} == set(in_147)
    distributed, _ = await queries.list_cases(empty_pool, municipality="101", status=CaseStatus.DISTRIBUTED.value)
    assert [row["case_id"] for row in distributed] == [in_101[4], in_101[2], in_101[0]]
    assert "state" not in distributed[0]  # the list carries no plan, so no CPR


async def test_list_cases_by_overdue_and_bad_input(empty_pool: Pool) -> None:
    store = EventStore(empty_pool)
    late = await _add_case(store, "101", datetime(2026, 11, 17, 8, tzinfo=UTC), distributed=True)
    await _add_case(store, "101", datetime(2026, 11, 18, 8, tzinfo=UTC))
    missed = ContactDeadlineMissed(occurred_at=datetime(2026, 11, 25, tzinfo=UTC), due_on=datetime(2026, 11, 24).date())
    await store.append(make_append(late, [missed], 4))

    overdue, _ = await queries.list_cases(empty_pool, overdue=True)
    on_time, _ = await queries.list_cases(empty_pool, overdue=False)
    assert [row["case_id"] for row in overdue] == [late] and len(on_time) == 1
    with pytest.raises(InvalidCursor):
        await queries.list_cases(empty_pool, cursor="bm90IGEgY3Vyc29y")
    with pytest.raises(ValueError):
        await queries.list_cases(empty_pool, limit=0)


async def test_municipality_and_provider_registers(empty_pool: Pool) -> None:
    await queries.upsert_municipality(empty_pool, "101", "København", 5)
    updated = await queries.upsert_municipality(empty_pool, "101", "Københavns Kommune", 4)
    assert await queries.get_municipality(empty_pool, "101") == updated
    assert updated["contact_working_days"] == 4 and await queries.get_municipality(empty_pool, "999") is None
    with pytest.raises(psycopg.errors.CheckViolation):
        await queries.upsert_municipality(empty_pool, "101", "København", 0)

    added = await queries.add_provider(empty_pool, "kbh-nord", "101", "Sundhedshus Nord", ProviderKind.OWN)
    assert await queries.add_provider(empty_pool, "kbh-nord", "101", "Sundhedshus Nord", ProviderKind.OWN) == added
    with pytest.raises(queries.ProviderConflict):
        await queries.add_provider(empty_pool, "kbh-nord", "101", "Andet navn", ProviderKind.OWN)
    await queries.add_provider(empty_pool, "fys-x", "101", "Fysioterapi X", ProviderKind.CONTRACTED)
    assert await queries.get_provider(empty_pool, "kbh-nord") == added

    await queries.set_provider_active(empty_pool, "fys-x", False)
    assert [p["provider_id"] for p in await queries.list_providers(empty_pool, "101")] == ["kbh-nord"]
    every = await queries.list_providers(empty_pool, "101", include_inactive=True)
    assert [p["provider_id"] for p in every] == ["fys-x", "kbh-nord"]
