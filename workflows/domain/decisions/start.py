"""The start of training and the 7-day start guarantee (SUL §140 stk. 4)."""

from __future__ import annotations

from datetime import datetime

from workflows.domain.calendar import local_date
from workflows.domain.case_state import CaseState
from workflows.domain.commands import (
    AcceptFreeChoice,
    CancelAppointment,
    DeclineFreeChoice,
    MarkDeadlinePassed,
    OfferStart,
    PostponeStart,
    ProviderRef,
)
from workflows.domain.deadlines import (
    WARNED_DEADLINES,
    contact_reminder_due_on,
    earliest_start_on,
    pending_deadlines,
)
from workflows.domain.decisions.casework import warning_issued
from workflows.domain.decisions.core import decide_rule, require, require_status, require_valid
from workflows.domain.events import (
    AppointmentCancelled,
    CaseEvent,
    ContactDeadlineMissed,
    ContactReminderDue,
    FreeChoiceAccepted,
    FreeChoiceDeclined,
    StartGuaranteeBreached,
    StartOffered,
    StartPostponedByCitizen,
)
from workflows.domain.model import CaseStatus, DeadlineKind, ProviderKind
from workflows.domain.plan.start_proposal import confirmed_later_start


@decide_rule.register
def _(command: OfferStart, state: CaseState, now: datetime) -> list[CaseEvent]:
    plan = state.require_plan()
    require_status(state, (CaseStatus.PROVIDER_CHOSEN,), "offer a start")
    # BEK om genoptræningsplaner §3: the plan may require a later start for health reasons (its own date,
    # or one a caseworker confirmed from its free text).
    earliest = earliest_start_on(plan, confirmed_later_start(state.start_date_proposal))
    require_valid(
        command.first_appointment_on >= earliest,
        f"the plan allows training to start on {earliest.isoformat()} at the earliest",
        "first_appointment_on",
    )
    # SUL §140 stk. 1: the municipality offers training on the plan it has received; no appointment can
    # have been offered on a plan before it arrived (Danish date of receipt, as the contact deadline).
    received_on = local_date(state.received_at) if state.received_at is not None else None
    require_valid(
        received_on is None or command.first_appointment_on >= received_on,
        f"the municipality received the plan on {received_on}; the first appointment cannot lie before it",
        "first_appointment_on",
    )
    due = None if state.start_guarantee_lapsed else state.start_guarantee_due_on
    within = None if due is None else command.first_appointment_on <= due
    events: list[CaseEvent] = [
        StartOffered(occurred_at=now, first_appointment_on=command.first_appointment_on, within_start_guarantee=within)
    ]
    if due is not None and within is False and not state.start_guarantee_breached:
        # SUL §140 stk. 4: no start within the guarantee opens the free choice of a KL-contracted provider.
        events.append(StartGuaranteeBreached(occurred_at=now, due_on=due, free_choice_opened=True))
    return events


@decide_rule.register
def _(command: CancelAppointment, state: CaseState, now: datetime) -> list[CaseEvent]:
    # KL: the first offered appointment counts as the start even if it is cancelled later.
    require_status(state, (CaseStatus.TRAINING_STARTED,), "cancel the first appointment")
    require(not state.appointment_cancelled, "the first appointment is already cancelled")
    return [AppointmentCancelled(occurred_at=now, reason=command.reason)]


@decide_rule.register
def _(command: AcceptFreeChoice, state: CaseState, now: datetime) -> list[CaseEvent]:
    require(state.free_choice_open, "free choice is open only after the start guarantee is breached")
    home = state.responsible_municipality_code
    assert home is not None
    # SUL §140 stk. 4-5: a private provider KL has an agreement with; the home municipality pays.
    provider = ProviderRef(
        provider_id=command.provider.provider_id,
        name=command.provider.name,
        municipality_code=home,
        kind=ProviderKind.KL_FREE_CHOICE,
    )
    return [FreeChoiceAccepted(occurred_at=now, provider=provider)]


@decide_rule.register
def _(command: DeclineFreeChoice, state: CaseState, now: datetime) -> list[CaseEvent]:
    require(state.free_choice_open, "free choice is open only after the start guarantee is breached")
    return [FreeChoiceDeclined(occurred_at=now, note=command.note)]


@decide_rule.register
def _(command: PostponeStart, state: CaseState, now: datetime) -> list[CaseEvent]:
    # The guarantee lapses when the citizen postpones the start (Vejen Kommune; domain-notes §3.4).
    require(state.is_open and state.first_appointment_on is None, "a start has been offered already")
    require(not state.start_guarantee_lapsed, "the start is already postponed")
    return [StartPostponedByCitizen(occurred_at=now, note=command.note)]


@decide_rule.register
def _(command: MarkDeadlinePassed, state: CaseState, now: datetime) -> list[CaseEvent]:
    due_at = pending_deadlines(state, with_warnings=True).get(command.deadline)
    if due_at is None or now < due_at:
        return []  # met, cancelled or not yet due: a timer that fires late changes nothing
    if command.deadline in WARNED_DEADLINES.values():
        return warning_issued(state, command.deadline, now)
    if command.deadline is DeadlineKind.CONTACT_REMINDER:
        assert state.contact_due_on is not None and contact_reminder_due_on(state) is not None
        return [ContactReminderDue(occurred_at=now, due_on=state.contact_due_on, team=state.team)]
    if command.deadline is DeadlineKind.CONTACT:
        assert state.contact_due_on is not None
        return [ContactDeadlineMissed(occurred_at=now, due_on=state.contact_due_on)]
    assert state.start_guarantee_due_on is not None
    # SUL §140 stk. 4: the citizen may now choose a private provider under the free-choice scheme.
    return [StartGuaranteeBreached(occurred_at=now, due_on=state.start_guarantee_due_on, free_choice_opened=True)]
