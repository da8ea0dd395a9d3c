"""`evolve`, the one function that folds a case's events into its state.

The workflow, the read model and every rebuild use this same fold, so they cannot disagree.
"""

from __future__ import annotations

from functools import singledispatch

from workflows.domain import events as ev
from workflows.domain.case_state import CaseState
from workflows.domain.casework import model as casework
from workflows.domain.casework.model import CaseworkEvent
from workflows.domain.casework_state import CASEWORK_FIELDS, casework_changes
from workflows.domain.facts_version import facts_version_after
from workflows.domain.messaging.events import (
    MessageAcknowledged,
    MessageDeliveryFailed,
    MessageEvent,
    MessageQueued,
    MessageResendRequested,
    MessageSent,
)
from workflows.domain.messaging.state import fold_message
from workflows.domain.model import DISCHARGE_RECIPIENTS, CaseStatus, GuaranteeStatusReason, Recipient, TransferReason
from workflows.domain.plan.start_proposal import (
    ProposalEvent,
    ProposedStartDateConfirmed,
    ProposedStartDateRejected,
    ProposedStartDateSuperseded,
    StartDateProposed,
    proposal_changes,
)

__all__ = ["CaseState", "evolve", "fold"]


# The delivery of the plan's copies and the case's letters: no fact of the case (workflows.domain.facts_version).
_DELIVERY = (
    MessageQueued,
    MessageSent,
    MessageAcknowledged,
    MessageDeliveryFailed,
    MessageResendRequested,
    ev.PlanDelivered,
    ev.PlanDeliveryWithheld,
)


def evolve(state: CaseState, event: ev.CaseEvent) -> CaseState:
    changes = _changes(event, state)
    version = state.version + 1
    facts_version = facts_version_after(state.facts_version, version, delivery_only=isinstance(event, _DELIVERY))
    return state.model_copy(
        update={**changes, "version": version, "facts_version": facts_version, "updated_at": event.occurred_at}
    )


def fold(state: CaseState, events: list[ev.CaseEvent]) -> CaseState:
    for event in events:
        state = evolve(state, event)
    return state


@singledispatch
def _changes(event: ev.CaseEvent, state: CaseState) -> dict[str, object]:
    raise TypeError(f"no evolve rule for {type(event).__name__}")


def _plan_changes(event: ev.PlanReceived | ev.PlanReplaced) -> dict[str, object]:
    plan = event.plan
    later_start = plan.start_date_for_health_reasons is not None and event.start_guarantee_due_on is not None
    return {
        "status": CaseStatus.RECEIVED,
        "plan": plan,
        "plan_fingerprint": event.plan_fingerprint,
        "rules_valid_from": event.rules_valid_from,
        "responsible_authority": event.responsible_authority,
        "responsible_municipality_code": plan.home_municipality_code,
        "start_guarantee_due_on": event.start_guarantee_due_on,
        "contact_working_days": event.contact_working_days,
        "contact_due_on": event.contact_due_on,
        "guarantee_status_reason": GuaranteeStatusReason.UDSKUDT if later_start else None,
        "warning_working_days": event.warning_working_days,
    }


@_changes.register
def _(event: ev.PlanReceived, state: CaseState) -> dict[str, object]:
    # A new case starts in the municipality's intake team, if it names one: its unassigned cases (docs/casework.md).
    return {
        **_plan_changes(event),
        "received_at": event.occurred_at,
        "warnings": event.warnings,
        "team": event.intake_team,
    }


@_changes.register
def _(event: ev.PlanReplaced, state: CaseState) -> dict[str, object]:
    # The course starts again from the new plan: a fresh distribution, classification and deadlines.
    fresh = CaseState(case_id=state.case_id)
    # What was sent stays: the messages of the first plan went out, whatever replaces it.
    # Who holds the case, their notes and warnings stay with it too.
    resettable = set(CaseState.model_fields) - {
        "case_id",
        "version",
        "received_at",
        "warnings",
        "team",
        "messages",
        *CASEWORK_FIELDS,
    }
    return {
        **{name: getattr(fresh, name) for name in resettable},
        **_plan_changes(event),
        "revoked_plan_ids": [*state.revoked_plan_ids, event.previous_plan_id],
    }


