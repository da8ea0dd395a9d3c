"""The PostgreSQL event store: appends with optimistic concurrency, reads by case and in global order.

Every append runs in one short transaction that holds `LOCK TABLE events IN EXCLUSIVE MODE`. That
serialises writers (readers are not blocked), so global positions become visible in commit order: a
reader that remembers the last position it saw can never miss an event committed later with a lower
position. The only holes a reader meets are rolled-back appends, and those never fill.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict

from activities.contracts import AppendCaseEvents, AppendResult, EventMetadata
from activities.db import Pool
from activities.read_model import project_cases
from workflows.domain.events import CaseEvent, event_from_json

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "case_events"

_SELECT = """
SELECT global_position, event_id::text AS event_id, case_id, case_version, event_type, schema_version,
       payload, metadata, occurred_at, recorded_at
FROM events
"""

_INSERT = """
INSERT INTO events (event_id, case_id, case_version, event_type, payload, metadata, occurred_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)
RETURNING global_position, recorded_at
"""


class ConcurrencyConflict(Exception):
    """The case moved on since the caller read it: `expected_version` is not the stream's version."""

    def __init__(self, case_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(f"case {case_id} is at version {actual_version}, not {expected_version}")
        self.case_id = case_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class InvalidAppend(ValueError):
    """The request cannot be stored: malformed or duplicate event ids, or ids reused for other events."""


class StoredEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    global_position: int
    event_id: str
    case_id: str
    case_version: int
    event_type: str
    schema_version: int
    event: CaseEvent
    metadata: EventMetadata
    occurred_at: datetime
    recorded_at: datetime

    @property
    def payload(self) -> dict[str, Any]:
        return self.event.model_dump(mode="json")


def _stored(row: dict[str, Any]) -> StoredEvent:
    # Every stored body is schema_version 1 so far; an upcaster keyed by (event_type, schema_version)
    # belongs here once an event's shape changes incompatibly.
    return StoredEvent(
        global_position=row["global_position"],
        event_id=row["event_id"],
        case_id=row["case_id"],
        case_version=row["case_version"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        event=event_from_json(row["payload"]),
        metadata=EventMetadata.model_validate(row["metadata"]),
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
    )


def _event_uuids(request: AppendCaseEvents) -> list[uuid.UUID]:
    if len(request.event_ids) != len(request.events):
        raise InvalidAppend(f"{len(request.event_ids)} event ids for {len(request.events)} events")
    try:
        ids = [uuid.UUID(event_id) for event_id in request.event_ids]
    except ValueError as exc:
        raise InvalidAppend("event ids must be UUIDs") from exc
    if len(set(ids)) != len(ids):
        raise InvalidAppend("event ids repeat within one append")
    return ids


class EventStore:
    def __init__(self, pool: Pool, *, lock_timeout: str = "5s") -> None:
        self._pool = pool
        # A writer stuck behind the table lock this long fails and is retried by Temporal, rather than
        # piling up connections behind one slow transaction.
        self._lock_timeout = lock_timeout

    async def append(self, request: AppendCaseEvents) -> AppendResult:
        """Append the request's events at versions expected_version+1.. and update the case's row.

        A retry of an append that already committed (same event ids) returns the stored result and
        writes nothing. An empty request writes nothing and returns the case's current version.
        """
        ids = _event_uuids(request)
        if not ids:
            return await self._current(request.case_id)
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT set_config('lock_timeout', %s, true)", (self._lock_timeout,))
            await conn.execute("LOCK TABLE events IN EXCLUSIVE MODE")
            earlier = await self._earlier_result(conn, request, ids)
            if earlier is not None:
                logger.info("append to case %s was already stored; returning its result", request.case_id)
                return earlier
            cursor = await conn.execute(
                "SELECT coalesce(max(case_version), 0) FROM events WHERE case_id = %s", (request.case_id,)
            )
            row = await cursor.fetchone()
            actual = int(row[0]) if row else 0
            if actual != request.expected_version:
                raise ConcurrencyConflict(request.case_id, request.expected_version, actual)
            stored = await self._insert(conn, request, ids)
            await project_cases(conn, stored)
            last = stored[-1].global_position
            # Delivered at commit; listeners must still poll, as a NOTIFY can be lost.
            await conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, str(last)))
        logger.info(
            "appended %d event(s) to case %s: version %d, position %d",
            len(stored),
            request.case_id,
            stored[-1].case_version,
            last,
        )
        return AppendResult(case_version=stored[-1].case_version, last_global_position=last)

    async def _earlier_result(
        self, conn: AsyncConnection[Any], request: AppendCaseEvents, ids: list[uuid.UUID]
    ) -> AppendResult | None:
        cursor = await conn.execute(
            "SELECT event_id, case_id, case_version, global_position FROM events WHERE event_id = ANY(%s)",
            (ids,),
        )
        found = {row[0]: row[1:] for row in await cursor.fetchall()}
        if not found:
            return None
        expected = [(request.case_id, request.expected_version + offset + 1) for offset in range(len(ids))]
        if [tuple(found[i][:2]) if i in found else None for i in ids] != expected:
            # Same ids, different place in the stream: the caller reuses ids, which would hide events.
            raise InvalidAppend(f"event ids of this append to case {request.case_id} were used for other events")
        return AppendResult(
            case_version=max(int(v[1]) for v in found.values()),
            last_global_position=max(int(v[2]) for v in found.values()),
        )

    async def _insert(
        self, conn: AsyncConnection[Any], request: AppendCaseEvents, ids: list[uuid.UUID]
    ) -> list[StoredEvent]:
        metadata = Jsonb(request.metadata.model_dump(mode="json"))
        params = [
            (
                event_id,
                request.case_id,
                request.expected_version + offset + 1,
                event.type,
                Jsonb(event.model_dump(mode="json")),
                metadata,
                event.occurred_at,
            )
            for offset, (event_id, event) in enumerate(zip(ids, request.events, strict=True))
        ]
        stored: list[StoredEvent] = []
        async with conn.cursor() as cursor:
            # One pipelined statement per event, executed in order, so positions follow versions.
            await cursor.executemany(_INSERT, params, returning=True)
            results = [await result.fetchone() async for result in cursor.results()]
        for (event_id, _, version, event_type, _, _, occurred_at), event, result in zip(
            params, request.events, results, strict=True
        ):
            assert result is not None
            stored.append(
                StoredEvent(
                    global_position=result[0],
                    event_id=str(event_id),
                    case_id=request.case_id,
                    case_version=version,
                    event_type=event_type,
                    schema_version=1,
                    event=event,
                    metadata=request.metadata,
                    occurred_at=occurred_at,
                    recorded_at=result[1],
                )
            )
        return stored

    async def _current(self, case_id: str) -> AppendResult:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT coalesce(max(case_version), 0), coalesce(max(global_position), 0) FROM events"
                " WHERE case_id = %s",
                (case_id,),
            )
            row = await cursor.fetchone()
        assert row is not None
        return AppendResult(case_version=row[0], last_global_position=row[1])

    async def read_stream(self, case_id: str) -> list[StoredEvent]:
        """A case's events in version order."""
        async with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(_SELECT + " WHERE case_id = %s ORDER BY case_version", (case_id,))
            return [_stored(row) for row in await cursor.fetchall()]

    async def read_all(self, after_position: int, limit: int) -> list[StoredEvent]:
        """Up to `limit` events with a position above `after_position`, in global order."""
        async with self._pool.connection() as conn:
            return await read_all_on(conn, after_position, limit)


async def read_all_on(conn: AsyncConnection[Any], after_position: int, limit: int) -> list[StoredEvent]:
    """`EventStore.read_all` on a connection the caller holds (e.g. inside its own transaction)."""
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(
            _SELECT + " WHERE global_position > %s ORDER BY global_position LIMIT %s", (after_position, limit)
        )
        return [_stored(row) for row in await cursor.fetchall()]
