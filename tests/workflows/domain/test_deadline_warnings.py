"""Deadline warnings in the pure core: when each falls due, to whom it is addressed, and when it is not repeated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from tests.support.domain_helpers import CASEWORKER, choose, cid, contact, offer, run_commands
from tests.support.domain_helpers import deliveries as delivery_commands
from tests.support.factories import at, make_command, make_plan
from workflows.domain.calendar import end_of_local_day
from workflows.domain.casework.model import (
    AcknowledgeWarning,
    DeadlineWarningIssued,
    DeadlineWarningSeen,
    warning_id_for,
)
from workflows.domain.commands import ClassifyAlmenLevel, MarkDeadlinePassed, ReceivePlan, TransferCase
from workflows.domain.deadlines import pending_deadlines
from workflows.domain.decider import decide
from workflows.domain.decisions.core import CommandRejected, Rejection
from workflows.domain.model import AlmenSubLevel, DeadlineKind, Level, TransferReason
from workflows.domain.state import CaseState, evolve

CONTACT, GUARANTEE = DeadlineKind.CONTACT, DeadlineKind.START_GUARANTEE
CONTACT_WARNING, GUARANTEE_WARNING = DeadlineKind.CONTACT_WARNING, DeadlineKind.START_GUARANTEE_WARNING
WARNINGS = (CONTACT_WARNING, GUARANTEE_WARNING)


def received(on: str, lead: int | None = None, level: Level = Level.ALMEN) -> CaseState:
    """A case whose plan (discharged the same day) was received and distributed on `on`, 5 working days' contact."""
    plan = make_plan(discharge_date=on, level=level.value)
    receive = make_command(ReceivePlan, plan=plan, contact_working_days=5, warning_working_days=lead)
    state, _ = run_commands([receive, *delivery_commands()], at(on))
    return state


def warnings_due(state: CaseState) -> dict[DeadlineKind, datetime]:
    pending = pending_deadlines(state, with_reminders=False, with_warnings=True)
    return {kind: due_at for kind, due_at in pending.items() if kind in WARNINGS}


def day_end(day: str) -> datetime:
    return end_of_local_day(date.fromisoformat(day))


def _contacted(state: CaseState) -> CaseState:
    classify = ClassifyAlmenLevel(command_id=cid(), actor=CASEWORKER, sub_level=AlmenSubLevel.BASAL)
    return run_commands([classify, contact()], at("2026-11-18"), state)[0]


def _offered(state: CaseState) -> CaseState:
    return state.model_copy(update={"first_appointment_on": date(2026, 11, 23)})


def _contact_warned(state: CaseState) -> CaseState:
    return state.model_copy(update={"deadline_warnings": {CONTACT: state.contact_due_on}})


def _warned_of_an_earlier_date(state: CaseState) -> CaseState:
    return state.model_copy(update={"deadline_warnings": {CONTACT: date(2026, 11, 20), GUARANTEE: date(2026, 11, 21)}})


def _unchanged(state: CaseState) -> CaseState:
    return state


def both(contact_day: str, guarantee_day: str | None = None) -> dict[DeadlineKind, str]:
    return {CONTACT_WARNING: contact_day, GUARANTEE_WARNING: guarantee_day or contact_day}


# Received Tuesday 17 November 2026: contact due 24 November (5 working days), the guarantee 24 November (7 days).
# Received Monday 21 December 2026: contact due 29 December (Christmas Day the 25th, a Friday, is no working day),
# the guarantee 28 December.
NOV, DEC = "2026-11-17", "2026-12-21"
PENDING_CASES: list[tuple[str, str, int | None, Callable[[CaseState], CaseState], dict[DeadlineKind, str]]] = [
    ("the rules' lead: 2 working days", NOV, None, _unchanged, both("2026-11-20")),
    ("the municipality's lead: 3", NOV, 3, _unchanged, both("2026-11-19")),
    ("a lead as long as the deadline: the day of receipt", NOV, 5, _unchanged, both("2026-11-17")),
    ("holidays and a weekend are skipped", DEC, None, _unchanged, both("2026-12-24", "2026-12-23")),
    ("contact recorded: only the guarantee's", NOV, None, _contacted, {GUARANTEE_WARNING: "2026-11-20"}),
    ("a start offered: only the contact's", NOV, None, _offered, {CONTACT_WARNING: "2026-11-20"}),
    ("warned of this date already: not again", NOV, None, _contact_warned, {GUARANTEE_WARNING: "2026-11-20"}),
    ("warned of another date: warned again", NOV, None, _warned_of_an_earlier_date, both("2026-11-20")),
]


@pytest.mark.parametrize(
    ("received_on", "lead", "change", "expected"),
    [case[1:] for case in PENDING_CASES],
    ids=[case[0] for case in PENDING_CASES],
)
def test_a_warning_falls_due_when_only_the_lead_working_days_remain(
    received_on: str,
    lead: int | None,
    change: Callable[[CaseState], CaseState],
    expected: dict[DeadlineKind, str],
) -> None:
    state = change(received(received_on, lead))
    assert warnings_due(state) == {kind: day_end(day) for kind, day in expected.items()}


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (received("2026-11-17"), "the workflow runs no warnings (a case from before them)"),
        (received("2026-11-17").model_copy(update={"rules_valid_from": None}), "no rules: no lead time"),
    ],
)
def test_no_warning_without_warnings_or_rules(state: CaseState, why: str) -> None:
    with_warnings = state.rules_valid_from is None
    pending = pending_deadlines(state, with_reminders=False, with_warnings=with_warnings)
    assert not set(pending) & set(WARNINGS), why
    assert CONTACT in pending  # the legal deadlines run all the same


