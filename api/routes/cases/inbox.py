"""A caseworker's inbox: the counts of every view, and one view's page (activities/queries/inbox.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from activities.access_log.entries import AccessAction
from activities.platform import keyset_pages
from activities.queries.inbox import InboxCaller, InboxFilters, InboxView, due_soon_cutoff, inbox_counts, inbox_page
from api.access_logging import log_access
from api.auth.access import forbidden, require, team_scope
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.deps import PoolDep, SettingsDep
from api.http.openapi import problems
from api.http.problems import invalid_cursor_problem
from api.models.inbox import InboxCounts, InboxItem, InboxPage, ViewCounts
from api.settings import ApiSettings
from workflows.domain.model import CaseStatus, Level

router = APIRouter(prefix="/inbox", tags=["inbox"])

# One line of printable text: a NUL or another control character never reaches the database.
_PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


@dataclass(frozen=True)
class InboxQuery:
    """The filters and the due-soon horizon a request asks for."""

    filters: InboxFilters
    within_working_days: int | None


def inbox_query(
    level: Annotated[Level | None, Query(description="Only cases of this level")] = None,
    status: Annotated[CaseStatus | None, Query(description="Only cases in this status")] = None,
    team: Annotated[
        str | None, Query(min_length=1, max_length=100, pattern=_PRINTABLE, description="Only cases of this team")
    ] = None,
    assignee: Annotated[
        str | None,
        Query(min_length=1, max_length=200, pattern=_PRINTABLE, description="Only cases this caseworker holds"),
    ] = None,
    within_working_days: Annotated[
        int | None,
        Query(
            ge=1,
            le=20,
            description="`due_soon` takes deadlines by the end of the Danish day this many working days from today "
            "(default: the setting INBOX_DUE_SOON_WORKING_DAYS, 2)",
        ),
    ] = None,
) -> InboxQuery:
    filters = InboxFilters(
        level=level.value if level else None, status=status.value if status else None, team=team, assignee=assignee
    )
    return InboxQuery(filters, within_working_days)


InboxQueryDep = Annotated[InboxQuery, Depends(inbox_query)]


def inbox_caller(principal: Principal, settings: ApiSettings) -> InboxCaller:
    """The caller's own inbox: its municipality, subject and team from the token, never from the request, and
    with AUTH_ORG_UNIT_SCOPE=team only the cases its organisation unit may see."""
    require(principal, "read an inbox", Role.CASEWORKER)
    if principal.municipality_code is None:
        raise forbidden(principal, "read an inbox without a municipality in its token")
    scope = team_scope(principal, settings)
    return InboxCaller(principal.municipality_code, principal.subject, principal.org_unit, scope)


def _criterion(caller: InboxCaller, view: InboxView | None, query: InboxQuery, working_days: int) -> dict[str, object]:
    return {
        "list": "inbox",
        "view": view.value if view else "counts",
        "municipality": caller.municipality_code,
        **{name: value for name, value in vars(query.filters).items() if value is not None},
        "within_working_days": working_days,
    }


@router.get("", summary="How many cases each inbox view holds", responses=problems(422))
async def get_inbox(
    request: Request, pool: PoolDep, principal: PrincipalDep, settings: SettingsDep, query: InboxQueryDep
) -> InboxCounts:
    """The count of every view of the caller's inbox (the numbers a badge shows), in one round trip: its open
    cases of its own municipality (from the token). The filters narrow every count. For caseworkers.

    A caller whose token names no team (`org_unit`) has no team's unassigned cases: that count is 0. With
    AUTH_ORG_UNIT_SCOPE=team, a caller whose token names one counts only the cases of its team, of no team yet,
    or that it holds."""
    caller = inbox_caller(principal, settings)
    working_days = query.within_working_days or settings.inbox_due_soon_working_days
    await log_access(
        request, pool, principal, AccessAction.SEARCH, criterion=_criterion(caller, None, query, working_days)
    )
    now = datetime.now(UTC)
    counts = await inbox_counts(pool, caller, now, working_days, query.filters)
    return InboxCounts(
        municipality_code=caller.municipality_code,
        team=caller.team,
        due_soon_until=due_soon_cutoff(now, working_days),
        counts=ViewCounts.of(counts),
    )


@router.get("/{view}", summary="One inbox view, soonest deadline first", responses=problems(422))
async def list_inbox_view(
    view: InboxView,
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    query: InboxQueryDep,
    limit: Annotated[int, Query(ge=1, le=keyset_pages.MAX_PAGE)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            pattern=keyset_pages.SCOPED_CURSOR_PATTERN, max_length=500, description="`next_cursor` of the previous page"
        ),
    ] = None,
) -> InboxPage:
    """One page of the view's open cases of the caller's municipality, without personal data, by next deadline
    (cases with none running last, ties by case id), with `count`, the view's cases with these filters; an
    unknown view is **422** naming `view`. `next_cursor` fetches the next page; a `cursor` this view did not give
    out, or gave out for other filters, is **422** naming `cursor`. For caseworkers.

    - `mine`: the cases the caller holds;
    - `team_unassigned`: its team's (the token's `org_unit`) that nobody holds; empty without a team;
    - `due_soon`: not overdue, next deadline by `due_soon_until` (`within_working_days`);
    - `overdue`; `waiting_for_citizen`: contacted, no provider chosen yet;
    - `delivery_failed`: a message could not be delivered; `free_choice_open`: the citizen may still choose.

    With AUTH_ORG_UNIT_SCOPE=team, every view of a caller whose token names a team (`org_unit`) lists only the
    cases of that team, of no team yet, or that it holds."""
    caller = inbox_caller(principal, settings)
    working_days = query.within_working_days or settings.inbox_due_soon_working_days
    await log_access(
        request, pool, principal, AccessAction.SEARCH, criterion=_criterion(caller, view, query, working_days)
    )
    now = datetime.now(UTC)
    try:
        page = await inbox_page(
            pool, view, caller, now, working_days, filters=query.filters, limit=limit, cursor=cursor
        )
    except keyset_pages.InvalidCursor as error:
        raise invalid_cursor_problem(error) from None
    return InboxPage(
        view=view,
        count=page.count,
        due_soon_until=due_soon_cutoff(now, working_days) if view is InboxView.DUE_SOON else None,
        items=[InboxItem.of_row(row) for row in page.rows],
        next_cursor=page.next_cursor,
    )
