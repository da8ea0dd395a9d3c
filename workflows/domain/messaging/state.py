"""The delivery state of a stream's outbound messages: folded from the message events, the same way for a
case and for an application."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from workflows.domain.messaging.events import (
    MessageAcknowledged,
    MessageDeliveryFailed,
    MessageEvent,
    MessageQueued,
    MessageResendRequested,
    MessageSent,
)
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"


class MessageDelivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: MessageKind
    channel: Channel
    recipient: MessageRecipient
    status: DeliveryStatus = DeliveryStatus.QUEUED
    resends: int = 0
    ack_expected: bool = False
    automatic_resends: int = 0  # of the current delivery (a caseworker's resend starts again at 0)
    owner_sends: bool = False  # the owner's workflow sends it (workflows/messaging/letters.py)


Messages = dict[str, MessageDelivery]


def fold_message(messages: Messages, event: MessageEvent) -> Messages:
    """The messages after `event` (an event about an unknown message changes nothing)."""
    if isinstance(event, MessageQueued):
        queued = MessageDelivery(
            kind=event.kind,
            channel=event.channel,
            recipient=event.recipient,
            ack_expected=event.ack_expected,
            owner_sends=event.owner_sends,
        )
        return {**messages, event.message_id: queued}
    known = messages.get(event.message_id)
    if known is None:
        return messages
    if isinstance(event, MessageSent):
        # A receipt that came before the send was recorded keeps the message acknowledged.
        status = known.status if known.status is DeliveryStatus.ACKNOWLEDGED else DeliveryStatus.SENT
        changed = known.model_copy(update={"status": status, "automatic_resends": event.automatic_resend})
    elif isinstance(event, MessageAcknowledged):
        changed = known.model_copy(update={"status": DeliveryStatus.ACKNOWLEDGED})
    elif isinstance(event, MessageDeliveryFailed):
        changed = known.model_copy(update={"status": DeliveryStatus.FAILED})
    elif isinstance(event, MessageResendRequested):
        update = {"status": DeliveryStatus.QUEUED, "resends": event.resend, "automatic_resends": 0}
        changed = known.model_copy(update=update)
    return {**messages, event.message_id: changed}


def any_failed(messages: Messages) -> bool:
    return any(message.status is DeliveryStatus.FAILED for message in messages.values())


def owed_by_owner(messages: Messages) -> list[tuple[str, int]]:
    """The messages the owner's workflow still has to send itself: (message id, resend), oldest first."""
    return [
        (message_id, message.resends)
        for message_id, message in messages.items()
        if message.owner_sends and message.status is DeliveryStatus.QUEUED
    ]
