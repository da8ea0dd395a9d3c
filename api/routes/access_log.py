"""The access log for auditors: search it, and draw a citizen's extract (GDPR art. 15).

Both take their criteria in a POST body: a CPR number never travels in a URL, which proxies and web servers
log. Reading the log is itself a use of citizens' data, so each search and extract is logged too (purpose
"tilsyn").
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from activities.access_log import records as access_log
from activities.access_log.entries import AccessAction, Purpose
from activities.platform.keyset_pages import InvalidCursor
from api.access_logging import log_access
from api.auth.access import forbidden, require
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.deps import PoolDep
from api.http.openapi import problems
from api.http.problems import invalid_cursor_problem
from api.models.access_log import (
    AccessLogItem,
    AccessLogPage,
    AccessLogSearch,
    CitizenExtract,
    CitizenExtractRequest,
)

router = APIRouter(prefix="/access-log", tags=["access-log"], responses=problems(403, 422))


def _auditor_scope(principal: Principal) -> str | None:
    """A municipal auditor reads its own municipality's entries; a national auditor every municipality's."""
    require(principal, "read the access log", Role.AUDITOR)
    if principal.national:
        return None
    if principal.municipality_code is None:
        raise forbidden(principal, "read the access log without a municipality in its token")
    return principal.municipality_code


@router.post("/search", summary="Search the access log")
async def search_access_log(
    body: AccessLogSearch, request: Request, pool: PoolDep, principal: PrincipalDep
) -> AccessLogPage:
    """Entries matching every given criterion (citizen, user, case, application, period), newest first, one
    keyset page at a time (pass `next_cursor` back as `cursor` as it came). A municipal auditor sees the entries of
    its municipality's users. A `cursor` of another shape, or a `citizen_cpr` whose first six digits are no birth
    date, is **422** naming it."""
    scope = _auditor_scope(principal)
    criterion = body.model_dump(exclude={"citizen_cpr", "cursor", "limit"}, mode="json", exclude_none=True)
    await log_access(
        request,
        pool,
        principal,
        AccessAction.SEARCH,
        purpose=Purpose.SUPERVISION,
        citizen_cpr=body.citizen_cpr,
        criterion=criterion or ({"list": "access-log"} if body.citizen_cpr is None else None),
    )
    try:
        rows, next_cursor = await access_log.search(
            pool,
            citizen_cpr=body.citizen_cpr,
            user_id=body.user_id,
            case_id=body.case_id,
            application_id=body.application_id,
            occurred_from=body.occurred_from,
            occurred_to=body.occurred_to,
            municipality_code=scope,
            limit=body.limit,
            cursor=body.cursor,
        )
    except InvalidCursor as error:
        raise invalid_cursor_problem(error, "cursor") from None
    return AccessLogPage(
        items=[AccessLogItem.model_validate(row.model_dump()) for row in rows], next_cursor=next_cursor
    )


@router.post("/citizen-extract", summary="A citizen's extract of the access log (GDPR art. 15)")
async def citizen_extract(
    body: CitizenExtractRequest, request: Request, pool: PoolDep, principal: PrincipalDep
) -> CitizenExtract:
    """When the citizen's data was used, by which organisation and for what purpose, oldest first; the
    employee's identity only with `include_employee` (CJEU C-579/21). Logged as an export. A `citizen_cpr`
    whose first six digits are no birth date is **422** naming it."""
    scope = _auditor_scope(principal)
    await log_access(
        request, pool, principal, AccessAction.EXPORT, purpose=Purpose.SUPERVISION, citizen_cpr=body.citizen_cpr
    )
    entries = await access_log.citizen_extract(
        pool,
        body.citizen_cpr,
        include_employee=body.include_employee,
        municipality_code=scope,
        occurred_from=body.occurred_from,
        occurred_to=body.occurred_to,
    )
    return CitizenExtract(citizen_cpr=body.citizen_cpr, entries=entries)
