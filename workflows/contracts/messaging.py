"""Inputs and outputs of the messaging activities, importable by workflow code (pure pydantic, no I/O)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain.messaging.events import DeliveryFailure
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient

QUEUE_CASE_MESSAGE = "queue_case_message"
QUEUE_APPLICATION_MESSAGE = "queue_application_message"
SEND_MESSAGE = "send_message"
PREPARE_RESEND = "prepare_resend"
RECORD_DELIVERY_FAILURE = "record_delivery_failure"
START_UNDISPATCHED_DELIVERIES = "start_undispatched_deliveries"
POLL_INBOX = "poll_inbox"
DELIVER_LETTER = "deliver_letter"
# What `deliver_letter` fails with once it gives up (after MESSAGE_GIVE_UP_HOURS), or when the letter can never go.
LETTER_GIVEN_UP = "LetterGivenUp"

# The signals of the message workflows: the owner (case or application) hears the outcome, the delivery
# hears the receiver's receipt from the inbox poller.
MESSAGE_OUTCOME_SIGNAL = "message_outcome"
RECEIPT_SIGNAL = "receipt_received"


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QueueCaseMessage(_Contract):
    """Render and queue one message a case owes; the activity reads the case's facts from its read model."""

    case_id: str
    message_id: str
    kind: MessageKind
    recipient: MessageRecipient
    plan_id: str | None = None


class QueueApplicationMessage(_Contract):
    """Render and queue the letter of an application's decision number `decision` (1 for the first)."""

    application_id: str
    message_id: str
    kind: MessageKind
    decision: int = Field(ge=1)


class Queued(_Contract):
    """The message as queued (message_id None: not queued, for `withheld_reason`)."""

    message_id: str | None
    channel: Channel
    ack_expected: bool = False
    give_up_after: timedelta = Field(description="How long the sender tries before it reports a failure")
    withheld_reason: str | None = None
    resend_after: timedelta | None = Field(default=None, description="MedCom: resend when no receipt came by then")
    automatic_resends: int = Field(default=0, ge=0, description="MedCom: at most this many automatic resends")


class DeliveryInput(_Contract):
    """One delivery of one message: the workflow id is `message-<message_id>[-resend-<n>]`."""

    message_id: str
    owner_workflow_id: str | None = Field(description="The case or application workflow to report to")
    resend: int = 0
    ack_expected: bool
    give_up_after: timedelta
    # MedCom's resend rule (MEDCOM_RESEND_AFTER_MINUTES, MEDCOM_AUTOMATIC_RESENDS): none for inputs from before it.
    resend_after: timedelta | None = None
    automatic_resends: int = Field(default=0, ge=0)
    # For a message its owner did not queue itself (see `MessageOutcome`).
    kind: MessageKind | None = None
    channel: Channel | None = None
    recipient: MessageRecipient | None = None


class SendRequest(_Contract):
    message_id: str
    resend: int = 0
    automatic_resend: int = Field(default=0, ge=0, description="n: the n-th automatic resend, with a new envelope id")


class SendResult(_Contract):
    transport_ref: str
    envelope_id: str | None = Field(default=None, description="MedCom: the envelope id this send carried")


class ResendRequest(_Contract):
    message_id: str
    resend: int = Field(ge=1)


class FailureRecord(_Contract):
    message_id: str
    reason: DeliveryFailure


class ReceiptNotice(_Contract):
    """The receiver's receipt for a message, read from the VANS inbound directory."""

    message_id: str
    positive: bool


class LetterDelivery(_Contract):
    """One delivery of a letter its owner sends itself: rendered and queued in the outbox at the first attempt (then
    kept), sent through its transport, retried until the give-up period; one send per message id and resend."""

    message_id: str
    resend: int = Field(default=0, ge=0)
    case: QueueCaseMessage | None = Field(default=None, description="The case letter to render")
    application: QueueApplicationMessage | None = Field(default=None, description="The application letter to render")


def delivery_workflow_id(message_id: str, resend: int = 0) -> str:
    return f"message-{message_id}" + (f"-resend-{resend}" if resend else "")
