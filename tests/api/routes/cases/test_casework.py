"""Who works on a case, over HTTP against PostgreSQL and Temporal: the staff register, claim, hand-on, release,
assignment (single and bulk), and notes that are sealed like the plan's texts and read `[slettet]` once erased."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from activities.sealing.citizen_keys import destroy_key
from activities.sealing.personal_fields import ERASED_TEXT
from api.auth.principal import Role
from tests.support.api_helpers import (
    Api,
    fresh_plan,
    post_plan,
    running_api,
    unused_municipality,
    wait_for_messages_settled,
)
from tests.support.auth_helpers import bearer
from tests.support.retention_helpers import new_cpr, new_name
from tests.support.rulebook_api_helpers import field_names, of_type, timeline


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


def caseworker(municipality: str, subject: str, org_unit: str | None = "visitation") -> dict[str, str]:
    return bearer(
        Role.CASEWORKER, municipality=municipality, subject=subject, name=f"Navn {subject}", org_unit=org_unit
    )


def admin(municipality: str) -> dict[str, str]:
    return bearer(Role.MUNICIPAL_ADMIN, municipality=municipality, subject="admin")


async def new_case(api: Api, municipality: str) -> str:
    """A case of a citizen of its own (its key can be destroyed without touching another test's case)."""
    patient = {"cpr": new_cpr(), "name": new_name()}
    created = await post_plan(api.http, fresh_plan(home_municipality_code=municipality, patient=patient))
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    # The citizen's letter goes out beside the case (its MessageSent moves the version): let it, so a test that
    # compares versions compares the caseworkers' own.
    await wait_for_messages_settled(api.http, case_id)
    return case_id


async def post(api: Api, case_id: str, name: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return await api.http.post(f"/cases/{case_id}/{name}", json=body, headers=headers)


async def raw(pool: Pool, query: str, *params: object) -> list[tuple[Any, ...]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(query.encode(), params)
        return list(await cursor.fetchall())


async def test_the_register_is_kept_by_the_admin_and_filled_in_from_caseworkers_tokens(api: Api) -> None:
    home, other = await unused_municipality(api.pool), await unused_municipality(api.pool)
    me = await api.http.get("/me", headers=caseworker(home, "cw-self", org_unit="genoptraening-nord"))
    assert me.json() == {
        "subject": "cw-self",
        "roles": ["caseworker"],
        "name": "Navn cw-self",
        "municipality_code": home,
        "team": "genoptraening-nord",
    }
    teams = (await api.http.get(f"/municipalities/{home}/teams", headers=caseworker(home, "cw-self"))).json()
    assert [(t["team_id"], t["name"], t["active"]) for t in teams] == [
        ("genoptraening-nord", "genoptraening-nord", True)
    ]

    named = await api.http.put(
        f"/municipalities/{home}/teams/genoptraening-nord", json={"name": "Genoptræning Nord"}, headers=admin(home)
    )
    assert named.status_code == 200 and named.json()["name"] == "Genoptræning Nord"
    unknown = await api.http.put(
        f"/municipalities/{home}/caseworkers/cw-self", json={"team_id": "no-such-team"}, headers=admin(home)
    )
    assert unknown.status_code == 422 and field_names(unknown) == ["team_id"]
    entered = await api.http.put(
        f"/municipalities/{home}/caseworkers/cw-self",
        json={"name": "Karen Jensen", "active": False},
        headers=admin(home),
    )
    assert entered.status_code == 200, entered.text
    assert (entered.json()["name"], entered.json()["team_id"], entered.json()["active"]) == (
        "Karen Jensen",
        None,
        False,
    )

    await api.http.get("/me", headers=caseworker(home, "cw-self", org_unit="genoptraening-nord"))
    (row,) = (await api.http.get(f"/municipalities/{home}/caseworkers", headers=bearer(Role.OPS))).json()
    # The token fills the empty team and the time last seen, not the admin's name nor their deactivation.
    assert (row["name"], row["team_id"], row["active"]) == ("Karen Jensen", "genoptraening-nord", False)
    assert row["last_seen_at"] is not None and row["last_seen_at"] >= entered.json()["updated_at"]

    kept_by_admin_only = await api.http.put(
        f"/municipalities/{home}/teams/x", json={"name": "X"}, headers=caseworker(home, "cw-self")
    )
    assert kept_by_admin_only.status_code == 403
    assert (
        await api.http.put(f"/municipalities/{home}/teams/x", json={"name": "X"}, headers=admin(other))
    ).status_code == 403
    assert (
        await api.http.get(f"/municipalities/{home}/caseworkers", headers=caseworker(other, "cw-o"))
    ).status_code == 403


async def test_claim_hand_on_and_release_are_events_with_who_did_them(api: Api) -> None:
    home = await unused_municipality(api.pool)
    case_id = await new_case(api, home)
    anna, bo = caseworker(home, "cw-anna"), caseworker(home, "cw-bo")

    claimed = await post(api, case_id, "claim", {}, anna)
    assert claimed.status_code == 200, claimed.text
    assert (claimed.json()["assignee"], claimed.json()["team"]) == ("cw-anna", "visitation")
    taken = await post(api, case_id, "claim", {}, bo)
    assert taken.status_code == 409 and "another caseworker holds the case" in taken.json()["detail"]

    nobody = await post(api, case_id, "hand-on", {"to_caseworker": "cw-nobody", "reason": "Ferie"}, anna)
    assert nobody.status_code == 422 and field_names(nobody) == ["to_caseworker"]
    no_reason = await post(api, case_id, "hand-on", {"to_caseworker": "cw-bo"}, anna)
    assert no_reason.status_code == 422 and field_names(no_reason) == ["reason"]
    handed = await post(api, case_id, "hand-on", {"to_caseworker": "cw-bo", "reason": "Anna holder ferie"}, anna)
    assert handed.status_code == 200 and handed.json()["assignee"] == "cw-bo"

    released = await post(api, case_id, "release", {"reason": "Tilbage til puljen"}, bo)
    assert released.status_code == 200
    assert (released.json()["assignee"], released.json()["team"]) == (None, "visitation")
    again = await post(api, case_id, "release", {}, bo)
    assert again.status_code == 200 and again.json()["version"] == released.json()["version"]

    events = await timeline(api.http, case_id)
    (claim,) = of_type(events, "CaseClaimed")
    assert claim["actor"] == "caseworker:cw-anna" and claim["acted_by"]["name"] == "Navn cw-anna"
    (hand_on,) = of_type(events, "CaseHandedOn")
    assert hand_on["data"]["reason"] == "Anna holder ferie" and hand_on["data"]["previous_assignee"] == "cw-anna"
    (release,) = of_type(events, "CaseReleased")
    assert release["actor"] == "caseworker:cw-bo" and release["data"]["previous_assignee"] == "cw-bo"

    reclaimed = await post(api, case_id, "claim", {}, bo)
    listed = await api.http.get("/cases", params={"municipality": home}, headers=bo)
    (summary,) = [item for item in listed.json()["items"] if item["case_id"] == case_id]
    assert reclaimed.status_code == 200 and (summary["assignee"], summary["team"]) == ("cw-bo", "visitation")


async def test_a_case_is_given_only_to_active_staff_of_its_own_municipality(api: Api) -> None:
    home, other = await unused_municipality(api.pool), await unused_municipality(api.pool)
    case_id = await new_case(api, home)
    lead = caseworker(home, "cw-lead")
    await api.http.get("/me", headers=caseworker(other, "cw-elsewhere"))  # registered, but in the other municipality
    await api.http.get("/me", headers=caseworker(home, "cw-karl"))

    elsewhere = await post(api, case_id, "assignment", {"assignee": "cw-elsewhere"}, lead)
    assert elsewhere.status_code == 422 and field_names(elsewhere) == ["assignee"]
    by_outsider = await post(api, case_id, "assignment", {"assignee": "cw-karl"}, caseworker(other, "cw-elsewhere"))
    assert by_outsider.status_code == 404
    assigned = await post(api, case_id, "assignment", {"assignee": "cw-karl", "reason": "Fordeling"}, lead)
    assert assigned.status_code == 200 and assigned.json()["assignee"] == "cw-karl"
    (event,) = of_type(await timeline(api.http, case_id), "CaseAssigned")
    assert event["actor"] == "caseworker:cw-lead" and event["data"]["reason"] == "Fordeling"

    await api.http.put(f"/municipalities/{home}/caseworkers/cw-karl", json={"active": False}, headers=admin(home))
    inactive = await post(api, case_id, "assignment", {"assignee": "cw-karl"}, lead)
    assert inactive.status_code == 422 and field_names(inactive) == ["assignee"]
    assert (await post(api, case_id, "release", {}, lead)).status_code == 200
    assert (await post(api, case_id, "claim", {}, caseworker(home, "cw-karl"))).status_code == 403

    await api.http.put(
        f"/municipalities/{home}/teams/lukket", json={"name": "Lukket", "active": False}, headers=admin(home)
    )
    closed_team = await post(api, case_id, "hand-on", {"to_team": "lukket", "reason": "Omorganisering"}, lead)
    assert closed_team.status_code == 422 and field_names(closed_team) == ["to_team"]
    unregistered = await post(api, case_id, "team", {"team": "ukendt-team"}, lead)
    assert unregistered.status_code == 422 and field_names(unregistered) == ["team"]
    registered = await post(api, case_id, "team", {"team": "visitation"}, lead)  # seen on the lead's token
    assert registered.status_code == 200 and registered.json()["team"] == "visitation"


async def test_bulk_assignment_answers_each_case_and_a_retry_changes_nothing(api: Api, pool: Pool) -> None:
    home, other = await unused_municipality(api.pool), await unused_municipality(api.pool)
    mine = [await new_case(api, home) for _ in range(3)]
    foreign, missing = await new_case(api, other), str(uuid.uuid4())
    lead = {**caseworker(home, "cw-lead"), "Idempotency-Key": f"morgen-{uuid.uuid4()}"}
    await api.http.get("/me", headers=caseworker(home, "cw-mette", org_unit="team-syd"))
    assert (await post(api, mine[2], "assignment", {"assignee": "cw-mette"}, lead)).status_code == 200
    body = {"case_ids": [*mine, foreign, missing], "assignee": "cw-mette", "reason": "Mandagsfordeling"}

    answer = await api.http.post("/case-assignments", json=body, headers=lead)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["case_id"], r["status"]) for r in results] == [
        (mine[0], 200),
        (mine[1], 200),
        (mine[2], 200),  # already hers: nothing changes
        (foreign, 404),
        (missing, 404),
    ]
    assert results[3]["problem"]["status"] == 404 and results[3]["version"] is None
    for case_id in mine:
        case = (await api.http.get(f"/cases/{case_id}", headers=lead)).json()
        assert (case["assignee"], case["team"]) == ("cw-mette", "team-syd")
    assert [len(of_type(await timeline(api.http, case_id), "CaseAssigned")) for case_id in mine] == [1, 1, 1]
    logged = await raw(
        pool, "SELECT outcome FROM access_log WHERE case_id = %s AND action = 'change' AND user_id = 'cw-lead'", foreign
    )
    assert logged == [("denied",)]

    # Released meanwhile: a retry of the same request (same key) is answered from its first outcome, and does
    # not take the case back; a new request (new key) does.
    assert (await post(api, mine[0], "release", {}, caseworker(home, "cw-mette"))).status_code == 200
    retried = await api.http.post("/case-assignments", json=body, headers=lead)
    assert [r["status"] for r in retried.json()["results"]] == [200, 200, 200, 404, 404]
    assert (await api.http.get(f"/cases/{mine[0]}", headers=lead)).json()["assignee"] is None
    assert [len(of_type(await timeline(api.http, case_id), "CaseAssigned")) for case_id in mine] == [1, 1, 1]
    anew = await api.http.post("/case-assignments", json=body, headers={**lead, "Idempotency-Key": "morgen-2"})
    assert [r["status"] for r in anew.json()["results"]] == [200, 200, 200, 404, 404]
    assert (await api.http.get(f"/cases/{mine[0]}", headers=lead)).json()["assignee"] == "cw-mette"

    twice = await api.http.post("/case-assignments", json={"case_ids": [mine[0], mine[0]], "team": "x"}, headers=lead)
    assert twice.status_code == 422 and field_names(twice) == ["case_ids"]
    neither = await api.http.post("/case-assignments", json={"case_ids": mine}, headers=lead)
    assert neither.status_code == 422 and field_names(neither) == ["assignee"]
    unknown = await api.http.post("/case-assignments", json={"case_ids": mine, "assignee": "cw-x"}, headers=lead)
    assert unknown.status_code == 422 and field_names(unknown) == ["assignee"]
    to_team = await api.http.post("/case-assignments", json={"case_ids": mine[:1], "team": "visitation"}, headers=lead)
    assert [r["status"] for r in to_team.json()["results"]] == [200]
    assert (await api.http.get(f"/cases/{mine[0]}", headers=lead)).json()["team"] == "visitation"
    not_caseworker = await api.http.post("/case-assignments", json=body, headers=admin(home))
    assert not_caseworker.status_code == 403


async def test_notes_are_never_edited_only_corrected_and_sealed_like_the_plan(api: Api, pool: Pool) -> None:
    home = await unused_municipality(api.pool)
    case_id = await new_case(api, home)
    writer = {**caseworker(home, "cw-notes"), "Idempotency-Key": f"note-{uuid.uuid4()}"}
    text = f"Borgeren ønsker træning om formiddagen {uuid.uuid4().hex}.\nRinger igen fredag."

    added = await post(api, case_id, "notes", {"text": text}, writer)
    assert added.status_code == 201, added.text
    note = added.json()
    assert (note["text"], note["author"], note["actor"]) == (text, "Navn cw-notes", "caseworker:cw-notes")
    assert note["corrects_note_id"] is None and note["corrected_by"] == []
    assert added.headers["ETag"] == f'"{(await api.http.get(f"/cases/{case_id}", headers=writer)).json()["version"]}"'
    retried = await post(api, case_id, "notes", {"text": text}, writer)
    assert retried.status_code == 201 and retried.json()["note_id"] == note["note_id"]

    correction = {"text": "Rettelse: eftermiddagen.", "corrects_note_id": note["note_id"]}
    corrected = await post(api, case_id, "notes", correction, caseworker(home, "cw-notes"))
    assert corrected.status_code == 201 and corrected.json()["corrects_note_id"] == note["note_id"]
    no_such = await post(api, case_id, "notes", {"text": "x", "corrects_note_id": "nope"}, caseworker(home, "cw-notes"))
    assert no_such.status_code == 422 and field_names(no_such) == ["corrects_note_id"]
    empty = await post(api, case_id, "notes", {"text": ""}, caseworker(home, "cw-notes"))
    assert empty.status_code == 422 and field_names(empty) == ["text"]

    listed = (await api.http.get(f"/cases/{case_id}/notes", headers=writer)).json()["notes"]
    assert [(n["note_id"], n["corrected_by"]) for n in listed] == [
        (note["note_id"], [corrected.json()["note_id"]]),
        (corrected.json()["note_id"], []),
    ]
    again = await post(api, case_id, "notes", {"text": text}, writer)  # a retry after the correction shows it too
    assert again.status_code == 201 and again.json()["corrected_by"] == [corrected.json()["note_id"]]
    events = of_type(await timeline(api.http, case_id), "NoteAdded")
    assert [e["data"]["text"] for e in events] == [text, correction["text"]]
    assert events[0]["actor"] == "caseworker:cw-notes"
    reads = "SELECT count(*) FROM access_log WHERE case_id = %s AND action = 'read' AND user_id = 'cw-notes'"
    before = (await raw(pool, reads, case_id))[0][0]
    assert (await api.http.get(f"/cases/{case_id}/notes", headers=writer)).status_code == 200
    assert (await raw(pool, reads, case_id))[0][0] == before + 1  # reading the notes is logged as a read

    stored = await raw(
        pool, "SELECT payload::text FROM events WHERE case_id = %s AND event_type = 'NoteAdded'", case_id
    )
    assert len(stored) == 2 and all("$sealed" in row[0] and "formiddagen" not in row[0] for row in stored)
    outsider = caseworker(await unused_municipality(api.pool), "cw-other")
    assert (await api.http.get(f"/cases/{case_id}/notes", headers=outsider)).status_code == 404

    (key_id,) = {row[0] for row in await raw(pool, "SELECT key_id FROM citizen_streams WHERE stream_id = %s", case_id)}
    async with pool.connection() as conn:
        assert await destroy_key(conn, key_id, "retention")
    erased = (await api.http.get(f"/cases/{case_id}/notes", headers=writer)).json()["notes"]
    assert [n["text"] for n in erased] == [ERASED_TEXT, ERASED_TEXT]
    assert erased[0]["corrected_by"] == [corrected.json()["note_id"]]  # ids and authors stay


async def test_new_and_transferred_cases_start_in_the_municipalitys_intake_team(api: Api) -> None:
    home, receiving = await unused_municipality(api.pool), await unused_municipality(api.pool)
    for code, team in ((home, "modtagelse"), (receiving, "visitation-syd")):
        await api.http.put(f"/municipalities/{code}/teams/{team}", json={"name": team}, headers=admin(code))
    unknown = await api.http.put(
        f"/municipalities/{home}",
        json={"name": "Hjem", "contact_working_days": 5, "intake_team": "no-such-team"},
        headers=admin(home),
    )
    assert unknown.status_code == 422 and field_names(unknown) == ["intake_team"]
    for code, team in ((home, "modtagelse"), (receiving, "visitation-syd")):
        put = await api.http.put(
            f"/municipalities/{code}",
            json={"name": code, "contact_working_days": 5, "intake_team": team},
            headers=admin(code),
        )
        assert put.status_code == 200 and put.json()["intake_team"] == team

    case_id = await new_case(api, home)
    case = (await api.http.get(f"/cases/{case_id}", headers=caseworker(home, "cw-a"))).json()
    assert (case["team"], case["assignee"]) == ("modtagelse", None)
    inbox = await api.http.get("/inbox/team_unassigned", headers=caseworker(home, "cw-a", org_unit="modtagelse"))
    assert case_id in [item["case_id"] for item in inbox.json()["items"]]

    moved = await post(
        api,
        case_id,
        "transfer",
        {"to_municipality_code": receiving, "reason": "citizen_moved"},
        caseworker(home, "cw-a"),
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["team"], moved.json()["assignee"]) == ("visitation-syd", None)
    (transferred,) = of_type(await timeline(api.http, case_id), "CaseTransferred")
    assert transferred["data"]["intake_team"] == "visitation-syd"

    # A team set inactive takes no new cases: they start in no team.
    await api.http.put(
        f"/municipalities/{home}/teams/modtagelse", json={"name": "x", "active": False}, headers=admin(home)
    )
    later = await new_case(api, home)
    assert (await api.http.get(f"/cases/{later}", headers=caseworker(home, "cw-a"))).json()["team"] is None
