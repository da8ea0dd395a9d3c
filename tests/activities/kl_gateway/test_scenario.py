"""The dozen citizens of tests/support/guarantee_scenario.py (January to March 2026) reported to KL: the bundle each
municipality sends, case by case, then the error corrected after reporting (J's plan sent in error) going out
again alone. The test citizens share one CPR number, so each municipality sends one bundle holding every case."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest_asyncio

from activities.kl_gateway import codes
from activities.kl_gateway.reporting import ReportConfig, report_batch
from activities.kl_gateway.resources import resource_id
from activities.kl_gateway.store import start_run
from activities.kl_gateway.transport import DirectoryTransport
from activities.platform.db import Pool, open_pool
from activities.store.eventstore import EventStore
from tests.support.guarantee_scenario import Citizen, correct_error, play
from workflows.contracts.kl_gateway import BatchRequest, RunPlan

HOME, OTHER = "101", "147"
SOR = {HOME: "451000016003", OTHER: "451000016011"}
REASON = {code: reason.value for reason, (code, _) in codes.STATUS_REASON.items()}


@pytest_asyncio.fixture(loop_scope="session")
async def own_pool(fresh_database_url: str) -> AsyncIterator[Pool]:
    opened = await open_pool(fresh_database_url, min_size=1, max_size=4, application_name="kl-scenario-tests")
    try:
        yield opened
    finally:
        await opened.close()


def config(citizens: dict[str, Citizen]) -> ReportConfig:
    providers = {}
    for citizen in citizens.values():
        if citizen.state is not None and citizen.state.provider is not None:
            providers[citizen.state.provider.provider_id] = "1037801000016003"
    return ReportConfig(SOR, providers)


async def report(pool: Pool, root: Path, run_id: str, municipality: str, cfg: ReportConfig) -> list[dict[str, Any]]:
    run = RunPlan(run_id=run_id, municipality_code=municipality, period_from=None,
                  period_to=datetime(2026, 4, 1, tzinfo=UTC))  # fmt: skip
    async with pool.connection() as conn:
        await start_run(conn, run_id, municipality, "cli", None, run.period_to)
    result = await report_batch(pool, DirectoryTransport(root / run_id), cfg, BatchRequest(run=run))
    assert result.refused == 0
    return [e["resource"] for path in (root / run_id).rglob("*.json") for e in _json(path)["entry"]]


def _json(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def requests_by_case(
    resources: list[dict[str, Any]], citizens: dict[str, Citizen], municipality: str = HOME
) -> dict[str, list[dict[str, Any]]]:
    """Each citizen's ServiceRequests (first plan, then a replacing one), found by their stable ids."""
    by_id = {r["id"]: r for r in resources if r["resourceType"] == "ServiceRequest"}
    found: dict[str, list[dict[str, Any]]] = {}
    for name, citizen in citizens.items():
        for seq in ("0", "1"):
            rid = resource_id(municipality, "service-request", citizen.case_id, seq)
            if rid in by_id:
                found.setdefault(name, []).append(by_id[rid])
    return found


def reason_of(request: dict[str, Any]) -> str | None:
    found = [e for e in request["extension"] if e["url"] == codes.EXT_STATUS_REASON]
    return REASON[found[0]["valueCodeableConcept"]["coding"][0]["code"]] if found else None


def summary(request: dict[str, Any]) -> tuple[str, str | None, str | None]:
    return request["status"], reason_of(request), request.get("occurrencePeriod", {}).get("start")


async def test_the_dozen_citizens_bundles_and_the_correction_after_reporting(own_pool: Pool, tmp_path: Path) -> None:
    citizens = await play(EventStore(own_pool), HOME, OTHER)
    cfg = config(citizens)
    home = await report(own_pool, tmp_path, "first", HOME, cfg)
    by_case = requests_by_case(home, citizens)
    expected = {
        "A": ("active", None, "2026-01-09"),  # kept
        "B": ("active", None, "2026-01-21"),  # missed; KL has no reason for a plan that reached us late
        "D": ("active", None, "2026-01-26"),  # postponed by the citizen: no KL reason
        "E": ("active", "frit_valg", "2026-01-28"),
        "C": ("active", "udskudt", "2026-02-06"),  # later than 7 days after discharge: the plan asked for it
        "F": ("active", "frit_valg_afslaaet", "2026-02-16"),
        "H": ("on-hold", "anden_kommune", None),  # the home municipality's copy of a case handed on
        "I": ("active", None, "2026-03-06"),  # the first offered date, though that appointment was cancelled
        "J": ("active", None, None),  # not yet known to be an error
        "L": ("active", None, "2026-03-16"),
        "M": ("revoked", None, None),  # opted out before any course was granted
        "N": ("active", "udskudt", "2026-03-20"),  # the later start the caseworker confirmed from the text
    }
    for name, want in expected.items():
        (request,) = by_case[name]
        assert summary(request) == want, name
    old, new = by_case["G"]
    assert summary(old)[0] == "revoked" and new["replaces"] == [{"reference": f"urn:uuid:{old['id']}"}]
    categories = {name: [c["coding"][0]["display"] for c in by_case[name][0]["category"]] for name in ("K", "L")}
    assert categories == {"K": ["specialiseret"], "L": ["rehabilitering"]}
    plans = [r for r in home if r["resourceType"] == "CarePlan"]
    assert len(plans) == 10  # A B C D E F G(new) I L N chose a provider in 101 (H chose in 147; J K M none)
    assert len([r for r in home if r["resourceType"] == "Patient"]) == 1
    # The receiving municipality reports H as its own, received on the day of the transfer.
    theirs = await report(own_pool, tmp_path, "first-147", OTHER, cfg)
    (received,) = [r for r in theirs if r["resourceType"] == "ServiceRequest"]
    assert received["authoredOn"] == "2026-02-18" and summary(received) == ("active", "anden_kommune", "2026-03-02")
    # The error corrected after reporting: only J's GOP goes out again, with what it references.
    await correct_error(citizens)
    again = await report(own_pool, tmp_path, "second", HOME, cfg)
    requests = [r for r in again if r["resourceType"] == "ServiceRequest"]
    assert [summary(r) for r in requests] == [("revoked", "fejl", None)]
    assert sorted(r["resourceType"] for r in again) == ["Condition", "Organization", "Patient", "ServiceRequest"]
