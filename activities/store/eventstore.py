"""The PostgreSQL event store: appends with optimistic concurrency, reads by stream and in global order.

It keeps case streams and application streams (`stream_type`); each append folds its events into its
kind's read model in the same transaction (`cases` or `applications`).

Writers lock only their own stream (a transaction-level advisory lock on the stream id), so appends to
different streams run and commit side by side. Their global positions may therefore commit out of order,
and a reader following the global order must never be handed position 42 while 41 can still commit. Each
append draws its positions together with its transaction id in one short critical section
(`events_allocate_positions`, migration 0026), so ids and positions rise together, and every reader of the
global order (`read_all_on`) keeps only rows whose transaction is older than every transaction still running
(`pg_snapshot_xmin`): what it returns is a prefix of what will ever commit. The only holes a reader meets are
rolled-back appends, and those never fill. A long transaction elsewhere delays readers; it never makes them
skip.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.types.json import Jsonb

from activities.platform.db import Pool
from activities.sealing.personal_data import CitizenKeys, PersonalDataError, seal_body
from activities.store.read_models.applications import APPLICATIONS, project_applications
from activities.store.read_models.cases import CASES, project_cases
from activities.store.read_models.guarantee_facts import facts_of, project_guarantee_facts, send_current_facts
from activities.store.read_models.recent_states import RecentStates
from activities.store.read_models.retention_status import project_retention
from activities.store.retention_events import RetentionEvent, retention_stream, subject_of
from activities.store.stored_events import StoredApplicationEvent as StoredApplicationEvent  # re-exported
from activities.store.stored_events import StoredEvent as StoredEvent  # re-exported
from activities.store.stored_events import StreamType, body_fields
from activities.store.stream_reads import FINAL_HEAD as FINAL_HEAD  # re-exported
from activities.store.stream_reads import FINISHED as FINISHED  # re-exported
from activities.store.stream_reads import StreamReads
from activities.store.stream_reads import global_order_after as global_order_after  # re-exported
from activities.store.stream_reads import read_all_on as read_all_on  # re-exported
from activities.store.table_projection import inserted
from workflows.contracts.store import AppendApplicationEvents, AppendCaseEvents, AppendResult, EventMetadata
from workflows.domain.applications.events import ApplicationEvent
from workflows.domain.events import CaseEvent, PlanReceived, PlanReplaced

logger = logging.getLogger(__name__)

NOTIFY_CHANNEL = "case_events"

# Positions come from events_allocate_positions (drawn with the transaction id), hence OVERRIDING SYSTEM VALUE.
_INSERT = """
INSERT INTO events (global_position, event_id, case_id, case_version, event_type, payload, metadata, occurred_at,
                    stream_type)
OVERRIDING SYSTEM VALUE VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
# The advisory-lock class of a stream's lock (the other key is the stream id's hash); migration 0026's
# allocation lock is (7204118, 26).
_STREAM_LOCK_CLASS = 7_204_119


class ConcurrencyConflict(Exception):
    """The case moved on since the caller read it: `expected_version` is not the stream's version."""

    def __init__(self, case_id: str, expected_version: int, actual_version: int) -> None:
        super().__init__(f"case {case_id} is at version {actual_version}, not {expected_version}")
        self.case_id = case_id
        self.expected_version = expected_version
        self.actual_version = actual_version


class InvalidAppend(ValueError):
    """The request cannot be stored: malformed or duplicate event ids, or ids reused for other events."""


@dataclass(frozen=True)
class _Append:
    """One append to one stream of either kind."""

    stream_type: StreamType
    stream_id: str
    expected_version: int
    event_ids: list[str]
    events: Sequence[CaseEvent | ApplicationEvent | RetentionEvent]
    metadata: EventMetadata


# What a stream kind's projection asks of the database before the append (sent in the append's first round
# trip, after its stream lock: pipeline mode), then how it folds the appended events into the kind's read model,
# given their positions, the operation's citizen keys and what was asked (in the append's transaction).
_Prefetch = Callable[[AsyncConnection[Any], CitizenKeys], Awaitable[Any]]
_Project = Callable[[AsyncConnection[Any], list[int], CitizenKeys, Any], Awaitable[object]]


async def _nothing(_: AsyncConnection[Any], __: CitizenKeys) -> None:
    return None


def _event_uuids(request: _Append) -> list[uuid.UUID]:
    if len(request.event_ids) != len(request.events):
        raise InvalidAppend(f"{len(request.event_ids)} event ids for {len(request.events)} events")
    try:
        ids = [uuid.UUID(event_id) for event_id in request.event_ids]
    except ValueError as exc:
        raise InvalidAppend("event ids must be UUIDs") from exc
    if len(set(ids)) != len(ids):
        raise InvalidAppend("event ids repeat within one append")
    return ids


