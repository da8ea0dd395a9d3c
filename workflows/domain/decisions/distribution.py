"""What a case owes at once after a change, decided without I/O: the plan's copies that are not sent, and the letters
to the citizen. A light case workflow appends these with the command that caused them (one append, no activity of
their own); the older path queued each through an activity and recorded it with an append of its own.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from workflows.domain.case_state import CaseState
from workflows.domain.decisions.intake import recipients_to_serve
from workflows.domain.events import CaseEvent, PlanDeliveryWithheld
from workflows.domain.messaging.events import MessageQueued
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient, message_id_for
from workflows.domain.model import Recipient

# The GP and a training hospital get their copy from the sending hospital itself (MedCom GGOP: the hospital
# addresses them); the service forwards only to the municipality's own EHR, where a deployment configured it.
_SENT_BY_THE_HOSPITAL = (Recipient.GP, Recipient.TRAINING_HOSPITAL)


def first_contact_letter_id(state: CaseState) -> str:
    """The citizen's first-contact letter for the case's current plan (the same id the older path used)."""
    plan_id = state.require_plan().plan_id
    return message_id_for(state.case_id, MessageKind.LETTER_FIRST_CONTACT.value, Recipient.PATIENT.value, plan_id)


def letter_id(state: CaseState, kind: MessageKind) -> str:
    """A letter the case owes once per plan (e.g. free choice)."""
    return message_id_for(state.case_id, kind.value, state.require_plan().plan_id)


def letters_owed(state: CaseState) -> list[MessageKind]:
    """Letters the case owes now and has not queued (the first-contact letter goes with the plan's copies)."""
    if not state.is_open or state.plan is None:
        return []
    owed = []
    # SUL §140 stk. 4: the citizen is told when free choice of a private provider opens.
    if state.free_choice_open and letter_id(state, MessageKind.LETTER_FREE_CHOICE) not in state.messages:
        owed.append(MessageKind.LETTER_FREE_CHOICE)
    return owed


def _letter(state: CaseState, message_id: str, kind: MessageKind, plan_id: str | None, now: datetime) -> MessageQueued:
    return MessageQueued(
        occurred_at=now,
        message_id=message_id,
        kind=kind,
        channel=Channel.DIGITAL_POST,
        recipient=MessageRecipient.PATIENT,
        plan_id=plan_id,
        owner_sends=True,
    )


def consequences(state: CaseState, forwarded_municipalities: Collection[str], now: datetime) -> list[CaseEvent]:
    """The events `state` owes at once: each recipient's copy of the plan settled (the citizen's first-contact letter
    queued; a copy withheld: no consent, or nobody the service forwards to), and any letter owed.

    A copy to a municipality listed in `forwarded_municipalities` (MEDCOM_PLAN_FORWARD_EANS) is left out: it goes
    over MedCom and waits for its receipt, so the workflow queues it and hands it to a delivery workflow."""
    events: list[CaseEvent] = []
    for recipient, may_send in recipients_to_serve(state):
        plan_id = state.require_plan().plan_id
        if recipient is Recipient.PATIENT:
            # BEK om genoptræningsplaner kapitel 2: the citizen is contacted about the plan (first-contact letter).
            message_id = first_contact_letter_id(state)
            events.append(_letter(state, message_id, MessageKind.LETTER_FIRST_CONTACT, plan_id, now))
        elif not may_send:
            events.append(PlanDeliveryWithheld(occurred_at=now, recipient=recipient, reason="no_consent"))
        elif recipient in _SENT_BY_THE_HOSPITAL or state.responsible_municipality_code not in forwarded_municipalities:
            events.append(PlanDeliveryWithheld(occurred_at=now, recipient=recipient, reason="not_forwarded"))
    for kind in letters_owed(state):
        events.append(_letter(state, letter_id(state, kind), kind, None, now))
    return events
