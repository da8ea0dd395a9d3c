"""The probes: liveness answers without dependencies, readiness names what is down (API and worker).

Against PostgreSQL and the Temporal dev server; a Temporal outage is a lazy client on a port nothing listens on.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.platform.db import Pool
from activities.runtime.worker_health import WorkerHealthSettings, health_app, serving_health
from api.main import create_app
from tests.api.auth.test_support import JwksServer, RsaIssuer
from tests.support.api_helpers import PROBLEM_JSON, api_client, settings_for
from tests.support.temporal_fixtures import NAMESPACE
from workflows.cases.workflow import CaseWorkflow


async def _temporal_down() -> Client:
    # Nothing listens on port 9 (discard): the lazy client connects on first use and fails.
    return await Client.connect("127.0.0.1:9", lazy=True, data_converter=pydantic_data_converter)


def _failures_logged(caplog: pytest.LogCaptureFixture, logger: str) -> set[str]:
    """The readiness failures the probe's own logger wrote: the error's type only, never its message."""
    return {record.getMessage() for record in caplog.records if record.name == logger and "check failed" in record.msg}


async def _becomes_alive(http: httpx.AsyncClient) -> bool:
    """The worker's run task marks it started on its first step, just after `async with` enters."""
    for _ in range(50):
        if (await http.get("/livez")).status_code == 200:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_api_ready_when_both_dependencies_answer(dev_server_env: WorkflowEnvironment, pool: Pool) -> None:
    app = create_app(pool=pool, temporal_client=dev_server_env.client, settings=settings_for("unused"))
    async with api_client(app, pool) as http:
        for path in ("/livez", "/readyz", "/health"):
            answer = await http.get(path)
            assert answer.status_code == 200, (path, answer.text)
        assert (await http.get("/readyz")).json() == {
            "status": "ok",
            "postgres": "ok",
            "temporal": "ok",
            "issuer_keys": "ok",
        }


async def test_api_readiness_fails_while_no_token_issuer_key_is_loaded(
    dev_server_env: WorkflowEnvironment, pool: Pool
) -> None:
    """Without a key every request would be refused: the replica is not ready until the issuer's JWKS answers."""
    broker = RsaIssuer()
    broker.add_key("k1")
    server = JwksServer(broker)
    server.stop()  # the issuer cannot be reached yet
    try:
        for source in ({}, {"auth_jwks_url": server.url, "auth_jwks_timeout_seconds": 1}):
            issuer = {"auth_issuer": broker.issuer, "auth_audience": broker.audience, "auth_algorithms": ("RS256",)}
            settings = settings_for("unused", auth_public_key_file=None, **issuer, **source)
            app = create_app(pool=pool, temporal_client=dev_server_env.client, settings=settings)
            async with api_client(app, pool) as http:
                for path in ("/readyz", "/health"):
                    ready = await http.get(path)
                    assert ready.status_code == 503 and ready.headers["content-type"] == PROBLEM_JSON, ready.text
                    assert ready.json()["detail"] == "No token issuer key loaded"  # PostgreSQL, Temporal are up
                assert (await http.get("/livez")).status_code == 200
                if source:
                    server.start()
                    ready = await http.get("/readyz")
                    assert ready.status_code == 200 and ready.json()["issuer_keys"] == "ok", ready.text
                    token = broker.token("k1", roles=["ops"])
                    assert (await http.get("/cases", headers={"Authorization": f"Bearer {token}"})).status_code != 401
    finally:
        server.stop()


