"""The KL Gateway report routes end to end (real PostgreSQL and Temporal dev server): the administrator starts a
run, lists what was sent, previews the next reports (access-logged as exports, since they hold the CPR); ops
read the status, counts only; bad input is a 422 problem naming the field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.kl_gateway.reporting import ReportConfig, report_batch
from activities.kl_gateway.store import finish_run, start_run
from activities.kl_gateway.transport import DirectoryTransport
from activities.platform.db import Pool
from api.auth.principal import Role
from tests.support.api_helpers import Api, fresh_plan, post_plan, running_api, unused_municipality
from tests.support.auth_helpers import bearer
from tests.support.factories import SYNTHETIC_CPR
from workflows.contracts.kl_gateway import KL_REPORT_WORKFLOW, BatchRequest, RunPlan

HOSPITAL_SOR = "451000016003"


@pytest_asyncio.fixture(loop_scope="session")
async def home(pool: Pool) -> str:
    return await unused_municipality(pool)


@pytest_asyncio.fixture(loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool, home: str) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool, kl_gateway_municipality_sor_ids={home: HOSPITAL_SOR}) as running:
        yield running


async def test_the_administrator_sends_lists_and_previews_and_ops_see_counts(
    api: Api, pool: Pool, home: str, tmp_path: Path
) -> None:
    admin = bearer(Role.MUNICIPAL_ADMIN, municipality=home)
    case = await post_plan(api.http, fresh_plan(home_municipality_code=home))
    assert case.status_code == 201, case.text
    case_id = case.json()["case_id"]
    # The preview: the bundle that would go out, with the citizen first; nothing is recorded.
    preview = await api.http.get(f"/reports/kl-gateway/{home}/preview", headers=admin)
    assert preview.status_code == 200, preview.text
    (item,) = preview.json()["items"]
    assert item["problems"] == []
    assert item["bundle"]["entry"][0]["resource"]["identifier"][0]["value"] == SYNTHETIC_CPR
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT action, purpose FROM access_log WHERE case_id = %s AND action = 'export'", (case_id,)
        )
        assert await cursor.fetchall() == [("export", "indberetning til KL (SUL §140)")]
    # On demand: the route starts the report workflow for this municipality.
    started = await api.http.post(f"/reports/kl-gateway/{home}", headers=admin)
    assert started.status_code == 202, started.text
    again = await api.http.post(f"/reports/kl-gateway/{home}", headers=admin)
    assert again.json() == started.json()  # one on-demand run per municipality at a time
    handle = api.env.client.get_workflow_handle(started.json()["workflow_id"])
    described = await handle.describe()
    assert described.workflow_type == KL_REPORT_WORKFLOW
    await handle.terminate("the test worker does not run KL reports")
    # A run as the worker makes it, then the list shows the run and the accepted report.
    run = RunPlan(run_id=f"api-test-{home}", municipality_code=home, period_from=None, period_to=datetime.now(UTC))
    async with pool.connection() as conn:
        await start_run(conn, run.run_id, home, "api", None, run.period_to)
    config = ReportConfig({home: HOSPITAL_SOR}, {})
    result = await report_batch(pool, DirectoryTransport(tmp_path), config, BatchRequest(run=run))
    async with pool.connection() as conn:
        await finish_run(conn, run.run_id, None)
    assert result.sent == 1
    listed = await api.http.get(f"/reports/kl-gateway/{home}", headers=admin)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [r["run_id"] for r in body["runs"]] == [run.run_id] and body["runs"][0]["citizens_sent"] == 1
    (sent,) = body["reports"]
    assert sent["changed"] == sent["resource_count"] and sent["entered_in_error"] == 0
    assert SYNTHETIC_CPR not in listed.text
    # Ops: every municipality's latest run, counts only.
    status = await api.http.get("/reports/kl-gateway", headers=bearer(Role.OPS))
    assert status.status_code == 200
    mine = [row for row in status.json() if row["municipality_code"] == home]
    assert mine[0]["citizens_sent"] == 1 and SYNTHETIC_CPR not in status.text and case_id not in status.text


async def test_bad_input_is_a_problem_naming_the_field(api: Api, home: str) -> None:
    admin = bearer(Role.MUNICIPAL_ADMIN, municipality=home)
    backwards = await api.http.post(
        f"/reports/kl-gateway/{home}",
        params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        headers=admin,
    )
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "query.from"
    future = await api.http.post(f"/reports/kl-gateway/{home}", params={"to": "2999-01-01T00:00:00Z"}, headers=admin)
    assert future.status_code == 422 and future.json()["errors"][0]["field"] == "query.to"
    for bad in ("2026-01-01T00:00:00", "0.5", "2026-02-30T00:00:00Z"):  # no offset, no instant, no such day
        answer = await api.http.post(f"/reports/kl-gateway/{home}", params={"to": bad}, headers=admin)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "query.to", bad
    other = await api.http.get("/reports/kl-gateway/999/preview", headers=admin)
    assert other.status_code == 422
    elsewhere = await api.http.get("/reports/kl-gateway/101", headers=admin)
    assert elsewhere.status_code == 403 if home != "101" else 200
