"""Small helpers for tests that use the PostgreSQL store directly."""

from __future__ import annotations

from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from tests.support.factories import make_append
from workflows.contracts.store import AppendResult
from workflows.domain.events import CaseEvent


async def append_all(store: EventStore, case_id: str, batches: list[list[CaseEvent]]) -> list[AppendResult]:
    """Append each batch as one append, the way the workflow appends one command's events."""
    results: list[AppendResult] = []
    version = 0
    for batch in batches:
        results.append(await store.append(make_append(case_id, batch, version)))
        version += len(batch)
    return results


async def scalar(pool: Pool, query: str, *params: object) -> object:
    async with pool.connection() as conn:
        cursor = await conn.execute(query.encode(), params or None)
        row = await cursor.fetchone()
    assert row is not None
    return row[0]


async def count_events(pool: Pool, case_id: str) -> int:
    return int(str(await scalar(pool, "SELECT count(*) FROM events WHERE case_id = %s", case_id)))


async def head_position(pool: Pool) -> int:
    return int(str(await scalar(pool, "SELECT coalesce(max(global_position), 0) FROM events")))
