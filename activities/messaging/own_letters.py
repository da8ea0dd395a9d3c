"""The `deliver_letter` activity: a letter its owner's workflow sends itself (workflows/messaging/letters.py).

One activity does what a letter took a queue activity, an append, a delivery workflow and a signal for: at its first
attempt it renders the letter (a PDF in MeMo) and queues it in the outbox, marked dispatched so the sweep leaves it
alone; then it sends it through the transport the delivery workflows use. Exactly once per message id and resend:
a retry finds the row queued (and renders nothing again), and a retry after the send returns the recorded send. It
gives up (the outbox row marked failed, `LetterGivenUp`) on the first failure after MESSAGE_GIVE_UP_HOURS.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import psycopg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.messaging import outbox
from activities.messaging.activities import MessagingActivities
from activities.messaging.application_messages import application_events, render_application_message
from activities.messaging.case_messages import NothingToQueue, case_state, render_case_message
from activities.messaging.settings import TransportSettings
from activities.platform.db import Pool
from activities.store.activities import database_failure
from workflows.contracts.messaging import (
    DELIVER_LETTER,
    LETTER_GIVEN_UP,
    FailureRecord,
    LetterDelivery,
    SendRequest,
    SendResult,
)
from workflows.domain.calendar import local_date
from workflows.domain.messaging.events import DeliveryFailure
from workflows.domain.messaging.model import OutboundMessage

logger = logging.getLogger(__name__)


class LetterActivities:
    def __init__(self, pool: Pool, sender: MessagingActivities, settings: TransportSettings) -> None:
        self._pool = pool
        self._sender = sender
        self._settings = settings

    @activity.defn(name=DELIVER_LETTER)
    async def deliver_letter(self, request: LetterDelivery) -> SendResult:
        try:
            sent_before = await self._queue_once(request)
        except psycopg.Error as exc:
            raise database_failure(exc) from None
        except NothingToQueue as exc:
            await self._give_up_if_due(request, DeliveryFailure.CONTENT_UNAVAILABLE)
            raise ApplicationError(str(exc), type="NothingToQueue") from None  # retried: the store may lag
        if sent_before is not None:
            return SendResult(transport_ref=sent_before)
        try:
            return await self._sender.send_message(SendRequest(message_id=request.message_id, resend=request.resend))
        except ApplicationError as error:
            if error.non_retryable:  # the transport refuses it, or its content can no longer be opened
                unavailable = error.type == "MessageUnavailable"
                await self._fail(request, DeliveryFailure.CONTENT_UNAVAILABLE if unavailable else None)
                raise
            await self._give_up_if_due(request, DeliveryFailure.TRANSPORT_FAILED)
            raise

    async def _queue_once(self, request: LetterDelivery) -> str | None:
        """Queue the letter at the first attempt (open it again for a resend); the transport's reference if this
        delivery was sent already."""
        async with self._pool.connection() as conn:
            row = await outbox.delivery_row(conn, request.message_id)
            if row is not None and row.resends < request.resend:
                await outbox.mark_resent(conn, request.message_id, request.resend)  # a caseworker's resend
                return None
        if row is not None:
            return row.transport_ref if row.resends == request.resend else None
        rendered = await self._render(request)
        async with self._pool.connection() as conn, conn.transaction():
            await outbox.queue_outbound(conn, rendered)
            await outbox.mark_dispatched(conn, request.message_id)  # its owner sends it, never the outbox sweep
        return None

    async def _render(self, request: LetterDelivery) -> OutboundMessage:
        today = local_date(datetime.now(UTC))
        if request.case is not None:
            state = await case_state(self._pool, request.case.case_id)
            async with self._pool.connection() as conn:
                rendered = await render_case_message(conn, state, request.case, self._settings, today)
            if isinstance(rendered, str):
                raise NothingToQueue("a case letter is never withheld")
            return rendered
        if request.application is not None:
            events = await application_events(self._pool, request.application.application_id)
            async with self._pool.connection() as conn:
                return await render_application_message(conn, events, request.application, self._settings, today)
        raise ApplicationError("a letter names its case or application", type="NothingToQueue", non_retryable=True)

    async def _give_up_if_due(self, request: LetterDelivery, reason: DeliveryFailure) -> None:
        """After the give-up period (from the first attempt's scheduling to this one's, both on Temporal's clock):
        record the failure and stop retrying."""
        info = activity.info()
        if info.current_attempt_scheduled_time - info.scheduled_time < self._settings.give_up_after:
            return
        await self._fail(request, reason)
        raise ApplicationError("the letter could not be delivered in time", type=LETTER_GIVEN_UP, non_retryable=True)

    async def _fail(self, request: LetterDelivery, reason: DeliveryFailure | None) -> None:
        record = FailureRecord(message_id=request.message_id, reason=reason or DeliveryFailure.TRANSPORT_FAILED)
        try:
            await self._sender.record_delivery_failure(record)
        except psycopg.Error as exc:
            raise database_failure(exc) from None
