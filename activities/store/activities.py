"""Temporal activities over PostgreSQL: appending a case's or an application's events and queueing plan
deliveries.

Register the bound methods of one `StoreActivities(pool)` with the worker:
`activities=[store.append_case_events, store.deliver_plan, store.append_application_events]`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable

import psycopg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.platform.db import Pool
from activities.platform.metrics import APPEND_DURATION, EVENT_APPENDS, EVENTS_APPENDED, timed
from activities.store.eventstore import ConcurrencyConflict, EventStore, InvalidAppend
from workflows.contracts.store import (
    APPEND_APPLICATION_EVENTS,
    APPEND_CASE_EVENTS,
    DELIVER_PLAN,
    AppendApplicationEvents,
    AppendCaseEvents,
    AppendResult,
    DeliveryReceipt,
    PlanDelivery,
)

logger = logging.getLogger(__name__)

OUTBOX_CHANNEL = "outbox"

# The copies of cases recorded before issue 8 (PlanDelivered): a row nothing sends, kept as the history says
# (migration 0011; new cases queue their messages through activities/messaging/outbox.py).
_INSERT_OUTBOX = """
INSERT INTO outbox (message_id, case_id, recipient, plan_id, address, kind, channel)
VALUES (%s, %s, %s, %s, %s, 'legacy_plan_copy', CASE WHEN %s = 'patient' THEN 'digital_post' ELSE 'medcom' END)
ON CONFLICT (case_id, recipient, plan_id) WHERE kind = 'legacy_plan_copy' DO NOTHING
RETURNING message_id
"""


class StoreActivities:
    def __init__(self, pool: Pool, store: EventStore | None = None) -> None:
        self._pool = pool
        self._store = store or EventStore(pool)

    @activity.defn(name=APPEND_CASE_EVENTS)
    async def append_case_events(self, request: AppendCaseEvents) -> AppendResult:
        return await _non_retryable_rejections(self._store.append(request), "case", len(request.events))

    @activity.defn(name=APPEND_APPLICATION_EVENTS)
    async def append_application_events(self, request: AppendApplicationEvents) -> AppendResult:
        return await _non_retryable_rejections(
            self._store.append_application(request), "application", len(request.events)
        )

    @activity.defn(name=DELIVER_PLAN)
    async def deliver_plan(self, request: PlanDelivery) -> DeliveryReceipt:
        """Legacy: the plan copy of a case recorded before issue 8 (its history says PlanDelivered); returns
        the message id of that row.

        Kept for histories from before the `truthful-messages` patch: such a row has no content and nothing
        sends it (migration 0011). New cases queue real messages through `activities.messaging.outbox.queue_outbound`
        and record MessageQueued. A row is queued at most once per case, recipient and plan.
        """
        try:
            message_id = await self._queue_delivery(request)
        except psycopg.Error as exc:
            raise database_failure(exc) from None
        logger.info("plan for case %s queued for %s as %s", request.case_id, request.recipient.value, message_id)
        return DeliveryReceipt(message_id=message_id)

    async def _queue_delivery(self, request: PlanDelivery) -> str:
        candidate = uuid.uuid4()
        async with self._pool.connection() as conn:
            async with conn.transaction():
                cursor = await conn.execute(
                    _INSERT_OUTBOX,
                    (
                        candidate,
                        request.case_id,
                        request.recipient.value,
                        request.plan_id,
                        request.address,
                        request.recipient.value,
                    ),
                )
                row = await cursor.fetchone()
                if row is not None:
                    await conn.execute("SELECT pg_notify(%s, %s)", (OUTBOX_CHANNEL, str(row[0])))
            if row is None:
                # A separate statement: its fresh snapshot sees a row a concurrent attempt just committed.
                cursor = await conn.execute(
                    "SELECT message_id FROM outbox WHERE case_id = %s AND recipient = %s AND plan_id = %s"
                    " AND kind = 'legacy_plan_copy'",
                    (request.case_id, request.recipient.value, request.plan_id),
                )
                row = await cursor.fetchone()
                await conn.commit()
        if row is None:
            raise RuntimeError(f"outbox row for case {request.case_id} vanished")  # retried by Temporal
        return str(row[0])


# Errors no retry can cure: the data or the statement is wrong (SQLSTATE classes 22, 23, 42, 0A). Others
# (a lost connection, a lock or statement timeout, a serialisation failure) are retried by Temporal.
_PERMANENT_DATABASE_ERRORS = (
    psycopg.DataError,
    psycopg.IntegrityError,
    psycopg.ProgrammingError,
    psycopg.NotSupportedError,
)


def database_failure(error: psycopg.Error) -> ApplicationError:
    """The activity failure for a database error, without the server's message.

    PostgreSQL quotes the offending value into its messages (a CPR number, a name in an event's JSON), and
    a failure travels into Temporal's history and the worker's log: only the SQLSTATE and its class go."""
    state = error.sqlstate or "unknown"
    permanent = isinstance(error, _PERMANENT_DATABASE_ERRORS)
    return ApplicationError(
        f"database error {state} ({type(error).__name__})",
        {"sqlstate": state},
        type="StoreRejected" if permanent else "DatabaseUnavailable",
        non_retryable=permanent,
    )


async def _non_retryable_rejections(append: Awaitable[AppendResult], stream: str, events: int) -> AppendResult:
    """Run an append, counted and timed per `stream` type; a store rejection fails the activity for good
    (retrying cannot cure it)."""
    outcome = "rejected"
    try:
        with timed(APPEND_DURATION, stream):
            result = await append
        outcome = "appended"
        EVENTS_APPENDED.labels(stream).inc(events)
        return result
    except psycopg.Error as exc:
        failure = database_failure(exc)
        outcome = "rejected" if failure.non_retryable else "failed"
        logger.warning("append failed: %s", failure.message)
        raise failure from None
    except ConcurrencyConflict as exc:
        outcome = "conflict"
        # Retrying cannot help: the workflow must decide again on the stream as it now is.
        raise ApplicationError(
            str(exc),
            {"expected_version": exc.expected_version, "actual_version": exc.actual_version},
            type="ConcurrencyConflict",
            non_retryable=True,
        ) from None
    except InvalidAppend as exc:
        raise ApplicationError(str(exc), type="InvalidAppend", non_retryable=True) from None
    except BaseException:
        outcome = "failed"  # cancelled, or an error Temporal retries
        raise
    finally:
        EVENT_APPENDS.labels(stream, outcome).inc()
