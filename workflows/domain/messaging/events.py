"""What became of an outbound message, as events of the case (or application) that owes it.

Each says exactly what happened and nothing more: queued in the outbox, handed to its transport, answered
by its receiver's receipt, or given up on. They carry the message's id, kind, channel and recipient role,
never personal data (the content stays sealed in the outbox). Kept forever: fields are only added.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient


class DeliveryFailure(StrEnum):
    TRANSPORT_FAILED = "transport_failed"  # the transport refused or was unreachable for the whole period
    NOT_ACKNOWLEDGED = "not_acknowledged"  # sent, but no receipt came within the period (MedCom)
    NEGATIVE_RECEIPT = "negative_receipt"  # the receiver answered with a negative receipt (MedCom)
    CONTENT_UNAVAILABLE = "content_unavailable"  # the sealed content can no longer be opened (key erased)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: datetime


class MessageQueued(_Event):
    """The message is owed and queued (in the outbox, or, with `owner_sends`, put there by the owner's workflow as it
    sends it); nothing has left the service yet."""

    type: Literal["MessageQueued"] = "MessageQueued"
    message_id: str
    kind: MessageKind
    channel: Channel
    recipient: MessageRecipient
    plan_id: str | None = Field(default=None, description="The plan this message passes on, if any")
    ack_expected: bool = Field(default=False, description="The receiver answers with a receipt (MedCom)")
    owner_sends: bool = Field(
        default=False,
        description="The owner's workflow renders, queues and sends it itself (a letter: no receipt, no delivery "
        "workflow); false: already in the outbox, sent by a delivery workflow",
    )


class MessageSent(_Event):
    """The transport took the message (the VANS mailbox file is written; Digital Post accepted the letter).

    Recorded again for each automatic resend of a MedCom message that got no receipt (`automatic_resend`)."""

    type: Literal["MessageSent"] = "MessageSent"
    message_id: str
    transport_ref: str = Field(description="The transport's reference, e.g. the file name in the mailbox")
    resend: int = Field(default=0, description="0 for the first delivery, n for the n-th resend")
    automatic_resend: int = Field(
        default=0, description="0 for the delivery's first send, n for the sender's n-th resend for want of a receipt"
    )
    envelope_id: str | None = Field(default=None, description="MedCom: the envelope id this send carried")


class MessageAcknowledged(_Event):
    """The receiver's positive receipt was read back (MedCom)."""

    type: Literal["MessageAcknowledged"] = "MessageAcknowledged"
    message_id: str


class MessageDeliveryFailed(_Event):
    """The message did not reach its receiver within the configured period, or was refused by it."""

    type: Literal["MessageDeliveryFailed"] = "MessageDeliveryFailed"
    message_id: str
    reason: DeliveryFailure
    resend: int = 0


class MessageResendRequested(_Event):
    """A caseworker asked for a failed message to be sent again (the same content, the same message id)."""

    type: Literal["MessageResendRequested"] = "MessageResendRequested"
    message_id: str
    resend: int = Field(ge=1, description="Which resend this is")


MessageEvent = MessageQueued | MessageSent | MessageAcknowledged | MessageDeliveryFailed | MessageResendRequested
