"""Response bodies of a caseworker's deadline warnings (`GET /me/warnings`)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from activities.queries.warnings import CaseWarning
from api.http.timestamps import UtcTimestamps
from workflows.domain.model import DeadlineKind


class WarningItem(UtcTimestamps):
    """A warning that a case's deadline falls due soon, not yet marked seen."""

    warning_id: str = Field(description="Marks it seen: `POST /cases/{case_id}/warnings/{warning_id}/seen`")
    case_id: str
    deadline: DeadlineKind = Field(description="The deadline warned of: contact or start_guarantee")
    due_on: date = Field(description="The deadline's last day, as it stood when the warning was issued")
    issued_at: datetime
    assignee: str | None = Field(description="The caseworker it was addressed to when issued; null: the team")
    team: str | None = Field(description="The team that held the case when it was issued")
    deadline_running: bool = Field(
        description="The deadline still runs with this due date: not met, not passed, not moved since"
    )

    @classmethod
    def of(cls, found: CaseWarning) -> WarningItem:
        warning = found.warning
        return cls(
            warning_id=warning.warning_id,
            case_id=found.case_id,
            deadline=warning.deadline,
            due_on=warning.due_on,
            issued_at=warning.issued_at,
            assignee=warning.assignee,
            team=warning.team,
            deadline_running=found.deadline_running,
        )


class WarningList(UtcTimestamps):
    items: list[WarningItem] = Field(description="Soonest deadline first")
    more: bool = Field(description="More unseen warnings than `limit`: see to these first, then ask again")
