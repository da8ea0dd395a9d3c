"""Response bodies of the inbox (GET /inbox, GET /inbox/{view}): counts and pages without personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from activities.queries.inbox import InboxView
from api.http.timestamps import UtcTimestamps
from api.models.cases import CaseSummary


class InboxItem(CaseSummary):
    """One case of an inbox view: the case list's line (sorted by `next_deadline`, none last) and its marks."""

    free_choice_open: bool = Field(description="The citizen may still choose another provider")
    unseen_warnings: int = Field(description="Deadline warnings of the case not yet acknowledged")

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> InboxItem:
        summary = CaseSummary.of_row(row)
        return cls(**dict(summary), free_choice_open=row["free_choice_open"], unseen_warnings=row["unseen_warnings"])


class ViewCounts(BaseModel):
    """How many open cases each view holds (the numbers a badge shows)."""

    mine: int = Field(description="Held by the caller")
    team_unassigned: int = Field(description="Of the caller's team and held by nobody (0 without a team)")
    due_soon: int = Field(description="Not overdue, next deadline by `due_soon_until`")
    overdue: int
    waiting_for_citizen: int = Field(description="The citizen was contacted, no provider chosen yet")
    delivery_failed: int = Field(description="A message of the case could not be delivered")
    free_choice_open: int = Field(description="The citizen may still choose another provider")

    @classmethod
    def of(cls, counts: dict[InboxView, int]) -> ViewCounts:
        return cls.model_validate({view.value: count for view, count in counts.items()})


class InboxCounts(UtcTimestamps):
    municipality_code: str = Field(description="The caller's municipality (from the token)")
    team: str | None = Field(description="The caller's team (the token's org_unit); null: none")
    due_soon_until: datetime = Field(description="The last instant `due_soon` takes: the end of a Danish day")
    counts: ViewCounts


class InboxPage(UtcTimestamps):
    view: InboxView
    count: int = Field(description="Every case of the view with these filters, not only this page's")
    due_soon_until: datetime | None = Field(description="For `due_soon`: the last instant it takes; else null")
    items: list[InboxItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")
