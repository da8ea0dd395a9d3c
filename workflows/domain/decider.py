"""`decide(state, command, now) -> events`: every business decision of a case, with no I/O and no clock.

A command the state does not allow raises `CommandRejected`; the workflow's update validators call the
same function, so a rejected command never reaches the history or the event store.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum
from functools import singledispatch

from workflows.domain.calendar import local_date
from workflows.domain.commands import (
    CaseCommand,
    ChooseProvider,
    ClassifyAlmenLevel,
    CloseCase,
    CompleteCourse,
    MarkDeadlinePassed,
    OfferStart,
    ReceivePlan,
    RecordCitizenContact,
    RecordPlanDelivery,
)
from workflows.domain.deadlines import contact_due_on, pending_deadlines, start_guarantee_due_on
from workflows.domain.events import (
    AlmenSubLevelClassified,
    CaseClosed,
    CaseEvent,
    CitizenContacted,
    ContactDeadlineMissed,
    CourseCompleted,
    PlanDelivered,
    PlanDeliveryWithheld,
    PlanReceived,
    ProviderChosen,
    StartGuaranteeBreached,
    StartOffered,
)
from workflows.domain.model import CaseStatus, DeadlineKind, Level, ProviderKind, Recipient
from workflows.domain.plan import RehabilitationPlan
from workflows.domain.rules import rules_for
from workflows.domain.state import CaseState


class Rejection(StrEnum):
    NOT_ALLOWED_NOW = "NotAllowedNow"  # the case's state forbids it: HTTP 409
    CASE_CLOSED = "CaseClosed"  # HTTP 409
    PLAN_CONFLICT = "PlanConflict"  # same plan id, other content: HTTP 409
    INVALID = "InvalidCommand"  # the command contradicts the case's facts: HTTP 422


class CommandRejected(Exception):
    def __init__(self, kind: Rejection, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.field = field


def plan_fingerprint(plan: RehabilitationPlan) -> str:
    return hashlib.sha256(plan.model_dump_json().encode()).hexdigest()


def decide(state: CaseState, command: CaseCommand, now: datetime) -> list[CaseEvent]:
    if state.status.is_terminal and not isinstance(command, ReceivePlan):
        raise CommandRejected(Rejection.CASE_CLOSED, f"the case is {state.status.value}; it takes no commands")
    return _decide(command, state, now)


def _require(condition: bool, message: str, kind: Rejection = Rejection.NOT_ALLOWED_NOW) -> None:
    if not condition:
        raise CommandRejected(kind, message)


def _require_status(state: CaseState, allowed: tuple[CaseStatus, ...], action: str) -> None:
    names = ", ".join(status.value for status in allowed)
    _require(state.status in allowed, f"cannot {action} while the case is {state.status.value} (needs {names})")


@singledispatch
def _decide(command: CaseCommand, state: CaseState, now: datetime) -> list[CaseEvent]:
    raise TypeError(f"no decision rule for {type(command).__name__}")


@_decide.register
def _(command: ReceivePlan, state: CaseState, now: datetime) -> list[CaseEvent]:
    fingerprint = plan_fingerprint(command.plan)
    if state.status is not CaseStatus.NEW:
        _require(
            state.plan_fingerprint == fingerprint,
            "this plan id was already received with different content",
            Rejection.PLAN_CONFLICT,
        )
        return []  # the same plan again: nothing new happened
    plan = command.plan
    rules = rules_for(plan.discharge_date)  # the law keys §140 rules by the discharge date
    return [
        PlanReceived(
            occurred_at=now,
            plan=plan,
            plan_fingerprint=fingerprint,
            rules_valid_from=rules.valid_from,
            start_guarantee_due_on=start_guarantee_due_on(plan, rules),
            contact_working_days=command.contact_working_days,
            contact_due_on=contact_due_on(local_date(now), command.contact_working_days),
        )
    ]


@_decide.register
def _(command: RecordPlanDelivery, state: CaseState, now: datetime) -> list[CaseEvent]:
    _require(state.plan is not None, "no plan to deliver")
    if command.recipient in state.deliveries:
        return []  # each recipient is served exactly once
    if command.message_id is None:
        return [PlanDeliveryWithheld(occurred_at=now, recipient=command.recipient, reason="no_consent")]
    return [PlanDelivered(occurred_at=now, recipient=command.recipient, message_id=command.message_id)]


@_decide.register
def _(command: ClassifyAlmenLevel, state: CaseState, now: datetime) -> list[CaseEvent]:
    _require(state.require_plan().level is Level.ALMEN, "only almen plans are classified basal or avanceret")
    _require_status(state, (CaseStatus.DISTRIBUTED,), "classify the level")
    return [AlmenSubLevelClassified(occurred_at=now, sub_level=command.sub_level, reason=command.reason)]


@_decide.register
def _(command: RecordCitizenContact, state: CaseState, now: datetime) -> list[CaseEvent]:
    # Almen plans are classified before contact; other levels have no municipal sub-level.
    ready = CaseStatus.CLASSIFIED if state.require_plan().level is Level.ALMEN else CaseStatus.DISTRIBUTED
    _require_status(state, (ready,), "record contact with the citizen")
    contacted_at = command.contacted_at or now
    if contacted_at > now:
        raise CommandRejected(Rejection.INVALID, "contacted_at lies in the future", "contacted_at")
    if state.received_at and contacted_at < state.received_at:
        raise CommandRejected(Rejection.INVALID, "contacted_at lies before the plan arrived", "contacted_at")
    return [
        CitizenContacted(
            occurred_at=now,
            contacted_at=contacted_at,
            channel=command.channel,
            informed_of_provider_choices=command.informed_of_provider_choices,
            note=command.note,
        )
    ]


@_decide.register
def _(command: ChooseProvider, state: CaseState, now: datetime) -> list[CaseEvent]:
    plan = state.require_plan()
    _require(plan.level is not Level.SPECIALISERET, "specialiseret genoptræning takes place at a hospital")
    _require_status(state, (CaseStatus.CITIZEN_CONTACTED, CaseStatus.PROVIDER_CHOSEN), "choose a provider")
    provider = command.provider
    home = plan.home_municipality_code
    # BEK kapitel 2 (sst.dk "Frit valg"): the home municipality's own and contracted providers, or an
    # institution run by another municipality; never another municipality's private providers.
    allowed = (provider.municipality_code == home and provider.kind is not ProviderKind.OTHER_MUNICIPALITY) or (
        provider.municipality_code != home and provider.kind is ProviderKind.OWN
    )
    if not allowed:
        raise CommandRejected(
            Rejection.INVALID, "the citizen cannot choose another municipality's private provider", "provider_id"
        )
    return [ProviderChosen(occurred_at=now, provider=provider)]


@_decide.register
def _(command: OfferStart, state: CaseState, now: datetime) -> list[CaseEvent]:
    plan = state.require_plan()
    _require_status(state, (CaseStatus.PROVIDER_CHOSEN,), "offer a start")
    earliest = plan.start_date_for_health_reasons or plan.discharge_date
    if command.first_appointment_on < earliest:
        raise CommandRejected(
            Rejection.INVALID,
            f"the plan allows training to start on {earliest.isoformat()} at the earliest",
            "first_appointment_on",
        )
    due = state.start_guarantee_due_on
    within = None if due is None else command.first_appointment_on <= due
    events: list[CaseEvent] = [
        StartOffered(occurred_at=now, first_appointment_on=command.first_appointment_on, within_start_guarantee=within)
    ]
    if due is not None and within is False and not state.start_guarantee_breached:
        # SUL §140 stk. 4: no start within the guarantee opens the free choice of a KL-contracted provider.
        events.append(StartGuaranteeBreached(occurred_at=now, due_on=due, free_choice_opened=True))
    return events


@_decide.register
def _(command: MarkDeadlinePassed, state: CaseState, now: datetime) -> list[CaseEvent]:
    due_at = pending_deadlines(state).get(command.deadline)
    if due_at is None or now < due_at:
        return []  # met, cancelled or not yet due: a timer that fires late changes nothing
    if command.deadline is DeadlineKind.CONTACT:
        assert state.contact_due_on is not None
        return [ContactDeadlineMissed(occurred_at=now, due_on=state.contact_due_on)]
    assert state.start_guarantee_due_on is not None
    # SUL §140 stk. 4: the citizen may now choose a private provider under the free-choice scheme.
    return [StartGuaranteeBreached(occurred_at=now, due_on=state.start_guarantee_due_on, free_choice_opened=True)]


@_decide.register
def _(command: CompleteCourse, state: CaseState, now: datetime) -> list[CaseEvent]:
    _require_status(state, (CaseStatus.TRAINING_STARTED,), "complete the course")
    return [CourseCompleted(occurred_at=now, note=command.note)]


@_decide.register
def _(command: CloseCase, state: CaseState, now: datetime) -> list[CaseEvent]:
    _require(state.is_open, "there is no open case to close")
    return [CaseClosed(occurred_at=now, reason=command.reason, note=command.note)]


def recipients_to_serve(state: CaseState) -> list[tuple[Recipient, bool]]:
    """Who still needs the plan, and whether it may be sent (the GP only with consent)."""
    plan = state.require_plan()
    return [
        (recipient, recipient is not Recipient.GP or plan.consent_to_share_with_gp)
        for recipient in Recipient
        if recipient not in state.deliveries
    ]