class EventStore(StreamReads):
    """Appends (below) and reads (`StreamReads`) of the event store."""

    def __init__(self, pool: Pool, *, lock_timeout: str = "2s", statement_timeout: str = "4s") -> None:
        self._pool = pool
        # A writer stuck behind its stream's lock this long fails and is retried by Temporal, rather than
        # piling up connections behind one slow transaction; both stay below the append activity's
        # start-to-close timeout (workflows.shell.workflow_support.STORE_TIMEOUT), so the database gives up first.
        self._lock_timeout = lock_timeout
        self._statement_timeout = statement_timeout
        self._cases = RecentStates(CASES)
        self._applications = RecentStates(APPLICATIONS)

    async def append(self, request: AppendCaseEvents) -> AppendResult:
        """Append the request's events at versions expected_version+1.. and update the case's row.

        A retry of an append that already committed (same event ids) returns the stored result and
        writes nothing. An empty request writes nothing and returns the case's current version.
        """
        events, case_id = request.events, request.case_id

        async def prefetch(
            conn: AsyncConnection[Any], keys: CitizenKeys
        ) -> tuple[AsyncCursor[Any] | None, AsyncCursor[Any]]:
            checked, facts = await self._cases.check(conn, [case_id]), await send_current_facts(conn, [case_id])
            # The citizen the case's state will be sealed for (the latest plan's: this append's, or the state this
            # process remembers), their key held in the same round trip rather than one of its own.
            plans = [event.plan for event in events if isinstance(event, PlanReceived | PlanReplaced)]
            remembered = self._cases.remembered(case_id)
            plan = plans[-1] if plans else (remembered.plan if remembered is not None else None)
            if plan is not None:
                await keys.hold_for_cprs([plan.patient.cpr])
            return checked, facts

        async def project(
            conn: AsyncConnection[Any],
            positions: list[int],
            keys: CitizenKeys,
            asked: tuple[AsyncCursor[Any] | None, AsyncCursor[Any]],
        ) -> None:
            appended = inserted(case_id, request.expected_version, positions, events)
            # The start-guarantee facts continue from the case's state before this append (the state this
            # process folded last, or its `cases` row), found once for both.
            before = await self._cases.states(conn, [case_id], asked[0])
            await project_guarantee_facts(conn, appended, before, await facts_of(asked[1]))
            for state in await project_cases(conn, appended, loaded=before, keys=keys):
                self._cases.remember(state, case_id, positions[-1])

        stream = _Append(
            StreamType.CASE, request.case_id, request.expected_version, request.event_ids, events, request.metadata
        )
        return await self._append(stream, prefetch, project)

    async def append_application(self, request: AppendApplicationEvents) -> AppendResult:
        """`append` for an application stream; its events are folded into the `applications` read model."""
        events, application_id = request.events, request.application_id

        async def prefetch(conn: AsyncConnection[Any], _: CitizenKeys) -> AsyncCursor[Any] | None:
            return await self._applications.check(conn, [application_id])

        async def project(
            conn: AsyncConnection[Any], positions: list[int], keys: CitizenKeys, checked: AsyncCursor[Any] | None
        ) -> None:
            appended = inserted(application_id, request.expected_version, positions, events)
            before = await self._applications.states(conn, [application_id], checked)
            for state in await project_applications(conn, appended, loaded=before, keys=keys):
                self._applications.remember(state, application_id, positions[-1])

        stream = _Append(
            StreamType.APPLICATION,
            request.application_id,
            request.expected_version,
            request.event_ids,
            events,
            request.metadata,
        )
        return await self._append(stream, prefetch, project)

    async def append_retention(
        self,
        subject_type: str,
        subject_id: str,
        expected_version: int,
        events: Sequence[RetentionEvent],
        metadata: EventMetadata,
    ) -> AppendResult:
        """Append holds or an erasure to a case's or application's retention stream (`retention_status` follows)."""
        stream_id = retention_stream(subject_type, subject_id)

        async def project(conn: AsyncConnection[Any], positions: list[int], _: CitizenKeys, __: None) -> None:
            await project_retention(conn, subject_type, subject_id, expected_version, positions, events)

        event_ids = [str(uuid.uuid4()) for _ in events]
        request = _Append(StreamType.RETENTION, stream_id, expected_version, event_ids, events, metadata)
        return await self._append(request, _nothing, project)

    async def _append(self, request: _Append, prefetch: _Prefetch, project: _Project) -> AppendResult:
        ids = _event_uuids(request)
        kind, stream_id = request.stream_type.value, request.stream_id
        if not ids:
            return await self._current(stream_id)
        try:
            # Pipeline mode: statements whose answers are not needed yet go out without waiting, so an append costs
            # a few round trips rather than one per statement; an error still rolls the whole transaction back.
            async with self._pool.connection() as conn, conn.pipeline():
                async with conn.transaction():
                    # One round trip: the stream's own lock (to the end of the transaction: appends to one stream
                    # queue, others don't), then, each statement seeing what committed before it, the retry check,
                    # the version check with the positions drawn, and whether the state this process remembers is
                    # still the read model's. A retry or a conflict leaves its positions as holes, which readers pass
                    # over like those of a rolled-back append.
                    await conn.execute(
                        "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true),"
                        " pg_advisory_xact_lock(%s, hashtext(%s))",
                        (self._lock_timeout, self._statement_timeout, _STREAM_LOCK_CLASS, stream_id),
                    )
                    stored = await conn.execute(
                        "SELECT event_id, case_id, case_version, global_position FROM events WHERE event_id = ANY(%s)",
                        (ids,),
                    )
                    head = await conn.execute(
                        "SELECT coalesce(max(case_version), 0), coalesce(bool_or(stream_type <> %s), false),"
                        " events_allocate_positions(%s) FROM events WHERE case_id = %s",
                        (kind, len(ids), stream_id),
                    )
                    # The read model is sealed first: sealing its state finds the citizen's key, which the
                    # events' sealing then reuses (one CitizenKeys per append) instead of looking it up again.
                    keys = CitizenKeys(conn)
                    asked = await prefetch(conn, keys)
                    earlier = _earlier_result(request, ids, await stored.fetchall())
                    if earlier is not None:
                        logger.info("append to %s %s was already stored; returning its result", kind, stream_id)
                        return earlier
                    row = await head.fetchone()
                    assert row is not None
                    actual, other_kind, positions = int(row[0]), bool(row[1]), [int(p) for p in row[2]]
                    if other_kind:
                        raise InvalidAppend(f"stream {stream_id} is not a {kind} stream")
                    if actual != request.expected_version:
                        raise ConcurrencyConflict(stream_id, request.expected_version, actual)
                    await project(conn, positions, keys, asked)
                    await self._insert(conn, request, ids, positions, keys)
                    last = positions[-1]
                # After the commit, in a transaction of its own (no write, so no WAL flush): a NOTIFY in the
                # append's transaction would take PostgreSQL's notify lock from before its commit to after its
                # flush, serialising every append's commit again. Listeners must still poll: a NOTIFY can be lost.
                async with conn.transaction():
                    await conn.execute("SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, str(last)))
        except BaseException:
            # What this process remembers of the stream may be ahead of what committed.
            self._cases.forget(stream_id)
            self._applications.forget(stream_id)
            raise
        version = request.expected_version + len(positions)
        logger.info("appended %d event(s) to %s %s: version %d, position %d", len(ids), kind, stream_id, version, last)
        return AppendResult(case_version=version, last_global_position=last)

    async def _insert(
        self,
        conn: AsyncConnection[Any],
        request: _Append,
        ids: list[uuid.UUID],
        positions: list[int],
        keys: CitizenKeys,
    ) -> None:
        """Insert the events in version order at the positions allocated for them."""
        metadata = Jsonb(request.metadata.model_dump(mode="json"))
        kind = request.stream_type.value
        params = [
            (
                position,
                event_id,
                request.stream_id,
                request.expected_version + offset + 1,
                event.type,
                # Personal fields sealed with the citizen's key (activities.sealing.personal_fields says which).
                Jsonb(await seal_event(keys, event.model_dump(mode="json"), kind, event.type, request.stream_id)),
                metadata,
                event.occurred_at,
                kind,
            )
            for offset, (position, event_id, event) in enumerate(zip(positions, ids, request.events, strict=True))
        ]
        async with conn.cursor() as cursor:
            await cursor.executemany(_INSERT, params)

    async def _current(self, stream_id: str) -> AppendResult:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "SELECT coalesce(max(case_version), 0), coalesce(max(global_position), 0) FROM events"
                " WHERE case_id = %s",
                (stream_id,),
            )
            row = await cursor.fetchone()
        assert row is not None
        return AppendResult(case_version=row[0], last_global_position=row[1])


