"""When an application's deadlines fall due, and the appeal guidance a decision carries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from workflows.domain.applications.events import AppealGuidance
from workflows.domain.applications.legal import appeal_procedure_for
from workflows.domain.applications.model import ApplicationDeadlineKind, ApplicationStatus
from workflows.domain.applications.state import ASSESSING, ApplicationState
from workflows.domain.calendar import danish_date, end_of_local_day


def appeal_due_on(notified_on: date) -> date:
    """Last day a complaint may reach the municipality: 4 weeks after notification, that day included
    (ast.dk klagevejledning; retssikkerhedsloven §§ 66-67, § numbers UNCERTAIN)."""
    return notified_on + timedelta(days=appeal_procedure_for(notified_on).appeal_days)


def forwarding_due_on(appeal_received_on: date) -> date:
    """Last day to forward an upheld decision to Ankestyrelsen: 4 weeks after the complaint arrived
    (ast.dk; retssikkerhedsloven §§ 66-67, § numbers UNCERTAIN)."""
    return appeal_received_on + timedelta(days=appeal_procedure_for(appeal_received_on).forwarding_days)


def appeal_guidance(notified_on: date) -> AppealGuidance:
    """Klagevejledning for a decision notified on `notified_on` (ast.dk "Klagevejledning og tidsfrister")."""
    procedure = appeal_procedure_for(notified_on)
    due = appeal_due_on(notified_on)
    weeks = procedure.appeal_days // 7
    text = (
        f"Du kan klage over afgørelsen. Klagen skal være modtaget i kommunen senest den {danish_date(due)}, "
        f"{weeks} uger efter, at du fik afgørelsen. Kommunen vurderer afgørelsen igen. Fastholder kommunen "
        "afgørelsen, sender den din klage videre til Ankestyrelsen."
    )
    return AppealGuidance(within_days=procedure.appeal_days, appeal_due_on=due, text=text)


def pending_deadlines(state: ApplicationState) -> dict[ApplicationDeadlineKind, datetime]:
    """Deadlines still running, each with the instant it falls due (end of its last day, Danish time)."""
    if not state.is_open:
        return {}
    pending: dict[ApplicationDeadlineKind, datetime] = {}
    if state.gp_reply_by and state.gp_reply_outstanding and not state.gp_overdue and state.status in ASSESSING:
        pending[ApplicationDeadlineKind.GP_REPLY] = end_of_local_day(state.gp_reply_by)
    if state.status is ApplicationStatus.REFUSED and state.appeal_guidance is not None:
        pending[ApplicationDeadlineKind.APPEAL_PERIOD] = end_of_local_day(state.appeal_guidance.appeal_due_on)
    waiting_to_forward = state.status in (ApplicationStatus.APPEALED, ApplicationStatus.UPHELD)
    if waiting_to_forward and state.forwarding_due_on and not state.forwarding_overdue:
        pending[ApplicationDeadlineKind.ANKESTYRELSEN_FORWARDING] = end_of_local_day(state.forwarding_due_on)
    if state.status is ApplicationStatus.GRANTED and state.granted_to is not None:
        pending[ApplicationDeadlineKind.GRANT_PERIOD] = end_of_local_day(state.granted_to)
    return pending


def next_deadline(state: ApplicationState) -> tuple[ApplicationDeadlineKind, datetime] | None:
    pending = pending_deadlines(state)
    if not pending:
        return None
    kind = min(pending, key=lambda k: (pending[k], k.value))
    return kind, pending[kind]
