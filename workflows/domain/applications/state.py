"""The state of an application, and `evolve`, the one fold of its events.

The workflow, the `applications` read model and every rebuild use this same fold.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import singledispatch
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflows.domain.applications.commands import Application
from workflows.domain.applications.events import (
    AnkestyrelsenForwardingOverdue,
    AnkestyrelsenOutcomeRecorded,
    AppealGuidance,
    AppealPeriodEnded,
    AppealReceived,
    ApplicationClosed,
    ApplicationEvent,
    ApplicationReceived,
    DecisionMade,
    ForwardedToAnkestyrelsen,
    GpInformationOverdue,
    GpInformationReceived,
    GpInformationRequested,
    GrantPeriodEnded,
    LegalReference,
    ReassessmentCompleted,
    TransportAssessed,
)
from workflows.domain.applications.model import (
    AnkestyrelsenOutcome,
    ApplicationCloseReason,
    ApplicationStatus,
    DecisionBasis,
    DecisionOutcome,
    ReassessmentOutcome,
)
from workflows.domain.facts_version import FACTS_VERSION_DESCRIPTION, facts_version_after, facts_version_of_stored
from workflows.domain.messaging.events import (
    MessageAcknowledged,
    MessageDeliveryFailed,
    MessageEvent,
    MessageQueued,
    MessageResendRequested,
    MessageSent,
)
from workflows.domain.messaging.state import Messages, any_failed, fold_message

# The delivery of the application's letters: no fact of the application (workflows.domain.facts_version).
_DELIVERY = (MessageQueued, MessageSent, MessageAcknowledged, MessageDeliveryFailed, MessageResendRequested)
# While the municipality is assessing: first (or again, after Ankestyrelsen) and on reassessment.
ASSESSING = (ApplicationStatus.UNDER_ASSESSMENT, ApplicationStatus.APPEALED)


class ApplicationState(BaseModel):
    model_config = ConfigDict(frozen=True)

    application_id: str
    version: int = 0
    facts_version: int = Field(default=0, description=FACTS_VERSION_DESCRIPTION)
    status: ApplicationStatus = ApplicationStatus.NEW
    application: Application | None = None
    application_fingerprint: str | None = None
    legal_reference: LegalReference | None = None
    received_at: datetime | None = None
    updated_at: datetime | None = None
    # The request to the citizen's GP (the latest one)
    gp_requested_on: date | None = None
    gp_reply_by: date | None = None
    gp_replied_on: date | None = None
    gp_overdue: bool = False
    # The decision in force (the latest one)
    decision_outcome: DecisionOutcome | None = None
    decision_basis: DecisionBasis | None = None
    notified_on: date | None = None
    granted_from: date | None = None
    granted_to: date | None = None
    refusal_reason: str | None = None
    free_of_charge: bool = False
    appeal_guidance: AppealGuidance | None = None
    grant_period_ended: bool = False
    # The appeal of that decision (the latest one)
    appeal_received_on: date | None = None
    reassessment_outcome: ReassessmentOutcome | None = None
    forwarding_due_on: date | None = None
    forwarding_overdue: bool = False
    forwarded_on: date | None = None
    ankestyrelsen_outcome: AnkestyrelsenOutcome | None = None
    transport_granted: bool | None = None
    transport_grounds: str | None = None
    # Decisions made so far (each owes the citizen a letter) and the outbound messages with their delivery state.
    decisions_made: int = 0
    messages: Messages = Field(default_factory=dict)
    close_reason: ApplicationCloseReason | None = None

    @model_validator(mode="before")
    @classmethod
    def _facts_version_of_older_states(cls, data: Any) -> Any:
        return facts_version_of_stored(data)

    @property
    def is_open(self) -> bool:
        return self.status is not ApplicationStatus.NEW and not self.status.is_terminal

    @property
    def delivery_failed(self) -> bool:
        return any_failed(self.messages)

    @property
    def gp_reply_outstanding(self) -> bool:
        return self.gp_reply_by is not None and self.gp_replied_on is None

    def require_application(self) -> Application:
        if self.application is None:
            raise LookupError("the application is not recorded yet")
        return self.application


def is_overdue(state: ApplicationState) -> bool:
    """A GP reply missing while the municipality still assesses, or a forwarding deadline missed."""
    gp_late = state.gp_overdue and state.gp_reply_outstanding and state.status in ASSESSING
    forwarding = (ApplicationStatus.APPEALED, ApplicationStatus.UPHELD)
    forwarding_late = state.forwarding_overdue and state.status in forwarding
    return state.is_open and (gp_late or forwarding_late)


def evolve(state: ApplicationState, event: ApplicationEvent) -> ApplicationState:
    changes = _changes(event, state)
    version = state.version + 1
    facts_version = facts_version_after(state.facts_version, version, delivery_only=isinstance(event, _DELIVERY))
    return state.model_copy(
        update={**changes, "version": version, "facts_version": facts_version, "updated_at": event.occurred_at}
    )


def fold(state: ApplicationState, events: list[ApplicationEvent]) -> ApplicationState:
    for event in events:
        state = evolve(state, event)
    return state


@singledispatch
def _changes(event: ApplicationEvent, state: ApplicationState) -> dict[str, object]:
    raise TypeError(f"no evolve rule for {type(event).__name__}")


@_changes.register
def _(event: ApplicationReceived, state: ApplicationState) -> dict[str, object]:
    return {
        "status": ApplicationStatus.UNDER_ASSESSMENT,
        "application": event.application,
        "application_fingerprint": event.application_fingerprint,
        "legal_reference": event.legal_reference,
        "received_at": event.occurred_at,
    }


@_changes.register
def _(event: GpInformationRequested, state: ApplicationState) -> dict[str, object]:
    return {
        "gp_requested_on": event.requested_on,
        "gp_reply_by": event.reply_by,
        "gp_replied_on": None,
        "gp_overdue": False,
    }


@_changes.register
def _(event: GpInformationReceived, state: ApplicationState) -> dict[str, object]:
    return {"gp_replied_on": event.received_on}


@_changes.register
def _(event: GpInformationOverdue, state: ApplicationState) -> dict[str, object]:
    return {"gp_overdue": True}


@_changes.register
def _(event: DecisionMade, state: ApplicationState) -> dict[str, object]:
    granted = event.outcome is DecisionOutcome.GRANTED
    return {
        "status": ApplicationStatus.GRANTED if granted else ApplicationStatus.REFUSED,
        "decision_outcome": event.outcome,
        "decision_basis": event.basis,
        "notified_on": event.notified_on,
        "granted_from": event.period_from,
        "granted_to": event.period_to,
        "refusal_reason": event.reason,
        "free_of_charge": event.free_of_charge,
        "appeal_guidance": event.appeal_guidance,
        "grant_period_ended": False,
        "decisions_made": state.decisions_made + 1,
    }


@_changes.register
def _(event: AppealReceived, state: ApplicationState) -> dict[str, object]:
    return {
        "status": ApplicationStatus.APPEALED,
        "appeal_received_on": event.received_on,
        "reassessment_outcome": None,
        "forwarding_due_on": event.forwarding_due_on,
        "forwarding_overdue": False,
        "forwarded_on": None,
        "ankestyrelsen_outcome": None,
    }


@_changes.register
def _(event: ReassessmentCompleted, state: ApplicationState) -> dict[str, object]:
    # A changed decision is recorded by the DecisionMade that follows in the same append.
    upheld = event.outcome is ReassessmentOutcome.UPHELD
    return {"reassessment_outcome": event.outcome, "status": ApplicationStatus.UPHELD if upheld else state.status}


@_changes.register
def _(event: AnkestyrelsenForwardingOverdue, state: ApplicationState) -> dict[str, object]:
    return {"forwarding_overdue": True}


@_changes.register
def _(event: ForwardedToAnkestyrelsen, state: ApplicationState) -> dict[str, object]:
    return {"status": ApplicationStatus.AT_ANKESTYRELSEN, "forwarded_on": event.forwarded_on}


@_changes.register
def _(event: AnkestyrelsenOutcomeRecorded, state: ApplicationState) -> dict[str, object]:
    if event.outcome is AnkestyrelsenOutcome.UPHELD:
        # The decision stands: a grant runs on; a refusal is final (ApplicationClosed follows).
        granted = state.decision_outcome is DecisionOutcome.GRANTED
        status = ApplicationStatus.GRANTED if granted else ApplicationStatus.REFUSED
    else:
        status = ApplicationStatus.UNDER_ASSESSMENT  # the municipality records the new decision
    return {"status": status, "ankestyrelsen_outcome": event.outcome}


@_changes.register
def _(event: TransportAssessed, state: ApplicationState) -> dict[str, object]:
    return {"transport_granted": event.granted, "transport_grounds": event.grounds}


@_changes.register
def _(event: GrantPeriodEnded, state: ApplicationState) -> dict[str, object]:
    return {"grant_period_ended": True}


@_changes.register
def _(event: AppealPeriodEnded, state: ApplicationState) -> dict[str, object]:
    return {}


@_changes.register
def _(event: ApplicationClosed, state: ApplicationState) -> dict[str, object]:
    return {"status": ApplicationStatus.CLOSED, "close_reason": event.reason}


@_changes.register(MessageQueued)
@_changes.register(MessageSent)
@_changes.register(MessageAcknowledged)
@_changes.register(MessageDeliveryFailed)
@_changes.register(MessageResendRequested)
def _message(event: MessageEvent, state: ApplicationState) -> dict[str, object]:
    return {"messages": fold_message(state.messages, event)}
