"""`POST /medcom/ggop` against real PostgreSQL and Temporal: each fixture's case or receipt, duplicates,
resends, a replacing plan, the sender's identity, and what is kept (the original sealed, the receipt queued)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.intake.ggop import take_ggop_message
from activities.intake.senders import GgopSender, SenderRefused
from activities.messaging.medcom.inbound_messages import original_message
from activities.messaging.medcom.receipts import parse_receipt
from activities.platform.db import Pool
from api.auth.principal import Role
from tests.support.api_helpers import PROBLEM_JSON, Api, danish_today, running_api
from tests.support.auth_helpers import DEFAULT_SOR, bearer
from tests.support.ggop_fixtures import fresh, ggop, on_day, ten_megabytes

SENDER_EAN = "5790000000017"
XML = {"Content-Type": "application/xml"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool, medcom_sender_sor_by_ean={SENDER_EAN: DEFAULT_SOR}) as running:
        yield running


def _today(raw: bytes) -> bytes:
    return on_day(raw, danish_today().isoformat()).replace(b"2026-11-27", danish_today().isoformat().encode())


async def _send(
    api: Api, raw: bytes, *, sor: str = DEFAULT_SOR, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await api.http.post(
        "/medcom/ggop", content=raw, headers={**XML, **bearer(Role.HOSPITAL, sor=sor), **(headers or {})}
    )


async def _case(api: Api, case_id: str) -> dict[str, Any]:
    response = await api.http.get(f"/cases/{case_id}", headers=bearer(Role.HOSPITAL, sor=DEFAULT_SOR))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _rows(pool: Pool, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(sql, params)
        return list(await cursor.fetchall())


@pytest.mark.parametrize(
    ("fixture", "level", "positive_receipt"),
    [
        ("almen.xml", "almen", True),
        ("almen-avanceret.xml", "almen", True),
        ("specialiseret.xml", "specialiseret", False),  # minuspositivkvitt: no positive receipt is due
        ("rehabilitering.xml", "rehabilitering_specialiseret", True),
        ("statistical-code-only.xml", "specialiseret", True),
    ],
)
async def test_each_level_starts_its_case_with_the_receipt_the_envelope_asks_for(
    api: Api, fixture: str, level: str, positive_receipt: bool
) -> None:
    raw = fresh(_today(ggop(fixture)))
    response = await _send(api, raw)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert response.headers["Location"] == f"/cases/{answer['case_id']}" and answer["duplicate"] is False
    case = await _case(api, answer["case_id"])
    assert case["plan"]["level"] == level and case["plan"]["plan_id"] == answer["letter_id"]
    if positive_receipt:
        receipt = parse_receipt(answer["receipt"].encode())
        assert receipt.positive and receipt.original_envelope_id == answer["envelope_id"]
        assert receipt.receiver_ean == SENDER_EAN
    else:
        assert answer["receipt"] is None


async def test_the_case_is_created_in_the_access_log_for_its_municipality(api: Api, pool: Pool) -> None:
    response = await _send(api, fresh(_today(ggop("almen.xml"))))
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    home = (await _case(api, case_id))["plan"]["home_municipality_code"]
    logged = await _rows(
        pool,
        "SELECT action, sor_id, municipality_code, responsible_municipality_code, correlation_id FROM access_log"
        " WHERE case_id = %s AND action = 'create'",
        case_id,
    )
    assert logged == [("create", DEFAULT_SOR, None, home, response.headers["X-Correlation-Id"])]


async def test_a_duplicate_gets_the_identical_receipt_and_no_second_case(api: Api, pool: Pool) -> None:
    raw = fresh(_today(ggop("almen.xml")))
    first, again = await _send(api, raw), await _send(api, raw)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True and again.json()["receipt"] == first.json()["receipt"]
    assert again.json()["case_id"] == first.json()["case_id"]
    envelope = first.json()["envelope_id"]
    assert await _rows(pool, "SELECT count(*) FROM inbound_messages WHERE envelope_id = %s", envelope) == [(1,)]
    queued = await _rows(
        pool, "SELECT address, kind, content FROM outbox WHERE details->>'original_envelope_id' = %s", envelope
    )
    assert [(address, kind) for address, kind, _ in queued] == [(SENDER_EAN, "receipt")]
    assert bytes(queued[0][2]).decode() == first.json()["receipt"]
    received = await _rows(
        pool,
        "SELECT count(*) FROM events WHERE case_id = %s AND event_type = 'PlanReceived'",
        first.json()["case_id"],
    )
    assert received == [(1,)]


async def test_a_resend_with_a_new_envelope_finds_the_same_case_and_gets_its_own_receipt(api: Api) -> None:
    tag = uuid.uuid4().hex[:6]
    first = await _send(api, fresh(_today(ggop("almen.xml")), suffix=tag))
    resend = await _send(api, fresh(_today(ggop("resend.xml")), suffix=tag))
    assert (first.status_code, resend.status_code) == (201, 200), resend.text
    assert resend.json()["case_id"] == first.json()["case_id"] and resend.json()["duplicate"] is False
    assert parse_receipt(resend.json()["receipt"].encode()).original_envelope_id == resend.json()["envelope_id"]
    assert resend.json()["envelope_id"] != first.json()["envelope_id"]


async def test_a_later_plan_for_the_same_episode_of_care_replaces_the_first(api: Api) -> None:
    tag = uuid.uuid4().hex[:6]
    first = await _send(api, fresh(_today(ggop("almen.xml")), suffix=tag))
    replacing = await _send(api, fresh(_today(ggop("replacing.xml")), suffix=tag))
    assert (first.status_code, replacing.status_code) == (201, 200), replacing.text
    assert replacing.json()["case_id"] == first.json()["case_id"]
    case = await _case(api, first.json()["case_id"])
    assert case["plan"]["plan_id"] == replacing.json()["letter_id"]


async def test_the_plan_keeps_the_ggop_details_and_the_original_sealed(api: Api, pool: Pool) -> None:
    raw = fresh(_today(ggop("later-start.xml")))
    response = await _send(api, raw)
    assert response.status_code == 201, response.text
    answer = response.json()
    rows = await _rows(
        pool,
        "SELECT raw_message, case_id, sending_hospital_sor_id FROM inbound_messages WHERE envelope_id = %s",
        answer["envelope_id"],
    )
    sealed, case_id, sor = rows[0]
    assert (case_id, sor) == (answer["case_id"], DEFAULT_SOR)
    assert b"0101459992" not in bytes(sealed) and b"Testesen" not in bytes(sealed)
    async with pool.connection() as conn:
        assert await original_message(conn, SENDER_EAN, answer["envelope_id"], answer["letter_id"]) == raw
    plan = (await _case(api, case_id))["plan"]
    assert plan["rehabilitation_deadline_text"].startswith("Genoptræning tidligst 14 dage efter udskrivelse\n")
    assert plan["sender"]["ean"] == SENDER_EAN and plan["medcom_letter"]["letter_id"] == answer["letter_id"]


async def test_a_deselected_gp_copy_starts_a_case_without_a_gp(api: Api) -> None:
    response = await _send(api, fresh(_today(ggop("gp-deselected.xml"))))
    assert response.status_code == 201, response.text
    plan = (await _case(api, response.json()["case_id"]))["plan"]
    assert plan["gp_copy_deselected"] is True and plan["general_practitioner"] is None
    assert plan["consent_to_share_with_gp"] is False  # so the GP's copy is withheld


@pytest.mark.parametrize(
    ("fixture", "status", "refuse_code"),
    [
        ("wrong-namespace.xml", 422, "problem_med_version"),
        ("no-cpr.xml", 422, "syntaksfejl"),
        ("impossible-date.xml", 422, "syntaksfejl"),
    ],
)
async def test_a_broken_message_gets_a_negative_receipt_and_no_case(
    api: Api, pool: Pool, fixture: str, status: int, refuse_code: str
) -> None:
    raw = fresh(_today(ggop(fixture)))
    response = await _send(api, raw)
    assert response.status_code == status and response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["refuse_code"] == refuse_code and "0101459992" not in response.text
    assert [error["field"] for error in problem["errors"]] == ["body"]
    receipt = parse_receipt(problem["receipt"].encode())
    assert not receipt.positive and receipt.refuse_code == refuse_code and receipt.receiver_ean == SENDER_EAN
    again = await _send(api, raw)
    assert again.status_code == status and again.json()["receipt"] == problem["receipt"]
    envelope = receipt.original_envelope_id
    rows = await _rows(
        pool, "SELECT outcome, case_id, raw_message FROM inbound_messages WHERE envelope_id = %s", envelope
    )
    assert rows == [("refused", None, None)]


@pytest.mark.parametrize(
    ("raw", "status", "says"),
    [
        (ggop("xxe.xml"), 422, "DTD"),
        (ggop("entity-expansion.xml"), 422, "DTD"),
        (ten_megabytes(), 413, "larger than"),
        (b"not xml at all", 422, "not well-formed"),
    ],
    ids=["xxe", "entity-expansion", "10MB", "not-xml"],
)
async def test_an_unsafe_or_unreadable_message_is_refused_unread(
    api: Api, pool: Pool, raw: bytes, status: int, says: str
) -> None:
    response = await _send(api, raw)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON and says in response.json()["detail"]
    assert "root:" not in response.text and response.json().get("receipt") is None
    assert await _rows(pool, "SELECT count(*) FROM inbound_messages WHERE envelope_id = 'TESTENV0000012'") == [(0,)]


async def test_a_message_from_another_hospital_than_the_token_is_refused(api: Api, pool: Pool) -> None:
    raw = fresh(_today(ggop("almen.xml")))
    response = await _send(api, raw, sor="999991000016001")
    assert response.status_code == 403 and response.headers["content-type"] == PROBLEM_JSON
    letter = raw.split(b"<Identifier>L", 1)[1].split(b"<", 1)[0]
    assert await _rows(pool, "SELECT count(*) FROM plan_index WHERE plan_id = %s", "L" + letter.decode()) == [(0,)]


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
async def test_only_xml_is_taken(api: Api, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await api.http.post(
        "/medcom/ggop", content=ggop("almen.xml"), headers={**headers, **bearer(Role.HOSPITAL, sor=DEFAULT_SOR)}
    )
    assert response.status_code == 415 and response.headers["Accept-Post"] == "application/xml"


async def test_the_vans_door_takes_the_same_message_with_the_mailbox_vouching_for_the_sender(api: Api) -> None:
    raw = fresh(_today(ggop("almen.xml")))
    door = {"pool": api.pool, "client": api.env.client, "settings": api.settings}
    outcome = await take_ggop_message(raw, sender=GgopSender.vans(SENDER_EAN), **door)
    assert outcome.status == 201 and outcome.case_id is not None and outcome.receipt is not None
    assert parse_receipt(outcome.receipt).positive
    logged = await _rows(
        api.pool,
        "SELECT user_id, user_role, action, responsible_municipality_code FROM access_log WHERE case_id = %s",
        outcome.case_id,
    )
    home = (await _case(api, outcome.case_id))["plan"]["home_municipality_code"]
    assert logged == [(f"vans:{SENDER_EAN}", "hospital", "create", home)]  # the case's auditor reads it
    again = await take_ggop_message(raw, sender=GgopSender.vans(SENDER_EAN), **door)
    assert again.duplicate and again.receipt == outcome.receipt and again.case_id == outcome.case_id
    with pytest.raises(SenderRefused):  # the message names another sender than its VANS envelope
        await take_ggop_message(fresh(raw), sender=GgopSender.vans("5790000000048"), **door)


async def test_the_vans_door_answers_an_unknown_sender_with_a_negative_receipt(api: Api) -> None:
    raw = fresh(_today(ggop("almen.xml"))).replace(SENDER_EAN.encode(), b"5790000000055")
    door = {"pool": api.pool, "client": api.env.client, "settings": api.settings}
    outcome = await take_ggop_message(raw, sender=GgopSender.vans("5790000000055"), **door)
    assert outcome.status == 403 and outcome.case_id is None and outcome.receipt is not None
    assert parse_receipt(outcome.receipt).refuse_code == "ukendt_lokationsnummer"


async def test_a_duplicate_is_one_line_in_the_log_without_personal_data(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    raw = fresh(_today(ggop("almen.xml")))
    assert (await _send(api, raw)).status_code == 201
    caplog.clear()  # only the duplicate's lines: the first delivery logs its own
    with caplog.at_level(logging.INFO, logger="genoptraening.medcom"):
        assert (await _send(api, raw)).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "genoptraening.medcom"]
    assert len(lines) == 1 and "duplicate" in lines[0]
    assert not any("0101459992" in line or "Testesen" in line for line in lines)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00<",
        b"<data>ok</data>",  # what a generic client makes of a string body
        b'<Emessage xmlns="urn:oio:medcom:municipality:1.0.4"/>',
        b'<Emessage xmlns="urn:oio:medcom:municipality:1.0.4"><Envelope xmlns="urn:oio:medcom:municipality:1.0.0">'
        b"<Identifier>X</Identifier></Envelope></Emessage>",  # ids, but no sender to answer
        "<?xml version='1.0' encoding='UTF-16'?><Emessage/>".encode("utf-16"),
        b"<a>\x00</a>",
        b"<a " + b'x="1" ' * 5000 + b"/>",
        ggop("almen.xml").replace(b"<Identifier>TESTLET0000001", b"<Identifier>" + b"L" * 300),
    ],
    ids=["empty", "bytes", "data", "bare", "no-sender", "utf16", "nul", "attributes", "long-letter-id"],
)
async def test_any_other_body_is_a_problem_never_a_server_error(api: Api, raw: bytes) -> None:
    response = await _send(api, raw)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert [error["field"] for error in response.json()["errors"]] == ["body"]
