"""The inbox through the API: counts and pages of a caseworker's own municipality, the access log, bad input."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from api.auth.principal import Role
from tests.support.api_helpers import PROBLEM_JSON, Api, distributed_case, running_api, unused_municipality
from tests.support.auth_helpers import bearer
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.casework.model import AssignCase, CaseworkerRef, ReleaseCase
from workflows.shell.identity import workflow_id_for_case


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


@dataclass(frozen=True)
class Desk:
    """Three distributed cases of a municipality: one held by cw-1 (team nord), one for team nord, one bare."""

    municipality: str
    held: str
    team_nord: str
    bare: str


def command() -> dict[str, str]:
    return {"command_id": str(uuid.uuid4()), "actor": "caseworker:cw-lead"}


def cw(subject: str, municipality: str) -> CaseworkerRef:
    return CaseworkerRef(subject=subject, municipality_code=municipality, team="nord")


async def update(api: Api, case_id: str, update: Any, given: Any) -> None:
    await api.env.client.get_workflow_handle(workflow_id_for_case(case_id)).execute_update(update, given)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def desk(api: Api) -> Desk:
    municipality = await unused_municipality(api.pool)
    held, team_nord, bare = [await distributed_case(api.http, home_municipality_code=municipality) for _ in range(3)]
    # Straight through the workflow's Updates (the staff register and its routes are not this module's subject).
    await update(api, held, CaseWorkflow.assign_case, AssignCase(**command(), assignee=cw("cw-1", municipality)))
    await update(api, team_nord, CaseWorkflow.assign_case, AssignCase(**command(), assignee=cw("cw-9", municipality)))
    await update(api, team_nord, CaseWorkflow.release_case, ReleaseCase(**command()))  # back to team nord
    return Desk(municipality, held, team_nord, bare)


def caseworker(desk: Desk, subject: str = "cw-1", org_unit: str | None = "nord") -> dict[str, str]:
    scope: dict[str, Any] = {"municipality": desk.municipality, "subject": subject}
    if org_unit is not None:
        scope["org_unit"] = org_unit
    return bearer(Role.CASEWORKER, **scope)


async def get(api: Api, path: str, headers: dict[str, str], **params: str | int) -> dict[str, Any]:
    response = await api.http.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_counts_are_the_callers_own(api: Api, desk: Desk) -> None:
    overview = await get(api, "/inbox", caseworker(desk))
    counts = overview["counts"]
    assert (overview["municipality_code"], overview["team"]) == (desk.municipality, "nord")
    assert (counts["mine"], counts["team_unassigned"], counts["overdue"]) == (1, 1, 0)
    # Discharged today: the contact deadline lies 5 working days on, beyond the default 2, within 20.
    assert counts["due_soon"] == 0
    wide = await get(api, "/inbox", caseworker(desk), within_working_days=20)
    assert wide["counts"]["due_soon"] == 3 and wide["due_soon_until"] > overview["due_soon_until"]

    colleague = await get(api, "/inbox", caseworker(desk, "cw-2", org_unit=None))
    assert (colleague["counts"]["mine"], colleague["counts"]["team_unassigned"], colleague["team"]) == (0, 0, None)
    elsewhere = bearer(Role.CASEWORKER, municipality=await unused_municipality(api.pool), subject="cw-1")
    assert set((await get(api, "/inbox", elsewhere, within_working_days=20))["counts"].values()) == {0}


async def test_a_view_pages_by_deadline_with_its_count(api: Api, desk: Desk) -> None:
    mine = await get(api, "/inbox/mine", caseworker(desk))
    assert [item["case_id"] for item in mine["items"]] == [desk.held]
    assert (mine["count"], mine["next_cursor"], mine["items"][0]["assignee"]) == (1, None, "cw-1")
    unassigned = await get(api, "/inbox/team_unassigned", caseworker(desk))
    assert [item["case_id"] for item in unassigned["items"]] == [desk.team_nord]

    seen: list[dict[str, Any]] = []
    params: dict[str, str | int] = {"within_working_days": 20, "limit": 1}
    while True:
        page = await get(api, "/inbox/due_soon", caseworker(desk), **params)
        assert page["count"] == 3 and page["due_soon_until"] is not None
        seen.extend(page["items"])
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert sorted(item["case_id"] for item in seen) == sorted([desk.held, desk.team_nord, desk.bare])
    deadlines = [(item["next_deadline"]["due_at"], item["case_id"]) for item in seen]
    assert deadlines == sorted(deadlines)
    assert all("patient" not in item and "cpr" not in str(item) for item in seen)

    filtered = await get(api, "/inbox/due_soon", caseworker(desk), within_working_days=20, team="nord", assignee="cw-1")
    assert [item["case_id"] for item in filtered["items"]] == [desk.held]


async def test_each_request_is_logged_as_a_search_with_its_criterion(api: Api, desk: Desk) -> None:
    await get(api, "/inbox/overdue", caseworker(desk, "cw-logged"), level="almen")
    async with api.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT action, search_criterion FROM access_log WHERE user_id = 'cw-logged' ORDER BY occurred_at"
        )
        rows = await cursor.fetchall()
    assert [action for action, _ in rows] == ["search"]
    criterion = rows[0][1]
    assert (criterion["list"], criterion["view"], criterion["municipality"]) == ("inbox", "overdue", desk.municipality)
    assert (criterion["level"], criterion["within_working_days"]) == ("almen", 2)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/inbox/mine", {"cursor": "not-a-cursor"}, "query.cursor"),
        ("/inbox/everything", {}, "path.view"),
        ("/inbox", {"within_working_days": 21}, "query.within_working_days"),
        ("/inbox/due_soon", {"within_working_days": 0}, "query.within_working_days"),
        ("/inbox/mine", {"team": "nord\x00"}, "query.team"),
        ("/inbox/mine", {"assignee": ""}, "query.assignee"),
        ("/inbox", {"level": "basal"}, "query.level"),
        ("/inbox/overdue", {"status": "lost"}, "query.status"),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    api: Api, desk: Desk, path: str, params: dict[str, str | int], field: str
) -> None:
    response = await api.http.get(path, params=params, headers=caseworker(desk))
    assert response.status_code == 422 and response.headers["content-type"].startswith(PROBLEM_JSON)
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_a_cursor_of_another_view_is_422(api: Api, desk: Desk) -> None:
    page = await get(api, "/inbox/due_soon", caseworker(desk), within_working_days=20, limit=1)
    other = await api.http.get("/inbox/mine", params={"cursor": page["next_cursor"]}, headers=caseworker(desk))
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "query.cursor"


@pytest.mark.parametrize("role", [Role.HOSPITAL, Role.OPS, Role.MUNICIPAL_ADMIN, Role.AUDITOR])
async def test_only_caseworkers_have_an_inbox(api: Api, desk: Desk, role: Role) -> None:
    headers = bearer(role, municipality=desk.municipality, sor="227871000016001")
    for path in ("/inbox", "/inbox/mine"):
        assert (await api.http.get(path, headers=headers)).status_code == 403