def test_a_level_without_a_start_guarantee_is_warned_of_its_contact_deadline_only() -> None:
    assert set(warnings_due(received("2026-11-17", level=Level.SPECIALISERET))) == {CONTACT_WARNING}


def test_the_reminder_and_the_warnings_are_each_others_alternative() -> None:
    state = received("2026-11-17")
    assert DeadlineKind.CONTACT_REMINDER in pending_deadlines(state, with_reminders=True)
    assert DeadlineKind.CONTACT_REMINDER not in pending_deadlines(state, with_reminders=False, with_warnings=True)


# -- the decider: issued at its instant, to whoever holds the case, once per due date -----------------------------


def passed(kind: DeadlineKind) -> MarkDeadlinePassed:
    return MarkDeadlinePassed(command_id=cid(), actor="system:deadline", deadline=kind)


def _held_by(assignee: str | None, team: str | None) -> CaseState:
    return received("2026-11-17").model_copy(update={"assignee": assignee, "team": team})


@pytest.mark.parametrize(
    ("assignee", "team"),
    [("cw-7", "team-nord"), (None, "team-nord"), (None, None)],
    ids=["the assignee", "the team when nobody holds the case", "nobody: neither"],
)
@pytest.mark.parametrize("kind", WARNINGS)
def test_a_warning_is_issued_at_its_instant_to_whoever_holds_the_case(
    kind: DeadlineKind, assignee: str | None, team: str | None
) -> None:
    state = _held_by(assignee, team)
    due_at = day_end("2026-11-20")
    assert decide(state, passed(kind), due_at - timedelta(microseconds=1)) == []  # a timer fired early: nothing
    (issued,) = decide(state, passed(kind), due_at)
    legal = CONTACT if kind is CONTACT_WARNING else GUARANTEE
    assert issued == DeadlineWarningIssued(
        occurred_at=due_at,
        warning_id=warning_id_for(legal, date(2026, 11, 24)),
        deadline=legal,
        due_on=date(2026, 11, 24),
        assignee=assignee,
        team=team,
    )
    warned = evolve(state, issued)
    assert [w.warning_id for w in warned.unseen_warnings] == [f"{legal.value}:2026-11-24"]
    assert decide(warned, passed(kind), due_at + timedelta(days=1)) == []  # not repeated
    assert kind not in warnings_due(warned)


def test_a_moved_contact_deadline_is_warned_of_again_under_a_new_id() -> None:
    state = received("2026-11-17")
    state = evolve(state, decide(state, passed(CONTACT_WARNING), day_end("2026-11-20"))[0])
    transfer = TransferCase(
        command_id=cid(),
        actor=CASEWORKER,
        to_municipality_code="751",
        reason=TransferReason.CITIZEN_MOVED,
        contact_working_days=4,
        warning_working_days=1,
    )
    moved, _ = run_commands([transfer], at("2026-11-23"), state)
    assert moved.contact_due_on == date(2026, 11, 27)  # 4 working days from Monday 23 November
    assert warnings_due(moved) == {CONTACT_WARNING: day_end("2026-11-26")}  # the receiving municipality's lead: 1
    (again,) = decide(moved, passed(CONTACT_WARNING), day_end("2026-11-26"))
    assert isinstance(again, DeadlineWarningIssued) and again.warning_id == "contact:2026-11-27"
    assert (again.assignee, again.team) == (None, None)  # a transfer clears who held the case


def test_a_met_deadline_issues_no_warning_even_when_its_timer_fires() -> None:
    state = _contacted(received("2026-11-17"))
    assert decide(state, passed(CONTACT_WARNING), day_end("2026-11-20")) == []
    offered = run_commands([choose(), offer(date(2026, 11, 23))], at("2026-11-18"), state)[0]
    assert decide(offered, passed(GUARANTEE_WARNING), day_end("2026-11-20")) == []


# -- seen ---------------------------------------------------------------------------------------------------------


def _warned() -> CaseState:
    state = received("2026-11-17")
    for kind in WARNINGS:
        state = evolve(state, decide(state, passed(kind), day_end("2026-11-20"))[0])
    return state


def seen(warning_id: str) -> AcknowledgeWarning:
    return AcknowledgeWarning(command_id=cid(), actor=CASEWORKER, warning_id=warning_id)


def test_seen_removes_the_warning_from_the_unseen_ones_and_twice_changes_nothing() -> None:
    state = _warned()
    assert [w.warning_id for w in state.unseen_warnings] == ["contact:2026-11-24", "start_guarantee:2026-11-24"]
    now = at("2026-11-23")
    (event,) = decide(state, seen("contact:2026-11-24"), now)
    assert event == DeadlineWarningSeen(occurred_at=now, warning_id="contact:2026-11-24")
    state = evolve(state, event)
    assert [w.warning_id for w in state.unseen_warnings] == ["start_guarantee:2026-11-24"]
    assert decide(state, seen("contact:2026-11-24"), now) == []


@pytest.mark.parametrize("warning_id", ["contact:2026-11-25", "start_guarantee:2026-11-24x", "nonsense"])
def test_an_unknown_warning_is_refused_naming_warning_id(warning_id: str) -> None:
    with pytest.raises(CommandRejected) as refused:
        decide(_warned(), seen(warning_id), at("2026-11-23"))
    assert refused.value.kind is Rejection.INVALID and refused.value.field == "warning_id"
