"""`POST /cases/{case_id}/warnings/{warning_id}/seen`: a caseworker marks a deadline warning seen.

Included in `api.routes.cases.commands.router` (prefix `/cases/{case_id}`); the same conventions hold: a bearer token,
an `Idempotency-Key` scoped to the endpoint, one Workflow Update per command, problem+json refusals.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.command_requests import CaseCommandDep
from api.models.cases import CaseView
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.casework.model import AcknowledgeWarning

router = APIRouter()

WarningIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        description="The warning's id, as `GET /me/warnings` lists it",
        examples=["contact:2026-12-04"],
    ),
]


@router.post("/warnings/{warning_id}/seen", summary="Mark a deadline warning seen")
async def mark_warning_seen(warning_id: WarningIdPath, case: CaseCommandDep) -> CaseView:
    """The warning leaves `GET /me/warnings` (for everyone it was listed for); the case records who saw it
    (`DeadlineWarningSeen`). Marking it seen again changes nothing. A warning the case never issued is **422**
    naming `warning_id`. For the caseworkers of the responsible municipality."""
    return await case.send("warning-seen", CaseWorkflow.acknowledge_warning, AcknowledgeWarning, warning_id=warning_id)
