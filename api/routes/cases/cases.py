"""Reads of cases: the list, one case, and its timeline (from the PostgreSQL read models)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from activities.access_log.entries import AccessAction
from activities.commands.refusals import etag
from activities.platform import keyset_pages
from activities.queries import cases as case_queries
from activities.store.case_history import case_as_of
from api.access_logging import log_access
from api.auth.access import list_scope, team_scope
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Role
from api.deps import CaseIdPath, PoolDep, SettingsDep
from api.http.openapi import problems
from api.http.problems import ProblemError, checked_as_of, invalid_cursor_problem
from api.http.query_types import AsOf
from api.models.cases import CasePage, CaseSummary, CaseView, Timeline, TimelineEvent
from api.routes.cases import closing_check, letters
from api.scoped_rows import visible_case
from workflows.domain.model import CaseStatus
from workflows.domain.plan.plan import MunicipalityCode

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("", summary="List cases, newest first", responses=problems(422))
async def list_cases(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    municipality: Annotated[
        MunicipalityCode | None,
        Query(description="The responsible municipality: the home municipality, or the one a case was transferred to"),
    ] = None,
    status: Annotated[CaseStatus | None, Query(description="Only cases in this status")] = None,
    overdue: Annotated[bool | None, Query(description="Only overdue (true) or not overdue (false) cases")] = None,
    delivery_failed: Annotated[
        bool | None, Query(description="Only cases with (true) or without (false) a message that failed to arrive")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=keyset_pages.MAX_PAGE)] = 50,
    cursor: Annotated[
        str | None,
        Query(pattern=keyset_pages.CURSOR_PATTERN, max_length=500, description="`next_cursor` of the previous page"),
    ] = None,
) -> CasePage:
    """One page of cases without personal data, newest first; `next_cursor` fetches the next: pass it back as
    `cursor` as it came (the position after which the page starts; its shape is the parameter's pattern).

    A caseworker sees its own municipality's cases (asking for another's is **403**), with
    AUTH_ORG_UNIT_SCOPE=team only those of its organisation unit's team, of no team yet, or that it holds; ops
    sees every municipality's."""
    scope = list_scope(principal, municipality, "list cases")
    # Ops lists every municipality (list_scope above): an org unit in its token narrows nothing.
    narrowed = None if principal.has(Role.OPS) else team_scope(principal, settings)
    criterion = {
        "list": "cases",
        "municipality": scope,
        "status": status,
        "overdue": overdue,
        "delivery_failed": delivery_failed,
    }
    await log_access(request, pool, principal, AccessAction.SEARCH, criterion=criterion)
    try:
        rows, next_cursor = await case_queries.list_cases(
            pool,
            municipality=scope,
            status=status.value if status else None,
            overdue=overdue,
            limit=limit,
            cursor=cursor,
            delivery_failed=delivery_failed,
            team_scope=narrowed,
        )
    except keyset_pages.InvalidCursor as error:
        raise invalid_cursor_problem(error) from None
    return CasePage(items=[CaseSummary.of_row(row) for row in rows], next_cursor=next_cursor)


@router.get("/{case_id}", summary="One case", responses=problems(404, 422))
async def get_case(
    case_id: CaseIdPath,
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    response: Response,
    as_of: Annotated[
        AsOf | None,
        Query(description="The case as its events recorded by this instant made it (RFC 3339 with an offset)"),
    ] = None,
) -> CaseView:
    """The case as of its last stored event (the read model is written with the events). The `ETag` is the
    case's version: send it as `If-Match` with a command to apply it only to the case as you saw it.

    With `as_of`, the case as it stood then: its events recorded by that instant, folded again with the
    domain's `evolve` (no `ETag`: commands act on the case as it is now). A case with no event by then is
    **404**; an `as_of` without an offset, in the future or before 2000 is **422** naming `as_of`.

    For the caseworkers of the responsible municipality and the hospital that sent the plan."""
    when = checked_as_of(as_of)
    row = await visible_case(request, pool, principal, str(case_id), AccessAction.READ, Role.CASEWORKER, Role.HOSPITAL)
    if when is None:
        view = CaseView.of_row(row)
        response.headers["ETag"] = etag(view.version)
        return view
    state = await case_as_of(pool, str(case_id), when)
    if state is None:
        raise ProblemError(404, f"Case {case_id} had no recorded event by {when.isoformat()}", slug="not-found")
    return CaseView.of(state)


@router.get("/{case_id}/events", summary="The case's timeline", responses=problems(404, 422))
async def case_events(case_id: CaseIdPath, request: Request, pool: PoolDep, principal: PrincipalDep) -> Timeline:
    """Every event of the case in order, with who caused it and through which command. For the caseworkers of
    the responsible municipality."""
    await visible_case(request, pool, principal, str(case_id), AccessAction.READ, Role.CASEWORKER)
    stored = await case_queries.case_timeline(pool, str(case_id))
    return Timeline(case_id=str(case_id), events=[TimelineEvent.of(event) for event in stored])


# The letters a case sent the citizen and the resend of a failed message (api/routes/cases/letters.py).
router.include_router(letters.router)
# What needs attention before the case ends (api/routes/cases/closing_check.py).
router.include_router(closing_check.router)
