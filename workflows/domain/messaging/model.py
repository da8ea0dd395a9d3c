"""The vocabulary of an outbound message: its channel, kind, recipient and the message as queued.

Pure pydantic (no I/O), so workflows, activities and other helpers' intake code share one definition.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The id namespace of messages the workflows derive (uuid5): the same obligation always gets the same id,
# so a retried or replayed queueing can never produce a second message.
_MESSAGE_NAMESPACE = uuid.UUID("8d1b6c52-0f8e-4c3a-b7a9-2e4f71c0d5a3")


class Channel(StrEnum):
    MEDCOM = "medcom"  # OIOXML over a VANS mailbox (MedCom), addressed by EAN location number
    DIGITAL_POST = "digital_post"  # a letter to the citizen's Digital Post (MitID / e-Boks / mit.dk)


class MessageKind(StrEnum):
    RECEIPT = "receipt"  # a MedCom receipt for an incoming message (never acknowledged itself)
    PLAN_FORWARD = "plan_forward"  # the plan to the municipality's EHR or the GP, where a deployment forwards
    LETTER_FIRST_CONTACT = "letter_first_contact"  # BEK om genoptræningsplaner kapitel 2
    LETTER_FREE_CHOICE = "letter_free_choice"  # SUL §140 stk. 4: the start guarantee is breached
    LETTER_DECISION = "letter_decision"  # Serviceloven §86 decision with klagevejledning

    @property
    def is_letter(self) -> bool:
        return self.value.startswith("letter_")


class MessageRecipient(StrEnum):
    """Who a message goes to: the values of `workflows.domain.model.Recipient` plus a sending hospital."""

    PATIENT = "patient"  # the citizen (Digital Post)
    GP = "gp"
    MUNICIPALITY = "municipality"  # the municipality's own EHR
    TRAINING_HOSPITAL = "training_hospital"
    HOSPITAL = "hospital"  # the hospital that sent a plan: receipts


class OutboundMessage(BaseModel):
    """One message as its caller queues it in the outbox (`activities.messaging.outbox.queue_outbound`).

    `message_id` is chosen by the caller and makes queueing idempotent. `content` is the message as the
    receiver gets it (MedCom XML, a letter's PDF); with `citizen_cpr` set it holds personal data and is
    sealed for that citizen before it is stored. Neither is ever logged or shown in a repr.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_id: str = Field(
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        description="A UUID (lower case, with hyphens) chosen by the caller: the same message, the same id",
    )
    channel: Channel
    kind: MessageKind
    recipient: MessageRecipient
    address: str = Field(
        min_length=1,
        max_length=100,
        description="MedCom: the receiver's EAN location number; Digital Post: 'digital_post' (the CPR is sealed "
        "inside the content, never stored in clear)",
    )
    case_id: str | None = Field(default=None, max_length=100, description="None for a receipt of a refused message")
    application_id: str | None = Field(default=None, max_length=100)
    plan_id: str = Field(default="", max_length=100)
    content: bytes = Field(repr=False, min_length=1)
    content_type: str = Field(max_length=100, examples=["application/xml", "application/pdf"])
    citizen_cpr: str | None = Field(default=None, repr=False, pattern=r"^\d{10}$")
    envelope_id: str | None = Field(
        default=None, max_length=100, description="MedCom: the envelope id a receiver's receipt will quote"
    )
    ack_expected: bool = Field(default=False, description="MedCom messages other than receipts expect a receipt")
    details: dict[str, str] = Field(default_factory=dict, description="Non-personal facts: a letter's title, ...")

    @model_validator(mode="after")
    def _fits_channel(self) -> OutboundMessage:
        if self.channel is Channel.MEDCOM and not (self.address.isdigit() and len(self.address) == 13):
            raise ValueError("a MedCom message is addressed to a 13-digit EAN location number")
        if self.kind is MessageKind.RECEIPT and self.ack_expected:
            raise ValueError("a receipt is never acknowledged (MedCom)")
        if self.kind.is_letter and self.citizen_cpr is None:
            raise ValueError("a letter is personal data: citizen_cpr seals it")
        return self


def message_id_for(*parts: str) -> str:
    """A deterministic message id for an obligation named by `parts` (e.g. case id, kind, plan id)."""
    return str(uuid.uuid5(_MESSAGE_NAMESPACE, "/".join(parts)))


def resend_envelope_id(message_id: str, resend: int, automatic_resend: int) -> str:
    """The new envelope id of a message's `automatic_resend`-th automatic resend within its delivery `resend`.

    MedCom: each resend of a message that got no receipt carries a new envelope id (the letter stays the same).
    Derived, so a retried send writes the same id; 32 hex digits, as OIOXML writes ids (without hyphens)."""
    return uuid.uuid5(_MESSAGE_NAMESPACE, f"{message_id}/envelope/{resend}/{automatic_resend}").hex
