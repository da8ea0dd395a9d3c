"""Response bodies of the case endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field

from activities.queries import cases as case_queries
from activities.store.eventstore import StoredApplicationEvent, StoredEvent
from api.http.timestamps import UtcTimestamps
from workflows.domain.commands import Actor
from workflows.domain.deadlines import is_overdue, next_deadline
from workflows.domain.model import AlmenSubLevel, CaseStatus, DeadlineKind, GuaranteeStatusReason, Level
from workflows.domain.state import CaseState


class Deadline(UtcTimestamps):
    kind: DeadlineKind
    due_at: datetime = Field(description="End of the deadline's last day, Danish time (given in UTC)")


class CaseView(CaseState, UtcTimestamps):
    """A case: its folded state (every field of the workflow's `CaseState`), its next deadline, and
    whether it is overdue."""

    model_config = ConfigDict(frozen=True, title="CaseView")

    next_deadline: Deadline | None = Field(description="The next running deadline; none when all are met")
    overdue: bool = Field(description="Contact deadline missed, or start guarantee breached without a start")

    @classmethod
    def of(cls, state: CaseState) -> CaseView:
        upcoming = next_deadline(state)
        return cls(
            **dict(state),
            next_deadline=Deadline(kind=upcoming[0], due_at=upcoming[1]) if upcoming else None,
            overdue=is_overdue(state),
        )

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> CaseView:
        return cls.of(case_queries.case_state(row))


class CaseSummary(UtcTimestamps):
    """One line of the case list (no personal data)."""

    case_id: str
    municipality_code: str | None = Field(description="The plan's home municipality")
    responsible_municipality_code: str | None = Field(
        description="The municipality now responsible: the home municipality until the case is transferred"
    )
    team: str | None = Field(description="The municipal team handling the case, once assigned")
    assignee: str | None = Field(
        default=None, description="The caseworker (token subject) who holds the case; null: the team's unassigned"
    )
    status: CaseStatus
    level: Level | None
    sub_level: AlmenSubLevel | None
    discharge_date: date | None
    next_deadline: Deadline | None
    overdue: bool
    contact_reminder_sent: bool = Field(description="The team was reminded that the contact deadline is near")
    contact_overdue: bool = Field(description="The contact deadline passed without contact (escalate)")
    guarantee_status_reason: GuaranteeStatusReason | None = Field(
        description="KL's reason for no start within the 7-day guarantee (statusReason), if any"
    )
    start_guarantee_due_on: date | None
    contact_due_on: date | None
    delivery_failed: bool = Field(
        default=False,
        description="A message of the case (a letter, a MedCom message) could not be delivered; resend it",
    )
    received_at: datetime | None
    updated_at: datetime | None
    version: int

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> CaseSummary:
        deadline = (
            Deadline(kind=row["next_deadline_kind"], due_at=row["next_deadline_at"])
            if row["next_deadline_at"] is not None
            else None
        )
        return cls.model_validate({**row, "next_deadline": deadline})


class CasePage(UtcTimestamps):
    items: list[CaseSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class TimelineEvent(UtcTimestamps):
    version: int = Field(description="The event's position in its case (1, 2, ...)")
    global_position: int = Field(description="The event's position in the whole store")
    event_id: str
    type: str = Field(examples=["PlanReceived"])
    occurred_at: datetime
    recorded_at: datetime
    actor: str = Field(examples=["caseworker:cw-17"])
    acted_by: Actor | None = Field(default=None, description="Who acted, as their token said (none for the system)")
    command_id: str
    command_type: str = Field(examples=["ClassifyAlmenLevel"])
    data: dict[str, Any] = Field(description="The event body as stored (`type` selects its schema)")

    @classmethod
    def of(cls, stored: StoredEvent | StoredApplicationEvent) -> TimelineEvent:
        return cls(
            version=stored.case_version,
            global_position=stored.global_position,
            event_id=stored.event_id,
            type=stored.event_type,
            occurred_at=stored.occurred_at,
            recorded_at=stored.recorded_at,
            actor=stored.metadata.actor,
            acted_by=stored.metadata.acted_by,
            command_id=stored.metadata.command_id,
            command_type=stored.metadata.command_type,
            data=stored.payload,
        )


class Timeline(UtcTimestamps):
    case_id: str
    events: list[TimelineEvent]
