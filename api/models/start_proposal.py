"""Request bodies of the caseworker's decision on a later start proposed from the plan's free text."""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from api.models.request_body import RequestBody
from workflows.domain.commands import Note


class StartDateConfirmationRequest(RequestBody):
    """Confirm the open proposal: the 7-day start guarantee then counts from its date (SUL §140 stk. 4)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"proposed_on": "2026-11-30"}]})

    proposed_on: date = Field(
        description="The date being confirmed, as `start_date_proposal.proposed_on` showed it; another date is "
        "refused (**422**), so a caseworker never confirms a proposal they did not see"
    )


class StartDateRejectionRequest(RequestBody):
    """Reject the open proposal: the start guarantee stays as it was."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Teksten angår belastning, ikke opstart af genoptræning"}]}
    )

    reason: Note | None = None
