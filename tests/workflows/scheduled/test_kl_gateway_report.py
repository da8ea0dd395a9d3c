"""The KL report workflow on Temporal's time-skipping server (real PostgreSQL): it builds and sends a
municipality's reports through its activities, records a run that keeps failing at the transport as failed
(ops see it in the status), and its schedule is created once (on the dev server, which has schedules)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.kl_gateway import queries
from activities.kl_gateway.activities import KlGatewayActivities
from activities.kl_gateway.reporting import ReportConfig
from activities.kl_gateway.schedule import ensure_kl_report_schedule
from activities.kl_gateway.transport import DirectoryTransport, KlTransport, KlTransportError
from activities.platform.db import Pool, open_pool
from activities.store.eventstore import EventStore
from tests.support import kl_gateway_scenarios as s
from tests.support.factories import make_append
from workflows.contracts.kl_gateway import KL_REPORT_SCHEDULE_ID, KL_REPORT_WORKFLOW, ReportRequest, RunSummary
from workflows.scheduled.kl_gateway_report import KlGatewayReportWorkflow

CONFIG = ReportConfig({"101": s.MUNICIPALITY_SOR, "147": "451000016011"}, {s.PROVIDER_ID: s.PROVIDER_SOR})


@pytest_asyncio.fixture(loop_scope="session")
async def own_pool(fresh_database_url: str) -> AsyncIterator[Pool]:
    opened = await open_pool(fresh_database_url, min_size=1, max_size=4, application_name="kl-workflow-tests")
    try:
        yield opened
    finally:
        await opened.close()


class BrokenTransport:
    async def send(self, municipality_code: str, report_id: str, bundle: dict[str, Any]) -> str:
        raise KlTransportError("KL Gateway answered 503")


async def run_reports(env: WorkflowEnvironment, pool: Pool, transport: KlTransport) -> RunSummary:
    task_queue = f"kl-{uuid.uuid4()}"
    parts = KlGatewayActivities(pool, transport, CONFIG)
    async with Worker(
        env.client,
        task_queue=task_queue,
        workflows=[KlGatewayReportWorkflow],
        activities=[parts.begin_runs, parts.report_batch, parts.finish_run],
    ):
        summary: RunSummary = await env.client.execute_workflow(
            KL_REPORT_WORKFLOW,
            ReportRequest(),
            id=f"kl-gateway-test-{uuid.uuid4()}",
            task_queue=task_queue,
            result_type=RunSummary,
        )
        return summary


async def test_the_scheduled_workflow_reports_every_configured_municipality(
    own_pool: Pool, time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    store = EventStore(own_pool)
    await store.append(make_append("case-w1", s.play("case-w1", s.on_time())))
    await store.append(make_append("case-w2", s.play("case-w2", s.transferred())))
    summary = await run_reports(time_skipping_env, own_pool, DirectoryTransport(tmp_path))
    # 101: both citizens' cases (one transferred away); 147: the transferred case.
    assert summary == RunSummary(municipalities=2, sent=2, refused=0, failed_municipalities=0)
    assert len(list((tmp_path / "101").glob("*.json"))) == 1  # one citizen (the same CPR) in 101
    assert len(list((tmp_path / "147").glob("*.json"))) == 1
    # The next scheduled run starts where this one ended: nothing changed, nothing goes out.
    again = await run_reports(time_skipping_env, own_pool, DirectoryTransport(tmp_path))
    assert again.sent == 0 and again.failed_municipalities == 0
    status = {row["municipality_code"]: row for row in await queries.status(own_pool)}
    assert status["101"]["status"] == "succeeded" and status["101"]["failed_runs"] == 0


async def test_a_transport_that_keeps_failing_is_retried_then_the_run_is_recorded_failed(
    own_pool: Pool, time_skipping_env: WorkflowEnvironment
) -> None:
    await EventStore(own_pool).append(make_append("case-w3", s.play("case-w3", s.free_choice_declined())))
    summary = await run_reports(time_skipping_env, own_pool, BrokenTransport())
    assert summary.failed_municipalities >= 1
    status = {row["municipality_code"]: row for row in await queries.status(own_pool)}
    assert status["101"]["status"] == "failed" and status["101"]["failure"] == "KlTransportError"
    # The kind of failure, not its text ("KL Gateway answered 503"): no recorded text quotes the transport's message.
    assert not [value for row in status.values() for value in row.values() if isinstance(value, str) and "503" in value]


async def test_the_report_schedule_is_created_once(dev_server_env: WorkflowEnvironment) -> None:
    client: Client = dev_server_env.client
    try:  # a worker started by another module of the run made it on the shared server: start from none
        await client.get_schedule_handle(KL_REPORT_SCHEDULE_ID).delete()
    except RPCError:
        pass
    try:
        assert await ensure_kl_report_schedule(client, "q-kl", 24) is True
        assert await ensure_kl_report_schedule(client, "q-kl", 12) is False  # already there: updated
        described = await client.get_schedule_handle(KL_REPORT_SCHEDULE_ID).describe()
        (interval,) = described.schedule.spec.intervals
        assert interval.every.total_seconds() == 12 * 3600
        assert described.schedule.policy.overlap.name == "SKIP"
    finally:
        await client.get_schedule_handle(KL_REPORT_SCHEDULE_ID).delete()
