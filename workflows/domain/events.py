"""Domain events: the facts a case is made of. The event store keeps them forever, so fields are only
ever added (with defaults), never renamed or removed; see docs/events.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from workflows.domain.commands import ProviderRef
from workflows.domain.model import AlmenSubLevel, CloseReason, ContactChannel, Recipient
from workflows.domain.plan import RehabilitationPlan


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


class PlanDelivered(_Event):
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


class CaseClosed(_Event):
    type: Literal["CaseClosed"] = "CaseClosed"
    reason: CloseReason
    note: str | None = None


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
    | CaseClosed,
    Field(discriminator="type"),
]

EVENT_ADAPTER: TypeAdapter[CaseEvent] = TypeAdapter(CaseEvent)


def event_from_json(payload: dict[str, object]) -> CaseEvent:
    """Load a stored event body (its `type` field selects the class)."""
    return EVENT_ADAPTER.validate_python(payload)
