"""`GET /me/warnings` and `POST /cases/{id}/warnings/{warning_id}/seen` against PostgreSQL and the Temporal dev server.

The warnings are issued at once: the municipality's register sets a lead time (20 working days) longer than both
deadlines, so each warning's instant lies before the plan arrives, with no clock to skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from api.auth.principal import Role
from tests.support.api_helpers import PROBLEM_JSON, Api, fresh_plan, post_plan, running_api, unused_municipality
from tests.support.auth_helpers import bearer
from tests.support.domain_helpers import CASEWORKER, cid
from tests.support.workflow_helpers import send
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.casework.model import AssignCase, CaseworkerRef
from workflows.domain.commands import AssignTeam
from workflows.shell.identity import workflow_id_for_case
from workflows.shell.results import CaseResult

LONGEST_LEAD = 20


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool, case_warning_working_days=LONGEST_LEAD) as running:
        yield running


async def _register(api: Api, code: str, warning_working_days: int | None) -> None:
    body = {"name": f"Kommune {code}", "contact_working_days": 5, "warning_working_days": warning_working_days}
    response = await api.http.put(f"/municipalities/{code}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["warning_working_days"] == warning_working_days


async def _warned_case(api: Api, municipality: str) -> dict[str, Any]:
    """A case of `municipality` once both its warnings are issued."""
    response = await post_plan(api.http, fresh_plan(home_municipality_code=municipality))
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    for _ in range(300):
        case: dict[str, Any] = (await api.http.get(f"/cases/{case_id}")).json()
        if len(case["unseen_warnings"]) == 2:
            return case
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {case_id} was never warned: {case['unseen_warnings']}")


def _workflow(api: Api, case: dict[str, Any]) -> WorkflowHandle[CaseWorkflow, CaseResult]:
    return api.env.client.get_workflow_handle_for(CaseWorkflow.run, workflow_id_for_case(case["case_id"]))


def caseworker(municipality: str, subject: str, team: str | None = None) -> dict[str, str]:
    return bearer(Role.CASEWORKER, municipality=municipality, subject=subject, org_unit=team)


async def listed(api: Api, headers: dict[str, str]) -> list[tuple[str, str]]:
    response = await api.http.get("/me/warnings", headers=headers)
    assert response.status_code == 200, response.text
    return [(item["case_id"], item["warning_id"]) for item in response.json()["items"]]


async def test_warnings_are_listed_for_who_holds_the_case_or_its_team_and_leave_when_seen(api: Api, pool: Pool) -> None:
    home, elsewhere = await unused_municipality(pool), await unused_municipality(pool)
    await _register(api, home, LONGEST_LEAD)
    held = await _warned_case(api, home)
    unassigned = await _warned_case(api, home)
    # cw-a holds the first case; the second lies with team-nord, nobody holding it. Sent as the Updates the
    # assignment endpoints send, so this test does not depend on the staff register those check.
    holder = CaseworkerRef(subject="cw-a", municipality_code=home, team="team-nord")
    await send(_workflow(api, held), AssignCase(command_id=cid(), actor=CASEWORKER, assignee=holder))
    await send(_workflow(api, unassigned), AssignTeam(command_id=cid(), actor=CASEWORKER, team="team-nord"))

    cw_a, cw_b = caseworker(home, "cw-a", "team-nord"), caseworker(home, "cw-b", "team-nord")
    held_warnings = {(held["case_id"], w["warning_id"]) for w in held["unseen_warnings"]}
    team_warnings = {(unassigned["case_id"], w["warning_id"]) for w in unassigned["unseen_warnings"]}
    assert set(await listed(api, cw_a)) == held_warnings | team_warnings
    assert set(await listed(api, cw_b)) == team_warnings  # another's case is not theirs
    assert await listed(api, caseworker(home, "cw-c", "team-syd")) == []  # another team's
    assert await listed(api, caseworker(home, "cw-d")) == []  # no team in the token: only what one holds
    assert await listed(api, caseworker(elsewhere, "cw-a", "team-nord")) == []  # another municipality's

    answer = (await api.http.get("/me/warnings", headers=cw_a)).json()
    items = answer["items"]
    assert answer["more"] is False
    assert [item["due_on"] for item in items] == sorted(item["due_on"] for item in items)
    contact = next(item for item in items if item["case_id"] == held["case_id"] and item["deadline"] == "contact")
    assert contact == {
        "warning_id": f"contact:{held['contact_due_on']}",
        "case_id": held["case_id"],
        "deadline": "contact",
        "due_on": held["contact_due_on"],
        "issued_at": contact["issued_at"],
        "assignee": None,  # as addressed when issued: at receipt nobody held the case
        "team": None,
        "deadline_running": True,
    }
    assert contact["issued_at"].endswith("Z")
    limited = (await api.http.get("/me/warnings", headers=cw_a, params={"limit": 1})).json()
    assert len(limited["items"]) == 1 and limited["more"] is True

    # Seen by cw-b: gone for everyone it was listed for; seen again: harmless, nothing recorded.
    (_, warning_id) = sorted(team_warnings)[0]
    seen_url = f"/cases/{unassigned['case_id']}/warnings/{warning_id}/seen"
    first = await api.http.post(seen_url, headers=cw_b)
    assert first.status_code == 200, first.text
    assert warning_id not in [w["warning_id"] for w in first.json()["unseen_warnings"]]
    assert (unassigned["case_id"], warning_id) not in await listed(api, cw_b)
    assert (unassigned["case_id"], warning_id) not in await listed(api, cw_a)
    again = await api.http.post(seen_url, headers=cw_b)
    assert again.status_code == 200 and again.json()["version"] == first.json()["version"]
    timeline = (await api.http.get(f"/cases/{unassigned['case_id']}/events")).json()["events"]
    assert [e["type"] for e in timeline].count("DeadlineWarningSeen") == 1

    searches = await _warning_searches(pool, "cw-b")
    assert searches and all(row == {"list": "warnings", "municipality": home, "team": "team-nord"} for row in searches)


async def test_an_unknown_warning_is_a_422_naming_warning_id(api: Api, pool: Pool) -> None:
    home = await unused_municipality(pool)
    await _register(api, home, LONGEST_LEAD)
    case = await _warned_case(api, home)
    response = await api.http.post(f"/cases/{case['case_id']}/warnings/contact:1999-01-01/seen")
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM_JSON
    assert [error["field"] for error in response.json()["errors"]] == ["warning_id"]


async def test_the_register_s_lead_time_goes_before_the_setting(api: Api, pool: Pool) -> None:
    registered, unregistered = await unused_municipality(pool), await unused_municipality(pool)
    await _register(api, registered, 1)
    own = await post_plan(api.http, fresh_plan(home_municipality_code=registered))
    assert own.json()["warning_working_days"] == 1  # carried by the command into the case
    fallback = await _warned_case(api, unregistered)  # no register entry: CASE_WARNING_WORKING_DAYS
    assert fallback["warning_working_days"] == LONGEST_LEAD
    await _register(api, registered, None)
    assert (await api.http.get(f"/municipalities/{registered}")).json()["warning_working_days"] is None


async def _warning_searches(pool: Pool, subject: str) -> list[Any]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT search_criterion FROM access_log WHERE user_id = %s AND action = 'search'"
            " AND search_criterion ->> 'list' = 'warnings'",
            (subject,),
        )
        return [row[0] for row in await cursor.fetchall()]
