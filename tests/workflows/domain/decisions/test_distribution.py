"""What a light case appends with the command that caused it (workflows.domain.decisions.distribution): each copy of
the plan settled at once (the citizen's letter queued for the case to send, the others withheld unless the
municipality's EHR gets it over MedCom), and the free-choice letter when free choice opens."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import RECEIVED_AT, make_plan, plan_received
from workflows.domain.case_state import CaseState
from workflows.domain.decisions.distribution import consequences, first_contact_letter_id, letter_id
from workflows.domain.events import CaseEvent, PlanDeliveryWithheld
from workflows.domain.messaging.events import MessageQueued
from workflows.domain.messaging.model import MessageKind
from workflows.domain.model import Recipient
from workflows.domain.state import evolve


def _received(**plan: Any) -> CaseState:
    return evolve(CaseState(case_id="case-1"), plan_received(make_plan(**plan)))


def _settled(events: list[CaseEvent]) -> dict[Recipient, str]:
    """Each recipient's copy as the events settle it: the letter's kind, or `withheld:<reason>`."""
    settled: dict[Recipient, str] = {}
    for event in events:
        if isinstance(event, PlanDeliveryWithheld):
            settled[event.recipient] = f"withheld:{event.reason}"
        elif isinstance(event, MessageQueued) and event.plan_id is not None:
            settled[Recipient(event.recipient.value)] = event.kind.value
    return settled


LETTER = MessageKind.LETTER_FIRST_CONTACT.value


@pytest.mark.parametrize(
    ("plan", "forwarded", "expected"),
    [
        (
            {},
            [],
            {
                Recipient.PATIENT: LETTER,
                Recipient.GP: "withheld:not_forwarded",
                Recipient.MUNICIPALITY: "withheld:not_forwarded",
            },
        ),
        (
            {"consent_to_share_with_gp": False},
            [],
            {
                Recipient.PATIENT: LETTER,
                Recipient.GP: "withheld:no_consent",
                Recipient.MUNICIPALITY: "withheld:not_forwarded",
            },
        ),
        # The municipality's own EHR gets the plan over MedCom: left to the workflow (a receipt is awaited).
        ({}, ["101"], {Recipient.PATIENT: LETTER, Recipient.GP: "withheld:not_forwarded"}),
        # Another municipality's forwarding does not forward this one's.
        (
            {},
            ["147"],
            {
                Recipient.PATIENT: LETTER,
                Recipient.GP: "withheld:not_forwarded",
                Recipient.MUNICIPALITY: "withheld:not_forwarded",
            },
        ),
    ],
    ids=["default", "no-gp-consent", "municipality-forwarded", "other-municipality-forwarded"],
)
def test_a_received_plan_settles_its_copies_at_once(
    plan: dict[str, Any], forwarded: list[str], expected: dict[Recipient, str]
) -> None:
    assert _settled(consequences(_received(**plan), forwarded, RECEIVED_AT)) == expected


def test_the_citizens_letter_is_queued_for_the_case_to_send() -> None:
    state = _received()
    (letter,) = [e for e in consequences(state, [], RECEIVED_AT) if isinstance(e, MessageQueued)]
    assert letter.owner_sends and not letter.ack_expected
    assert letter.message_id == first_contact_letter_id(state)  # the id the older path gave the same letter


def test_settled_copies_cause_nothing_more() -> None:
    state = _received()
    for event in consequences(state, [], RECEIVED_AT):
        state = evolve(state, event)
    assert consequences(state, [], RECEIVED_AT) == []


def test_free_choice_opening_queues_its_letter_once() -> None:
    state = _received()
    for event in consequences(state, [], RECEIVED_AT):
        state = evolve(state, event)
    opened = state.model_copy(update={"free_choice_open": True})
    (letter,) = consequences(opened, [], RECEIVED_AT)
    assert isinstance(letter, MessageQueued) and letter.kind is MessageKind.LETTER_FREE_CHOICE and letter.owner_sends
    assert letter.message_id == letter_id(opened, MessageKind.LETTER_FREE_CHOICE)
    assert consequences(evolve(opened, letter), [], RECEIVED_AT) == []


def test_an_ended_case_owes_nothing() -> None:
    ended = _received().model_copy(update={"free_choice_open": True})
    ended = ended.model_copy(update={"status": ended.status.CLOSED})
    assert consequences(ended, [], RECEIVED_AT) == []
