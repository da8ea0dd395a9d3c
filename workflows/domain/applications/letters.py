"""The letters an application owes (pure): each decision is written to the citizen with its klagevejledning."""

from __future__ import annotations

from datetime import datetime

from workflows.domain.applications.state import ApplicationState
from workflows.domain.messaging.events import MessageQueued
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient, message_id_for


def decision_letter_id(application_id: str, decision: int) -> str:
    return message_id_for(application_id, MessageKind.LETTER_DECISION.value, str(decision))


def decision_of_letter(state: ApplicationState, message_id: str) -> int:
    """The decision (numbered from 1) a decision letter's id names."""
    for decision in range(1, state.decisions_made + 1):
        if decision_letter_id(state.application_id, decision) == message_id:
            return decision
    raise LookupError("no decision of this application has this letter")


def decision_letters_owed(state: ApplicationState) -> list[int]:
    """The decisions (numbered from 1) whose letter is not queued yet: every afgørelse is written to the citizen
    with its klagevejledning (Serviceloven §86; ast.dk; retssikkerhedsloven §§ 66-67 [UNCERTAIN §§])."""
    return [
        decision
        for decision in range(1, state.decisions_made + 1)
        if decision_letter_id(state.application_id, decision) not in state.messages
    ]


def letters_queued(state: ApplicationState, now: datetime) -> list[MessageQueued]:
    """A light application's consequences: the letters of the decisions made, queued for it to send itself, in
    the append of the decision (no activity or append of their own)."""
    return [
        MessageQueued(
            occurred_at=now,
            message_id=decision_letter_id(state.application_id, decision),
            kind=MessageKind.LETTER_DECISION,
            channel=Channel.DIGITAL_POST,
            recipient=MessageRecipient.PATIENT,
            owner_sends=True,
        )
        for decision in decision_letters_owed(state)
    ]
