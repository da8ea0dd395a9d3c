"""The messages a case owes, rendered from its read model: the first-contact and free-choice letters to the
citizen (MeMo around a PDF) and the plan forwarded to the municipality's own EHR where configured."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import psycopg

from activities.messaging.letters.memo import MemoLetter, memo_message
from activities.messaging.letters.pdf import render_pdf
from activities.messaging.letters.texts import Letter, LetterSender, first_contact, free_choice
from activities.messaging.medcom.inbound_messages import original_of_case_letter
from activities.messaging.settings import SenderContact, TransportSettings
from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from workflows.contracts.messaging import QueueCaseMessage
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient, OutboundMessage
from workflows.domain.state import CaseState, fold


class NothingToQueue(LookupError):
    """The case's read model does not (yet) hold what the message needs."""


async def case_state(pool: Pool, case_id: str) -> CaseState:
    """The case folded from its own events: the facts a letter states are the stream's, opened for the letter."""
    stored = await EventStore(pool).read_stream(case_id)
    if not stored:
        raise NothingToQueue("the case has no events yet")
    return fold(CaseState(case_id=case_id), [event.event for event in stored])


def sender_of(contact: SenderContact) -> LetterSender:
    address = tuple(line for line in (contact.unit, contact.address) if line)
    reach = [f"Telefon {contact.phone}"]
    reach += [f"E-mail {contact.email}"] if contact.email else []
    reach += [contact.web] if contact.web else []
    return LetterSender(name=contact.name, address=address, contact=tuple(reach))


async def letter_sender(
    conn: psycopg.AsyncConnection[Any], municipality_code: str | None, settings: TransportSettings
) -> LetterSender:
    """The municipality as its letters name it (LETTER_SENDER_CONTACTS); unlisted (only `make run` and tests start
    so, `require_real_sender`): its name in the register, else DIGITAL_POST_SENDER_LABEL, without an address."""
    contact = settings.letter_sender_contacts.get(municipality_code or "")
    if contact is not None:
        return sender_of(contact)
    cursor = await conn.execute("SELECT name FROM municipalities WHERE code = %s", (municipality_code,))
    row = await cursor.fetchone()
    return LetterSender(name=str(row[0]) if row else settings.digital_post_sender_label)


def case_reference(owner_id: str) -> str:
    """The reference a letter names, for the citizen to quote: the case's (or application's) id."""
    return f"Sagsnr. {owner_id}"


def letter_message(
    letter: Letter, message_id: str, cpr: str, settings: TransportSettings, now: datetime, **owner: str
) -> OutboundMessage:
    """A letter as the outbox keeps it: its MeMo message, sealed for the citizen."""
    filename = f"{letter.kind.value}.pdf"
    memo = memo_message(
        MemoLetter(
            message_uuid=message_id,
            label=letter.title,
            sender_cvr=settings.digital_post_sender_id,
            sender_label=letter.sender.name,
            recipient_cpr=cpr,
            created=now,
            filename=filename,
            pdf=render_pdf(letter),
            legal_notification=letter.legal_notification,
        )
    )
    return OutboundMessage(
        message_id=message_id,
        channel=Channel.DIGITAL_POST,
        kind=letter.kind,
        recipient=MessageRecipient.PATIENT,
        address="digital_post",
        content=memo,
        content_type="application/xml",
        citizen_cpr=cpr,
        details={
            "title": letter.title,
            "format": "MeMo 1.2",
            "filename": filename,
            "written_on": str(letter.written_on),
            "reference": letter.reference,
        },
        **owner,
    )


async def render_case_message(
    conn: psycopg.AsyncConnection[Any],
    state: CaseState,
    request: QueueCaseMessage,
    settings: TransportSettings,
    today: date,
) -> OutboundMessage | str:
    """The message to queue, or the reason it is withheld (a plan copy the deployment does not forward)."""
    plan = state.plan
    if plan is None:
        raise NothingToQueue("the case has no plan")
    now = datetime.now(UTC)
    sender = await letter_sender(conn, state.responsible_municipality_code, settings)
    owner = {"case_id": request.case_id, "plan_id": plan.plan_id}
    reference = case_reference(request.case_id)
    if request.kind is MessageKind.LETTER_FIRST_CONTACT:
        letter = first_contact(plan.patient.name, sender, reference, today, plan.discharge_date)
        return letter_message(letter, request.message_id, plan.patient.cpr, settings, now, **owner)
    if request.kind is MessageKind.LETTER_FREE_CHOICE:
        if state.start_guarantee_due_on is None:
            raise NothingToQueue("the case has no start guarantee")
        letter = free_choice(plan.patient.name, sender, reference, today, state.start_guarantee_due_on)
        return letter_message(letter, request.message_id, plan.patient.cpr, settings, now, **owner)
    if request.kind is MessageKind.PLAN_FORWARD:
        ean = settings.medcom_plan_forward_eans.get(state.responsible_municipality_code or "")
        if request.recipient is not MessageRecipient.MUNICIPALITY or ean is None:
            # The hospital sends the GP (and a training hospital) their copy itself (MedCom, GGOP): the service
            # forwards only to the municipality's own EHR, and only where a deployment configured its mailbox.
            return "not_forwarded"
        content, content_type, described = await _plan_as_sent(conn, request.case_id, state)
        return OutboundMessage(
            message_id=request.message_id,
            channel=Channel.MEDCOM,
            kind=MessageKind.PLAN_FORWARD,
            recipient=request.recipient,
            address=ean,
            content=content,
            content_type=content_type,
            citizen_cpr=plan.patient.cpr,
            # OIOXML quotes ids without hyphens (MedCom); the receiver's receipt names this envelope.
            envelope_id=uuid.UUID(request.message_id).hex,
            ack_expected=True,
            details={"format": described},
            **owner,
        )
    raise NothingToQueue(f"a case does not send {request.kind.value}")


async def _plan_as_sent(conn: psycopg.AsyncConnection[Any], case_id: str, state: CaseState) -> tuple[bytes, str, str]:
    """The plan for the municipality's own EHR: the hospital's GGOP message itself where the plan came as one
    (addressed to this municipality already, MedCom OIOXML, which the EHR reads), else the service's own JSON."""
    plan = state.plan
    assert plan is not None
    if plan.medcom_letter is not None:
        original = await original_of_case_letter(conn, case_id, plan.medcom_letter.letter_id)
        if original is not None:
            return original, "application/xml", "MedCom GGOP (the hospital's original message)"
    return plan.model_dump_json().encode(), "application/json", "genoptraening plan JSON (the service's own format)"
