"""Table-driven tests of `decide` and `evolve`: what each state allows and what it records."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.domain_helpers import (
    CASEWORKER,
    choose,
    cid,
    classify,
    contact,
    deliveries,
    offer,
    run_commands,
    state_at,
)
from tests.support.factories import at, make_plan, make_provider, receive_plan
from workflows.domain.commands import (
    CaseCommand,
    CloseCase,
    CompleteCourse,
    MarkDeadlinePassed,
    RecordPlanDelivery,
)
from workflows.domain.decider import CommandRejected, Rejection, decide
from workflows.domain.events import (
    CaseClosed,
    ContactDeadlineMissed,
    PlanDeliveryWithheld,
    StartGuaranteeBreached,
    StartOffered,
)
from workflows.domain.model import CaseStatus, CloseReason, DeadlineKind, Level, ProviderKind, Recipient
from workflows.domain.state import CaseState, fold

NOW = at("2026-11-17")


def close() -> CloseCase:
    return CloseCase(command_id=cid(), actor=CASEWORKER, reason=CloseReason.NO_FURTHER_NEED_CITIZEN)


def complete() -> CompleteCourse:
    return CompleteCourse(command_id=cid(), actor=CASEWORKER)


@pytest.mark.parametrize(
    ("stage", "make_command", "expected_status"),
    [
        ("received", classify, CaseStatus.CLASSIFIED),  # the copies need not be out first
        ("distributed", classify, CaseStatus.CLASSIFIED),
        ("classified", contact, CaseStatus.CITIZEN_CONTACTED),
        ("citizen_contacted", choose, CaseStatus.PROVIDER_CHOSEN),
        ("provider_chosen", choose, CaseStatus.PROVIDER_CHOSEN),  # the citizen may change their mind
        ("provider_chosen", lambda: offer(date(2026, 11, 20)), CaseStatus.TRAINING_STARTED),
        ("received", close, CaseStatus.CLOSED),
        ("provider_chosen", close, CaseStatus.CLOSED),
    ],
)
def test_allowed_steps_move_the_case_on(stage: str, make_command: object, expected_status: CaseStatus) -> None:
    state = state_at(stage)
    command = make_command()  # type: ignore[operator]
    after, events = run_commands([command], NOW, state)
    assert events, "an accepted command records at least one event"
    assert after.status is expected_status
    assert after.version == state.version + len(events)


@pytest.mark.parametrize(
    ("stage", "make_command"),
    [
        ("received", contact),  # almen must be classified first, copies out or not
        ("distributed", contact),  # almen must be classified first
        ("classified", classify),  # reclassification is a later rule
        ("classified", choose),  # citizen not contacted yet
        ("citizen_contacted", lambda: offer(date(2026, 11, 20))),  # no provider yet
        ("provider_chosen", complete),  # training not started
    ],
)
def test_steps_out_of_order_are_rejected_as_conflicts(stage: str, make_command: object) -> None:
    state = state_at(stage)
    with pytest.raises(CommandRejected) as rejected:
        decide(state, make_command(), NOW)  # type: ignore[operator]
    assert rejected.value.kind is Rejection.NOT_ALLOWED_NOW
    assert state.status.value in rejected.value.message


@pytest.mark.parametrize("make_command", [classify, contact, choose, close, complete])
def test_a_closed_case_takes_no_commands(make_command: object) -> None:
    closed, _ = run_commands([close()], NOW, state_at("distributed"))
    with pytest.raises(CommandRejected) as rejected:
        decide(closed, make_command(), NOW)  # type: ignore[operator]
    assert rejected.value.kind is Rejection.CASE_CLOSED


def test_the_same_plan_twice_records_nothing_new_and_other_content_conflicts() -> None:
    first = receive_plan()
    state, events = run_commands([first], NOW)
    assert [e.type for e in events] == ["PlanReceived"]
    assert decide(state, first, NOW) == []
    altered = receive_plan(first.plan.model_copy(update={"training_need": "Noget andet"}))
    with pytest.raises(CommandRejected) as rejected:
        decide(state, altered, NOW)
    assert rejected.value.kind is Rejection.PLAN_CONFLICT


def test_distribution_serves_each_recipient_once_and_withholds_gp_without_consent() -> None:
    plan = make_plan(consent_to_share_with_gp=False)
    state, _ = run_commands([receive_plan(plan)], NOW)
    withheld = RecordPlanDelivery(command_id=cid(), actor="system", recipient=Recipient.GP, message_id=None)
    state, events = run_commands([withheld, *deliveries()], NOW, state)
    assert isinstance(events[0], PlanDeliveryWithheld)
    assert [e.type for e in events].count("PlanDelivered") == 2  # patient and municipality; GP already done
    assert state.status is CaseStatus.DISTRIBUTED
    assert state.deliveries[Recipient.GP] is None


@pytest.mark.parametrize(
    ("first_appointment", "within", "breached"),
    [
        (date(2026, 11, 23), True, False),  # day 7 after discharge on 16 Nov: in time
        (date(2026, 11, 24), False, True),  # day 8: SUL §140 stk. 4 breached, free choice opens
    ],
)
def test_start_guarantee_day_7_versus_day_8(first_appointment: date, within: bool, breached: bool) -> None:
    state = state_at("provider_chosen", make_plan(discharge_date="2026-11-16"))
    after, events = run_commands([offer(first_appointment)], NOW, state)
    assert isinstance(events[0], StartOffered) and events[0].within_start_guarantee is within
    assert any(isinstance(e, StartGuaranteeBreached) for e in events) is breached
    assert after.free_choice_open is breached


def test_specialiseret_has_no_start_guarantee_and_no_municipal_provider() -> None:
    state = state_at("distributed", make_plan(level=Level.SPECIALISERET.value))
    assert state.start_guarantee_due_on is None
    state, _ = run_commands([contact()], NOW, state)
    with pytest.raises(CommandRejected, match="hospital"):
        decide(state, choose(), NOW)


@pytest.mark.parametrize(
    ("municipality", "kind", "allowed"),
    [
        ("101", ProviderKind.OWN, True),
        ("101", ProviderKind.CONTRACTED, True),
        ("147", ProviderKind.OWN, True),  # another municipality's own institution
        ("147", ProviderKind.CONTRACTED, False),  # never another municipality's private provider
    ],
)
def test_provider_choice_follows_the_free_choice_rules(municipality: str, kind: ProviderKind, allowed: bool) -> None:
    state = state_at("citizen_contacted")
    command = choose().model_copy(update={"provider": make_provider(municipality_code=municipality, kind=kind)})
    if allowed:
        assert decide(state, command, NOW)
    else:
        with pytest.raises(CommandRejected) as rejected:
            decide(state, command, NOW)
        assert rejected.value.kind is Rejection.INVALID and rejected.value.field == "provider_id"


def test_offer_before_the_plans_health_start_date_is_invalid() -> None:
    state = state_at("provider_chosen", make_plan(start_date_for_health_reasons="2026-12-01"))
    with pytest.raises(CommandRejected) as rejected:
        decide(state, offer(date(2026, 11, 30)), NOW)
    assert rejected.value.field == "first_appointment_on"


@pytest.mark.parametrize(
    ("deadline", "fires_at", "event_type"),
    [
        (DeadlineKind.START_GUARANTEE, at("2026-11-23", 22, 59), None),  # 23:59 Danish time: not yet
        (DeadlineKind.START_GUARANTEE, at("2026-11-23", 23, 0), StartGuaranteeBreached),  # 24 Nov 00:00 local
        (DeadlineKind.CONTACT, at("2026-11-24", 22, 59), None),  # received 17 Nov + 5 working days = 24 Nov
        (DeadlineKind.CONTACT, at("2026-11-24", 23, 0), ContactDeadlineMissed),
    ],
)
def test_deadlines_fire_only_once_due(deadline: DeadlineKind, fires_at: object, event_type: type | None) -> None:
    state = state_at("distributed", make_plan(discharge_date="2026-11-16"))
    events = decide(state, MarkDeadlinePassed(command_id=cid(), actor="system", deadline=deadline), fires_at)  # type: ignore[arg-type]
    assert [type(e) for e in events] == ([event_type] if event_type else [])


def test_a_met_deadline_never_fires() -> None:
    state = state_at("classified")
    state, _ = run_commands([contact()], NOW, state)
    late = NOW + timedelta(days=30)
    assert (
        decide(state, MarkDeadlinePassed(command_id=cid(), actor="system", deadline=DeadlineKind.CONTACT), late) == []
    )


def test_fold_of_the_events_is_the_state_decide_built() -> None:
    commands: list[CaseCommand] = [
        receive_plan(),
        *deliveries(),
        classify(),
        contact(),
        choose(),
        offer(date(2026, 11, 20)),
    ]
    state, events = run_commands(commands, NOW)
    assert fold(CaseState(case_id="case-under-test"), events) == state
    closed, closing = run_commands([complete()], NOW, state)
    assert closed.status is CaseStatus.COMPLETED and not isinstance(closing[0], CaseClosed)
