"""A case's or an application's read-model row as the caller may see it: the role check, the scope check, the
access-log row (a denied look-up too, without the citizen) and the 404 for what lies outside the scope, in one
place for reads and commands alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request

from activities.access_log.entries import AccessAction, AccessOutcome
from activities.commands.applications import not_found as application_not_found
from activities.commands.refusals import case_not_found
from activities.platform.db import Pool
from activities.queries import applications as application_queries
from activities.queries import cases as case_queries
from api.access_logging import citizen_of_application, citizen_of_case, log_access
from api.auth.access import require, sees_application, sees_case, team_scope
from api.auth.principal import Principal, Role
from api.deps import get_app_settings


async def _log_look_up(
    request: Request,
    pool: Pool,
    principal: Principal,
    action: AccessAction,
    visible: bool,
    citizen: str | None,
    **target: str,
) -> None:
    await log_access(
        request,
        pool,
        principal,
        action,
        outcome=AccessOutcome.ALLOWED if visible else AccessOutcome.DENIED,
        citizen_cpr=citizen if visible else None,  # a denied caller's own auditor must not learn whose case it was
        case_id=target.get("case_id"),
        application_id=target.get("application_id"),
    )


async def visible_case(
    request: Request,
    pool: Pool,
    principal: Principal,
    case_id: str,
    action: AccessAction,
    *roles: Role,
    row_of: Callable[[Pool, str], Awaitable[dict[str, Any] | None]] = case_queries.get_case,
) -> dict[str, Any]:
    """The case's row if the caller, in one of `roles`, may see it; else 404 as if it did not exist (a case of
    another municipality, or outside the caseworker's organisation unit, is refused and logged alike). `row_of`
    reads the row: the whole state by default; a command, which answers from its own result, reads only the scope
    (`case_queries.get_case_scope`)."""
    require(principal, "read a case" if action is AccessAction.READ else "act on a case", *roles)
    row = await row_of(pool, case_id)
    if row is None:
        raise case_not_found(case_id)  # no case: no citizen's data was touched, nothing to log
    visible = sees_case(principal, row, *roles, scope=team_scope(principal, get_app_settings(request)))
    await _log_look_up(request, pool, principal, action, visible, citizen_of_case(row), case_id=case_id)
    if not visible:
        raise case_not_found(case_id)
    return row


async def visible_application(
    request: Request, pool: Pool, principal: Principal, application_id: str, action: AccessAction
) -> dict[str, Any]:
    """The application's row if the caller (a caseworker of its municipality) may see it; else 404."""
    require(
        principal, "read an application" if action is AccessAction.READ else "act on an application", Role.CASEWORKER
    )
    row = await application_queries.get_application(pool, application_id)
    if row is None:
        raise application_not_found(application_id)
    visible = sees_application(principal, row)
    citizen = citizen_of_application(row)
    await _log_look_up(request, pool, principal, action, visible, citizen, application_id=application_id)
    if not visible:
        raise application_not_found(application_id)
    return row
