"""The organisation-unit scope (AUTH_ORG_UNIT_SCOPE=team): who gets one, which cases it admits as a row check and
as SQL (the two must agree), what `sees_case` makes of it, and that the inbox views still scan their own partial
indexes with it (migration 0018)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from psycopg import AsyncClientCursor, sql
from psycopg.types.json import Jsonb

from activities.platform.db import Pool
from activities.queries.case_scope import TeamScope
from activities.queries.inbox import InboxCaller, InboxFilters, InboxView, count_query, view_list
from api.auth.access import sees_case, team_scope
from api.auth.principal import Principal, Role
from api.settings import ApiSettings
from tests.support.databases import temporary_pool
from tests.support.factories import new_case_id

TEAM_SCOPE = ApiSettings(auth_org_unit_scope="team")
MUNICIPALITY_SCOPE = ApiSettings()
ANNA = TeamScope(team="nord", subject="cw-anna")


def principal(*roles: Role, org_unit: str | None = "nord", municipality: str | None = "101") -> Principal:
    return Principal(
        subject="cw-anna", roles=frozenset(roles), municipality_code=municipality, org_unit=org_unit, sor_id="123456"
    )


@pytest.mark.parametrize(
    ("settings", "caller", "expected"),
    [
        (MUNICIPALITY_SCOPE, principal(Role.CASEWORKER), None),  # the default: the whole municipality
        (TEAM_SCOPE, principal(Role.CASEWORKER), ANNA),
        (TEAM_SCOPE, principal(Role.CASEWORKER, org_unit=None), None),  # the broker set no orgenhed constraint
        (TEAM_SCOPE, principal(Role.HOSPITAL), None),  # other roles are not narrowed
        (TEAM_SCOPE, principal(Role.MUNICIPAL_ADMIN), None),
        (TEAM_SCOPE, principal(Role.OPS), None),
    ],
)
def test_only_a_caseworker_with_an_org_unit_is_scoped_and_only_when_the_setting_says_team(
    settings: ApiSettings, caller: Principal, expected: TeamScope | None
) -> None:
    assert team_scope(caller, settings) == expected


# (team, assignee) of a case of the caseworker's municipality, and whether cw-anna of team nord may see it.
ROWS: list[tuple[str | None, str | None, bool]] = [
    ("nord", None, True),  # her team's, nobody holds it
    ("nord", "cw-bo", True),  # her team's, a colleague holds it
    (None, None, True),  # not routed to a team yet
    (None, "cw-bo", True),  # no team, though someone holds it: nobody has routed it
    ("syd", "cw-anna", True),  # another team's case that she holds
    ("syd", None, False),  # another team's
    ("syd", "cw-bo", False),  # another team's, held by someone else
    ("nordvest", None, False),  # a team whose name starts like hers is another team
]


@pytest.mark.parametrize(("team", "assignee", "expected"), ROWS)
def test_the_scope_admits_its_team_no_team_and_what_the_caseworker_holds(
    team: str | None, assignee: str | None, expected: bool
) -> None:
    assert ANNA.admits({"team": team, "assignee": assignee}) is expected


async def test_the_sql_condition_admits_the_same_rows_as_the_row_check(pool: Pool) -> None:
    values = sql.SQL(", ").join(
        sql.SQL("({}, {}::text, {}::text)").format(index, team, assignee)
        for index, (team, assignee, _) in enumerate(ROWS)
    )
    query = sql.SQL("SELECT i FROM (VALUES {}) AS cases(i, team, assignee) WHERE {} ORDER BY i").format(
        values, ANNA.condition()
    )
    aliased = sql.SQL("SELECT c.i FROM (VALUES {}) AS c(i, team, assignee) WHERE {} ORDER BY c.i").format(
        values, ANNA.condition("c")
    )
    expected = [index for index, (_, _, admitted) in enumerate(ROWS) if admitted]
    async with pool.connection() as conn:
        for statement in (query, aliased):
            cursor = await conn.execute(statement, ANNA.params())
            assert [row[0] for row in await cursor.fetchall()] == expected


def case_of(municipality: str, team: str, sent_by: str = "999999") -> dict[str, Any]:
    plan = {"sending_hospital_sor_id": sent_by}
    return {"responsible_municipality_code": municipality, "team": team, "assignee": None, "state": {"plan": plan}}


CASEWORKER, BOTH = [Role.CASEWORKER], [Role.CASEWORKER, Role.HOSPITAL]


@pytest.mark.parametrize(
    ("caller", "row", "roles", "scope", "expected"),
    [
        (principal(Role.CASEWORKER), case_of("101", "syd"), CASEWORKER, None, True),
        (principal(Role.CASEWORKER), case_of("101", "syd"), CASEWORKER, ANNA, False),
        (principal(Role.CASEWORKER), case_of("101", "nord"), CASEWORKER, ANNA, True),
        (principal(Role.CASEWORKER), case_of("102", "nord"), CASEWORKER, ANNA, False),
        # The scope narrows the caseworker grant only: the hospital that sent the plan still sees its case.
        (principal(Role.CASEWORKER, Role.HOSPITAL), case_of("101", "syd", sent_by="123456"), BOTH, ANNA, True),
        (principal(Role.CASEWORKER, Role.HOSPITAL), case_of("101", "syd"), BOTH, ANNA, False),
    ],
)
def test_sees_case_checks_the_municipality_and_then_the_scope(
    caller: Principal, row: dict[str, Any], roles: list[Role], scope: TeamScope | None, expected: bool
) -> None:
    assert sees_case(caller, row, *roles, scope=scope) is expected


# Plans: the inbox views with the scope, over a few thousand rows, still range-scan their own partial indexes.

_codes = itertools.count(700)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scope_pool(postgres_server_url: str) -> AsyncIterator[Pool]:
    async with temporary_pool(postgres_server_url, max_size=2) as opened:
        yield opened


async def fill(pool: Pool, municipality: str, count: int) -> None:
    """`count` cases: most ended (years of history), the open ones spread over teams, holders and views."""
    now = datetime(2026, 4, 1, tzinfo=UTC)
    rows = []
    for index in range(count):
        is_open = index % 10 == 0
        rows.append(
            (
                new_case_id(),
                municipality,
                municipality,
                "distributed" if is_open else "completed",
                ["nord", "syd", "vest", None][index % 4],
                [None, "cw-anna", "cw-bo"][index % 3],
                index % 7 == 0,
                index % 11 == 0,
                is_open,
                now + timedelta(hours=index),
            )
        )
    async with pool.connection() as conn, conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO cases (case_id, municipality_code, responsible_municipality_code, status, team, assignee,"
            " overdue, delivery_failed, is_open, inbox_due_at, level, version, last_global_position, state)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'almen', 1, 1, %s)",
            [(*row, Jsonb({})) for row in rows],
        )
        await conn.execute("ANALYZE cases")


async def plan_of(pool: Pool, query: sql.Composable, params: dict[str, Any]) -> str:
    async with pool.connection() as conn, AsyncClientCursor(conn) as cursor:  # the values inline, as a plan shows
        await cursor.execute(sql.SQL("EXPLAIN {}").format(query), params)
        return "\n".join(str(row[0]) for row in await cursor.fetchall())


@pytest.mark.parametrize(
    ("view", "index"),
    [
        (InboxView.OVERDUE, "cases_inbox_overdue_idx"),
        (InboxView.DELIVERY_FAILED, "cases_inbox_delivery_failed_idx"),
        (InboxView.DUE_SOON, "cases_inbox_due_idx"),
    ],
)
async def test_a_scoped_inbox_view_still_scans_its_own_partial_index(
    scope_pool: Pool, view: InboxView, index: str
) -> None:
    municipality = str(next(_codes))
    await fill(scope_pool, municipality, 5000)
    caller = InboxCaller(municipality, "cw-anna", "nord", ANNA)
    rows = view_list(view, caller, datetime(2026, 4, 1, tzinfo=UTC), 2, InboxFilters())
    page, params = rows.page_query(50, None)
    count = sql.SQL("SELECT {}").format(count_query(view, caller, InboxFilters()))
    for query in (page, count):
        plan = await plan_of(scope_pool, query, params)
        assert index in plan, plan
        assert "Seq Scan" not in plan, plan
        # The scope is a filter on the rows the index scan reads, not a reason to read others.
        assert "'nord'" in plan and "'cw-anna'" in plan, plan
