"""`GET /me/warnings`: the deadline warnings waiting for the caseworker who asks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from activities.access_log.entries import AccessAction
from activities.platform import keyset_pages
from activities.queries import warnings as warning_queries
from api.access_logging import log_access
from api.auth.access import forbidden, require
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Role
from api.deps import PoolDep
from api.http.openapi import problems
from api.models.warnings import WarningItem, WarningList

router = APIRouter(prefix="/me", tags=["warnings"])


@router.get("/warnings", summary="My unseen deadline warnings", responses=problems(422))
async def my_warnings(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=keyset_pages.MAX_PAGE)] = 100,
) -> WarningList:
    """The unseen warnings of the open cases of the caseworker's municipality that the caseworker holds, or that
    nobody holds in the caseworker's team (the token's organisation unit), soonest deadline first. A warning is
    issued a number of working days (the municipality's `warning_working_days`, else 2) before the contact
    deadline or the start guarantee falls due, once per due date; it stays here until marked seen
    (`POST /cases/{case_id}/warnings/{warning_id}/seen`) or the case ends. Seen warnings are not listed: the
    case's timeline (`GET /cases/{case_id}/events`) has them. For caseworkers."""
    require(principal, "read deadline warnings", Role.CASEWORKER)
    if principal.municipality_code is None:
        raise forbidden(principal, "read deadline warnings without a municipality in its token")
    criterion = {"list": "warnings", "municipality": principal.municipality_code, "team": principal.org_unit}
    await log_access(request, pool, principal, AccessAction.SEARCH, criterion=criterion)
    found, more = await warning_queries.unseen_warnings(
        pool, principal.municipality_code, principal.subject, principal.org_unit, limit
    )
    return WarningList(items=[WarningItem.of(warning) for warning in found], more=more)