async def test_api_readiness_fails_and_liveness_stays_up_while_temporal_is_down(
    pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(pool=pool, temporal_client=await _temporal_down(), settings=settings_for("unused"))
    async with api_client(app, pool) as http:
        alive = await http.get("/livez")
        assert alive.status_code == 200 and alive.json() == {"status": "ok"}
        for path in ("/readyz", "/health"):  # /health is kept as an alias of /readyz
            ready = await http.get(path)
            assert ready.status_code == 503 and ready.headers["content-type"] == PROBLEM_JSON
            assert ready.json()["detail"] == "Not reachable: Temporal"  # PostgreSQL is up: only Temporal named
            assert ready.json()["type"].endswith("unhealthy")
    assert _failures_logged(caplog, "genoptraening.api") == {"readiness: Temporal check failed (RuntimeError)"}


async def test_worker_probes_follow_its_pollers_and_dependencies(
    dev_server_env: WorkflowEnvironment, pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    worker = Worker(dev_server_env.client, task_queue=f"probe-{uuid.uuid4().hex[:8]}", workflows=[CaseWorkflow])
    transport = httpx.ASGITransport(app=health_app(dev_server_env.client, pool, lambda: worker.is_running))
    async with httpx.AsyncClient(transport=transport, base_url="http://worker") as http:
        stopped = await http.get("/livez")  # not started yet: its poller is not running
        assert stopped.status_code == 503 and "poller" in stopped.json()["detail"]
        async with worker:
            assert await _becomes_alive(http)
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json() == {"status": "ok", "poller": "ok", "postgres": "ok", "temporal": "ok"}

    down = health_app(await _temporal_down(), pool, lambda: True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=down), base_url="http://worker") as http:
        assert (await http.get("/livez")).status_code == 200  # liveness never asks Temporal
        ready = await http.get("/readyz")
        assert ready.status_code == 503 and ready.headers["content-type"] == PROBLEM_JSON
        assert ready.json()["detail"] == "Not reachable: Temporal"
    logged = _failures_logged(caplog, "genoptraening.worker.health")
    assert logged == {"worker readiness: Temporal check failed (RuntimeError)"}


async def test_worker_serves_its_probes_on_a_port_and_runs_on_without_one(
    dev_server_env: WorkflowEnvironment, pool: Pool
) -> None:
    worker = Worker(dev_server_env.client, task_queue=f"probe-{uuid.uuid4().hex[:8]}", workflows=[CaseWorkflow])
    with socket.socket() as probe:  # a free port, released for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = WorkerHealthSettings(host="127.0.0.1", port=port)
    async with worker, serving_health(dev_server_env.client, pool, [worker], settings) as bound:
        assert bound == port
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert await _becomes_alive(http)
            assert (await http.get("/readyz")).status_code == 200
        # A second worker on the same machine cannot have the port: it runs without probes instead of failing.
        async with serving_health(dev_server_env.client, pool, [worker], settings) as second:
            assert second is None
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        try:
            await http.get("/livez", timeout=1)
            raise AssertionError("the probes outlived the worker")
        except httpx.ConnectError:
            pass


async def test_the_worker_process_serves_its_probes_and_stops_on_sigterm(
    dev_server_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": dev_server_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": NAMESPACE,
        "TEMPORAL_TASK_QUEUE": f"probe-{uuid.uuid4().hex[:8]}",
        "ALLOW_UNENCRYPTED_PAYLOADS": "true",
        "WORKER_HEALTH_HOST": "127.0.0.1",
        "WORKER_HEALTH_PORT": str(port),
        "WORKER_METRICS_PORT": "0",
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "activities.runtime.worker", env=env, stdout=log, stderr=log
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                ready = None
                for _ in range(120):  # connecting, creating its schedules, starting the pollers
                    try:
                        ready = await http.get("/readyz", timeout=5)
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.5)
                assert ready is not None, log_path.read_text(errors="replace")[-2000:]
                assert ready.status_code == 200 and ready.json()["poller"] == "ok", ready.text
        finally:
            worker.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(worker.wait(), timeout=40) == 0, log_path.read_text(errors="replace")[-2000:]


async def test_api_readiness_answers_in_bounded_time_when_temporal_hangs(pool: Pool) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts the connection and never answers a byte

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        hanging = await Client.connect(f"127.0.0.1:{port}", lazy=True, data_converter=pydantic_data_converter)
        app = create_app(pool=pool, temporal_client=hanging, settings=settings_for("unused"))
        async with api_client(app, pool) as http:
            started = asyncio.get_running_loop().time()
            ready = await http.get("/readyz")
            elapsed = asyncio.get_running_loop().time() - started
            assert ready.status_code == 503 and ready.json()["detail"] == "Not reachable: Temporal"
            assert elapsed < 6  # each check gives up after 3 s (CHECK_TIMEOUT_SECONDS), both run at once
            assert (await http.get("/livez")).status_code == 200
    finally:
        server.close()
