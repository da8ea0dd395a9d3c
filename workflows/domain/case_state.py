"""The state of a hospital-referral case: what `evolve` builds from its events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workflows.domain.casework.model import UnseenWarning
from workflows.domain.commands import HospitalRef, ProviderRef
from workflows.domain.facts_version import FACTS_VERSION_DESCRIPTION, facts_version_of_stored
from workflows.domain.messaging.state import Messages, any_failed
from workflows.domain.model import (
    AlmenSubLevel,
    CaseStatus,
    CloseReason,
    DeadlineKind,
    GuaranteeStatusReason,
    OptOutReason,
    Recipient,
    ResponsibleAuthority,
)
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.plan.start_proposal import StartDateProposal
from workflows.domain.transport import TransportDecision


class CaseState(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    version: int = 0
    facts_version: int = Field(default=0, description=FACTS_VERSION_DESCRIPTION)
    status: CaseStatus = CaseStatus.NEW
    plan: RehabilitationPlan | None = None
    plan_fingerprint: str | None = None
    revoked_plan_ids: list[str] = Field(default_factory=list)
    received_at: datetime | None = None
    updated_at: datetime | None = None
    rules_valid_from: date | None = None
    responsible_authority: ResponsibleAuthority | None = None
    responsible_municipality_code: str | None = Field(
        default=None, description="The plan's home municipality, until the case is transferred"
    )
    warnings: list[str] = Field(default_factory=list)
    deliveries: dict[Recipient, str | None] = Field(
        default_factory=dict, description="Outbox message id per recipient; None where withheld"
    )
    team: str | None = None
    assignee: str | None = Field(default=None, description="The caseworker (token subject) who holds the case")
    note_ids: list[str] = Field(default_factory=list, description="The case's notes, in order (texts are in events)")
    warning_working_days: int | None = Field(default=None, description="Warning lead time; None: the rules'")
    deadline_warnings: dict[DeadlineKind, date] = Field(
        default_factory=dict, description="The due date each deadline was last warned of"
    )
    unseen_warnings: list[UnseenWarning] = Field(default_factory=list, description="Issued and not yet marked seen")
    sub_level: AlmenSubLevel | None = None
    contact_attempts: int = 0
    contacted_at: datetime | None = None
    contact_working_days: int | None = None
    contact_due_on: date | None = None
    contact_reminder_sent: bool = False
    contact_overdue: bool = False
    provider: ProviderRef | None = None
    training_hospital: HospitalRef | None = None
    start_guarantee_due_on: date | None = None
    first_appointment_on: date | None = None
    appointment_cancelled: bool = False
    start_guarantee_breached: bool = False
    start_guarantee_lapsed: bool = Field(default=False, description="Postponed by the citizen or transferred")
    free_choice_open: bool = False
    guarantee_status_reason: GuaranteeStatusReason | None = None
    transport: TransportDecision | None = None
    transport_requested_on: date | None = Field(
        default=None, description="The citizen asked for transport and no assessment has decided it since"
    )
    close_reason: CloseReason | None = None
    opt_out_reason: OptOutReason | None = None
    start_date_proposal: StartDateProposal | None = Field(
        default=None, description="A later start read from the plan's rehabilitation_deadline_text, and its outcome"
    )
    messages: Messages = Field(default_factory=dict, description="Outbound messages by id, with their delivery state")

    @model_validator(mode="before")
    @classmethod
    def _facts_version_of_older_states(cls, data: Any) -> Any:
        return facts_version_of_stored(data)

    @property
    def delivery_failed(self) -> bool:
        """A message of the case failed to reach its receiver and was not sent again since."""
        return any_failed(self.messages)

    @property
    def is_open(self) -> bool:
        return self.status is not CaseStatus.NEW and not self.status.is_terminal

    def require_plan(self) -> RehabilitationPlan:
        if self.plan is None:
            raise LookupError("the case has no plan yet")
        return self.plan
