"""Domain events: the facts a case is made of. The event store keeps them forever, so fields are only
ever added (with defaults), never renamed or removed; see docs/events.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from workflows.domain.casework.attention import ConfirmedAttention
from workflows.domain.casework.model import (
    CaseAssigned,
    CaseClaimed,
    CaseHandedOn,
    CaseReleased,
    DeadlineWarningIssued,
    DeadlineWarningSeen,
    NoteAdded,
)
from workflows.domain.commands import HospitalRef, ProviderRef
from workflows.domain.inputs import FROM_STORE
from workflows.domain.messaging.events import (
    MessageAcknowledged,
    MessageDeliveryFailed,
    MessageQueued,
    MessageResendRequested,
    MessageSent,
)
from workflows.domain.model import (
    AlmenSubLevel,
    CloseReason,
    ContactChannel,
    OptOutReason,
    Recipient,
    ResponsibleAuthority,
    TransferReason,
)
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.plan.start_proposal import (
    ProposedStartDateConfirmed,
    ProposedStartDateRejected,
    ProposedStartDateSuperseded,
    StartDateProposed,
)
from workflows.domain.transport import TransportAssessmentInput, TransportDecision


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: datetime


class PlanReceived(_Event):
    type: Literal["PlanReceived"] = "PlanReceived"
    plan: RehabilitationPlan
    plan_fingerprint: str
    rules_valid_from: date
    start_guarantee_due_on: date | None = Field(description="Last day a start may be offered; None if n/a")
    contact_working_days: int
    contact_due_on: date
    responsible_authority: ResponsibleAuthority = ResponsibleAuthority.MUNICIPALITY
    warning_working_days: int | None = Field(default=None, description="Warning lead time; None: the rules'")
    intake_team: str | None = Field(default=None, description="The municipality's team for new cases, if it has one")
    warnings: list[str] = Field(default_factory=list, description="e.g. cpr_fails_modulus_11: accepted, flagged")


class PlanDelivered(_Event):
    """Recorded until issue 8: the copy was only put in the outbox, never sent. New cases record MessageQueued."""

    type: Literal["PlanDelivered"] = "PlanDelivered"
    recipient: Recipient
    message_id: str


class PlanDeliveryWithheld(_Event):
    type: Literal["PlanDeliveryWithheld"] = "PlanDeliveryWithheld"
    recipient: Recipient
    reason: str


class AlmenSubLevelClassified(_Event):
    type: Literal["AlmenSubLevelClassified"] = "AlmenSubLevelClassified"
    sub_level: AlmenSubLevel
    reason: str | None = None


class CitizenContacted(_Event):
    type: Literal["CitizenContacted"] = "CitizenContacted"
    contacted_at: datetime
    channel: ContactChannel
    informed_of_provider_choices: bool
    note: str | None = None


class ProviderChosen(_Event):
    type: Literal["ProviderChosen"] = "ProviderChosen"
    provider: ProviderRef


class StartOffered(_Event):
    type: Literal["StartOffered"] = "StartOffered"
    first_appointment_on: date
    within_start_guarantee: bool | None = Field(description="None when the guarantee does not apply")


class StartGuaranteeBreached(_Event):
    type: Literal["StartGuaranteeBreached"] = "StartGuaranteeBreached"
    due_on: date
    free_choice_opened: bool


class ContactDeadlineMissed(_Event):
    type: Literal["ContactDeadlineMissed"] = "ContactDeadlineMissed"
    due_on: date


class CourseCompleted(_Event):
    type: Literal["CourseCompleted"] = "CourseCompleted"
    note: str | None = None
    confirmed_attention: ConfirmedAttention = Field(default_factory=list)


class CaseClosed(_Event):
    type: Literal["CaseClosed"] = "CaseClosed"
    reason: CloseReason
    opt_out_reason: OptOutReason | None = None
    note: str | None = None
    confirmed_attention: ConfirmedAttention = Field(default_factory=list)


class AlmenSubLevelReclassified(_Event):
    type: Literal["AlmenSubLevelReclassified"] = "AlmenSubLevelReclassified"
    previous: AlmenSubLevel
    sub_level: AlmenSubLevel
    reason: str


class TeamAssigned(_Event):
    type: Literal["TeamAssigned"] = "TeamAssigned"
    team: str


class ContactAttemptRecorded(_Event):
    type: Literal["ContactAttemptRecorded"] = "ContactAttemptRecorded"
    channel: ContactChannel
    note: str | None = None


class ContactReminderDue(_Event):
    type: Literal["ContactReminderDue"] = "ContactReminderDue"
    due_on: date
    team: str | None


class ProviderRefused(_Event):
    type: Literal["ProviderRefused"] = "ProviderRefused"
    provider: ProviderRef
    reason: str


class TrainingHospitalChosen(_Event):
    type: Literal["TrainingHospitalChosen"] = "TrainingHospitalChosen"
    hospital: HospitalRef


class AppointmentCancelled(_Event):
    type: Literal["AppointmentCancelled"] = "AppointmentCancelled"
    reason: str | None = None


class FreeChoiceAccepted(_Event):
    type: Literal["FreeChoiceAccepted"] = "FreeChoiceAccepted"
    provider: ProviderRef


class FreeChoiceDeclined(_Event):
    type: Literal["FreeChoiceDeclined"] = "FreeChoiceDeclined"
    note: str | None = None


class StartPostponedByCitizen(_Event):
    type: Literal["StartPostponedByCitizen"] = "StartPostponedByCitizen"
    note: str | None = None


class CaseTransferred(_Event):
    type: Literal["CaseTransferred"] = "CaseTransferred"
    from_municipality_code: str
    to_municipality_code: str
    reason: TransferReason
    contact_working_days: int
    contact_due_on: date
    warning_working_days: int | None = None
    intake_team: str | None = Field(default=None, description="The receiving municipality's team for new cases")


class PlanRevoked(_Event):
    type: Literal["PlanRevoked"] = "PlanRevoked"
    plan_id: str
    reason: str


class PlanReplaced(_Event):
    type: Literal["PlanReplaced"] = "PlanReplaced"
    previous_plan_id: str
    plan: RehabilitationPlan
    plan_fingerprint: str
    rules_valid_from: date
    start_guarantee_due_on: date | None
    contact_working_days: int
    contact_due_on: date
    responsible_authority: ResponsibleAuthority
    warning_working_days: int | None = None


class TransportRequested(_Event):
    type: Literal["TransportRequested"] = "TransportRequested"
    requested_on: date
    note: str | None = None


class TransportAssessed(_Event):
    type: Literal["TransportAssessed"] = "TransportAssessed"
    assessment: TransportAssessmentInput
    decision: TransportDecision


CaseEvent = Annotated[
    PlanReceived
    | PlanDelivered
    | PlanDeliveryWithheld
    | AlmenSubLevelClassified
    | CitizenContacted
    | ProviderChosen
    | StartOffered
    | StartGuaranteeBreached
    | ContactDeadlineMissed
    | CourseCompleted
    | CaseClosed
    | AlmenSubLevelReclassified
    | TeamAssigned
    | ContactAttemptRecorded
    | ContactReminderDue
    | ProviderRefused
    | TrainingHospitalChosen
    | AppointmentCancelled
    | FreeChoiceAccepted
    | FreeChoiceDeclined
    | StartPostponedByCitizen
    | CaseTransferred
    | PlanRevoked
    | PlanReplaced
    | StartDateProposed
    | ProposedStartDateConfirmed
    | ProposedStartDateRejected
    | ProposedStartDateSuperseded
    | TransportAssessed
    | TransportRequested
    | MessageQueued
    | MessageSent
    | MessageAcknowledged
    | MessageDeliveryFailed
    | MessageResendRequested
    | CaseAssigned
    | CaseClaimed
    | CaseHandedOn
    | CaseReleased
    | NoteAdded
    | DeadlineWarningIssued
    | DeadlineWarningSeen,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[CaseEvent] = TypeAdapter(CaseEvent)


def event_from_json(payload: dict[str, object]) -> CaseEvent:
    """Load a stored event body (its `type` field selects the class)."""
    return EVENT_ADAPTER.validate_python(payload, context=FROM_STORE)
