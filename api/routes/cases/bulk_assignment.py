"""Assign many cases in one request, answered per case: a team leader's morning distribution.

Each case is treated as its own command would be: scope check and access-log row (api/scoped_rows.py), one
Workflow Update, and a refusal that concerns that case alone (another municipality's case is its 404, a case
someone else changed is its 409). Only a body that is wrong for every case refuses the whole request.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from activities.access_log.entries import AccessAction
from activities.commands.cases import send_update
from api.auth.access import forbidden, require
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.command_requests import CommandRequest
from api.deps import IdempotencyKeyHeader, PoolDep, SettingsDep, TemporalDep
from api.http.openapi import problems
from api.http.problems import Problem, ProblemError, field_problem, problem_response
from api.models.casework import BulkAssignmentAnswer, BulkAssignmentRequest, BulkAssignmentResult
from api.scoped_rows import visible_case
from api.staff import note_caseworker_seen, registered_caseworker, registered_team
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.casework.model import AssignCase
from workflows.domain.commands import AssignTeam, Command

router = APIRouter(tags=["commands"])

# Cases updated at once: enough to finish 200 cases in seconds, few enough to leave the pool and the
# workers to everyone else.
CONCURRENT_CASES = 8


def _caseworker_municipality(principal: Principal) -> str:
    require(principal, "assign cases", Role.CASEWORKER)
    if principal.municipality_code is None:
        raise forbidden(principal, "assign cases without a municipality in its token")
    return principal.municipality_code


@router.post("/case-assignments", summary="Assign many cases at once", responses=problems(422))
async def assign_cases(
    body: BulkAssignmentRequest,
    request: Request,
    principal: PrincipalDep,
    client: TemporalDep,
    pool: PoolDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> BulkAssignmentAnswer:
    """Up to 200 cases, each named once, go to `assignee` (as `POST /cases/{id}/assignment`; with `team` too,
    into that team), or with `team` alone to that team (as `POST /cases/{id}/team`; whoever holds a case keeps
    it). Always **200**, with one result per case in the order asked: the `status` its own command would have
    answered, its new `version`, or its `problem`. A case of another municipality is its own 404.

    The whole request is refused only for a body wrong for every case: **422** naming `assignee` or `team` when
    neither is given, or when the register of the caller's municipality does not have them active, and naming
    `case_ids` for a case named twice. With an `Idempotency-Key`, each case's command is applied once: a retry
    answers each case from its first outcome."""
    municipality = _caseworker_municipality(principal)
    if body.assignee is None and body.team is None:
        raise field_problem(("assignee", "name the caseworker (assignee), the team, or both"))
    await note_caseworker_seen(pool, principal)
    team = await registered_team(pool, municipality, body.team, "team") if body.team is not None else None
    fields: dict[str, Any]
    update: Any
    command_type: type[Command]
    if body.assignee is not None:
        assignee = await registered_caseworker(pool, municipality, body.assignee, "assignee")
        if team is not None:
            assignee = assignee.model_copy(update={"team": team.team})
        endpoint, update, command_type = "assignment", CaseWorkflow.assign_case, AssignCase
        fields = {"assignee": assignee, "reason": body.reason}
    else:
        assert team is not None
        endpoint, update, command_type, fields = "team", CaseWorkflow.assign_team, AssignTeam, {"team": team.team}
    key = idempotency_key or str(uuid.uuid4())
    gate = asyncio.Semaphore(CONCURRENT_CASES)

    async def assign(case_id: uuid.UUID) -> BulkAssignmentResult:
        # The case's own key: its command id follows from the request's key and the case.
        context = CommandRequest(
            request=request,
            principal=principal,
            idempotency_key=f"{case_id}:{key}",
            expected_version=None,
            client=client,
            pool=pool,
            settings=settings,
            response=response,
        )
        command: Command = context.command(endpoint, command_type, **fields)
        async with gate:
            try:
                await visible_case(request, pool, principal, str(case_id), AccessAction.CHANGE, Role.CASEWORKER)
                state = await send_update(client, pool, case_id, update, command, context.options(command))
            except ProblemError as refused:
                # The body the case's own command would have answered with (api/http/problems.py makes it).
                answer = problem_response(f"/cases/{case_id}/{endpoint}", refused)
                problem = Problem.model_validate_json(bytes(answer.body))
                return BulkAssignmentResult(case_id=case_id, status=refused.status, problem=problem)
        return BulkAssignmentResult(case_id=case_id, status=200, version=state.version)

    return BulkAssignmentAnswer(results=list(await asyncio.gather(*(assign(case_id) for case_id in body.case_ids))))
