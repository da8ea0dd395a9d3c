"""AUTH_ORG_UNIT_SCOPE=team over HTTP against PostgreSQL and Temporal: a caseworker whose token names an
organisation unit reads and acts on its team's cases, the cases of no team yet and the cases it holds, and
nothing else of its municipality: not one case, nor a list, an inbox view or the closing check."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from api.auth.principal import Role
from tests.support.api_helpers import Api, distributed_case, running_api, unused_municipality
from tests.support.auth_helpers import bearer
from tests.support.retention_helpers import new_cpr, new_name


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool, auth_org_unit_scope="team") as running:
        yield running


def caseworker(municipality: str, subject: str, org_unit: str | None) -> dict[str, str]:
    scope: dict[str, Any] = {"municipality": municipality, "subject": subject, "name": f"Navn {subject}"}
    if org_unit is not None:
        scope["org_unit"] = org_unit
    return bearer(Role.CASEWORKER, **scope)


@dataclass(frozen=True)
class Desk:
    """Four open cases of one municipality, and its caseworkers: Anna (team nord), Sven (team syd), Ulla (a token
    without an organisation unit). `unrouted` and `sven_holds` are the same citizen's."""

    municipality: str
    nord: str  # team nord's, nobody holds it
    unrouted: str  # no team
    anna_holds_in_syd: str  # team syd's, held by Anna
    sven_holds: str  # team syd's, held by Sven

    @property
    def anna(self) -> dict[str, str]:
        return caseworker(self.municipality, "cw-anna", "nord")

    @property
    def sven(self) -> dict[str, str]:
        return caseworker(self.municipality, "cw-sven", "syd")

    @property
    def ulla(self) -> dict[str, str]:
        return caseworker(self.municipality, "cw-ulla", None)