def _everyone_served(deliveries: dict[Recipient, str | None]) -> bool:
    return set(DISCHARGE_RECIPIENTS) <= set(deliveries)


def _after_delivery(state: CaseState, recipient: Recipient, message_id: str | None) -> dict[str, object]:
    # Copies go out beside the municipality's steps: the last one moves only an untouched case on to
    # `distributed`, never a case the municipality has already taken further (or one that has ended).
    deliveries = {**state.deliveries, recipient: message_id}
    served = _everyone_served(deliveries) and state.status is CaseStatus.RECEIVED
    return {"deliveries": deliveries, "status": CaseStatus.DISTRIBUTED if served else state.status}


@_changes.register
def _(event: ev.PlanDelivered, state: CaseState) -> dict[str, object]:
    return _after_delivery(state, event.recipient, event.message_id)


@_changes.register
def _(event: ev.PlanDeliveryWithheld, state: CaseState) -> dict[str, object]:
    return _after_delivery(state, event.recipient, None)


@_changes.register
def _(event: MessageQueued, state: CaseState) -> dict[str, object]:
    changes: dict[str, object] = {"messages": fold_message(state.messages, event)}
    if event.plan_id is not None and event.recipient.value in set(Recipient):
        # The message settles this recipient's copy of the plan (queued: the sender takes it from here).
        changes |= _after_delivery(state, Recipient(event.recipient.value), event.message_id)
    return changes


@_changes.register(MessageSent)
@_changes.register(MessageAcknowledged)
@_changes.register(MessageDeliveryFailed)
@_changes.register(MessageResendRequested)
def _message_outcome(event: MessageEvent, state: CaseState) -> dict[str, object]:
    return {"messages": fold_message(state.messages, event)}


@_changes.register(StartDateProposed)
@_changes.register(ProposedStartDateConfirmed)
@_changes.register(ProposedStartDateRejected)
@_changes.register(ProposedStartDateSuperseded)
def _start_date_proposal(event: ProposalEvent, state: CaseState) -> dict[str, object]:
    return proposal_changes(event, state.start_date_proposal)


@_changes.register(casework.CaseAssigned)
@_changes.register(casework.CaseClaimed)
@_changes.register(casework.CaseHandedOn)
@_changes.register(casework.CaseReleased)
@_changes.register(casework.NoteAdded)
@_changes.register(casework.DeadlineWarningIssued)
@_changes.register(casework.DeadlineWarningSeen)
def _casework(event: CaseworkEvent, state: CaseState) -> dict[str, object]:
    return casework_changes(event, state)


@_changes.register
def _(event: ev.AlmenSubLevelClassified, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.CLASSIFIED, "sub_level": event.sub_level}


@_changes.register
def _(event: ev.AlmenSubLevelReclassified, state: CaseState) -> dict[str, object]:
    return {"sub_level": event.sub_level}


@_changes.register
def _(event: ev.TeamAssigned, state: CaseState) -> dict[str, object]:
    return {"team": event.team}


@_changes.register
def _(event: ev.ContactAttemptRecorded, state: CaseState) -> dict[str, object]:
    return {"contact_attempts": state.contact_attempts + 1}


@_changes.register
def _(event: ev.ContactReminderDue, state: CaseState) -> dict[str, object]:
    return {"contact_reminder_sent": True}


@_changes.register
def _(event: ev.CitizenContacted, state: CaseState) -> dict[str, object]:
    return {
        "status": CaseStatus.CITIZEN_CONTACTED,
        "contacted_at": event.contacted_at,
        "contact_attempts": state.contact_attempts + 1,
    }


@_changes.register
def _(event: ev.ProviderChosen, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.PROVIDER_CHOSEN, "provider": event.provider}


@_changes.register
def _(event: ev.ProviderRefused, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.CITIZEN_CONTACTED, "provider": None}


@_changes.register
def _(event: ev.TrainingHospitalChosen, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.PROVIDER_CHOSEN, "training_hospital": event.hospital}


