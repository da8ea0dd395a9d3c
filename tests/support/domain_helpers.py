"""Drive the pure decider through a case's life without any workflow."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from tests.support.factories import at, make_provider, receive_plan
from workflows.domain.commands import (
    CaseCommand,
    ChooseProvider,
    ClassifyAlmenLevel,
    OfferStart,
    RecordCitizenContact,
    RecordPlanDelivery,
)
from workflows.domain.decider import decide
from workflows.domain.events import CaseEvent
from workflows.domain.model import DISCHARGE_RECIPIENTS, AlmenSubLevel, ContactChannel
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.state import CaseState, evolve

CASEWORKER = "caseworker:cw-1"


def cid() -> str:
    return uuid.uuid4().hex


def run_commands(
    commands: list[CaseCommand], now: datetime, state: CaseState | None = None
) -> tuple[CaseState, list[CaseEvent]]:
    state = state or CaseState(case_id="case-under-test")
    produced: list[CaseEvent] = []
    for command in commands:
        for event in decide(state, command, now):
            produced.append(event)
            state = evolve(state, event)
    return state, produced


def deliveries() -> list[CaseCommand]:
    return [
        RecordPlanDelivery(command_id=cid(), actor="system", recipient=recipient, message_id=cid())
        for recipient in DISCHARGE_RECIPIENTS
    ]


def classify() -> ClassifyAlmenLevel:
    return ClassifyAlmenLevel(command_id=cid(), actor=CASEWORKER, sub_level=AlmenSubLevel.BASAL)


def contact() -> RecordCitizenContact:
    return RecordCitizenContact(
        command_id=cid(), actor=CASEWORKER, channel=ContactChannel.PHONE, informed_of_provider_choices=True
    )


def choose() -> ChooseProvider:
    return ChooseProvider(command_id=cid(), actor=CASEWORKER, provider=make_provider())


def offer(on: date) -> OfferStart:
    return OfferStart(command_id=cid(), actor=CASEWORKER, first_appointment_on=on)


def state_at(stage: str, plan: RehabilitationPlan | None = None, now: datetime | None = None) -> CaseState:
    """The state of a fresh case taken through the almen route up to `stage`."""
    route: list[tuple[str, list[CaseCommand]]] = [
        ("received", [receive_plan(plan)]),
        ("distributed", deliveries()),
        ("classified", [classify()]),
        ("citizen_contacted", [contact()]),
        ("provider_chosen", [choose()]),
    ]
    commands: list[CaseCommand] = []
    for name, step in route:
        commands += step
        if name == stage:
            break
    state, _ = run_commands(commands, now or at("2026-11-17"))
    return state
