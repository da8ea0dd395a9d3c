"""Who works on a case: assign it, claim it, hand it on, release it. Each is a Workflow Update on the case's
workflow and an event in its timeline, with who did it.

The same conventions as `api.routes.cases.commands` (prefix, tag and problem responses too). Names in the
body are resolved against the staff register of the case's municipality (api/staff.py): the case is in the
caller's scope only if that municipality is the caller's own (CaseCommandDep), so its register is the caller's.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.command_requests import CaseCommandDep
from api.http.openapi import problems
from api.models.cases import CaseView
from api.models.casework import AssignmentRequest, ClaimRequest, HandOnRequest, ReleaseRequest
from api.staff import (
    caller_as_caseworker,
    municipality_of,
    note_caseworker_seen,
    registered_caseworker,
    registered_team,
)
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.casework.model import AssignCase, ClaimCase, HandOnCase, ReleaseCase

router = APIRouter(prefix="/cases/{case_id}", tags=["commands"], responses=problems(404, 409, 412, 422))


@router.post("/assignment", summary="Assign the case to a caseworker")
async def assign_case(body: AssignmentRequest, case: CaseCommandDep) -> CaseView:
    """Gives the case to a caseworker of the municipality's staff register (and so to their team), whoever
    holds it now, e.g. by a team leader. The assignee must be an active caseworker of an active team of the
    register of the case's municipality (**422** naming `assignee` otherwise). Assigning the case to whoever
    holds it already changes nothing."""
    await note_caseworker_seen(case.pool, case.principal)
    assignee = await registered_caseworker(case.pool, municipality_of(case), body.assignee, "assignee")
    return await case.send("assignment", CaseWorkflow.assign_case, AssignCase, assignee=assignee, reason=body.reason)


@router.post("/claim", summary="Take the case yourself")
async def claim_case(body: ClaimRequest, case: CaseCommandDep) -> CaseView:
    """The caller takes a case nobody holds, into their team (their token's organisation unit, unless the
    register's administrator placed them in another). A case another caseworker holds is **409**: they hand it
    on or release it, or it is assigned. Claiming a case you hold changes nothing. A caseworker the register
    marks inactive (or whose team it marks inactive) is **403**."""
    caseworker = await caller_as_caseworker(case.pool, case.principal)
    return await case.send("claim", CaseWorkflow.claim_case, ClaimCase, caseworker=caseworker)


@router.post("/hand-on", summary="Hand the case on to a caseworker or a team")
async def hand_on_case(body: HandOnRequest, case: CaseCommandDep) -> CaseView:
    """Passes the case to another caseworker, or to a team's unassigned cases, with a reason (kept in the
    timeline). Name `to_caseworker`, `to_team` or both; each must be active in the staff register of the case's
    municipality (**422** naming `to_caseworker` or `to_team`), and the case must go somewhere else than where
    it is (**422** naming `to_caseworker`). A case nobody holds is assigned instead (**409**)."""
    await note_caseworker_seen(case.pool, case.principal)
    municipality = municipality_of(case)
    to_caseworker = (
        await registered_caseworker(case.pool, municipality, body.to_caseworker, "to_caseworker")
        if body.to_caseworker is not None
        else None
    )
    to_team = await registered_team(case.pool, municipality, body.to_team, "to_team") if body.to_team else None
    return await case.send(
        "hand-on",
        CaseWorkflow.hand_on_case,
        HandOnCase,
        to_caseworker=to_caseworker,
        to_team=to_team,
        reason=body.reason,
    )


@router.post("/release", summary="Give the case back to its team")
async def release_case(body: ReleaseRequest, case: CaseCommandDep) -> CaseView:
    """The case goes back to its team's unassigned cases; releasing a case nobody holds changes nothing."""
    await note_caseworker_seen(case.pool, case.principal)
    return await case.send("release", CaseWorkflow.release_case, ReleaseCase, reason=body.reason)
