"""The inbox views over the `cases` read model: membership, order, pages, counts, filters, scope, due-soon cutoff.

Rows are written straight into a database of this module's own (the views read columns only; a row without
events would upset the shared database's stream-versus-row checks).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from psycopg import sql
from psycopg.types.json import Jsonb

from activities.platform.db import Pool
from activities.platform.keyset_pages import InvalidCursor
from activities.queries.inbox import InboxCaller, InboxFilters, InboxView, due_soon_cutoff, inbox_counts, inbox_page
from activities.store.read_models.cases import INBOX_NO_DEADLINE
from tests.support.databases import temporary_pool
from tests.support.factories import new_case_id
from workflows.domain.calendar import DANISH_TIME, end_of_local_day

# Wednesday before Easter 2026: Maundy Thursday, Good Friday, the weekend and Easter Monday are not working days.
NOW = datetime(2026, 4, 1, 10, tzinfo=UTC)
_codes = itertools.count(500)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def inbox_pool(postgres_server_url: str) -> AsyncIterator[Pool]:
    async with temporary_pool(postgres_server_url, max_size=3) as opened:
        yield opened


@dataclass
class Row:
    """One `cases` row with what the views read; everything else a plain open, distributed case."""

    municipality: str
    due_at: datetime = INBOX_NO_DEADLINE
    status: str = "distributed"
    level: str = "almen"
    team: str | None = None
    assignee: str | None = None
    overdue: bool = False
    delivery_failed: bool = False
    free_choice_open: bool = False
    case_id: str = field(default_factory=new_case_id)

    @property
    def is_open(self) -> bool:
        return self.status not in ("completed", "closed")


async def insert(pool: Pool, rows: list[Row]) -> list[Row]:
    async with pool.connection() as conn, conn.cursor() as cursor:
        await cursor.executemany(
            sql.SQL(
                "INSERT INTO cases (case_id, municipality_code, responsible_municipality_code, status, level, team,"
                " assignee, overdue, delivery_failed, free_choice_open, is_open, inbox_due_at, next_deadline_at,"
                " next_deadline_kind, version, last_global_position, state)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1, 1, %s)"
            ),
            [
                (
                    row.case_id,
                    row.municipality,
                    row.municipality,
                    row.status,
                    row.level,
                    row.team,
                    row.assignee,
                    row.overdue,
                    row.delivery_failed,
                    row.free_choice_open,
                    row.is_open,
                    row.due_at,
                    None if row.due_at == INBOX_NO_DEADLINE else row.due_at,
                    None if row.due_at == INBOX_NO_DEADLINE else "contact",
                    Jsonb({}),
                )
                for row in rows
            ],
        )
    return rows


def municipality() -> str:
    return str(next(_codes))


def day_end(day: date) -> datetime:
    return end_of_local_day(day).astimezone(UTC)


async def every_page(
    pool: Pool, view: InboxView, caller: InboxCaller, limit: int, filters: InboxFilters | None = None
) -> tuple[list[dict[str, Any]], set[int]]:
    """Every row of the view, page by page, and the counts the pages reported."""
    rows: list[dict[str, Any]] = []
    counts: set[int] = set()
    cursor: str | None = None
    while True:
        page = await inbox_page(pool, view, caller, NOW, 2, filters=filters, limit=limit, cursor=cursor)
        rows.extend(page.rows)
        counts.add(page.count)
        if page.next_cursor is None:
            return rows, counts
        cursor = page.next_cursor


def membership_fixture(code: str, other: str) -> dict[str, Row]:
    soon, later = day_end(date(2026, 4, 7)), day_end(date(2026, 4, 20))
    past = day_end(date(2026, 3, 30))
    return {
        "mine": Row(code, later, team="nord", assignee="cw-1"),
        "mine_overdue": Row(code, past, team="nord", assignee="cw-1", overdue=True),
        "colleagues": Row(code, soon, team="nord", assignee="cw-2"),
        "team_free": Row(code, later, team="nord"),
        "other_team_free": Row(code, later, team="syd"),
        "waiting": Row(code, later, status="citizen_contacted", team="syd", assignee="cw-3"),
        "failed": Row(code, status="provider_chosen", team="nord", assignee="cw-2", delivery_failed=True),
        "free_choice": Row(code, later, status="training_started", free_choice_open=True),
        "closed_mine": Row(code, soon, status="closed", team="nord", assignee="cw-1", overdue=True),
        "completed_failed": Row(code, status="completed", delivery_failed=True, free_choice_open=True),
        "elsewhere_mine": Row(other, soon, team="nord", assignee="cw-1", overdue=True, delivery_failed=True),
        "elsewhere_waiting": Row(other, soon, status="citizen_contacted", free_choice_open=True),
    }


# Which of membership_fixture's rows each view holds for caseworker cw-1 of team nord.
MEMBERS = {
    InboxView.MINE: {"mine", "mine_overdue"},
    InboxView.TEAM_UNASSIGNED: {"team_free"},
    InboxView.DUE_SOON: {"colleagues"},
    InboxView.OVERDUE: {"mine_overdue"},
    InboxView.WAITING_FOR_CITIZEN: {"waiting"},
    InboxView.DELIVERY_FAILED: {"failed", "completed_failed"},  # an ended case's failed letter is still owed
    InboxView.FREE_CHOICE_OPEN: {"free_choice"},
}


@pytest.mark.parametrize("view", list(InboxView))
async def test_each_view_holds_its_cases_of_the_callers_municipality_only(inbox_pool: Pool, view: InboxView) -> None:
    code, other = municipality(), municipality()
    rows = membership_fixture(code, other)
    await insert(inbox_pool, list(rows.values()))
    caller = InboxCaller(code, "cw-1", "nord")

    found, counts = await every_page(inbox_pool, view, caller, limit=50)

    names = {row.case_id: name for name, row in rows.items()}
    assert {names[row["case_id"]] for row in found} == MEMBERS[view]
    assert counts == {len(MEMBERS[view])}
    assert (await inbox_counts(inbox_pool, caller, NOW, 2))[view] == len(MEMBERS[view])


async def test_pages_follow_the_deadline_without_gaps_or_duplicates(inbox_pool: Pool) -> None:
    code, rng = municipality(), random.Random(3)
    # Ties on the deadline (ordered by case id then), and cases without a running deadline, which come last.
    deadlines = [day_end(date(2026, 4, 1) + timedelta(days=rng.randrange(10))) for _ in range(40)]
    rows = await insert(inbox_pool, [Row(code, due, team="nord") for due in deadlines])
    rows += await insert(inbox_pool, [Row(code, team="nord") for _ in range(7)])
    caller = InboxCaller(code, "cw-1", "nord")

    for limit in (1, 6, 47, 48):
        found, counts = await every_page(inbox_pool, InboxView.TEAM_UNASSIGNED, caller, limit)
        assert [(row["inbox_due_at"], row["case_id"]) for row in found] == sorted((r.due_at, r.case_id) for r in rows)
        assert counts == {47}


async def test_filters_combine_and_counts_match_the_pages(inbox_pool: Pool) -> None:
    code, rng = municipality(), random.Random(5)
    rows = [
        Row(
            code,
            day_end(date(2026, 4, 2) + timedelta(days=rng.randrange(20))),
            status=rng.choice(["distributed", "classified", "citizen_contacted"]),
            level=rng.choice(["almen", "specialiseret"]),
            team=rng.choice(["nord", "syd"]),
            assignee=rng.choice([None, "cw-1", "cw-2"]),
            overdue=rng.random() < 0.2,
            free_choice_open=rng.random() < 0.3,
        )
        for _ in range(120)
    ]
    await insert(inbox_pool, rows)
    caller = InboxCaller(code, "cw-1", "nord")
    filters = [
        InboxFilters(),
        InboxFilters(level="specialiseret"),
        InboxFilters(level="almen", status="classified"),
        InboxFilters(team="syd", assignee="cw-2"),
        InboxFilters(level="almen", status="citizen_contacted", team="nord", assignee="cw-1"),
    ]
    for given in filters:
        counts = await inbox_counts(inbox_pool, caller, NOW, 2, given)
        for view in InboxView:
            found, page_counts = await every_page(inbox_pool, view, caller, 9, given)
            assert page_counts == {len(found)} and counts[view] == len(found), (view, given)
            for row in found:
                assert all(row[name] == value for name, value in vars(given).items() if value is not None)
    specialised = await inbox_counts(inbox_pool, caller, NOW, 2, InboxFilters(level="specialiseret"))
    assert specialised[InboxView.MINE] == sum(r.level == "specialiseret" and r.assignee == "cw-1" for r in rows)


@pytest.mark.parametrize(
    ("now", "working_days", "last_day"),
    [
        (datetime(2026, 4, 1, 10, tzinfo=UTC), 2, date(2026, 4, 8)),  # Easter: Thu, Fri, weekend, Mon skipped
        (datetime(2026, 4, 1, 10, tzinfo=UTC), 1, date(2026, 4, 7)),
        (datetime(2026, 11, 27, 12, tzinfo=UTC), 2, date(2026, 12, 1)),  # Friday: the weekend skipped
        (datetime(2026, 11, 28, 12, tzinfo=UTC), 1, date(2026, 11, 30)),  # from a Saturday
        (datetime(2026, 11, 26, 23, 30, tzinfo=UTC), 2, date(2026, 12, 1)),  # already Friday in Copenhagen
        (datetime(2026, 12, 23, 9, tzinfo=UTC), 2, date(2026, 12, 28)),  # Christmas Day, then a weekend
    ],
)
def test_due_soon_ends_with_the_danish_day_n_working_days_ahead(
    now: datetime, working_days: int, last_day: date
) -> None:
    cutoff = due_soon_cutoff(now, working_days)
    assert cutoff.astimezone(DANISH_TIME).date() == last_day + timedelta(days=1)
    assert cutoff.astimezone(DANISH_TIME).time().isoformat() == "00:00:00"


async def test_due_soon_takes_deadlines_by_the_cutoff_across_the_easter_holidays(inbox_pool: Pool) -> None:
    code = municipality()
    cutoff = day_end(date(2026, 4, 8))  # NOW is Wednesday 1 April; two working days on is Wednesday 8 April
    inside = await insert(
        inbox_pool,
        [Row(code, day_end(date(2026, 4, 2))), Row(code, day_end(date(2026, 4, 6))), Row(code, cutoff)],
    )
    await insert(
        inbox_pool,
        [
            Row(code, cutoff + timedelta(microseconds=1)),
            Row(code, day_end(date(2026, 4, 9))),
            Row(code, day_end(date(2026, 3, 31)), overdue=True),  # overdue has its own view
            Row(code),
        ],
    )
    found, _ = await every_page(inbox_pool, InboxView.DUE_SOON, InboxCaller(code, "cw-1", None), 50)
    assert [row["case_id"] for row in found] == [row.case_id for row in inside]

    wider = await inbox_counts(inbox_pool, InboxCaller(code, "cw-1", None), NOW, 3)
    assert wider[InboxView.DUE_SOON] == 5


async def test_a_caller_without_a_team_has_an_empty_team_view(inbox_pool: Pool) -> None:
    code = municipality()
    await insert(inbox_pool, [Row(code, team="nord"), Row(code)])
    caller = InboxCaller(code, "cw-1", None)

    page = await inbox_page(inbox_pool, InboxView.TEAM_UNASSIGNED, caller, NOW, 2)
    assert (page.rows, page.count, page.next_cursor) == ([], 0, None)
    assert (await inbox_counts(inbox_pool, caller, NOW, 2))[InboxView.TEAM_UNASSIGNED] == 0


async def test_a_cursor_of_another_view_or_filter_or_none_at_all_is_refused(inbox_pool: Pool) -> None:
    code = municipality()
    await insert(inbox_pool, [Row(code, day_end(date(2026, 4, 2)), assignee="cw-1") for _ in range(3)])
    caller = InboxCaller(code, "cw-1", "nord")
    first = await inbox_page(inbox_pool, InboxView.MINE, caller, NOW, 2, limit=1)
    assert first.next_cursor is not None

    with pytest.raises(InvalidCursor):
        await inbox_page(inbox_pool, InboxView.DUE_SOON, caller, NOW, 2, cursor=first.next_cursor)
    with pytest.raises(InvalidCursor):
        await inbox_page(
            inbox_pool, InboxView.MINE, caller, NOW, 2, filters=InboxFilters(level="almen"), cursor=first.next_cursor
        )
    for crafted in ("not-a-cursor", "WzEsMiwzXQ", "WyIyMDI2LTA0LTAyVDEwOjAwOjAwIiwgImEiLCAiaW5ib3g6bWluZSJd"):
        with pytest.raises(InvalidCursor):
            await inbox_page(inbox_pool, InboxView.MINE, caller, NOW, 2, cursor=crafted)
