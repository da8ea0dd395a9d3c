"""`facts_version`, what an If-Match holds against: every fact of a case or application moves it, the delivery
of its letters and copies does not (workflows/domain/facts_version.py). Table-driven over the pure folds."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.application_factories import noon, receive
from tests.support.application_factories import run as run_application
from tests.support.domain_helpers import CASEWORKER, cid, run_commands
from tests.support.factories import at, make_plan, receive_plan
from workflows.domain.applications.state import ApplicationState
from workflows.domain.commands import AssignTeam, ClassifyAlmenLevel
from workflows.domain.facts_version import precondition_holds
from workflows.domain.messaging.commands import (
    MessageOutcome,
    Outcome,
    RecordMessageOutcome,
    RecordMessageQueued,
    ResendMessage,
)
from workflows.domain.messaging.events import DeliveryFailure
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient
from workflows.domain.model import AlmenSubLevel, Recipient
from workflows.domain.state import CaseState

PLAN = make_plan()


def queued(message_id: str = "m-1") -> RecordMessageQueued:
    return RecordMessageQueued(
        command_id=cid(),
        actor="system",
        recipient=MessageRecipient.PATIENT,
        kind=MessageKind.LETTER_FIRST_CONTACT,
        channel=Channel.DIGITAL_POST,
        message_id=message_id,
    )


def reported(outcome: Outcome, message_id: str = "m-1") -> RecordMessageOutcome:
    failure = DeliveryFailure.TRANSPORT_FAILED if outcome is Outcome.FAILED else None
    report = MessageOutcome(message_id=message_id, outcome=outcome, failure=failure)
    return RecordMessageOutcome(command_id=cid(), actor="system", outcome=report)


def resend(message_id: str = "m-1") -> ResendMessage:
    return ResendMessage(command_id=cid(), actor=CASEWORKER, message_id=message_id)


def withheld() -> RecordMessageQueued:
    # A plan copy not sent for want of consent: recorded as PlanDeliveryWithheld, delivery all the same.
    return RecordMessageQueued(
        command_id=cid(),
        actor="system",
        recipient=MessageRecipient(Recipient.GP.value),
        kind=MessageKind.PLAN_FORWARD,
        channel=Channel.MEDCOM,
        message_id=None,
        plan_id=PLAN.plan_id,
        withheld_reason="no_consent",
    )


def classify() -> ClassifyAlmenLevel:
    return ClassifyAlmenLevel(command_id=cid(), actor=CASEWORKER, sub_level=AlmenSubLevel.BASAL)


def team() -> AssignTeam:
    return AssignTeam(command_id=cid(), actor=CASEWORKER, team="visitation")


# (commands after the plan was received, how many events they add, how many of them are facts)
CASE_ROWS: list[tuple[str, list[Any], int, int]] = [
    ("a letter queued", [queued()], 1, 0),
    ("queued then sent", [queued(), reported(Outcome.SENT)], 2, 0),
    ("sent then acknowledged", [queued(), reported(Outcome.SENT), reported(Outcome.ACKNOWLEDGED)], 3, 0),
    ("failed then resent", [queued(), reported(Outcome.FAILED), resend()], 3, 0),
    ("a withheld copy", [withheld()], 1, 0),
    ("a classification", [classify()], 1, 1),
    ("a team", [team()], 1, 1),
    ("a fact after a letter", [queued(), classify()], 2, 1),
    ("a letter after a fact", [classify(), queued()], 2, 1),
]


@pytest.mark.parametrize(("name", "commands", "events", "facts"), CASE_ROWS, ids=[row[0] for row in CASE_ROWS])
def test_a_cases_facts_version_moves_with_its_facts_only(
    name: str, commands: list[Any], events: int, facts: int
) -> None:
    received, _ = run_commands([receive_plan(PLAN)], at("2026-11-17"))
    assert received.facts_version == received.version  # the plan is a fact
    state, produced = run_commands(commands, at("2026-11-17"), received)
    assert len(produced) == events and state.version == received.version + events
    last_fact = max((received.version + 1 + i for i, e in enumerate(produced) if _is_fact(e)), default=None)
    assert state.facts_version == (last_fact if last_fact is not None else received.facts_version)
    assert sum(_is_fact(event) for event in produced) == facts


def _is_fact(event: object) -> bool:
    return not type(event).__name__.startswith(("Message", "PlanDelivery"))


@pytest.mark.parametrize(
    ("commands", "moves"),
    [([queued()], False), ([queued(), reported(Outcome.SENT)], False), ([queued(), reported(Outcome.FAILED)], False)],
    ids=["queued", "sent", "failed"],
)
def test_an_applications_letters_do_not_move_its_facts_version(commands: list[Any], moves: bool) -> None:
    received, _ = run_application([(receive(), noon("2025-11-04"))])
    state, _ = run_application([(command, noon("2025-11-04")) for command in commands], received)
    assert state.version == received.version + len(commands)
    assert (state.facts_version != received.facts_version) is moves


@pytest.mark.parametrize("model", [CaseState, ApplicationState], ids=["case", "application"])
def test_a_state_stored_before_facts_version_holds_its_own_version(model: type[Any]) -> None:
    key = "case_id" if model is CaseState else "application_id"
    stored = model.model_validate({key: str(uuid.uuid4()), "version": 7})
    assert stored.facts_version == 7  # as strict as before, until its next fact
    assert model.model_validate({key: "x", "version": 7, "facts_version": 4}).facts_version == 4


@pytest.mark.parametrize(
    ("expected", "facts_version", "version", "holds"),
    [
        (7, 7, 7, True),  # nothing happened since
        (5, 4, 7, True),  # read after the last fact; only letters went out since
        (4, 4, 7, True),  # read at the last fact
        (3, 4, 7, False),  # a fact happened since it was read
        (8, 4, 7, False),  # a version the case never had
    ],
)
def test_the_precondition_holds_from_the_last_fact_to_the_current_version(
    expected: int, facts_version: int, version: int, holds: bool
) -> None:
    assert precondition_holds(expected, facts_version, version) is holds
