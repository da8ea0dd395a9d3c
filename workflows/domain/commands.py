"""Commands: what a hospital, a caseworker or the case's own clock asks of a case.

Each command is one pydantic model, which is also the single input of its Workflow Update.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain.casework.attention import ConfirmedAttention
from workflows.domain.casework.model import AcknowledgeWarning, AddNote, AssignCase, ClaimCase, HandOnCase, ReleaseCase
from workflows.domain.command_base import Actor as Actor  # re-exported: commands are where callers look
from workflows.domain.command_base import Command as Command
from workflows.domain.messaging.commands import RecordMessageOutcome, RecordMessageQueued, ResendMessage
from workflows.domain.model import (
    AlmenSubLevel,
    CloseReason,
    ContactChannel,
    DeadlineKind,
    OptOutReason,
    ProviderKind,
    Recipient,
    TransferReason,
)
from workflows.domain.plan.plan import MunicipalityCode, RehabilitationPlan, SorId
from workflows.domain.transport import TransportAssessmentInput

Note = Annotated[str, Field(max_length=2000)]


WarningDays = Annotated[
    int | None, Field(ge=1, le=20, description="The municipality's warning lead time in working days; None: the rules'")
]


IntakeTeam = Annotated[
    str | None,
    Field(min_length=1, max_length=100, description="The municipality's team that receives its new cases (register)"),
]


class ReceivePlan(Command):
    plan: RehabilitationPlan
    contact_working_days: int = Field(ge=1, le=30, description="The municipality's contact deadline")
    warning_working_days: WarningDays = None
    intake_team: IntakeTeam = None


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
    # Set by the API from its closing check (workflows.domain.closing_check), never by the client.
    confirmed_attention: ConfirmedAttention = Field(default_factory=list)


class CloseCase(Command):
    reason: CloseReason
    opt_out_reason: OptOutReason | None = Field(default=None, description="Required for active_opt_out")
    note: Note | None = None
    confirmed_attention: ConfirmedAttention = Field(default_factory=list)


Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class ReclassifyAlmenLevel(Command):
    sub_level: AlmenSubLevel
    reason: Reason


class AssignTeam(Command):
    team: str = Field(min_length=1, max_length=100, description="The municipal team that handles the case")


class RecordContactAttempt(Command):
    """An attempt to reach the citizen that did not succeed."""

    channel: ContactChannel
    note: Note | None = None


class RecordProviderRefusal(Command):
    """Another municipality's institution refuses the citizen for capacity reasons."""

    reason: Reason


class HospitalRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sor_id: SorId
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1, max_length=40, description="Region slug, e.g. midtjylland")


class ChooseTrainingHospital(Command):
    hospital: HospitalRef
    citizen_region: str | None = Field(
        default=None, description="The citizen's home region from the municipality register, when known"
    )


class CancelAppointment(Command):
    reason: Note | None = None


class FreeChoiceProvider(BaseModel):
    """A private provider KL has an agreement with (FritValgService / mingenoptræning.dk)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider_id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)


class AcceptFreeChoice(Command):
    provider: FreeChoiceProvider


class DeclineFreeChoice(Command):
    note: Note | None = None


class PostponeStart(Command):
    """The citizen asks to start later; the 7-day guarantee lapses."""

    note: Note | None = None


class TransferCase(Command):
    to_municipality_code: MunicipalityCode
    reason: TransferReason
    contact_working_days: int = Field(ge=1, le=30, description="The receiving municipality's contact deadline")
    warning_working_days: WarningDays = None
    intake_team: IntakeTeam = None


class RevokePlan(Command):
    """The plan was sent in error."""

    reason: Reason


class AssessTransport(Command):
    """Decide transport or a transport allowance (BEK 816/2018; SUL §§171-172)."""

    assessment: TransportAssessmentInput


class RecordTransportRequest(Command):
    """The citizen asks for transport or a transport allowance (BEK 816/2018): a decision is now owed."""

    requested_on: date | None = Field(default=None, description="When the citizen asked; defaults to today")
    note: Note | None = None


class ReplacePlan(Command):
    """A new plan after re-admission replaces this case's plan."""

    plan: RehabilitationPlan
    contact_working_days: int = Field(ge=1, le=30)
    warning_working_days: WarningDays = None


class MarkDeadlinePassed(Command):
    deadline: DeadlineKind


class ConfirmProposedStartDate(Command):
    """The caseworker confirms the later start read from the plan's free text (SUL §140 stk. 4)."""

    proposed_on: date = Field(description="The proposed date, as the caseworker saw it: it must still be the one open")


class RejectProposedStartDate(Command):
    """The caseworker rejects the proposed later start: the 7-day clock stays as it was."""

    reason: Note | None = None


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
    | ReclassifyAlmenLevel
    | AssignTeam
    | RecordContactAttempt
    | RecordProviderRefusal
    | ChooseTrainingHospital
    | CancelAppointment
    | AcceptFreeChoice
    | DeclineFreeChoice
    | PostponeStart
    | TransferCase
    | RevokePlan
    | ReplacePlan
    | AssessTransport
    | RecordTransportRequest
    | ConfirmProposedStartDate
    | RejectProposedStartDate
    | RecordMessageQueued
    | RecordMessageOutcome
    | ResendMessage
    | AssignCase
    | ClaimCase
    | HandOnCase
    | ReleaseCase
    | AddNote
    | AcknowledgeWarning
)
