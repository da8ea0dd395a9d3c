"""The caseworker's inbox: seven views of one municipality's cases, soonest deadline first, and their counts.

Each view is a named predicate over the open cases (`is_open`) whose responsible municipality is the caller's;
`delivery_failed` also holds ended cases, whose failed letter or copy is still owed and can be resent.
A view's predicate is written literally (not as a parameter) where a partial index of migration 0018 keys on
it, so a page is a range scan of that index in (inbox_due_at, case_id) order and a count reads the view's rows
only: years of completed and closed cases cost nothing. Filters (level, status, team, assignee) narrow any
view with AND, and so does a caseworker's organisation-unit scope (AUTH_ORG_UNIT_SCOPE=team,
activities/queries/case_scope.py): a filter on the view's index scan, on `team` and `assignee` of the rows it reads.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from psycopg import sql

from activities.platform.db import Pool
from activities.platform.keyset_pages import AscendingList
from activities.queries.case_scope import TeamScope, scope_conditions, scope_params
from activities.store.read_models.cases import CASES_TABLE
from workflows.domain.calendar import add_working_days, end_of_local_day, local_date

_PAGE_COLUMNS = sql.SQL(
    "case_id, municipality_code, status, level, sub_level, discharge_date, next_deadline_at, next_deadline_kind,"
    " overdue, start_guarantee_due_on, contact_due_on, received_at, updated_at, version,"
    " responsible_municipality_code, team, contact_reminder_sent, contact_overdue, guarantee_status_reason,"
    " delivery_failed, assignee, inbox_due_at, free_choice_open, unseen_warnings"
)
_IN_MUNICIPALITY = sql.SQL("responsible_municipality_code = %(municipality)s")
_OPEN_IN_MUNICIPALITY = sql.SQL("is_open AND responsible_municipality_code = %(municipality)s")
# Nothing matches: the view of a caller without a team (its token names no org_unit).
_EMPTY = sql.SQL("false")


class InboxView(StrEnum):
    MINE = "mine"  # the caller holds the case
    TEAM_UNASSIGNED = "team_unassigned"  # the caller's team's cases that nobody holds
    DUE_SOON = "due_soon"  # not overdue, next deadline within N working days
    OVERDUE = "overdue"
    WAITING_FOR_CITIZEN = "waiting_for_citizen"  # the citizen was contacted, no provider chosen yet
    DELIVERY_FAILED = "delivery_failed"  # a message of the case could not be delivered (open or ended case)
    FREE_CHOICE_OPEN = "free_choice_open"  # the citizen may still choose another provider


@dataclass(frozen=True)
class InboxCaller:
    """Whose inbox: a caseworker (token subject) of one municipality, in a team (the token's org_unit) or none,
    and limited to that team's scope or not (`api.auth.access.team_scope`)."""

    municipality_code: str
    subject: str
    team: str | None
    scope: TeamScope | None = None


@dataclass(frozen=True)
class InboxFilters:
    """Narrow a view; each given filter must hold (AND)."""

    level: str | None = None
    status: str | None = None
    team: str | None = None
    assignee: str | None = None

    def conditions(self) -> list[sql.Composable]:
        return [
            sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(f"filter_{name}"))
            for name, value in asdict(self).items()
            if value is not None
        ]

    def params(self) -> dict[str, Any]:
        return {f"filter_{name}": value for name, value in asdict(self).items() if value is not None}


def due_soon_cutoff(now: datetime, working_days: int) -> datetime:
    """The end of the Danish day `working_days` working days after today: `due_soon`'s last instant."""
    return end_of_local_day(add_working_days(local_date(now), working_days))


def view_predicate(view: InboxView, caller: InboxCaller) -> sql.Composable:
    """The view's own condition (on top of open cases of the caller's municipality)."""
    match view:
        case InboxView.MINE:
            return sql.SQL("assignee = %(subject)s")
        case InboxView.TEAM_UNASSIGNED:
            return sql.SQL("assignee IS NULL AND team = %(team)s") if caller.team is not None else _EMPTY
        case InboxView.DUE_SOON:
            return sql.SQL("NOT overdue AND inbox_due_at <= %(due_soon_cutoff)s")
        case InboxView.OVERDUE:
            return sql.SQL("overdue")
        case InboxView.WAITING_FOR_CITIZEN:
            return sql.SQL("status = 'citizen_contacted'")
        case InboxView.DELIVERY_FAILED:
            return sql.SQL("delivery_failed")
        case InboxView.FREE_CHOICE_OPEN:
            return sql.SQL("free_choice_open")


