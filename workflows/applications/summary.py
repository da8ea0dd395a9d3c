"""What an operator sees of an application in the Temporal UI: the case's registered search attributes
and a markdown summary. Only codes and dates: never CPR numbers or names (stored unencrypted)."""

from __future__ import annotations

from datetime import date, datetime

from workflows.domain.applications.deadlines import next_deadline
from workflows.domain.applications.state import ApplicationState, is_overdue
from workflows.shell import search_attributes as keys


def search_attribute_values(state: ApplicationState, *, with_delivery_failed: bool) -> dict[str, object]:
    """The values to publish; `DeliveryFailed` only with `with_delivery_failed` (the workflow's patch decides)
    and only once the application has messages, as for a case."""
    application = state.application
    upcoming = next_deadline(state)
    values: dict[str, object] = {
        keys.CASE_STATUS.name: state.status.value,
        keys.MUNICIPALITY_CODE.name: application.municipality_code if application else None,
        keys.CARE_LEVEL.name: state.legal_reference.care_level.value if state.legal_reference else None,
        keys.NEXT_DEADLINE.name: upcoming[1] if upcoming else None,
        keys.CASE_OVERDUE.name: is_overdue(state),
    }
    if with_delivery_failed and state.messages:
        values[keys.DELIVERY_FAILED.name] = state.delivery_failed
    return values


def _day(value: date | datetime | None) -> str:
    return value.isoformat() if value is not None else "–"


def markdown_summary(state: ApplicationState) -> str:
    application = state.application
    reference = state.legal_reference
    upcoming = next_deadline(state)
    lines = [
        f"**Application for training** `{state.application_id}`",
        f"- Status: **{state.status.value}** (version {state.version})",
    ]
    if application is not None and reference is not None:
        lines += [
            f"- Municipality: {application.municipality_code} · applied {application.application_date.isoformat()}",
            f"- Legal reference: {reference.citation}" + ("" if reference.verified else " (not verified)"),
        ]
    if state.gp_reply_by is not None:
        answer = f"replied {_day(state.gp_replied_on)}" if state.gp_replied_on else "awaiting reply"
        lines.append(f"- GP information due {state.gp_reply_by.isoformat()}: {answer}")
    if state.decision_outcome is not None:
        period = f" {_day(state.granted_from)} – {_day(state.granted_to)}" if state.granted_to else ""
        lines.append(f"- Decision: {state.decision_outcome.value}{period}, notified {_day(state.notified_on)}")
    if state.appeal_received_on is not None:
        lines.append(
            f"- Appeal received {state.appeal_received_on.isoformat()}; forward by {_day(state.forwarding_due_on)}"
            + (" — **overdue**" if state.forwarding_overdue else "")
        )
    if upcoming is not None:
        lines.append(f"- Next deadline: {upcoming[0].value} at {upcoming[1].isoformat()}")
    if state.delivery_failed:
        lines.append("- A letter could not be delivered — **delivery failed**: resend it")
    if state.close_reason is not None:
        lines.append(f"- Closed: {state.close_reason.value}")
    return "\n".join(lines)
