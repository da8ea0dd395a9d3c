"""Temporal activities of the sender: queue a case's message, send a message through its transport, record a
failure, open a failed message for a resend. Register the bound methods of one `MessagingActivities`.

Failures carry the kind of error only (never a message text, which could quote a path or personal data).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.messaging import outbox
from activities.messaging.application_messages import application_events, render_application_message
from activities.messaging.case_messages import NothingToQueue, case_state, render_case_message
from activities.messaging.medcom.outbound_envelope import with_envelope_id
from activities.messaging.settings import TransportSettings
from activities.messaging.transports.base import Delivery, Transport, TransportRefused
from activities.platform.db import Pool
from activities.platform.metrics import DELIVERY_ATTEMPTS, DELIVERY_FAILURES
from activities.store.activities import database_failure
from workflows.contracts.messaging import (
    PREPARE_RESEND,
    QUEUE_APPLICATION_MESSAGE,
    QUEUE_CASE_MESSAGE,
    RECORD_DELIVERY_FAILURE,
    SEND_MESSAGE,
    FailureRecord,
    QueueApplicationMessage,
    QueueCaseMessage,
    Queued,
    ResendRequest,
    SendRequest,
    SendResult,
)
from workflows.domain.calendar import local_date
from workflows.domain.messaging.model import Channel, resend_envelope_id

logger = logging.getLogger(__name__)


class MessagingActivities:
    def __init__(self, pool: Pool, transports: Mapping[Channel, Transport], settings: TransportSettings) -> None:
        self._pool = pool
        self._transports = transports
        self._settings = settings

    @property
    def give_up_after(self) -> timedelta:
        return self._settings.give_up_after

    def _queued(self, message_id: str, channel: Channel, ack_expected: bool) -> Queued:
        """The message as queued, with MedCom's resend rule where a receipt is expected."""
        return Queued(
            message_id=message_id,
            channel=channel,
            ack_expected=ack_expected,
            give_up_after=self.give_up_after,
            resend_after=self._settings.medcom_resend_after if ack_expected else None,
            automatic_resends=self._settings.medcom_automatic_resends if ack_expected else 0,
        )

    @activity.defn(name=QUEUE_CASE_MESSAGE)
    async def queue_case_message(self, request: QueueCaseMessage) -> Queued:
        try:
            state = await case_state(self._pool, request.case_id)
            async with self._pool.connection() as conn, conn.transaction():
                today = local_date(datetime.now(UTC))
                rendered = await render_case_message(conn, state, request, self._settings, today)
                if isinstance(rendered, str):
                    return Queued(
                        message_id=None,
                        channel=Channel.MEDCOM,
                        give_up_after=self.give_up_after,
                        withheld_reason=rendered,
                    )
                await outbox.queue_outbound(conn, rendered)
        except psycopg.Error as exc:
            raise database_failure(exc) from None
        except NothingToQueue as exc:
            raise ApplicationError(str(exc), type="NothingToQueue") from None  # retried: the read model may lag
        return self._queued(rendered.message_id, rendered.channel, rendered.ack_expected)

    @activity.defn(name=QUEUE_APPLICATION_MESSAGE)
    async def queue_application_message(self, request: QueueApplicationMessage) -> Queued:
        try:
            events = await application_events(self._pool, request.application_id)
            async with self._pool.connection() as conn, conn.transaction():
                today = local_date(datetime.now(UTC))
                rendered = await render_application_message(conn, events, request, self._settings, today)
                await outbox.queue_outbound(conn, rendered)
        except psycopg.Error as exc:
            raise database_failure(exc) from None
        except NothingToQueue as exc:
            raise ApplicationError(str(exc), type="NothingToQueue") from None  # retried: the store may lag
        return Queued(message_id=rendered.message_id, channel=rendered.channel, give_up_after=self.give_up_after)

    @activity.defn(name=SEND_MESSAGE)
    async def send_message(self, request: SendRequest) -> SendResult:
        async with self._pool.connection() as conn:
            message = await outbox.load_message(conn, request.message_id)
        if message is None:
            raise ApplicationError(
                "the message's content is unavailable", type="MessageUnavailable", non_retryable=True
            )
        delivery = await self._delivery(message, request)
        transport = self._transports[message.channel]
        try:
            reference = await transport.send(delivery)
        except TransportRefused:
            DELIVERY_ATTEMPTS.labels(message.channel.value, "error").inc()
            await self._attempt(request.message_id, "TransportRefused")
            raise ApplicationError(
                "the transport refuses this message", type="TransportRefused", non_retryable=True
            ) from None
        except Exception as exc:  # any transport error is retried, with its kind only
            DELIVERY_ATTEMPTS.labels(message.channel.value, "error").inc()
            await self._attempt(request.message_id, type(exc).__name__)
            logger.warning("sending message %s failed (%s); retrying", request.message_id, type(exc).__name__)
            raise ApplicationError(f"transport failed ({type(exc).__name__})", type="TransportFailed") from None
        async with self._pool.connection() as conn:
            await outbox.record_attempt(conn, request.message_id, None)
            await outbox.mark_sent(conn, request.message_id, reference)
        DELIVERY_ATTEMPTS.labels(message.channel.value, "sent").inc()
        logger.info("message %s sent over %s as %s", request.message_id, message.channel.value, reference)
        return SendResult(transport_ref=reference, envelope_id=delivery.message.envelope_id)

    async def _delivery(self, message: outbox.QueuedMessage, request: SendRequest) -> Delivery:
        """The delivery to hand over; an automatic resend carries its own new envelope id (MedCom), recorded on
        the message before it leaves so that a receipt quoting it is matched however soon it comes."""
        if not request.automatic_resend or message.envelope_id is None:
            return Delivery(message=message, resend=request.resend, automatic_resend=request.automatic_resend)
        envelope_id = resend_envelope_id(request.message_id, request.resend, request.automatic_resend)
        async with self._pool.connection() as conn:
            await outbox.add_envelope_id(conn, request.message_id, envelope_id)
        content = with_envelope_id(message.content, envelope_id) if message.content_type.endswith("xml") else None
        resent = replace(message, envelope_id=envelope_id, content=content or message.content)
        return Delivery(message=resent, resend=request.resend, automatic_resend=request.automatic_resend)

    async def _attempt(self, message_id: str, error_kind: str) -> None:
        try:
            async with self._pool.connection() as conn:
                await outbox.record_attempt(conn, message_id, error_kind)
        except psycopg.Error:
            pass  # the bookkeeping of a failed attempt must not hide the attempt's own failure

    @activity.defn(name=RECORD_DELIVERY_FAILURE)
    async def record_delivery_failure(self, record: FailureRecord) -> None:
        async with self._pool.connection() as conn:
            channel = await outbox.mark_failed(conn, record.message_id, record.reason.value)
        if channel is not None:
            DELIVERY_FAILURES.labels(channel).inc()
        logger.warning("message %s failed: %s", record.message_id, record.reason.value)

    @activity.defn(name=PREPARE_RESEND)
    async def prepare_resend(self, request: ResendRequest) -> Queued:
        async with self._pool.connection() as conn:
            await outbox.mark_resent(conn, request.message_id, request.resend)
            message = await outbox.load_message(conn, request.message_id)
        if message is None:
            raise ApplicationError(
                "the message's content is unavailable", type="MessageUnavailable", non_retryable=True
            )
        return self._queued(message.message_id, message.channel, message.ack_expected)
