"""The closing check over HTTP: what still needs attention before a case is closed or completed.

`GET /cases/{case_id}/closing-check` shows it, so a UI can ask before it sends; `closure` and `completion` run
the same check and answer 409 `closing-needs-attention` unless the body says `confirm: true`
(workflows.domain.closing_check says what is checked and why the decider does not check it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from activities.access_log.entries import AccessAction
from activities.commands.refusals import case_not_found
from activities.platform.db import Pool
from activities.queries import cases as case_queries
from activities.queries import closing as closing_queries
from activities.queries.case_scope import TeamScope
from api.auth.access import team_scope
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Role
from api.command_requests import CaseCommandRequest
from api.deps import CaseIdPath, PoolDep, SettingsDep
from api.http.openapi import problems
from api.http.problems import ProblemError
from api.scoped_rows import visible_case
from workflows.domain.case_state import CaseState
from workflows.domain.casework.attention import AttentionItem
from workflows.domain.closing_check import closing_attention
from workflows.domain.commands import CloseCase, CompleteCourse
from workflows.domain.decider import CommandRejected, decide

# Included by api.routes.cases.cases (prefix /cases), so api.main needs no change for it.
router = APIRouter(prefix="/{case_id}")

NEEDS_ATTENTION = "closing-needs-attention"
C = TypeVar("C", CloseCase, CompleteCourse)


class ClosingCheck(BaseModel):
    attention: list[AttentionItem] = Field(
        description="What still needs attention if the case ended now: its undelivered messages, a transport "
        "still to decide individually, the citizen's other open cases and applications in this municipality. "
        "Empty: `closure` and `completion` need no `confirm`."
    )


async def _attention(pool: Pool, row: dict[str, Any], state: CaseState, scope: TeamScope | None) -> list[AttentionItem]:
    # The municipality (and organisation unit) the caseworker acts for: as api.auth.access.sees_case scopes the
    # case itself, so the other cases named are ones the caseworker may open.
    municipality = row["responsible_municipality_code"] or row["municipality_code"]
    elsewhere = await closing_queries.attention_elsewhere(pool, state.case_id, municipality, scope)
    return closing_attention(state, elsewhere)


async def checked(case: CaseCommandRequest, command: C, confirm: bool) -> C:
    """`command` carrying what the caseworker confirms; 409 `closing-needs-attention` when something needs
    attention and `confirm` is false.

    A command the case would refuse anyway (not yet in training, `opt_out_reason` missing) goes on without the
    check, so its own 409 or 422 is the answer, not a confirmation that would only lead to it. Checked against
    the read model just before sending: what changes in between (a letter sent meanwhile) is the caseworker's
    to see in the case afterwards, not a reason to refuse."""
    row = await case_queries.get_case(case.pool, str(case.case_id))
    if row is None:
        raise case_not_found(str(case.case_id))
    state = case_queries.case_state(row)  # opened once: it is the whole folded case
    items = await _attention(case.pool, row, state, team_scope(case.principal, case.settings))
    if items and not confirm and _accepted(state, command):
        raise ProblemError(
            409,
            f"{len(items)} thing(s) still need attention before the case ends; send `confirm: true` to end it anyway",
            slug=NEEDS_ATTENTION,
            title="Closing needs attention",
            attention=items,
        )
    # Outside the request fingerprint (api.command_requests): a retry is the same request whatever is found now.
    return command.model_copy(update={"confirmed_attention": items})


def _accepted(state: CaseState, command: CloseCase | CompleteCourse) -> bool:
    """Whether the decider would accept `command` on the case as the read model has it (pure, no I/O)."""
    try:
        decide(state, command, datetime.now(UTC))
    except CommandRejected:
        return False
    return True


@router.get("/closing-check", summary="What needs attention before the case ends", responses=problems(404, 422))
async def get_closing_check(
    case_id: CaseIdPath, request: Request, pool: PoolDep, principal: PrincipalDep, settings: SettingsDep
) -> ClosingCheck:
    """What `closure` or `completion` would answer 409 `closing-needs-attention` for now: the case's messages not
    yet delivered (`queued`, `failed`, or sent and `awaiting_receipt`), a transport that needs an individual
    decision, and the citizen's other open cases and applications in this municipality (with
    AUTH_ORG_UNIT_SCOPE=team, the other cases within the caller's organisation unit only). Ids and codes only.
    Empty for a case that has ended. For the caseworkers of the responsible municipality."""
    row = await visible_case(request, pool, principal, str(case_id), AccessAction.READ, Role.CASEWORKER)
    return ClosingCheck(
        attention=await _attention(pool, row, case_queries.case_state(row), team_scope(principal, settings))
    )
