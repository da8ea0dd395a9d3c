"""Reports against a real PostgreSQL: built from the event store, sent through the directory transport,
recorded sealed; a second run sends only what changed, a correction goes out again, a withdrawn course goes
out as entered-in-error, a report that breaks a rule is not sent and names the case and the rule."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from activities.kl_gateway.reporting import ReportConfig, report_batch
from activities.kl_gateway.store import finish_run, start_run
from activities.kl_gateway.transport import DirectoryTransport
from activities.platform.db import Pool, open_pool
from activities.store.eventstore import EventStore
from tests.support import kl_gateway_scenarios as s
from tests.support.factories import SYNTHETIC_CPR, make_append, make_command, make_provider
from workflows.contracts.kl_gateway import BatchRequest, RunPlan
from workflows.domain.commands import ChooseProvider, ReclassifyAlmenLevel, RecordProviderRefusal
from workflows.domain.events import CaseEvent
from workflows.domain.model import AlmenSubLevel, ProviderKind

CONFIG = ReportConfig({"101": s.MUNICIPALITY_SOR}, {s.PROVIDER_ID: s.PROVIDER_SOR})


@pytest_asyncio.fixture(loop_scope="session")
async def own_pool(fresh_database_url: str) -> AsyncIterator[Pool]:
    opened = await open_pool(fresh_database_url, min_size=1, max_size=4, application_name="kl-gateway-tests")
    try:
        yield opened
    finally:
        await opened.close()


async def run(pool: Pool, root: Path, run_id: str, at: datetime, config: ReportConfig = CONFIG) -> dict[str, int]:
    plan = RunPlan(run_id=run_id, municipality_code="101", period_from=None, period_to=at)
    async with pool.connection() as conn:
        await start_run(conn, run_id, "101", "cli", None, at)
    result = await report_batch(pool, DirectoryTransport(root), config, BatchRequest(run=plan))
    async with pool.connection() as conn:
        await finish_run(conn, run_id, None)
    return {"sent": result.sent, "unchanged": result.unchanged, "refused": result.refused}


def bundles(root: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted((root / "101").glob("*.json"))]


def kinds(bundle: dict[str, Any]) -> list[str]:
    return sorted(entry["resource"]["resourceType"] for entry in bundle["entry"])


async def append(store: EventStore, case_id: str, events: list[CaseEvent], version: int = 0) -> int:
    await store.append(make_append(case_id, events, version))
    return version + len(events)


@pytest.mark.asyncio(loop_scope="session")
async def test_reports_are_incremental_correctable_and_sealed(own_pool: Pool, tmp_path: Path) -> None:
    store = EventStore(own_pool)
    events = s.play("case-a", s.on_time())
    version = await append(store, "case-a", events)
    assert await run(own_pool, tmp_path, "run-1", s.day(30)) == {"sent": 1, "unchanged": 0, "refused": 0}
    (first,) = bundles(tmp_path)
    assert kinds(first) == ["CarePlan", "Condition", "Organization", "Organization", "Patient", "ServiceRequest"]
    # Nothing changed: nothing goes out.
    assert await run(own_pool, tmp_path, "run-2", s.day(31)) == {"sent": 0, "unchanged": 1, "refused": 0}
    # A correction (basal -> avanceret) goes out again, with what it references, the course not.
    reclassify = make_command(ReclassifyAlmenLevel, sub_level=AlmenSubLevel.AVANCERET, reason="rettet")
    corrected = s.play("case-a", [*s.on_time(), (s.day(32), reclassify)])[len(events) :]
    version = await append(store, "case-a", corrected, version)
    assert (await run(own_pool, tmp_path, "run-3", s.day(33)))["sent"] == 1
    second = next(b for b in bundles(tmp_path) if b["id"] != first["id"])
    assert kinds(second) == ["Condition", "Organization", "Patient", "ServiceRequest"]
    # The DB holds no CPR in clear anywhere in the report tables.
    async with own_pool.connection() as conn:
        for table in ("kl_reports", "kl_reported_resources", "kl_report_runs", "kl_report_problems"):
            cursor = await conn.execute(f"SELECT t::text FROM {table} t")  # fixed table names
            assert all(SYNTHETIC_CPR not in row[0] for row in await cursor.fetchall())
        cursor = await conn.execute("SELECT count(*) FROM kl_reported_resources WHERE changed")
        assert (await cursor.fetchone()) == (7,)  # six at first, then the corrected GOP


@pytest.mark.asyncio(loop_scope="session")
async def test_a_course_that_no_longer_holds_goes_out_as_entered_in_error(own_pool: Pool, tmp_path: Path) -> None:
    store = EventStore(own_pool)
    other = make_provider(kind=ProviderKind.OWN, municipality_code="147")
    steps = [*s.intake(), (s.day(2), make_command(ChooseProvider, provider=other))]
    events = s.play("case-b", steps)
    version = await append(store, "case-b", events)
    assert (await run(own_pool, tmp_path, "run-b1", s.day(5)))["sent"] == 1
    refused = make_command(RecordProviderRefusal, reason="fuldt booket")
    await append(store, "case-b", s.play("case-b", [*steps, (s.day(6), refused)])[len(events) :], version)
    assert (await run(own_pool, tmp_path, "run-b2", s.day(7)))["sent"] == 1
    latest = bundles(tmp_path)
    withdrawn = [e["resource"] for b in latest for e in b["entry"] if e["resource"].get("status") == "entered-in-error"]
    assert [r["resourceType"] for r in withdrawn] == ["CarePlan"]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_report_that_breaks_a_rule_is_not_sent_and_the_run_names_case_and_rule(
    own_pool: Pool, tmp_path: Path
) -> None:
    await append(EventStore(own_pool), "case-c", s.play("case-c", s.on_time()))
    unmapped = ReportConfig({"101": s.MUNICIPALITY_SOR}, {})  # the provider has no SOR code
    result = await run(own_pool, tmp_path, "run-c", s.day(30), unmapped)
    assert result["refused"] >= 1
    assert not any(e["resource"]["id"] for b in bundles(tmp_path) for e in b["entry"] if "case-c" in json.dumps(b))
    async with own_pool.connection() as conn:
        cursor = await conn.execute("SELECT case_id, rule FROM kl_report_problems WHERE run_id = 'run-c'")
        assert ("case-c", "organization-identifier") in await cursor.fetchall()


def test_the_directory_transport_refuses_paths_outside_its_root(tmp_path: Path) -> None:
    from activities.kl_gateway.transport import KlTransportError

    with pytest.raises(KlTransportError):
        DirectoryTransport(tmp_path).path_of("../etc", "00000000-0000-0000-0000-000000000000")


@pytest.mark.asyncio(loop_scope="session")
async def test_the_command_reports_a_municipality_and_prints_counts_only(
    own_pool: Pool, fresh_database_url: str, tmp_path: Path
) -> None:
    await append(EventStore(own_pool), "case-cli", s.play("case-cli", s.on_time()))
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database_url,
        "KL_GATEWAY_DIR": str(tmp_path),
        "KL_GATEWAY_MUNICIPALITY_SOR_IDS": json.dumps({"101": s.MUNICIPALITY_SOR}),
        "KL_GATEWAY_PROVIDER_SOR_IDS": json.dumps({s.PROVIDER_ID: s.PROVIDER_SOR}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "activities.kl_gateway", "report", "--municipality", "101",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output = (await process.communicate())[0].decode()
    assert process.returncode == 0, output
    assert "1 sent" in output and SYNTHETIC_CPR not in output
    assert len(bundles(tmp_path)) >= 1


@pytest.mark.asyncio(loop_scope="session")
async def test_a_citizen_whose_cases_fall_in_two_batches_gets_two_reports_not_one_overwritten(
    own_pool: Pool, tmp_path: Path
) -> None:
    store = EventStore(own_pool)
    await append(store, "case-d1", s.play("case-d1", s.on_time()))
    await append(store, "case-d2", s.play("case-d2", s.free_choice_declined()))
    plan = RunPlan(run_id="run-d", municipality_code="101", period_from=s.day(0), period_to=s.day(30))
    async with own_pool.connection() as conn:
        await start_run(conn, plan.run_id, "101", "cli", plan.period_from, plan.period_to)
    after: str | None = "case-d0"  # the two cases only (ids sort after it, before other tests' "case-e...")
    sent = 0
    while after is not None and after < "case-d3":
        request = BatchRequest(run=plan, after_case_id=after, limit=1)
        result = await report_batch(own_pool, DirectoryTransport(tmp_path), CONFIG, request)
        sent, after = sent + result.sent, result.next_after_case_id
    assert sent == 2
    assert len(bundles(tmp_path)) == 2
