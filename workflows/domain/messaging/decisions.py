"""Decisions about outbound messages, shared by cases and applications: pure, no I/O, no clock.

An outcome the stream already knows (a repeated signal, a late report of an older delivery) causes no
event, so the sender may report at least once and the history still says each thing once."""

from __future__ import annotations

from datetime import datetime

from workflows.domain.messaging.commands import Outcome, RecordMessageOutcome, RecordMessageQueued, ResendMessage
from workflows.domain.messaging.events import (
    MessageAcknowledged,
    MessageDeliveryFailed,
    MessageEvent,
    MessageQueued,
    MessageResendRequested,
    MessageSent,
)
from workflows.domain.messaging.state import DeliveryStatus, Messages, fold_message


class UnknownMessage(LookupError):
    """The stream has queued no message with this id."""


class NotFailed(ValueError):
    """Only a message whose delivery failed is sent again."""


def queued_events(
    messages: Messages, command: RecordMessageQueued, now: datetime, *, plan_id: str | None
) -> list[MessageEvent]:
    """The message the stream's workflow queued, recorded once however often the workflow reports it.

    `plan_id` is the stream's part: a case's plan copy names its plan, an application has no plans."""
    if command.message_id is None or command.message_id in messages:
        return []
    return [
        MessageQueued(
            occurred_at=now,
            message_id=command.message_id,
            kind=command.kind,
            channel=command.channel,
            recipient=command.recipient,
            plan_id=plan_id,
            ack_expected=command.ack_expected,
        )
    ]


def outcome_events(messages: Messages, command: RecordMessageOutcome, now: datetime) -> list[MessageEvent]:
    report = command.outcome
    known = messages.get(report.message_id)
    if known is None and report.kind is not None and report.channel is not None and report.recipient is not None:
        # Queued for this stream by someone else (the intake's receipt): recorded as queued, then its outcome.
        queued = MessageQueued(
            occurred_at=now,
            message_id=report.message_id,
            kind=report.kind,
            channel=report.channel,
            recipient=report.recipient,
        )
        return [queued, *outcome_events(fold_message(messages, queued), command, now)]
    if known is None or report.resend < known.resends:
        return []  # not this stream's message, or a report of a delivery a resend has replaced
    if report.outcome is Outcome.ACKNOWLEDGED:
        # A receipt is the receiver's word: it counts even after the sender gave up waiting for it.
        if known.status is DeliveryStatus.ACKNOWLEDGED:
            return []
        return [MessageAcknowledged(occurred_at=now, message_id=report.message_id)]
    if report.outcome is Outcome.SENT:
        # An automatic resend (MedCom: no receipt in time) is recorded as a send of its own, once each.
        resent = known.status is DeliveryStatus.SENT and report.automatic_resend > known.automatic_resends
        if known.status is not DeliveryStatus.QUEUED and not resent:
            return []
        return [
            MessageSent(
                occurred_at=now,
                message_id=report.message_id,
                transport_ref=report.transport_ref or "",
                resend=report.resend,
                automatic_resend=report.automatic_resend,
                envelope_id=report.envelope_id,
            )
        ]
    if known.status in (DeliveryStatus.FAILED, DeliveryStatus.ACKNOWLEDGED) or report.failure is None:
        return []
    return [
        MessageDeliveryFailed(
            occurred_at=now, message_id=report.message_id, reason=report.failure, resend=report.resend
        )
    ]


def resend_events(messages: Messages, command: ResendMessage, now: datetime) -> list[MessageEvent]:
    known = messages.get(command.message_id)
    if known is None:
        raise UnknownMessage(command.message_id)
    if known.status is not DeliveryStatus.FAILED:
        raise NotFailed(f"message {command.message_id} is {known.status.value}; only a failed message is resent")
    return [MessageResendRequested(occurred_at=now, message_id=command.message_id, resend=known.resends + 1)]