async def ok(api: Api, case_id: str, name: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    response = await api.http.post(f"/cases/{case_id}/{name}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def desk(api: Api) -> Desk:
    home = await unused_municipality(api.pool)
    citizen = {"cpr": new_cpr(), "name": new_name()}
    nord, anna_holds_in_syd = [await distributed_case(api.http, home_municipality_code=home) for _ in "ab"]
    sven_holds = await distributed_case(api.http, home_municipality_code=home, patient=citizen)
    unrouted = await distributed_case(api.http, home_municipality_code=home, patient=citizen)
    desk = Desk(home, nord, unrouted, anna_holds_in_syd, sven_holds)
    for headers in (desk.anna, desk.sven):  # their tokens put them and their teams in the register
        assert (await api.http.get("/me", headers=headers)).status_code == 200
    await ok(api, nord, "team", {"team": "nord"}, desk.sven)  # routed while nobody's: Sven may
    await ok(api, sven_holds, "claim", {}, desk.sven)
    await ok(api, anna_holds_in_syd, "claim", {}, desk.sven)
    handed = {"to_caseworker": "cw-anna", "to_team": "syd", "reason": "Anna kender borgeren"}
    held = await ok(api, anna_holds_in_syd, "hand-on", handed, desk.sven)
    assert (held["assignee"], held["team"]) == ("cw-anna", "syd")
    return desk


async def status_of(api: Api, path: str, headers: dict[str, str], body: dict[str, Any] | None = None) -> int:
    if body is None:
        return (await api.http.get(path, headers=headers)).status_code
    return (await api.http.post(path, json=body, headers=headers)).status_code


async def test_a_caseworker_reads_and_acts_on_its_team_s_unrouted_and_held_cases(api: Api, desk: Desk) -> None:
    for case_id in (desk.nord, desk.unrouted, desk.anna_holds_in_syd):
        assert await status_of(api, f"/cases/{case_id}", desk.anna) == 200
        assert await status_of(api, f"/cases/{case_id}/events", desk.anna) == 200
        note = {"text": f"Ringet op {uuid.uuid4()}"}
        assert await status_of(api, f"/cases/{case_id}/notes", desk.anna, note) == 201


async def test_another_team_s_case_is_404_as_if_it_did_not_exist_and_the_look_up_is_logged(
    api: Api, desk: Desk
) -> None:
    case_id = desk.sven_holds
    unknown = await api.http.get(f"/cases/{uuid.uuid4()}", headers=desk.anna)
    refused = await api.http.get(f"/cases/{case_id}", headers=desk.anna)
    assert refused.status_code == unknown.status_code == 404
    assert (refused.json()["type"], refused.json()["title"]) == (unknown.json()["type"], unknown.json()["title"])
    assert await status_of(api, f"/cases/{case_id}/events", desk.anna) == 404
    assert await status_of(api, f"/cases/{case_id}/closing-check", desk.anna) == 404
    assert await status_of(api, f"/cases/{case_id}/retention", desk.anna) == 404
    # A command is refused before the case is asked: 404, not the 409 of a case someone else holds.
    assert await status_of(api, f"/cases/{case_id}/claim", desk.anna, {}) == 404
    assert await status_of(api, f"/cases/{case_id}/notes", desk.anna, {"text": "Forsøg"}) == 404
    async with api.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT outcome, citizen_cpr IS NULL FROM access_log WHERE case_id = %s AND user_id = 'cw-anna'"
            " AND action = 'read' ORDER BY occurred_at LIMIT 1",
            (case_id,),
        )
        assert await cursor.fetchone() == ("denied", True)
    # Its own team, and a token without an organisation unit (the municipality's scope), see it.
    assert await status_of(api, f"/cases/{case_id}", desk.sven) == 200
    assert await status_of(api, f"/cases/{case_id}", desk.ulla) == 200


async def test_a_case_routed_to_another_team_leaves_the_router_s_sight(api: Api, desk: Desk) -> None:
    assert await status_of(api, f"/cases/{desk.nord}", desk.sven) == 404


async def test_the_case_list_and_the_inbox_hold_the_scope_s_cases_only(api: Api, desk: Desk) -> None:
    anna_sees = {desk.nord, desk.unrouted, desk.anna_holds_in_syd}
    sven_sees = {desk.unrouted, desk.anna_holds_in_syd, desk.sven_holds}
    every = anna_sees | sven_sees
    for headers, expected in ((desk.anna, anna_sees), (desk.sven, sven_sees), (desk.ulla, every)):
        listed = await api.http.get("/cases", params={"municipality": desk.municipality}, headers=headers)
        assert listed.status_code == 200 and {case["case_id"] for case in listed.json()["items"]} == expected
        due = await api.http.get("/inbox/due_soon", params={"within_working_days": 20}, headers=headers)
        assert due.status_code == 200, due.text
        assert {case["case_id"] for case in due.json()["items"]} == expected and due.json()["count"] == len(expected)
        counts = await api.http.get("/inbox", params={"within_working_days": 20}, headers=headers)
        assert counts.json()["counts"]["due_soon"] == len(expected)


async def test_bulk_assignment_refuses_the_case_out_of_scope_only(api: Api, desk: Desk) -> None:
    body = {"case_ids": [desk.nord, desk.sven_holds], "team": "nord", "reason": "Fordeling"}
    answer = await api.http.post("/case-assignments", json=body, headers=desk.anna)
    assert answer.status_code == 200, answer.text
    assert [(result["case_id"], result["status"]) for result in answer.json()["results"]] == [
        (desk.nord, 200),
        (desk.sven_holds, 404),
    ]
    assert (await api.http.get(f"/cases/{desk.sven_holds}", headers=desk.sven)).json()["team"] == "syd"


async def test_the_closing_check_names_only_the_other_cases_within_the_scope(api: Api, desk: Desk) -> None:
    def other_cases(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [item["ref"] for item in response.json()["attention"] if item["kind"] == "other_open_case"]

    path = f"/cases/{desk.unrouted}/closing-check"
    assert other_cases(await api.http.get(path, headers=desk.anna)) == []
    assert other_cases(await api.http.get(path, headers=desk.sven)) == [desk.sven_holds]
    assert other_cases(await api.http.get(path, headers=desk.ulla)) == [desk.sven_holds]