def _conditions(view: InboxView, caller: InboxCaller, filters: InboxFilters) -> list[sql.Composable]:
    # A failed letter of an ended case is still owed (workflows.messaging.starting.await_resend_after_end).
    cases = _IN_MUNICIPALITY if view is InboxView.DELIVERY_FAILED else _OPEN_IN_MUNICIPALITY
    return [cases, view_predicate(view, caller), *scope_conditions(caller.scope), *filters.conditions()]


def query_params(caller: InboxCaller, filters: InboxFilters, cutoff: datetime) -> dict[str, Any]:
    return {
        "municipality": caller.municipality_code,
        "subject": caller.subject,
        "team": caller.team,
        "due_soon_cutoff": cutoff,
        **scope_params(caller.scope),
        **filters.params(),
    }


def count_query(view: InboxView, caller: InboxCaller, filters: InboxFilters) -> sql.Composed:
    """The view's count, as a scalar subquery: it reads the view's own partial index only."""
    return sql.SQL("(SELECT count(*) FROM {} WHERE {})").format(
        sql.Identifier(CASES_TABLE), sql.SQL(" AND ").join(_conditions(view, caller, filters))
    )


def view_list(
    view: InboxView, caller: InboxCaller, now: datetime, due_soon_working_days: int, filters: InboxFilters
) -> AscendingList:
    """The view's rows, soonest deadline first (cases without a running deadline last)."""
    return AscendingList(
        table=CASES_TABLE,
        sort_column="inbox_due_at",
        id_column="case_id",
        columns=_PAGE_COLUMNS,
        conditions=_conditions(view, caller, filters),
        params=query_params(caller, filters, due_soon_cutoff(now, due_soon_working_days)),
        scope=cursor_scope(view, filters),
    )


def counts_query(caller: InboxCaller, filters: InboxFilters) -> sql.Composed:
    """Every view's count in one statement, one column per view (named after it)."""
    return sql.SQL("SELECT {}").format(
        sql.SQL(", ").join(
            sql.SQL("{} AS {}").format(count_query(view, caller, filters), sql.Identifier(view.value))
            for view in InboxView
        )
    )


def cursor_scope(view: InboxView, filters: InboxFilters) -> str:
    """What a cursor is bound to: the view and its filters (a cursor of another is refused, not misread)."""
    digest = hashlib.sha256(json.dumps(asdict(filters), sort_keys=True).encode()).hexdigest()[:16]
    return f"inbox:{view.value}:{digest}"


async def inbox_counts(
    pool: Pool, caller: InboxCaller, now: datetime, due_soon_working_days: int, filters: InboxFilters | None = None
) -> dict[InboxView, int]:
    """Every view's count for the caller, in one statement: one index-only count per view, each reading only
    its own view's rows (measured against one pass over the municipality's open cases: docs/benchmarks.md)."""
    filters = filters or InboxFilters()
    query = counts_query(caller, filters)
    params = query_params(caller, filters, due_soon_cutoff(now, due_soon_working_days))
    async with pool.connection() as conn:
        cursor = await conn.execute(query, params)
        row = await cursor.fetchone()
    assert row is not None
    return {view: int(count) for view, count in zip(InboxView, row, strict=True)}


@dataclass(frozen=True)
class InboxPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    count: int  # every case of the view (with the filters), not only this page's


async def inbox_page(
    pool: Pool,
    view: InboxView,
    caller: InboxCaller,
    now: datetime,
    due_soon_working_days: int,
    *,
    filters: InboxFilters | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> InboxPage:
    """One page of the view, soonest deadline first (cases without a running deadline last), and its count.

    Raises `keyset_pages.InvalidCursor` for a cursor this view with these filters did not give out."""
    filters = filters or InboxFilters()
    rows = view_list(view, caller, now, due_soon_working_days, filters)
    async with pool.connection() as conn:
        page, next_cursor = await rows.page(conn, limit, cursor)
        counted = await conn.execute(sql.SQL("SELECT {}").format(count_query(view, caller, filters)), rows.params)
        count_row = await counted.fetchone()
    assert count_row is not None
    return InboxPage(rows=page, next_cursor=next_cursor, count=int(count_row[0]))
