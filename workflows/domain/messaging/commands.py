"""Commands about outbound messages: the stream's own (queued, an outcome from the sender) and a
caseworker's resend. Each is one pydantic model, the single input of its handler."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain.command_base import Command
from workflows.domain.messaging.events import DeliveryFailure
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient


class RecordMessageQueued(Command):
    """The workflow queued a message (message_id set), or withheld a plan copy (message_id None)."""

    recipient: MessageRecipient
    kind: MessageKind
    channel: Channel
    message_id: str | None
    plan_id: str | None = None
    withheld_reason: str | None = Field(default=None, max_length=60, description="Why a plan copy was not queued")
    ack_expected: bool = False


class Outcome(StrEnum):
    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    FAILED = "failed"


class MessageOutcome(BaseModel):
    """What the sender reports to the message's owner (a signal to the case or application workflow)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: str
    outcome: Outcome
    resend: int = 0
    transport_ref: str | None = None
    failure: DeliveryFailure | None = None
    automatic_resend: int = 0  # the sender's n-th resend of a MedCom message for want of a receipt
    envelope_id: str | None = None  # MedCom: the envelope id the send carried
    # Set for a message queued outside the owner's workflow (a receipt the intake queued for the case's
    # hospital): the owner then records it as queued before its outcome.
    kind: MessageKind | None = None
    channel: Channel | None = None
    recipient: MessageRecipient | None = None


class RecordMessageOutcome(Command):
    outcome: MessageOutcome


class ResendMessage(Command):
    """A caseworker sends a failed message again."""

    message_id: str = Field(min_length=1, max_length=100)
