"""Request and response bodies of the application endpoints.

The intake (`Application`), a decision (`DecisionTerms`), a reassessment (`ReassessmentTerms`) and a
closure (`ClosureTerms`) are the domain's own models, so their field rules are checked once; the simpler
bodies below carry a command's fields without `command_id` and `actor` (those come from the headers).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict, Field, StrictBool

from activities.queries import applications as application_queries
from api.http.timestamps import UtcTimestamps
from api.models.cases import TimelineEvent
from api.models.request_body import RequestBody
from workflows.domain.applications.commands import Grounds
from workflows.domain.applications.deadlines import next_deadline
from workflows.domain.applications.model import (
    AnkestyrelsenOutcome,
    ApplicationDeadlineKind,
    ApplicationStatus,
    CareLevel,
    DecisionOutcome,
    LegalBasis,
)
from workflows.domain.applications.state import ApplicationState, is_overdue
from workflows.domain.commands import Note


class GpInformationRequestBody(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reply_by": "2026-12-04"}]})

    reply_by: date = Field(description="The GP's reply deadline; overdue after the end of the day, Danish time")
    note: Note | None = None


class GpReplyBody(RequestBody):
    received_on: date | None = Field(default=None, description="Defaults to today")
    note: Note | None = None


class AppealBody(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"received_on": "2026-12-20"}]})

    received_on: date = Field(description="The day the municipality received the complaint")
    note: Note | None = None


class ForwardingBody(RequestBody):
    forwarded_on: date


class AnkestyrelsenOutcomeBody(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"outcome": "returned", "decided_on": "2027-02-01"}]})

    outcome: AnkestyrelsenOutcome
    decided_on: date
    note: Note | None = None


class TransportAssessmentBody(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"granted": True, "grounds": "Kan ikke benytte offentlig transport"}]}
    )

    granted: StrictBool
    grounds: Grounds = Field(description="The individual assessment (no statutory right under §86)")


class ApplicationDeadline(UtcTimestamps):
    kind: ApplicationDeadlineKind
    due_at: datetime = Field(description="End of the deadline's last day, Danish time (given in UTC)")


class ApplicationView(ApplicationState, UtcTimestamps):
    """An application: its folded state, its next deadline, and whether it is overdue."""

    model_config = ConfigDict(frozen=True, title="ApplicationView")

    next_deadline: ApplicationDeadline | None
    overdue: bool = Field(description="GP reply missing past its deadline, or Ankestyrelsen forwarding late")

    @classmethod
    def of(cls, state: ApplicationState) -> ApplicationView:
        upcoming = next_deadline(state)
        return cls(
            **dict(state),
            next_deadline=ApplicationDeadline(kind=upcoming[0], due_at=upcoming[1]) if upcoming else None,
            overdue=is_overdue(state),
        )

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> ApplicationView:
        return cls.of(application_queries.application_state(row))


class ApplicationSummary(UtcTimestamps):
    """One line of the application list (no personal data)."""

    application_id: str
    municipality_code: str | None
    status: ApplicationStatus
    legal_basis: LegalBasis | None
    care_level: CareLevel | None
    application_date: date | None
    decision_outcome: DecisionOutcome | None
    granted_from: date | None
    granted_to: date | None
    next_deadline: ApplicationDeadline | None
    overdue: bool
    delivery_failed: bool = Field(
        default=False, description="A letter of the application could not be delivered; resend it"
    )
    received_at: datetime | None
    updated_at: datetime | None
    version: int

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> ApplicationSummary:
        deadline = (
            ApplicationDeadline(kind=row["next_deadline_kind"], due_at=row["next_deadline_at"])
            if row["next_deadline_at"] is not None
            else None
        )
        return cls.model_validate({**row, "next_deadline": deadline})


class ApplicationPage(UtcTimestamps):
    items: list[ApplicationSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class ApplicationTimeline(UtcTimestamps):
    application_id: str
    events: list[TimelineEvent]
