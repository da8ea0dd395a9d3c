"""When a case's legal and local deadlines fall due."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from workflows.domain.calendar import add_working_days, end_of_local_day, subtract_working_days
from workflows.domain.model import CaseStatus, DeadlineKind, Level
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.rules import RuleSet, rules_for
from workflows.domain.state import CaseState

_BEFORE_CONTACT = (CaseStatus.RECEIVED, CaseStatus.DISTRIBUTED, CaseStatus.CLASSIFIED)


def start_guarantee_applies(level: Level, rules: RuleSet) -> bool:
    return level in rules.levels_with_start_guarantee


def start_guarantee_due_on(
    plan: RehabilitationPlan, rules: RuleSet, confirmed_later_start: date | None = None
) -> date | None:
    """Last day on which a start may be offered.

    SUL §140 stk. 4: 7 days from discharge, or from the later start the plan sets for health reasons: its
    `start_date_for_health_reasons`, or a date a caseworker confirmed from its free text.
    """
    if not start_guarantee_applies(plan.level, rules):
        return None
    return earliest_start_on(plan, confirmed_later_start) + timedelta(days=rules.start_guarantee_days)


def earliest_start_on(plan: RehabilitationPlan, confirmed_later_start: date | None = None) -> date:
    """The day training may start and the 7-day clock counts from (SUL §140 stk. 4; BEK §3)."""
    return max(plan.start_date_for_health_reasons or plan.discharge_date, confirmed_later_start or plan.discharge_date)


def contact_due_on(received_on: date, working_days: int) -> date:
    # Local sundhedsaftaler count working days from receipt, Danish public holidays excluded.
    return add_working_days(received_on, working_days)


def contact_reminder_due_on(state: CaseState) -> date | None:
    if state.contact_due_on is None or state.rules_valid_from is None:
        return None
    before = rules_for(state.rules_valid_from).contact_reminder_working_days_before
    return subtract_working_days(state.contact_due_on, before)


def warning_lead_working_days(state: CaseState) -> int | None:
    """How many working days before a deadline its warning goes out: the municipality's, or the rules'."""
    if state.rules_valid_from is None:
        return None
    return state.warning_working_days or rules_for(state.rules_valid_from).deadline_warning_working_days


# Each legal deadline and the warning that goes before it.
WARNED_DEADLINES = {
    DeadlineKind.CONTACT: DeadlineKind.CONTACT_WARNING,
    DeadlineKind.START_GUARANTEE: DeadlineKind.START_GUARANTEE_WARNING,
}


def deadline_due_on(state: CaseState, kind: DeadlineKind) -> date | None:
    return state.contact_due_on if kind is DeadlineKind.CONTACT else state.start_guarantee_due_on


def pending_deadlines(
    state: CaseState, *, with_reminders: bool = True, with_warnings: bool = False
) -> dict[DeadlineKind, datetime]:
    """Deadlines still running, each with the instant it falls due (end of its last day, Danish time).

    `with_reminders=False` leaves out the internal reminder, which is no legal deadline and which cases
    started before reminders existed do not run. `with_warnings=True` adds a warning before each legal
    deadline not yet warned of for its current date (it replaces the reminder in cases that run warnings):
    it falls due when only the lead time's working days remain.
    """
    if not state.is_open:
        return {}
    pending: dict[DeadlineKind, datetime] = {}
    if state.contact_due_on and not state.contact_overdue and state.status in _BEFORE_CONTACT:
        pending[DeadlineKind.CONTACT] = end_of_local_day(state.contact_due_on)
        reminder_on = contact_reminder_due_on(state)
        if with_reminders and reminder_on is not None and not state.contact_reminder_sent:
            pending[DeadlineKind.CONTACT_REMINDER] = end_of_local_day(reminder_on)
    guarantee_due = state.start_guarantee_due_on
    guarantee_running = not (state.start_guarantee_breached or state.start_guarantee_lapsed)
    if guarantee_due and state.first_appointment_on is None and guarantee_running:
        pending[DeadlineKind.START_GUARANTEE] = end_of_local_day(guarantee_due)
    lead = warning_lead_working_days(state)
    if with_warnings and lead is not None:
        for legal, warning in WARNED_DEADLINES.items():
            due_on = deadline_due_on(state, legal)
            if legal in pending and due_on is not None and state.deadline_warnings.get(legal) != due_on:
                pending[warning] = end_of_local_day(subtract_working_days(due_on, lead))
    return pending


def next_deadline(
    state: CaseState, *, with_reminders: bool = False, with_warnings: bool = False
) -> tuple[DeadlineKind, datetime] | None:
    """The deadline that falls due first; by default only the legal ones (what operators filter by)."""
    pending = pending_deadlines(state, with_reminders=with_reminders, with_warnings=with_warnings)
    if not pending:
        return None
    kind = min(pending, key=lambda k: (pending[k], k.value))
    return kind, pending[kind]


def is_overdue(state: CaseState) -> bool:
    """An open case whose contact deadline passed, or whose guarantee was breached with no start offered.

    A breached guarantee stops counting once a start is offered: the citizen is then served.
    """
    return state.is_open and (
        state.contact_overdue or (state.start_guarantee_breached and state.first_appointment_on is None)
    )
