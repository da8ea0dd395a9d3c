"""What an operator sees of a case in the Temporal UI: search attributes and a markdown summary.

Only codes and dates: search attributes and details are stored unencrypted, so never CPR or names.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from workflows.domain.deadlines import is_overdue, next_deadline
from workflows.domain.model import CaseStatus
from workflows.domain.state import CaseState
from workflows.shell import search_attributes as keys


def search_attribute_values(state: CaseState) -> dict[str, object]:
    plan = state.plan
    upcoming = next_deadline(state)
    return {
        keys.CASE_STATUS.name: state.status.value,
        keys.MUNICIPALITY_CODE.name: state.responsible_municipality_code if plan else None,
        keys.CARE_LEVEL.name: plan.level.value if plan else None,
        keys.ALMEN_SUB_LEVEL.name: state.sub_level.value if state.sub_level else None,
        keys.NEXT_DEADLINE.name: upcoming[1] if upcoming else None,
        keys.CASE_OVERDUE.name: is_overdue(state),
    }


class CaseStage(StrEnum):
    """Where a case stands, as an operator filters for it (search attribute CaseStage)."""

    AWAITING_CONTACT = "awaiting_contact"
    AWAITING_START = "awaiting_start"
    IN_TRAINING = "in_training"
    ENDED = "ended"


_STAGES = {
    CaseStatus.NEW: CaseStage.AWAITING_CONTACT,
    CaseStatus.RECEIVED: CaseStage.AWAITING_CONTACT,
    CaseStatus.DISTRIBUTED: CaseStage.AWAITING_CONTACT,
    CaseStatus.CLASSIFIED: CaseStage.AWAITING_CONTACT,
    CaseStatus.CITIZEN_CONTACTED: CaseStage.AWAITING_START,
    CaseStatus.PROVIDER_CHOSEN: CaseStage.AWAITING_START,
    CaseStatus.TRAINING_STARTED: CaseStage.IN_TRAINING,
    CaseStatus.COMPLETED: CaseStage.ENDED,
    CaseStatus.CLOSED: CaseStage.ENDED,
}


def operator_attribute_values(state: CaseState) -> dict[str, object]:
    """A light case's search attributes: few, and each moving seldom (an upsert is a billable action). The status,
    sub-level and next deadline are in the workflow's details and the API's case list."""
    values: dict[str, object] = {
        keys.CASE_STAGE.name: _STAGES[state.status].value,
        keys.MUNICIPALITY_CODE.name: state.responsible_municipality_code if state.plan else None,
        keys.CARE_LEVEL.name: state.plan.level.value if state.plan else None,
        keys.CASE_OVERDUE.name: is_overdue(state),
    }
    if state.messages:
        values[keys.DELIVERY_FAILED.name] = state.delivery_failed
    return values


def start_search_attributes(municipality_code: str, level: str) -> dict[str, object]:
    """What the door sets when it starts a light case with its plan (so the workflow upserts none of them)."""
    return {
        keys.CASE_STAGE.name: CaseStage.AWAITING_CONTACT.value,
        keys.MUNICIPALITY_CODE.name: municipality_code,
        keys.CARE_LEVEL.name: level,
        keys.CASE_OVERDUE.name: False,
        keys.DELIVERY_FAILED.name: False,  # the plan queues the first-contact letter at once
    }


def _date(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value) if value is not None else "–"


def markdown_summary(state: CaseState) -> str:
    plan = state.plan
    upcoming = next_deadline(state)
    lines = [
        f"**Genoptræning case** `{state.case_id}`",
        f"- Status: **{state.status.value}** (version {state.version})",
    ]
    if plan is not None:
        lines += [
            f"- Municipality: {state.responsible_municipality_code} · hospital SOR {plan.sending_hospital_sor_id}"
            + (f" · team {state.team}" if state.team else "")
            + (f" · held by {state.assignee}" if state.assignee else ""),
            f"- Level: {plan.level.value}" + (f" / {state.sub_level.value}" if state.sub_level else ""),
            f"- Discharged: {plan.discharge_date.isoformat()} ({plan.discharge_kind.value})",
            f"- Start guarantee due: {_date(state.start_guarantee_due_on)}"
            + (" — **breached**" if state.start_guarantee_breached else "")
            + (", free choice open" if state.free_choice_open else ""),
            f"- Contact due: {_date(state.contact_due_on)}" + (" — **overdue**" if state.contact_overdue else ""),
            f"- Deliveries: {', '.join(sorted(r.value for r in state.deliveries)) or 'none yet'}",
        ]
    if state.guarantee_status_reason is not None:
        lines.append(f"- Guarantee status reason (KL): {state.guarantee_status_reason.value}")
    if state.start_date_proposal is not None:  # its date and outcome only: the words are the plan's health text
        proposal = state.start_date_proposal
        lines.append(f"- Later start proposed from the plan's text: {proposal.proposed_on} ({proposal.outcome.value})")
    if state.training_hospital is not None:
        lines.append(f"- Training hospital: {state.training_hospital.name} ({state.training_hospital.region})")
    if state.provider is not None:
        lines.append(f"- Provider: {state.provider.name} ({state.provider.kind.value})")
    if state.first_appointment_on is not None:
        lines.append(f"- First appointment: {state.first_appointment_on.isoformat()}")
    if upcoming is not None:
        lines.append(f"- Next deadline: {upcoming[0].value} at {upcoming[1].isoformat()}")
    if state.unseen_warnings:  # docs/casework.md: warned before a deadline, not yet marked seen
        lines.append(f"- Unseen deadline warnings: {len(state.unseen_warnings)}")
    if state.close_reason is not None:
        lines.append(f"- Closed: {state.close_reason.value}")
    return "\n".join(lines)
