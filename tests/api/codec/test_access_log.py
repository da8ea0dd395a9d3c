"""The access-log rows of codec decodes: the municipality whose case was decoded (so its auditor sees the decode),
one row per citizen for the many requests of one Temporal UI page, and the request's trace id to follow."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import httpx
from temporalio.api.common.v1 import Payload

from activities.access_log import records as access_log
from activities.access_log.records import AccessLogRow
from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from api.auth.principal import Role
from tests.api.codec.test_routes import SETTINGS, codec, codec_api, operator, to_json
from tests.support.api_helpers import unused_municipality
from tests.support.auth_helpers import auth_settings, bearer
from tests.support.encryption_helpers import CURRENT_KEY, OLD_KEY, encrypting_settings
from tests.support.factories import decide_all, make_command, make_plan, receive_plan
from tests.support.store_helpers import append_all
from workflows.domain.commands import TransferCase
from workflows.domain.model import TransferReason
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.state import CaseState, fold


def new_cpr() -> str:
    """A CPR number no other test uses (a real date; the serial's first digit 0-3 means the 1900s)."""
    day, month, year = secrets.randbelow(28) + 1, secrets.randbelow(12) + 1, secrets.randbelow(100)
    return f"{day:02d}{month:02d}{year:02d}{secrets.randbelow(4000):04d}"


def plan_for(cpr: str, municipality: str) -> RehabilitationPlan:
    return make_plan(patient={"cpr": cpr, "name": "Dorte Dekodet"}, home_municipality_code=municipality)


def json_payload(model: RehabilitationPlan | CaseState) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=model.model_dump_json().encode())


async def decode(http: httpx.AsyncClient, headers: dict[str, str], *payloads: Payload) -> httpx.Response:
    response = await http.post("/codec/decode", json=to_json(await codec().encode(list(payloads))), headers=headers)
    assert response.status_code == 200, response.text
    return response


async def rows_of(pool: Pool, user_id: str) -> list[AccessLogRow]:
    rows, _ = await access_log.search(pool, user_id=user_id, limit=500)
    return rows


async def audited(http: httpx.AsyncClient, municipality: str, cpr: str) -> list[dict[str, object]]:
    """What the municipality's auditor finds about the citizen."""
    answer = await http.post(
        "/access-log/search", json={"citizen_cpr": cpr}, headers=bearer(Role.AUDITOR, municipality=municipality)
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def test_a_decoded_plan_is_logged_for_its_municipality_and_found_by_its_auditor(pool: Pool) -> None:
    municipality, other = await unused_municipality(pool), await unused_municipality(pool)
    cpr, (subject, headers) = new_cpr(), operator()
    async with codec_api(SETTINGS, pool) as http:
        await decode(http, headers, json_payload(plan_for(cpr, municipality)))
        found = await audited(http, municipality, cpr)
        elsewhere = await audited(http, other, cpr)
        extract = await http.post(
            "/access-log/citizen-extract",
            json={"citizen_cpr": cpr},
            headers=bearer(Role.AUDITOR, municipality=municipality),
        )
    [row] = await rows_of(pool, subject)
    assert (row.citizen_cpr, row.responsible_municipality_code, row.municipality_code) == (cpr, municipality, None)
    assert [item["user_id"] for item in found if item["action"] == "decode"] == [subject]
    assert [item for item in elsewhere if item["action"] == "decode"] == []
    entries = extract.json()["entries"]
    assert [(entry["purpose"], entry["outcome"]) for entry in entries if entry["action"] == "decode"] == [
        ("teknisk bistand", "allowed")
    ]


async def test_a_transferred_cases_decode_goes_to_the_municipality_now_responsible(pool: Pool) -> None:
    home, receiving = await unused_municipality(pool), await unused_municipality(pool)
    cpr, case_id, (subject, headers) = new_cpr(), f"case-{uuid.uuid4()}", operator()
    transfer = make_command(
        TransferCase, to_municipality_code=receiving, reason=TransferReason.CITIZEN_REQUEST, contact_working_days=5
    )
    batches = decide_all(CaseState(case_id=case_id), [receive_plan(plan_for(cpr, home)), transfer])
    await append_all(EventStore(pool), case_id, batches)
    state = fold(CaseState(case_id=case_id), [event for batch in batches for event in batch])
    assert (state.plan and state.plan.home_municipality_code, state.responsible_municipality_code) == (home, receiving)
    async with codec_api(SETTINGS, pool) as http:
        await decode(http, headers, json_payload(state))  # names both: the plan's home, the case's responsible
    # The read model names the case's municipality: the receiving one, not both.
    assert [row.responsible_municipality_code for row in await rows_of(pool, subject)] == [receiving]


async def test_one_page_of_many_decode_requests_is_one_row_per_citizen(pool: Pool) -> None:
    municipality = await unused_municipality(pool)
    first, second = new_cpr(), new_cpr()
    pages = {cpr: json_payload(plan_for(cpr, municipality)) for cpr in (first, second)}
    nobody = Payload(metadata={"encoding": b"json/plain"}, data=b'{"case_id": "no citizen here"}')
    subject, headers = operator()
    other, other_headers = operator()
    async with codec_api(SETTINGS, pool) as http:
        # The UI decodes a workflow's page in many requests, several at once, some naming the same citizen.
        await asyncio.gather(*(decode(http, headers, pages[first]) for _ in range(6)))
        for _ in range(3):
            await decode(http, headers, pages[first], pages[second])
            await decode(http, headers, nobody)
        await decode(http, other_headers, pages[first])
    rows = await rows_of(pool, subject)
    assert sorted((row.citizen_cpr or "", row.responsible_municipality_code or "") for row in rows) == sorted(
        [(first, municipality), (second, municipality), ("", "")]
    )
    assert [row.citizen_cpr for row in await rows_of(pool, other)] == [first]  # another operator: a row of their own


async def test_without_a_window_every_decode_request_is_a_row(pool: Pool) -> None:
    payload = json_payload(plan_for(new_cpr(), "101"))
    subject, headers = operator()
    every_request = encrypting_settings(CURRENT_KEY, OLD_KEY, codec_decode_log_window_seconds=0, **auth_settings())
    async with codec_api(every_request, pool) as http:
        for _ in range(3):
            await decode(http, headers, payload)
    assert len(await rows_of(pool, subject)) == 3


async def test_a_decode_row_carries_the_requests_trace_id(pool: Pool) -> None:
    subject, headers = operator()
    async with codec_api(SETTINGS, pool) as http:
        response = await decode(http, headers, json_payload(plan_for(new_cpr(), "101")))
    [row] = await rows_of(pool, subject)
    trace_id = response.headers["x-correlation-id"]
    assert len(trace_id) == 32 and int(trace_id, 16)
    assert row.correlation_id == trace_id