def _earlier_result(request: _Append, ids: list[uuid.UUID], rows: list[tuple[Any, ...]]) -> AppendResult | None:
    """The result of an earlier append with these event ids (a retry), from their stored rows; None if none."""
    found = {row[0]: row[1:] for row in rows}
    if not found:
        return None
    expected = [(request.stream_id, request.expected_version + offset + 1) for offset in range(len(ids))]
    if [tuple(found[i][:2]) if i in found else None for i in ids] != expected:
        # Same ids, different place in the stream: the caller reuses ids, which would hide events.
        raise InvalidAppend(f"event ids of this append to {request.stream_id} were used for other events")
    return AppendResult(
        case_version=max(int(v[1]) for v in found.values()),
        last_global_position=max(int(v[2]) for v in found.values()),
    )


async def seal_event(
    keys: CitizenKeys, body: dict[str, Any], kind: str, event_type: str, stream_id: str
) -> dict[str, Any]:
    """The event body with its personal fields sealed; an event type nobody classified is refused, so personal
    data never reaches the store in clear by a new event."""
    try:
        fields = body_fields(kind, event_type)
    except KeyError:
        raise PersonalDataError(
            f"event type {event_type} of a {kind} stream is not classified in activities/sealing/personal_fields.py"
        ) from None
    if kind == StreamType.RETENTION:
        kind, stream_id = subject_of(stream_id)  # a hold's reason is sealed with its case's citizen key
    return await seal_body(keys, body, fields, stream_id, kind)
