"""Decisions and appeals of an application: the afgørelse, its renewal, the appeal, the reassessment
(genvurdering), the forwarding to Ankestyrelsen and Ankestyrelsen's outcome. Registered with `decide`."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from workflows.domain.applications.commands import (
    DecisionTerms,
    MakeDecision,
    ReassessDecision,
    RecordAnkestyrelsenOutcome,
    RecordAppeal,
    RecordForwarding,
)
from workflows.domain.applications.deadlines import appeal_guidance, forwarding_due_on
from workflows.domain.applications.events import (
    AnkestyrelsenOutcomeRecorded,
    AppealReceived,
    ApplicationClosed,
    ApplicationEvent,
    DecisionMade,
    ForwardedToAnkestyrelsen,
    ReassessmentCompleted,
)
from workflows.domain.applications.model import (
    AnkestyrelsenOutcome,
    ApplicationCloseReason,
    ApplicationStatus,
    DecisionBasis,
    DecisionOutcome,
    ReassessmentOutcome,
)
from workflows.domain.applications.rejections import require, require_valid
from workflows.domain.applications.state import ApplicationState
from workflows.domain.calendar import local_date

Status = ApplicationStatus


def require_status(state: ApplicationState, allowed: tuple[ApplicationStatus, ...], action: str) -> None:
    names = ", ".join(status.value for status in allowed)
    require(state.status in allowed, f"cannot {action} while the application is {state.status.value} (needs {names})")


def not_after_today(day: date, now: datetime, field: str) -> None:
    require_valid(day <= local_date(now), field, f"{field} lies in the future")


def _decision(
    state: ApplicationState, terms: DecisionTerms, basis: DecisionBasis, now: datetime, prefix: str = ""
) -> DecisionMade:
    """The decision event after the checks every decision passes; `prefix` locates the terms in the body."""
    application = state.require_application()
    assert state.legal_reference is not None
    not_after_today(terms.notified_on, now, f"{prefix}notified_on")
    require_valid(
        terms.notified_on >= application.application_date,
        f"{prefix}notified_on",
        "notified_on lies before the application date",
    )
    granted = terms.outcome is DecisionOutcome.GRANTED
    if granted:
        assert terms.period_from is not None and terms.period_to is not None
        require_valid(
            terms.period_from >= application.application_date,
            f"{prefix}period_from",
            "period_from lies before the application date",
        )
        require_valid(terms.period_to >= local_date(now), f"{prefix}period_to", "the granted period has ended")
    return DecisionMade(
        occurred_at=now,
        basis=basis,
        outcome=terms.outcome,
        notified_on=terms.notified_on,
        period_from=terms.period_from,
        period_to=terms.period_to,
        reason=terms.reason,
        # No user payment for §86 training: vederlagsfri in the granted period (brief; VEJ nr. 9538/2018 kap. 7).
        free_of_charge=granted,
        legal_reference=state.legal_reference,
        # Every decision carries its klagevejledning (ast.dk; retssikkerhedsloven §§ 66-67, UNCERTAIN §§).
        appeal_guidance=appeal_guidance(terms.notified_on),
    )


def make_decision(command: MakeDecision, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    require_status(state, (Status.UNDER_ASSESSMENT, Status.GRANTED), "make a decision")
    terms = command.decision
    if state.status is Status.UNDER_ASSESSMENT:
        # Back under assessment with a decision on file only after Ankestyrelsen changed or returned it.
        first = state.decision_outcome is None
        return [_decision(state, terms, DecisionBasis.ASSESSMENT if first else DecisionBasis.AFTER_ANKESTYRELSEN, now)]
    require(terms.outcome is DecisionOutcome.GRANTED, "while a granted period runs, only a renewal can be decided")
    assert terms.period_from is not None and terms.period_to is not None and state.granted_to is not None
    # A renewal continues the granted period: it starts by the day after it ends, and ends later.
    continues_by = state.granted_to + timedelta(days=1)
    require_valid(
        terms.period_from <= continues_by,
        "period_from",
        f"a renewal must continue the granted period: start on {continues_by.isoformat()} at the latest",
    )
    require_valid(terms.period_to > state.granted_to, "period_to", "a renewal must end after the granted period")
    return [_decision(state, terms, DecisionBasis.RENEWAL, now)]


def record_appeal(command: RecordAppeal, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    require_status(state, (Status.GRANTED, Status.REFUSED), "record an appeal")
    assert state.notified_on is not None and state.appeal_guidance is not None
    not_after_today(command.received_on, now, "received_on")
    require_valid(command.received_on >= state.notified_on, "received_on", "received_on lies before the notification")
    due = state.appeal_guidance.appeal_due_on
    # Retssikkerhedsloven §§ 66-67 (UNCERTAIN §§): 4 weeks from notification, the last day included.
    require_valid(
        command.received_on <= due,
        "received_on",
        f"the appeal is late: the appeal period ended on {due.isoformat()}",
    )
    return [
        AppealReceived(
            occurred_at=now,
            received_on=command.received_on,
            forwarding_due_on=forwarding_due_on(command.received_on),
            note=command.note,
        )
    ]


def reassess_decision(command: ReassessDecision, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    require_status(state, (Status.APPEALED,), "record a reassessment")
    completed = ReassessmentCompleted(occurred_at=now, outcome=command.outcome, note=command.note)
    if command.outcome is ReassessmentOutcome.UPHELD:
        return [completed]
    assert command.decision is not None
    # A changed decision is a new decision, appealable again.
    return [completed, _decision(state, command.decision, DecisionBasis.REASSESSMENT, now, prefix="decision.")]


def record_forwarding(command: RecordForwarding, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    require_status(state, (Status.UPHELD,), "record the forwarding to Ankestyrelsen")
    assert state.appeal_received_on is not None and state.forwarding_due_on is not None
    not_after_today(command.forwarded_on, now, "forwarded_on")
    require_valid(
        command.forwarded_on >= state.appeal_received_on, "forwarded_on", "forwarded_on lies before the appeal"
    )
    due = state.forwarding_due_on
    return [
        ForwardedToAnkestyrelsen(
            occurred_at=now, forwarded_on=command.forwarded_on, due_on=due, within_deadline=command.forwarded_on <= due
        )
    ]


def record_ankestyrelsen_outcome(
    command: RecordAnkestyrelsenOutcome, state: ApplicationState, now: datetime
) -> list[ApplicationEvent]:
    require_status(state, (Status.AT_ANKESTYRELSEN,), "record Ankestyrelsen's outcome")
    assert state.forwarded_on is not None
    not_after_today(command.decided_on, now, "decided_on")
    require_valid(command.decided_on >= state.forwarded_on, "decided_on", "decided_on lies before the forwarding")
    events: list[ApplicationEvent] = [
        AnkestyrelsenOutcomeRecorded(
            occurred_at=now, outcome=command.outcome, decided_on=command.decided_on, note=command.note
        )
    ]
    if command.outcome is AnkestyrelsenOutcome.UPHELD and state.decision_outcome is DecisionOutcome.REFUSED:
        events.append(ApplicationClosed(occurred_at=now, reason=ApplicationCloseReason.REFUSAL_UPHELD_BY_ANKESTYRELSEN))
    return events
