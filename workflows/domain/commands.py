"""Commands: what a hospital, a caseworker or the case's own clock asks of a case.

Each command is one pydantic model, which is also the single input of its Workflow Update.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain.model import (
    AlmenSubLevel,
    CloseReason,
    ContactChannel,
    DeadlineKind,
    ProviderKind,
    Recipient,
)
from workflows.domain.plan import MunicipalityCode, RehabilitationPlan

Note = Annotated[str, Field(max_length=2000)]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    command_id: str = Field(min_length=1, max_length=200, description="Idempotency key of the request")
    actor: str = Field(min_length=1, max_length=200, description="Who asks: caseworker, hospital or system")


class ReceivePlan(Command):
    plan: RehabilitationPlan
    contact_working_days: int = Field(ge=1, le=30, description="The municipality's contact deadline")


class RecordPlanDelivery(Command):
    recipient: Recipient
    message_id: str | None = Field(description="Outbox message id; None when the delivery was withheld")


class ClassifyAlmenLevel(Command):
    sub_level: AlmenSubLevel
    reason: Note | None = None


class RecordCitizenContact(Command):
    contacted_at: datetime | None = Field(default=None, description="Defaults to the time of recording")
    channel: ContactChannel
    informed_of_provider_choices: bool = Field(
        description="Whether the citizen was told of the choice of provider (BEK kapitel 2)"
    )
    note: Note | None = None


class ProviderRef(BaseModel):
    """A provider as the municipality's provider register describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    municipality_code: MunicipalityCode
    kind: ProviderKind


class ChooseProvider(Command):
    provider: ProviderRef


class OfferStart(Command):
    first_appointment_on: date = Field(description="Date of the first offered appointment")


class CompleteCourse(Command):
    note: Note | None = None


class CloseCase(Command):
    reason: CloseReason
    note: Note | None = None


class MarkDeadlinePassed(Command):
    deadline: DeadlineKind


CaseCommand = (
    ReceivePlan
    | RecordPlanDelivery
    | ClassifyAlmenLevel
    | RecordCitizenContact
    | ChooseProvider
    | OfferStart
    | CompleteCourse
    | CloseCase
    | MarkDeadlinePassed
)
