"""Table-driven tests of the rulebook beyond the almen happy path (issue 3), each naming its rule."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.domain_helpers import CASEWORKER, choose, cid, classify, contact, offer, run_commands, state_at
from tests.support.factories import at, make_plan, make_provider, receive_plan
from workflows.domain.commands import (
    AcceptFreeChoice,
    CancelAppointment,
    ChooseTrainingHospital,
    CloseCase,
    DeclineFreeChoice,
    FreeChoiceProvider,
    HospitalRef,
    MarkDeadlinePassed,
    PostponeStart,
    ReclassifyAlmenLevel,
    RecordProviderRefusal,
    ReplacePlan,
    RevokePlan,
    TransferCase,
)
from workflows.domain.deadlines import next_deadline, pending_deadlines
from workflows.domain.decider import CommandRejected, Rejection, decide, recipients_to_serve
from workflows.domain.model import (
    AlmenSubLevel,
    CaseStatus,
    CloseReason,
    DeadlineKind,
    GuaranteeStatusReason,
    Level,
    OptOutReason,
    ProviderKind,
    Recipient,
    ResponsibleAuthority,
    TransferReason,
)
from workflows.domain.plan.plan import PreviousPlan
from workflows.domain.rules import rules_for

NOW = at("2026-11-17")


def _rejected(state: object, command: object, now: object = NOW) -> CommandRejected:
    with pytest.raises(CommandRejected) as rejected:
        decide(state, command, now)  # type: ignore[arg-type]
    return rejected.value


# -- 1. levels ---------------------------------------------------------------------------------------


def test_reclassification_records_the_old_and_new_sub_level() -> None:
    state = state_at("provider_chosen")
    command = ReclassifyAlmenLevel(command_id=cid(), actor=CASEWORKER, sub_level=AlmenSubLevel.AVANCERET, reason="x")
    after, events = run_commands([command], NOW, state)
    assert events[0].type == "AlmenSubLevelReclassified"
    assert (events[0].previous, after.sub_level) == (AlmenSubLevel.BASAL, AlmenSubLevel.AVANCERET)  # type: ignore[union-attr]
    assert after.status is CaseStatus.PROVIDER_CHOSEN  # the course goes on
    assert _rejected(after, command).field == "sub_level"  # already avanceret


def _hospital(region: str = "midtjylland") -> ChooseTrainingHospital:
    hospital = HospitalRef(sor_id="227871000016001", name="Aarhus Universitetshospital", region=region)
    return ChooseTrainingHospital(command_id=cid(), actor=CASEWORKER, hospital=hospital)


def test_specialiseret_training_hospital_gets_the_plan_too() -> None:
    state = state_at("distributed", make_plan(level=Level.SPECIALISERET.value))
    after, _ = run_commands([_hospital()], NOW, state)
    assert after.status is CaseStatus.PROVIDER_CHOSEN
    assert recipients_to_serve(after) == [(Recipient.TRAINING_HOSPITAL, True)]
    assert _rejected(state_at("distributed"), _hospital()).kind is Rejection.NOT_ALLOWED_NOW  # almen: no


@pytest.mark.parametrize(
    ("today", "region", "allowed"),
    [
        ("2026-12-31", "hovedstaden", True),
        ("2027-01-01", "hovedstaden", False),  # merged into Region Østdanmark (L 214 2024-25)
        ("2027-01-01", "oestdanmark", True),
        ("2026-12-31", "oestdanmark", False),
    ],
)
def test_regions_follow_the_2027_merger(today: str, region: str, allowed: bool) -> None:
    state = state_at("distributed", make_plan(level=Level.SPECIALISERET.value))
    if allowed:
        assert decide(state, _hospital(region), at(today))
    else:
        assert _rejected(state, _hospital(region), at(today)).field == "hospital.region"


@pytest.mark.parametrize(
    ("level", "discharged", "authority", "guarantee"),
    [
        (Level.REHABILITERING_SPECIALISERET, "2026-12-30", ResponsibleAuthority.MUNICIPALITY, date(2027, 1, 6)),
        (Level.REHABILITERING_SPECIALISERET, "2027-01-02", ResponsibleAuthority.REGION, date(2027, 1, 9)),
        (Level.ALMEN, "2027-01-02", ResponsibleAuthority.MUNICIPALITY, date(2027, 1, 9)),
        (Level.SPECIALISERET, "2026-12-30", ResponsibleAuthority.REGION, None),
    ],
)
def test_rules_are_chosen_by_the_discharge_date(
    level: Level, discharged: str, authority: ResponsibleAuthority, guarantee: date | None
) -> None:
    plan = make_plan(level=level.value, discharge_date=discharged)
    state, _ = run_commands([receive_plan(plan)], at(discharged))
    assert state.rules_valid_from == rules_for(date.fromisoformat(discharged)).valid_from
    assert state.responsible_authority is authority
    assert state.start_guarantee_due_on == guarantee


def test_the_municipality_cannot_set_aside_the_hospitals_assessment_before_training() -> None:
    close = CloseCase(command_id=cid(), actor=CASEWORKER, reason=CloseReason.NO_FURTHER_NEED_PROFESSIONAL)
    assert _rejected(state_at("provider_chosen"), close).kind is Rejection.NOT_ALLOWED_NOW
    started, _ = run_commands([offer(date(2026, 11, 20))], NOW, state_at("provider_chosen"))
    assert decide(started, close, NOW)[0].type == "CaseClosed"


# -- 3. provider choice ------------------------------------------------------------------------------


def test_another_municipalitys_institution_may_refuse_and_the_citizen_chooses_again() -> None:
    elsewhere = choose().model_copy(update={"provider": make_provider(municipality_code="147", kind=ProviderKind.OWN)})
    state, _ = run_commands([elsewhere], NOW, state_at("citizen_contacted"))
    refusal = RecordProviderRefusal(command_id=cid(), actor=CASEWORKER, reason="ingen kapacitet")
    after, _ = run_commands([refusal], NOW, state)
    assert after.status is CaseStatus.CITIZEN_CONTACTED and after.provider is None
    assert run_commands([choose()], NOW, after)[0].status is CaseStatus.PROVIDER_CHOSEN
    assert _rejected(state_at("provider_chosen"), refusal).kind is Rejection.NOT_ALLOWED_NOW  # own provider


def test_the_citizen_is_told_of_the_choices_at_first_contact() -> None:
    untold = contact().model_copy(update={"informed_of_provider_choices": False})
    assert _rejected(state_at("classified"), untold).field == "informed_of_provider_choices"


# -- 4. the start guarantee in full ------------------------------------------------------------------


def test_the_first_offer_counts_even_when_cancelled() -> None:
    started, _ = run_commands([offer(date(2026, 11, 20))], NOW, state_at("provider_chosen"))
    cancel = CancelAppointment(command_id=cid(), actor=CASEWORKER)
    after, _ = run_commands([cancel], NOW, started)
    assert after.first_appointment_on == date(2026, 11, 20) and after.appointment_cancelled
    assert DeadlineKind.START_GUARANTEE not in pending_deadlines(after)


def _breached() -> object:
    state = state_at("provider_chosen", make_plan(discharge_date="2026-11-01"))
    return run_commands([offer(date(2026, 11, 20))], NOW, state)[0]


def test_free_choice_accepted_moves_the_case_to_a_kl_provider() -> None:
    accept = AcceptFreeChoice(
        command_id=cid(), actor=CASEWORKER, provider=FreeChoiceProvider(provider_id="fv-123", name="Fys ApS")
    )
    after, _ = run_commands([accept], NOW, _breached())  # type: ignore[arg-type]
    assert after.provider is not None and after.provider.kind is ProviderKind.KL_FREE_CHOICE
    assert after.guarantee_status_reason is GuaranteeStatusReason.FRIT_VALG and not after.free_choice_open
    assert _rejected(state_at("provider_chosen"), accept).kind is Rejection.NOT_ALLOWED_NOW  # not breached


def test_free_choice_declined_keeps_the_case_waiting() -> None:
    after, _ = run_commands([DeclineFreeChoice(command_id=cid(), actor=CASEWORKER)], NOW, _breached())  # type: ignore[arg-type]
    assert after.guarantee_status_reason is GuaranteeStatusReason.FRIT_VALG_AFSLAAET


def test_postponement_by_the_citizen_lapses_the_guarantee() -> None:
    state = state_at("classified", make_plan(discharge_date="2026-11-16"))
    after, _ = run_commands([PostponeStart(command_id=cid(), actor="caseworker:cw-1")], NOW, state)
    assert DeadlineKind.START_GUARANTEE not in pending_deadlines(after)
    late = MarkDeadlinePassed(command_id=cid(), actor="system", deadline=DeadlineKind.START_GUARANTEE)
    assert decide(after, late, at("2026-12-01")) == []


def test_a_plan_with_a_later_start_is_reported_udskudt() -> None:
    state = state_at("received", make_plan(discharge_date="2026-11-16", start_date_for_health_reasons="2026-12-01"))
    assert state.guarantee_status_reason is GuaranteeStatusReason.UDSKUDT


@pytest.mark.parametrize(
    ("reason", "status_reason"),
    [(TransferReason.CITIZEN_REQUEST, "anden_kommune"), (TransferReason.CITIZEN_MOVED, None)],
)
def test_transfer_to_another_municipality_starts_it_over_there(
    reason: TransferReason, status_reason: str | None
) -> None:
    transfer = TransferCase(
        command_id=cid(), actor=CASEWORKER, to_municipality_code="751", reason=reason, contact_working_days=4
    )
    after, _ = run_commands([transfer], at("2026-11-20"), state_at("citizen_contacted"))
    assert after.responsible_municipality_code == "751" and after.status is CaseStatus.DISTRIBUTED
    assert after.contact_due_on == date(2026, 11, 26)  # Friday + 4 working days
    assert after.guarantee_status_reason == status_reason
    assert after.plan is not None and after.plan.home_municipality_code == "101"  # the plan and history stay
    assert _rejected(after, transfer).field == "to_municipality_code"


# -- 5. plans that change ----------------------------------------------------------------------------


def test_a_plan_sent_in_error_is_revoked_and_ends_the_case() -> None:
    after, events = run_commands(
        [RevokePlan(command_id=cid(), actor=CASEWORKER, reason="forkert patient")], NOW, state_at("classified")
    )
    assert [e.type for e in events] == ["PlanRevoked", "CaseClosed"]
    assert after.status is CaseStatus.CLOSED and after.guarantee_status_reason is GuaranteeStatusReason.FEJL
    assert _rejected(after, classify()).kind is Rejection.CASE_CLOSED


def test_a_replacing_plan_restarts_the_course_with_new_deadlines() -> None:
    state = state_at("provider_chosen", make_plan(discharge_date="2026-11-01"))
    assert state.plan is not None
    new_plan = make_plan(
        discharge_date="2026-11-15", previous_plan=PreviousPlan(plan_id=state.plan.plan_id, relation="replaces")
    )
    replace = ReplacePlan(command_id=cid(), actor="hospital:x", plan=new_plan, contact_working_days=5)
    after, _ = run_commands([replace], NOW, state)
    assert after.status is CaseStatus.RECEIVED and after.plan == new_plan
    assert after.revoked_plan_ids == [state.plan.plan_id]
    assert after.start_guarantee_due_on == date(2026, 11, 22) and after.provider is None
    assert len(recipients_to_serve(after)) == 3  # the new plan is distributed again
    assert decide(after, replace, NOW) == []  # the same replacement again changes nothing
    unrelated = replace.model_copy(update={"plan": make_plan()})
    assert _rejected(state, unrelated).field == "previous_plan"


# -- 6. contact reminders ----------------------------------------------------------------------------


def test_the_team_is_reminded_one_working_day_before_the_contact_deadline() -> None:
    state = state_at("distributed", now=at("2026-11-20"))  # received Friday: due Friday 27 Nov
    reminder_at = pending_deadlines(state)[DeadlineKind.CONTACT_REMINDER]
    assert reminder_at.isoformat() == "2026-11-27T00:00:00+01:00"  # as Thursday 26 Nov ends
    remind = MarkDeadlinePassed(command_id=cid(), actor="system", deadline=DeadlineKind.CONTACT_REMINDER)
    after, events = run_commands([remind], reminder_at, state)
    assert events[0].type == "ContactReminderDue" and after.contact_reminder_sent
    assert set(pending_deadlines(after)) == {DeadlineKind.CONTACT, DeadlineKind.START_GUARANTEE}
    assert DeadlineKind.CONTACT_REMINDER not in pending_deadlines(state, with_reminders=False)
    assert next_deadline(state) != (DeadlineKind.CONTACT_REMINDER, reminder_at)  # operators see legal ones


# -- 9. ending ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "opt_out", "ok"),
    [
        (CloseReason.ACTIVE_OPT_OUT, OptOutReason.TRANSPORT_LOGISTICS, True),
        (CloseReason.ACTIVE_OPT_OUT, None, False),
        (CloseReason.DECEASED, None, True),
        (CloseReason.DECEASED, OptOutReason.OTHER, False),
        (CloseReason.CITIZEN_DID_NOT_SHOW, None, True),
    ],
)
def test_closing_reasons_follow_kl(reason: CloseReason, opt_out: OptOutReason | None, ok: bool) -> None:
    close = CloseCase(command_id=cid(), actor=CASEWORKER, reason=reason, opt_out_reason=opt_out)
    if ok:
        after, _ = run_commands([close], NOW, state_at("classified"))
        assert after.close_reason is reason and after.opt_out_reason is opt_out
    else:
        assert _rejected(state_at("classified"), close).field == "opt_out_reason"


# -- 10. CPR -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("cpr", "warnings"), [("0101004000", ["cpr_fails_modulus_11"]), ("2902004001", [])])
def test_cpr_failing_modulus_11_is_accepted_with_a_warning(cpr: str, warnings: list[str]) -> None:
    plan = make_plan(patient={"cpr": cpr, "name": "Test Testesen"})
    state, _ = run_commands([receive_plan(plan)], NOW)
    assert state.status is CaseStatus.RECEIVED and state.warnings == warnings


@pytest.mark.parametrize(
    ("today", "citizen_region", "hospital_region", "allowed"),
    [
        ("2026-12-31", "midtjylland", "midtjylland", True),
        ("2026-12-31", "syddanmark", "midtjylland", False),  # "hvilket hospital i regionen" (sundhed.dk)
        ("2027-01-01", "hovedstaden", "oestdanmark", True),  # the register's old name follows the merger
        ("2027-01-01", "sjaelland", "hovedstaden", False),
        ("2026-12-31", None, "syddanmark", True),  # region unknown in the register: any region in force
    ],
)
def test_the_hospital_lies_in_the_citizens_region(
    today: str, citizen_region: str | None, hospital_region: str, allowed: bool
) -> None:
    state = state_at("distributed", make_plan(level=Level.SPECIALISERET.value))
    command = _hospital(hospital_region).model_copy(update={"citizen_region": citizen_region})
    if allowed:
        assert decide(state, command, at(today))[0].type == "TrainingHospitalChosen"
    else:
        assert _rejected(state, command, at(today)).field == "hospital.region"
