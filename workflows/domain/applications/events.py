"""Events of an application: kept forever in the event store, so fields are only ever added (with
defaults), never renamed or removed; see docs/applications.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from workflows.domain.applications.commands import Application
from workflows.domain.applications.model import (
    AnkestyrelsenOutcome,
    ApplicationCloseReason,
    CareLevel,
    DecisionBasis,
    DecisionOutcome,
    ReassessmentOutcome,
)
from workflows.domain.inputs import FROM_STORE
from workflows.domain.messaging.events import (
    MessageAcknowledged,
    MessageDeliveryFailed,
    MessageQueued,
    MessageResendRequested,
    MessageSent,
)


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: datetime


class LegalReference(BaseModel):
    """The provision the application rests on, as the dated table gave it on the application date."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    care_level: CareLevel
    citation: str = Field(examples=["Serviceloven § 86, stk. 1"])
    verified: bool = Field(description="False while the paragraph is not confirmed against retsinformation.dk")
    table_valid_from: date


class AppealGuidance(BaseModel):
    """Klagevejledning, carried by every decision (ast.dk; retssikkerhedsloven §§ 66-67)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    complain_to: Literal["municipality"] = "municipality"
    within_days: int
    appeal_due_on: date = Field(description="Last day the municipality must receive a complaint")
    forwarded_to: Literal["Ankestyrelsen"] = "Ankestyrelsen"
    text: str


class ApplicationReceived(_Event):
    type: Literal["ApplicationReceived"] = "ApplicationReceived"
    application: Application
    application_fingerprint: str
    legal_reference: LegalReference


class GpInformationRequested(_Event):
    type: Literal["GpInformationRequested"] = "GpInformationRequested"
    requested_on: date
    reply_by: date
    note: str | None = None


class GpInformationReceived(_Event):
    type: Literal["GpInformationReceived"] = "GpInformationReceived"
    received_on: date
    late: bool
    note: str | None = None


class GpInformationOverdue(_Event):
    type: Literal["GpInformationOverdue"] = "GpInformationOverdue"
    due_on: date


class DecisionMade(_Event):
    type: Literal["DecisionMade"] = "DecisionMade"
    basis: DecisionBasis
    outcome: DecisionOutcome
    notified_on: date
    period_from: date | None = None
    period_to: date | None = None
    reason: str | None = None
    free_of_charge: bool = Field(description="Training in the granted period is vederlagsfri")
    legal_reference: LegalReference
    appeal_guidance: AppealGuidance


class AppealReceived(_Event):
    type: Literal["AppealReceived"] = "AppealReceived"
    received_on: date
    forwarding_due_on: date = Field(description="Upheld on reassessment: forward to Ankestyrelsen by this day")
    note: str | None = None


class ReassessmentCompleted(_Event):
    type: Literal["ReassessmentCompleted"] = "ReassessmentCompleted"
    outcome: ReassessmentOutcome
    note: str | None = None


class AnkestyrelsenForwardingOverdue(_Event):
    type: Literal["AnkestyrelsenForwardingOverdue"] = "AnkestyrelsenForwardingOverdue"
    due_on: date


class ForwardedToAnkestyrelsen(_Event):
    type: Literal["ForwardedToAnkestyrelsen"] = "ForwardedToAnkestyrelsen"
    forwarded_on: date
    due_on: date
    within_deadline: bool


class AnkestyrelsenOutcomeRecorded(_Event):
    type: Literal["AnkestyrelsenOutcomeRecorded"] = "AnkestyrelsenOutcomeRecorded"
    outcome: AnkestyrelsenOutcome
    decided_on: date
    note: str | None = None


class TransportAssessed(_Event):
    type: Literal["TransportAssessed"] = "TransportAssessed"
    granted: bool
    grounds: str


class GrantPeriodEnded(_Event):
    type: Literal["GrantPeriodEnded"] = "GrantPeriodEnded"
    period_to: date


class AppealPeriodEnded(_Event):
    type: Literal["AppealPeriodEnded"] = "AppealPeriodEnded"
    due_on: date


class ApplicationClosed(_Event):
    type: Literal["ApplicationClosed"] = "ApplicationClosed"
    reason: ApplicationCloseReason
    note: str | None = None


ApplicationEvent = Annotated[
    ApplicationReceived
    | GpInformationRequested
    | GpInformationReceived
    | GpInformationOverdue
    | DecisionMade
    | AppealReceived
    | ReassessmentCompleted
    | AnkestyrelsenForwardingOverdue
    | ForwardedToAnkestyrelsen
    | AnkestyrelsenOutcomeRecorded
    | TransportAssessed
    | GrantPeriodEnded
    | AppealPeriodEnded
    | ApplicationClosed
    | MessageQueued
    | MessageSent
    | MessageAcknowledged
    | MessageDeliveryFailed
    | MessageResendRequested,
    Field(discriminator="type"),
]

APPLICATION_EVENT_ADAPTER: TypeAdapter[ApplicationEvent] = TypeAdapter(ApplicationEvent)


def application_event_from_json(payload: dict[str, object]) -> ApplicationEvent:
    """Load a stored application event body (its `type` field selects the class)."""
    return APPLICATION_EVENT_ADAPTER.validate_python(payload, context=FROM_STORE)
