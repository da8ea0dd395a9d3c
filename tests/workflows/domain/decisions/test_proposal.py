"""Table-driven tests of the proposed later start: made with the plan, decided once by a caseworker, and only
a confirmed date moves the 7-day clock (SUL §140 stk. 4, last sentence)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from tests.support.domain_helpers import CASEWORKER, cid, offer, run_commands, state_at
from tests.support.factories import at, make_plan, receive_plan
from workflows.domain.commands import (
    CaseCommand,
    CloseCase,
    ConfirmProposedStartDate,
    MarkDeadlinePassed,
    PostponeStart,
    RejectProposedStartDate,
    ReplacePlan,
)
from workflows.domain.deadlines import pending_deadlines
from workflows.domain.decider import CommandRejected, Rejection, decide
from workflows.domain.model import CloseReason, DeadlineKind, GuaranteeStatusReason, Level, PlanRelation
from workflows.domain.plan.plan import PreviousPlan, RehabilitationPlan
from workflows.domain.plan.start_proposal import (
    ProposalOutcome,
    ProposedStartDateConfirmed,
    ProposedStartDateRejected,
    ProposedStartDateSuperseded,
    StartDateProposed,
)
from workflows.domain.state import CaseState

NOW = at("2026-11-17")
LATER_START_TEXT = "Genoptræning tidligst 14 dage efter udskrivelse pga. sårheling"  # discharge 16/11 -> 30/11
PROPOSED_ON = date(2026, 11, 30)


def plan_with(text: str | None = LATER_START_TEXT, **overrides: object) -> RehabilitationPlan:
    return make_plan(rehabilitation_deadline_text=text, **overrides)


def confirm(on: date = PROPOSED_ON) -> ConfirmProposedStartDate:
    return ConfirmProposedStartDate(command_id=cid(), actor=CASEWORKER, proposed_on=on)


def reject(reason: str | None = "Lægen bekræfter opstart straks") -> RejectProposedStartDate:
    return RejectProposedStartDate(command_id=cid(), actor=CASEWORKER, reason=reason)


def breach_at_day_8() -> MarkDeadlinePassed:
    return MarkDeadlinePassed(command_id=cid(), actor="system:deadline", deadline=DeadlineKind.START_GUARANTEE)


def proposed(stage: str = "received", plan: RehabilitationPlan | None = None) -> CaseState:
    return state_at(stage, plan or plan_with())


@pytest.mark.parametrize(
    ("plan", "proposed_on"),
    [
        (plan_with(), PROPOSED_ON),
        (plan_with("opstart efter 1/12"), date(2026, 12, 1)),
        (plan_with("tidligst uge 50", level=Level.SPECIALISERET), date(2026, 12, 7)),  # proposed at any level
        (plan_with(None), None),
        (plan_with("genoptræning kan starte straks"), None),
        (plan_with("ingen"), None),
        (plan_with("tidligst 6 uger postoperativt"), None),  # counted from an event the case does not know
        # The plan's own later start already lies beyond what the text names: nothing new to propose.
        (plan_with(start_date_for_health_reasons=date(2026, 12, 1)), None),
        (plan_with("efter 14/12", start_date_for_health_reasons=date(2026, 12, 1)), date(2026, 12, 14)),
    ],
)
def test_accepting_a_plan_proposes_the_later_start_its_text_names(
    plan: RehabilitationPlan, proposed_on: date | None
) -> None:
    state, events = run_commands([receive_plan(plan)], NOW)
    assert events[0].type == "PlanReceived"
    if proposed_on is None:
        assert [e.type for e in events] == ["PlanReceived"]
        assert state.start_date_proposal is None
        return
    assert [e.type for e in events] == ["PlanReceived", "StartDateProposed"]
    proposal_event = events[1]
    assert isinstance(proposal_event, StartDateProposed)
    text = plan.rehabilitation_deadline_text or ""
    start = proposal_event.source_start
    assert text[start : start + len(proposal_event.source_text)] == proposal_event.source_text
    assert state.start_date_proposal is not None
    assert state.start_date_proposal.proposed_on == proposed_on
    assert state.start_date_proposal.outcome is ProposalOutcome.OPEN
    assert state.plan is not None and state.plan.rehabilitation_deadline_text == text  # kept verbatim


def test_a_proposal_alone_does_not_move_the_clock() -> None:
    state = proposed()
    assert state.start_guarantee_due_on == date(2026, 11, 23)  # 7 days from discharge, as without a text
    assert state.guarantee_status_reason is None


def test_the_same_plan_again_proposes_nothing_new() -> None:
    first = receive_plan(plan_with())
    state, _ = run_commands([first], NOW)
    assert decide(state, first, NOW) == []


@pytest.mark.parametrize(
    ("command", "event_type", "due_on", "outcome", "reason"),
    [
        (
            confirm,
            ProposedStartDateConfirmed,
            date(2026, 12, 7),
            ProposalOutcome.CONFIRMED,
            GuaranteeStatusReason.UDSKUDT,
        ),
        (reject, ProposedStartDateRejected, date(2026, 11, 23), ProposalOutcome.REJECTED, None),
        (lambda: reject(None), ProposedStartDateRejected, date(2026, 11, 23), ProposalOutcome.REJECTED, None),
    ],
)
def test_only_a_confirmed_date_moves_the_start_guarantee(
    command: Callable[[], CaseCommand],
    event_type: type,
    due_on: date,
    outcome: ProposalOutcome,
    reason: GuaranteeStatusReason | None,
) -> None:
    after, events = run_commands([command()], NOW, proposed())
    assert len(events) == 1 and isinstance(events[0], event_type)
    assert after.start_guarantee_due_on == due_on
    assert after.guarantee_status_reason is reason
    assert after.start_date_proposal is not None
    assert after.start_date_proposal.outcome is outcome
    assert after.start_date_proposal.decided_at == NOW


def test_a_rejection_keeps_its_reason() -> None:
    after, _ = run_commands([reject("Ikke sundhedsfagligt begrundet")], NOW, proposed())
    assert after.start_date_proposal is not None
    assert after.start_date_proposal.reason == "Ikke sundhedsfagligt begrundet"


@pytest.mark.parametrize(
    ("decisions", "breached"),
    [
        ([confirm], False),  # day 8 after discharge is inside the moved guarantee (last day 7 December)
        ([reject], True),  # as before: day 8 breaches SUL §140 stk. 4
        ([], True),  # an undecided proposal moves nothing
    ],
)
def test_day_8_after_discharge(decisions: list[Callable[[], CaseCommand]], breached: bool) -> None:
    state, _ = run_commands([make() for make in decisions], NOW, proposed())
    day_8 = at("2026-11-24", hour=12)
    _, events = run_commands([breach_at_day_8()], day_8, state)
    assert [e.type for e in events] == (["StartGuaranteeBreached"] if breached else [])


def test_a_confirmed_guarantee_falls_due_at_the_end_of_its_new_last_day() -> None:
    state, _ = run_commands([confirm()], NOW, proposed())
    due_at = pending_deadlines(state)[DeadlineKind.START_GUARANTEE]
    _, too_early = run_commands([breach_at_day_8()], at("2026-12-07", hour=12), state)
    assert too_early == []
    _, events = run_commands([breach_at_day_8()], due_at, state)
    assert [e.type for e in events] == ["StartGuaranteeBreached"]


def _rejected(state: CaseState, command: CaseCommand) -> CommandRejected:
    with pytest.raises(CommandRejected) as rejected:
        decide(state, command, NOW)
    return rejected.value


def _closed(state: CaseState) -> CaseState:
    close = CloseCase(command_id=cid(), actor=CASEWORKER, reason=CloseReason.NO_FURTHER_NEED_CITIZEN)
    return run_commands([close], NOW, state)[0]


def _breached(state: CaseState) -> CaseState:
    return run_commands([breach_at_day_8()], at("2026-11-24", hour=12), state)[0]


def _after(*commands: Callable[[], CaseCommand]) -> Callable[[CaseState], CaseState]:
    return lambda state: run_commands([make() for make in commands], NOW, state)[0]


@pytest.mark.parametrize(
    ("setup", "command", "kind", "field"),
    [
        (lambda s: state_at("received", plan_with(None)), confirm, Rejection.NOT_ALLOWED_NOW, None),  # none made
        (lambda s: state_at("received", plan_with(None)), reject, Rejection.NOT_ALLOWED_NOW, None),
        (_after(confirm), confirm, Rejection.NOT_ALLOWED_NOW, None),  # decided once
        (_after(confirm), reject, Rejection.NOT_ALLOWED_NOW, None),
        (_after(reject), confirm, Rejection.NOT_ALLOWED_NOW, None),
        (_after(reject), reject, Rejection.NOT_ALLOWED_NOW, None),
        (lambda s: s, lambda: confirm(date(2026, 12, 1)), Rejection.INVALID, "proposed_on"),  # not the open one
        (_breached, confirm, Rejection.NOT_ALLOWED_NOW, None),  # the breach stands
        (_closed, confirm, Rejection.CASE_CLOSED, None),
        (_closed, reject, Rejection.CASE_CLOSED, None),
    ],
)
def test_commands_in_the_wrong_state_are_typed_rejections(
    setup: Callable[[CaseState], CaseState],
    command: Callable[[], CaseCommand],
    kind: Rejection,
    field: str | None,
) -> None:
    rejection = _rejected(setup(proposed()), command())
    assert rejection.kind is kind
    assert rejection.field == field


def test_a_proposal_can_still_be_rejected_after_a_breach() -> None:
    after, events = run_commands([reject()], NOW, _breached(proposed()))
    assert [e.type for e in events] == ["ProposedStartDateRejected"]
    assert after.start_guarantee_breached


def test_confirming_after_a_start_was_offered_is_refused() -> None:
    state = proposed("provider_chosen")
    started, _ = run_commands([offer(date(2026, 11, 20))], NOW, state)
    assert _rejected(started, confirm()).kind is Rejection.NOT_ALLOWED_NOW


@pytest.mark.parametrize(
    ("decision", "first_appointment_on", "allowed"),
    [
        (confirm, date(2026, 11, 27), False),  # before the confirmed start: the plan asks for a later one
        (confirm, PROPOSED_ON, True),
        (reject, date(2026, 11, 20), True),
    ],
)
def test_a_confirmed_start_is_the_earliest_first_appointment(
    decision: Callable[[], CaseCommand], first_appointment_on: date, allowed: bool
) -> None:
    state, _ = run_commands([decision()], NOW, proposed("provider_chosen"))
    if allowed:
        assert run_commands([offer(first_appointment_on)], NOW, state)[1]
    else:
        assert _rejected(state, offer(first_appointment_on)).field == "first_appointment_on"


@pytest.mark.parametrize(
    ("level", "postponed", "due_on"),
    [
        (Level.SPECIALISERET, False, None),  # no 7-day guarantee at this level: nothing to move
        (Level.ALMEN, True, date(2026, 11, 23)),  # the citizen postponed: the guarantee lapsed, stays as it was
    ],
)
def test_a_confirmation_moves_only_a_running_guarantee(level: Level, postponed: bool, due_on: date | None) -> None:
    state = proposed(plan=plan_with(level=level))
    if postponed:
        state, _ = run_commands([PostponeStart(command_id=cid(), actor=CASEWORKER)], NOW, state)
    after, events = run_commands([confirm()], NOW, state)
    assert isinstance(events[0], ProposedStartDateConfirmed)
    assert events[0].start_guarantee_due_on is None
    assert after.start_guarantee_due_on == due_on
    assert after.start_date_proposal is not None and after.start_date_proposal.outcome is ProposalOutcome.CONFIRMED


def _replacing(state: CaseState, text: str | None) -> ReplacePlan:
    assert state.plan is not None
    new = plan_with(text, previous_plan=PreviousPlan(plan_id=state.plan.plan_id, relation=PlanRelation.REPLACES))
    return ReplacePlan(command_id=cid(), actor="hospital:x", plan=new, contact_working_days=5)


@pytest.mark.parametrize(
    ("decided", "new_text", "event_types", "due_on"),
    [
        # An open proposal ends with the plan it came from; the new plan's text is read afresh.
        (
            [],
            "opstart efter 1/12",
            ["ProposedStartDateSuperseded", "PlanReplaced", "StartDateProposed"],
            date(2026, 11, 23),
        ),
        ([], None, ["ProposedStartDateSuperseded", "PlanReplaced"], date(2026, 11, 23)),
        # A decided proposal keeps its outcome in the history; the new plan's clock starts from the new plan.
        ([confirm], None, ["PlanReplaced"], date(2026, 11, 23)),
        ([reject], LATER_START_TEXT, ["PlanReplaced", "StartDateProposed"], date(2026, 11, 23)),
    ],
)
def test_a_replacing_plan_supersedes_an_open_proposal(
    decided: list[Callable[[], CaseCommand]], new_text: str | None, event_types: list[str], due_on: date
) -> None:
    state, _ = run_commands([make() for make in decided], NOW, proposed())
    after, events = run_commands([_replacing(state, new_text)], NOW, state)
    assert [e.type for e in events] == event_types
    if isinstance(events[0], ProposedStartDateSuperseded):
        assert events[0].by_plan_id == events[1].plan.plan_id  # type: ignore[union-attr]
    assert after.start_guarantee_due_on == due_on
    new_proposal = after.start_date_proposal
    assert (new_proposal is not None) == ("StartDateProposed" in event_types)
    if new_proposal is not None:
        assert new_proposal.outcome is ProposalOutcome.OPEN
        assert after.plan is not None and new_proposal.plan_id == after.plan.plan_id
