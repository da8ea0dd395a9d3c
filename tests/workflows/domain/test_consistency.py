"""Table-driven tests of three consistency rules of the decider and the fold.

1. The municipality holds the plan from receipt: its steps never wait for the copies, and a copy that
   arrives later never moves the case backwards.
2. No date in a command lies before the municipality received the plan.
3. An ended case shows no open deadline, no overdue flag and no open free choice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest

from api.models.cases import CaseView
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
from tests.support.factories import at, make_plan, receive_plan
from workflows.domain.commands import (
    AssignTeam,
    CaseCommand,
    ChooseTrainingHospital,
    CloseCase,
    CompleteCourse,
    HospitalRef,
    MarkDeadlinePassed,
    PostponeStart,
    RecordCitizenContact,
    RecordContactAttempt,
    RevokePlan,
    TransferCase,
)
from workflows.domain.deadlines import is_overdue, next_deadline, pending_deadlines
from workflows.domain.decider import CommandRejected, Rejection, decide, recipients_to_serve
from workflows.domain.events import CaseEvent
from workflows.domain.model import (
    DISCHARGE_RECIPIENTS,
    CaseStatus,
    CloseReason,
    ContactChannel,
    DeadlineKind,
    Level,
    OptOutReason,
    TransferReason,
)
from workflows.domain.state import CaseState, fold

NOW = at("2026-11-17")
Step = Callable[[], CaseCommand]


def _attempt() -> CaseCommand:
    return RecordContactAttempt(command_id=cid(), actor=CASEWORKER, channel=ContactChannel.LETTER)


def _hospital() -> CaseCommand:
    hospital = HospitalRef(sor_id="227871000016001", name="Aarhus Universitetshospital", region="midtjylland")
    return ChooseTrainingHospital(command_id=cid(), actor=CASEWORKER, hospital=hospital)


def _team() -> CaseCommand:
    return AssignTeam(command_id=cid(), actor=CASEWORKER, team="team-nord")


def _transfer() -> CaseCommand:
    return TransferCase(
        command_id=cid(),
        actor=CASEWORKER,
        to_municipality_code="751",
        reason=TransferReason.CITIZEN_MOVED,
        contact_working_days=4,
    )


def _complete() -> CaseCommand:
    return CompleteCourse(command_id=cid(), actor=CASEWORKER)


def _close(reason: CloseReason, opt_out: OptOutReason | None = None) -> Step:
    return lambda: CloseCase(command_id=cid(), actor=CASEWORKER, reason=reason, opt_out_reason=opt_out)


def _revoke() -> CaseCommand:
    return RevokePlan(command_id=cid(), actor=CASEWORKER, reason="forkert patient")


# -- 1. the municipality's steps from receipt ----------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "step", "status"),
    [
        (Level.ALMEN, classify, CaseStatus.CLASSIFIED),  # KL Gateway Rehab IG: the municipality's sub-level
        (Level.ALMEN, _attempt, None),
        (Level.ALMEN, _team, None),
        (Level.ALMEN, _transfer, CaseStatus.RECEIVED),  # starts over; `distributed` once every copy is out
        (Level.SPECIALISERET, contact, CaseStatus.CITIZEN_CONTACTED),  # no municipal sub-level
        (Level.REHABILITERING_SPECIALISERET, contact, CaseStatus.CITIZEN_CONTACTED),
        (Level.SPECIALISERET, _hospital, CaseStatus.PROVIDER_CHOSEN),  # SUL §86 frit sygehusvalg
    ],
)
def test_the_municipalitys_steps_need_no_copies_out(level: Level, step: Step, status: CaseStatus | None) -> None:
    received = state_at("received", make_plan(level=level.value))
    distributed = state_at("distributed", make_plan(level=level.value))
    assert received.status is CaseStatus.RECEIVED and not received.deliveries
    after, events = run_commands([step()], NOW, received)
    assert events, "the step is accepted before the copies are out"
    assert after.status is (status or CaseStatus.RECEIVED)
    # The same step records the same events whether the copies are out or not.
    assert [e.type for e in decide(distributed, step(), NOW)] == [e.type for e in events]


@pytest.mark.parametrize(
    ("route", "status"),
    [
        ([classify], CaseStatus.CLASSIFIED),
        ([classify, contact], CaseStatus.CITIZEN_CONTACTED),
        ([classify, contact, choose], CaseStatus.PROVIDER_CHOSEN),
        ([classify, contact, choose, lambda: offer(date(2026, 11, 20))], CaseStatus.TRAINING_STARTED),
        ([classify, contact, choose, lambda: offer(date(2026, 11, 20)), _complete], CaseStatus.COMPLETED),
        ([classify, _close(CloseReason.DECEASED)], CaseStatus.CLOSED),
        ([_revoke], CaseStatus.CLOSED),
    ],
)
def test_copies_that_arrive_later_are_recorded_and_never_move_the_case_back(
    route: list[Step], status: CaseStatus
) -> None:
    ahead, _ = run_commands([step() for step in route], NOW, state_at("received"))
    assert ahead.status is status and not ahead.deliveries
    after, events = run_commands(deliveries(), NOW, ahead)
    assert [e.type for e in events] == ["PlanDelivered"] * len(DISCHARGE_RECIPIENTS)
    assert set(after.deliveries) == set(DISCHARGE_RECIPIENTS)
    assert after.status is status
    assert run_commands(deliveries(), NOW, after)[1] == []  # each recipient is still served once


def test_an_ended_case_starts_no_new_copies() -> None:
    ended, _ = run_commands([_revoke()], NOW, state_at("received"))
    assert recipients_to_serve(ended) == []  # the shell sends nothing new; copies in flight are recorded


@pytest.mark.parametrize(("served", "status"), [(False, CaseStatus.RECEIVED), (True, CaseStatus.DISTRIBUTED)])
def test_a_transfer_shows_distributed_only_once_every_copy_is_out(served: bool, status: CaseStatus) -> None:
    state = state_at("distributed" if served else "received")
    classified, _ = run_commands([classify()], NOW, state)
    after, _ = run_commands([_transfer()], NOW, classified)
    assert after.status is status and after.responsible_municipality_code == "751"
    if not served:
        assert run_commands(deliveries(), NOW, after)[0].status is CaseStatus.DISTRIBUTED


# -- 2. dates before receipt ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "first_appointment", "accepted"),
    [
        (at("2026-11-17"), date(2026, 11, 12), False),  # after the discharge, before receipt
        (at("2026-11-17"), date(2026, 11, 9), False),  # before the discharge (BEK §3 rule, kept)
        (at("2026-11-17"), date(2026, 11, 17), True),  # the day of receipt
        (at("2026-11-17", 22, 30), date(2026, 11, 17), True),  # 23:30 on 17 Nov in Denmark
        (at("2026-11-17", 23, 30), date(2026, 11, 17), False),  # 00:30 on 18 Nov in Denmark
    ],
)
def test_a_first_appointment_cannot_lie_before_the_plan_was_received(
    received_at: datetime, first_appointment: date, accepted: bool
) -> None:
    state = state_at("provider_chosen", make_plan(discharge_date="2026-11-10"), now=received_at)
    command = offer(first_appointment)
    if accepted:
        assert run_commands([command], at("2026-11-19"), state)[0].first_appointment_on == first_appointment
        return
    with pytest.raises(CommandRejected) as rejected:
        decide(state, command, at("2026-11-19"))
    assert (rejected.value.kind, rejected.value.field) == (Rejection.INVALID, "first_appointment_on")


def test_the_rejection_names_the_date_of_receipt() -> None:
    state = state_at("provider_chosen", make_plan(discharge_date="2026-11-10"), now=at("2026-11-17"))
    with pytest.raises(CommandRejected, match="received the plan on 2026-11-17"):
        decide(state, offer(date(2026, 11, 16)), at("2026-11-19"))


def test_a_contact_before_receipt_is_refused_too() -> None:
    state = state_at("classified", now=at("2026-11-17"))
    early = RecordCitizenContact(
        command_id=cid(),
        actor=CASEWORKER,
        contacted_at=at("2026-11-16"),
        channel=ContactChannel.PHONE,
        informed_of_provider_choices=True,
    )
    with pytest.raises(CommandRejected) as rejected:
        decide(state, early, at("2026-11-19"))
    assert (rejected.value.kind, rejected.value.field) == (Rejection.INVALID, "contacted_at")


# -- 3. an ended case ----------------------------------------------------------------------------------


def _neglected() -> tuple[CaseState, list[CaseEvent]]:
    """Guarantee breached (free choice open) and contact deadline missed: overdue on both counts."""
    received, intake = run_commands([receive_plan(make_plan(discharge_date="2026-11-01")), *deliveries()], NOW)
    timers = [MarkDeadlinePassed(command_id=cid(), actor="system", deadline=kind) for kind in DeadlineKind]
    state, fired = run_commands(list(timers), at("2026-11-30"), received)
    assert state.free_choice_open and state.contact_overdue and is_overdue(state)
    return state, [*intake, *fired]


def _started_late() -> list[Step]:
    return [classify, contact, choose, lambda: offer(date(2026, 12, 1))]


ENDINGS: list[tuple[str, list[Step], CaseStatus]] = [
    ("completed", [*_started_late(), _complete], CaseStatus.COMPLETED),
    (
        "no further need (professional)",
        [*_started_late(), _close(CloseReason.NO_FURTHER_NEED_PROFESSIONAL)],
        CaseStatus.CLOSED,
    ),
    ("no further need (citizen)", [_close(CloseReason.NO_FURTHER_NEED_CITIZEN)], CaseStatus.CLOSED),
    ("active opt-out", [_close(CloseReason.ACTIVE_OPT_OUT, OptOutReason.OTHER_TRAINING)], CaseStatus.CLOSED),
    ("event ends the course", [_close(CloseReason.EVENT_ENDS_COURSE)], CaseStatus.CLOSED),
    ("did not show", [_close(CloseReason.CITIZEN_DID_NOT_SHOW)], CaseStatus.CLOSED),
    ("deceased", [_close(CloseReason.DECEASED)], CaseStatus.CLOSED),
    ("revoked (plan sent in error)", [_revoke], CaseStatus.CLOSED),
    ("transferred, then closed", [_transfer, _close(CloseReason.DECEASED)], CaseStatus.CLOSED),
]


def test_the_endings_cover_every_terminal_status() -> None:
    assert {status for _, _, status in ENDINGS} == {status for status in CaseStatus if status.is_terminal}


@pytest.mark.parametrize(
    ("route", "status"), [(route, status) for _, route, status in ENDINGS], ids=[name for name, _, _ in ENDINGS]
)
def test_an_ended_case_shows_no_open_deadline_or_free_choice(route: list[Step], status: CaseStatus) -> None:
    neglected, before = _neglected()
    ended, ending = run_commands([step() for step in route], at("2026-11-30"), neglected)
    assert ended.status is status
    assert not ended.free_choice_open
    assert pending_deadlines(ended) == {} and next_deadline(ended) is None and not is_overdue(ended)
    view = CaseView.of(ended)
    assert (view.free_choice_open, view.next_deadline, view.overdue) == (False, None, False)
    # A rebuild of the read model folds the stored events to the same answer.
    assert fold(CaseState(case_id=ended.case_id), [*before, *ending]) == ended
    assert ended.start_guarantee_breached  # the history stays as it happened


def test_a_postponed_case_that_ends_shows_nothing_open() -> None:
    postponed, _ = run_commands([PostponeStart(command_id=cid(), actor=CASEWORKER)], NOW, state_at("received"))
    ended, _ = run_commands([_close(CloseReason.ACTIVE_OPT_OUT, OptOutReason.OTHER)()], NOW, postponed)
    assert next_deadline(ended, with_reminders=True) is None and not ended.free_choice_open
