"""GET /reports/start-guarantee and GET /cases/{id}?as_of through the API, on the dozen citizens of
tests/support/guarantee_scenario.py in a database of their own: figures, formats, scope by role, as_of, bad input."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from activities.platform.db import Pool
from activities.sealing.citizen_keys import destroy_key
from activities.sealing.personal_data import ERASED_TEXT
from activities.store.eventstore import EventStore
from api.auth.principal import Role
from api.main import create_app
from api.routes.start_guarantee import ReportFormat, _format
from tests.support.api_helpers import api_client, settings_for
from tests.support.auth_helpers import bearer
from tests.support.guarantee_scenario import (
    EXPECTED_AFTER_CORRECTION,
    EXPECTED_BEFORE_CORRECTION,
    Citizen,
    correct_error,
    play,
)
from tests.support.retention_helpers import new_cpr, new_name

HOME, OTHER = "147", "851"
PERIOD = {"from": "2026-01-01", "to": "2026-03-31"}


@dataclass
class Reported:
    http: httpx.AsyncClient
    pool: Pool
    citizens: dict[str, Citizen]
    before_correction: datetime


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def reported(postgres_server_url: str) -> AsyncIterator[Reported]:
    from tests.support.databases import temporary_pool

    async with temporary_pool(postgres_server_url, max_size=4) as pool:
        citizens = await play(EventStore(pool), HOME, OTHER)
        before = datetime.now(UTC)
        await correct_error(citizens)
        app = create_app(pool=pool, settings=settings_for("reports-tests"))
        async with api_client(app, pool) as http:
            yield Reported(http, pool, citizens, before)


def _figures(body: dict[str, Any], code: str) -> dict[str | None, dict[str, Any]]:
    (municipality,) = [m for m in body["municipalities"] if m["municipality_code"] == code]
    exclude = {"month", "missed_plans"}
    return {
        f["month"]: {k: v for k, v in f.items() if k not in exclude}
        for f in [*municipality["months"], municipality["period"]]
    }


async def _get(reported: Reported, headers: dict[str, str], **params: str) -> httpx.Response:
    return await reported.http.get("/reports/start-guarantee", params={**PERIOD, **params}, headers=headers)


async def test_a_caseworker_reads_its_figures_now_and_as_they_stood(reported: Reported) -> None:
    caseworker = bearer(Role.CASEWORKER, municipality=HOME)
    now = await _get(reported, caseworker)
    assert now.status_code == 200, now.text
    body = now.json()
    assert _figures(body, HOME) == EXPECTED_AFTER_CORRECTION
    assert [m["municipality_code"] for m in body["municipalities"]] == [HOME]
    march = body["municipalities"][0]["months"][2]
    assert march["missed_plans"] == [{"case_id": reported.citizens["J"].case_id, "reason": "fejl"}]
    assert body["reason_labels"]["frit_valg_afslaaet"] == "FritValg afslået"
    then = await _get(reported, caseworker, as_of=reported.before_correction.isoformat())
    assert _figures(then.json(), HOME) == EXPECTED_BEFORE_CORRECTION
    async with reported.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM access_log WHERE search_criterion->>'report' = 'start-guarantee'"
            " AND search_criterion->>'municipality' = %s",
            (HOME,),
        )
        row = await cursor.fetchone()
    assert row is not None and row[0] >= 2


async def test_csv_and_html(reported: Reported) -> None:
    caseworker = bearer(Role.CASEWORKER, municipality=HOME)
    answer = await _get(reported, {**caseworker, "Accept": "text/csv"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    period = next(row for row in rows if row["month"] == "period")
    assert (period["in_scope"], period["kept"], period["missed"], period["share_kept"]) == ("14", "6", "6", "0.5000")
    assert (period["missed_fejl"], period["missed_unexplained"]) == ("1", "2")
    assert (await _get(reported, caseworker, format="csv")).text == answer.text
    page = await _get(reported, {**caseworker, "Accept": "text/html,application/xhtml+xml"})
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    for expected in ("Startgaranti", "sundhedsloven § 140, stk. 4", "<svg", "jan 2026 – mar 2026", "50 %", "6 af 12"):
        assert expected in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in html
    assert reported.citizens["J"].case_id in html  # the municipality's own people see which cases missed


async def test_ops_and_a_national_reader_see_every_municipality_without_cases(reported: Reported) -> None:
    for headers in (bearer(Role.OPS), bearer(Role.REPORT_READER, national=True)):
        body = (await _get(reported, headers)).json()
        assert _figures(body, HOME) == EXPECTED_AFTER_CORRECTION
        assert all(f["missed_plans"] is None for m in body["municipalities"] for f in [*m["months"], m["period"]])
        html = (await _get(reported, headers, format="html")).text
        assert reported.citizens["J"].case_id not in html
    local_reader = (await _get(reported, bearer(Role.REPORT_READER, municipality=HOME))).json()
    assert local_reader["municipalities"][0]["period"]["missed_plans"] is None


@pytest.mark.parametrize(
    ("role", "scope", "params", "status"),
    [
        (Role.CASEWORKER, {"municipality": HOME}, {"municipality": OTHER}, 403),
        (Role.MUNICIPAL_ADMIN, {"municipality": HOME}, {"municipality": OTHER}, 403),
        (Role.REPORT_READER, {"municipality": HOME}, {"municipality": OTHER}, 403),
        (Role.REPORT_READER, {}, {}, 403),  # neither a municipality nor the national claim
        (Role.AUDITOR, {"national": True}, {}, 403),
        (Role.HOSPITAL, {"sor": "227871000016001"}, {}, 403),
        (Role.MUNICIPAL_ADMIN, {"municipality": HOME}, {}, 200),
    ],
)
async def test_scope(
    reported: Reported, role: Role, scope: dict[str, Any], params: dict[str, str], status: int
) -> None:
    assert (await _get(reported, bearer(role, **scope), **params)).status_code == status


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "2026-03-01T10:00:00"}, "query.as_of"),  # no offset
        ({"as_of": "yesterday"}, "query.as_of"),
        ({"as_of": (datetime.now(UTC) + timedelta(days=2)).isoformat()}, "query.as_of"),
        ({"from": "2026-04-01", "to": "2026-03-01"}, "query.from"),
        ({"from": "2020-01-01", "to": "2026-03-01"}, "query.to"),
        ({"level": "specialiseret"}, "query.level"),
        ({"format": "pdf"}, "query.format"),
        ({"as_of": "0001-01-01T00:00:00+05:00"}, "query.as_of"),  # before any plan; no overflow either
        ({"to": "0"}, "query.to"),  # a number is no date (lax parsing would read 1970-01-01)
        ({"from": "20260101"}, "query.from"),
        ({"as_of": "1780000000"}, "query.as_of"),  # nor a Unix time an instant
    ],
)
async def test_bad_input_is_422_naming_the_field(reported: Reported, params: dict[str, str], field: str) -> None:
    answer = await _get(reported, bearer(Role.OPS), **params)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert field in [error["field"] for error in answer.json()["errors"]]


@pytest.mark.parametrize(
    "params",
    [
        {"to": "0001-01-15"},
        {"to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-12-31"},
        {"to": "2026-12-01"},
        {"as_of": "2000-01-01T00:30:00+05:00"},  # written on 2000-01-01, as the schema's pattern takes it
    ],
)
async def test_odd_but_valid_periods_answer_an_empty_report(reported: Reported, params: dict[str, str]) -> None:
    answer = await reported.http.get("/reports/start-guarantee", params=params, headers=bearer(Role.OPS))
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["municipalities"]) <= 1


async def test_a_case_as_it_stood(reported: Reported) -> None:
    citizen = reported.citizens["J"]
    caseworker = bearer(Role.CASEWORKER, municipality=HOME)
    url = f"/cases/{citizen.case_id}"
    now = await reported.http.get(url, headers=caseworker)
    then = await reported.http.get(url, params={"as_of": reported.before_correction.isoformat()}, headers=caseworker)
    assert now.status_code == then.status_code == 200, then.text
    assert (now.json()["status"], now.json()["guarantee_status_reason"]) == ("closed", "fejl")
    assert (then.json()["status"], then.json()["guarantee_status_reason"]) == ("received", None)
    assert then.json()["plan"]["patient"]["cpr"] == now.json()["plan"]["patient"]["cpr"]
    assert "etag" not in then.headers and now.headers["etag"]
    # The past is scoped like the present: another municipality's caseworker gets 404.
    elsewhere = bearer(Role.CASEWORKER, municipality=OTHER)
    assert (
        await reported.http.get(url, params={"as_of": "2026-01-01T00:00:00Z"}, headers=elsewhere)
    ).status_code == 404
    assert (
        await reported.http.get(url, params={"as_of": "2020-01-01T00:00:00Z"}, headers=caseworker)
    ).status_code == 404
    for bad in (
        "2026-03-01T10:00:00",
        "not-a-time",
        "1780000000",
        (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    ):
        answer = await reported.http.get(url, params={"as_of": bad}, headers=caseworker)
        assert answer.status_code == 422 and "query.as_of" in [e["field"] for e in answer.json()["errors"]]


async def test_an_erased_citizen_reads_as_erased_in_the_past_too(reported: Reported) -> None:
    citizen = Citizen(EventStore(reported.pool), "461")  # a municipality of its own: the scenario's figures stay
    await citizen.receive(date(2026, 3, 20), patient={"cpr": new_cpr(), "name": new_name()})
    before = datetime.now(UTC)
    caseworker = bearer(Role.CASEWORKER, municipality="461")
    url = f"/cases/{citizen.case_id}"
    then = await reported.http.get(url, params={"as_of": before.isoformat()}, headers=caseworker)
    assert then.status_code == 200 and then.json()["plan"]["patient"]["cpr"] != ERASED_TEXT
    async with reported.pool.connection() as conn:
        cursor = await conn.execute("SELECT key_id FROM citizen_streams WHERE stream_id = %s", (citizen.case_id,))
        found = await cursor.fetchone()
        assert found is not None and await destroy_key(conn, found[0], "erasure_request")
    then = await reported.http.get(url, params={"as_of": before.isoformat()}, headers=caseworker)
    assert then.status_code == 200, then.text
    assert (then.json()["plan"]["patient"]["cpr"], then.json()["plan"]["patient"]["name"]) == (ERASED_TEXT, ERASED_TEXT)
    # The report holds no personal data: the erased citizen's plan still counts.
    body = (await _get(reported, caseworker)).json()
    assert body["municipalities"][0]["months"][2]["in_scope"] == 1


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", ReportFormat.JSON),
        ("*/*", ReportFormat.JSON),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", ReportFormat.HTML),  # a browser
        ("application/json, text/html;q=0.1", ReportFormat.JSON),
        ("text/csv", ReportFormat.CSV),
        ("text/csv;q=0.5, text/html;q=0.9", ReportFormat.HTML),
        ("text/html;q=0", ReportFormat.JSON),  # q=0: not acceptable
        ("text/csv;q=oops", ReportFormat.JSON),
    ],
)
def test_the_accept_header_chooses_the_format(accept: str, expected: ReportFormat) -> None:
    assert _format(None, accept) is expected
    assert _format(ReportFormat.CSV, accept) is ReportFormat.CSV  # `format` wins