@_changes.register
def _(event: ev.StartOffered, state: CaseState) -> dict[str, object]:
    first = state.first_appointment_on or event.first_appointment_on  # the first offer counts (KL)
    return {"status": CaseStatus.TRAINING_STARTED, "first_appointment_on": first}


@_changes.register
def _(event: ev.AppointmentCancelled, state: CaseState) -> dict[str, object]:
    return {"appointment_cancelled": True}


@_changes.register
def _(event: ev.StartGuaranteeBreached, state: CaseState) -> dict[str, object]:
    return {"start_guarantee_breached": True, "free_choice_open": event.free_choice_opened}


@_changes.register
def _(event: ev.FreeChoiceAccepted, state: CaseState) -> dict[str, object]:
    return {
        "status": CaseStatus.PROVIDER_CHOSEN,
        "provider": event.provider,
        "free_choice_open": False,
        "guarantee_status_reason": GuaranteeStatusReason.FRIT_VALG,
    }


@_changes.register
def _(event: ev.FreeChoiceDeclined, state: CaseState) -> dict[str, object]:
    return {"free_choice_open": False, "guarantee_status_reason": GuaranteeStatusReason.FRIT_VALG_AFSLAAET}


@_changes.register
def _(event: ev.StartPostponedByCitizen, state: CaseState) -> dict[str, object]:
    return {"start_guarantee_lapsed": True}


@_changes.register
def _(event: ev.CaseTransferred, state: CaseState) -> dict[str, object]:
    # The receiving municipality starts over: it classifies, contacts and offers a start itself.
    # KL's "Anden kommune" is the citizen's own request; a move is no reason KL lists.
    at_request = event.reason is TransferReason.CITIZEN_REQUEST
    keeps_reason = state.start_guarantee_breached or state.first_appointment_on is not None or not at_request
    return {
        # Back to the start of the municipality's steps; `distributed` only once every copy is out.
        "status": CaseStatus.DISTRIBUTED if _everyone_served(state.deliveries) else CaseStatus.RECEIVED,
        "responsible_municipality_code": event.to_municipality_code,
        # The receiving municipality's own caseworkers take it on: nobody of the old one holds it any more.
        "assignee": None,
        "team": event.intake_team,
        "warning_working_days": event.warning_working_days,
        "sub_level": None,
        "contacted_at": None,
        "provider": None,
        "contact_working_days": event.contact_working_days,
        "contact_due_on": event.contact_due_on,
        "contact_reminder_sent": False,
        "contact_overdue": False,
        "start_guarantee_lapsed": True,
        "guarantee_status_reason": state.guarantee_status_reason
        if keeps_reason
        else GuaranteeStatusReason.ANDEN_KOMMUNE,
    }


@_changes.register
def _(event: ev.ContactDeadlineMissed, state: CaseState) -> dict[str, object]:
    return {"contact_overdue": True}


# An ended case offers nothing more: the free choice (SUL §140 stk. 4) closes with it. Its deadlines
# stop too (`deadlines.pending_deadlines` runs none for a case that is not open).
_ENDED = {"free_choice_open": False}


@_changes.register
def _(event: ev.CourseCompleted, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.COMPLETED, **_ENDED}


@_changes.register
def _(event: ev.PlanRevoked, state: CaseState) -> dict[str, object]:
    return {
        "revoked_plan_ids": [*state.revoked_plan_ids, event.plan_id],
        "guarantee_status_reason": GuaranteeStatusReason.FEJL,
    }


@_changes.register
def _(event: ev.TransportAssessed, state: CaseState) -> dict[str, object]:
    return {"transport": event.decision, "transport_requested_on": None}


@_changes.register
def _(event: ev.TransportRequested, state: CaseState) -> dict[str, object]:
    return {"transport_requested_on": event.requested_on}


@_changes.register
def _(event: ev.CaseClosed, state: CaseState) -> dict[str, object]:
    return {
        "status": CaseStatus.CLOSED,
        "close_reason": event.reason,
        "opt_out_reason": event.opt_out_reason,
        **_ENDED,
    }
