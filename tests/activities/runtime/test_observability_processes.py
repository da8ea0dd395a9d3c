"""Every process logs in the one format: the worker and the API (uvicorn's own lines included), started as
real processes with stderr a pipe (not a terminal), write nothing but JSON lines with the same fields. The worker
also serves its metrics port with the Temporal SDK's series merged in, and forwards the core's logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.sealing.payload_codec import new_key_ring_entry
from tests.support import auth_helpers
from tests.support.paths import ROOT
from tests.support.temporal_fixtures import NAMESPACE

FIELDS = {"time", "level", "logger", "message", "service", "trace_id", "span_id"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(env: WorkflowEnvironment, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": NAMESPACE,
        "TEMPORAL_TASK_QUEUE": f"log-format-{free_port()}",
        "PAYLOAD_ENCRYPTION_KEYS": new_key_ring_entry("k1"),
        "ALLOW_EPHEMERAL_CITIZEN_KEYS": "true",
        "DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER": "true",  # letters from the placeholder CVR, as `make run`'s
        **extra,
    }


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def parsed(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.lines]


@asynccontextmanager
async def process(argv: list[str], env: dict[str, str], until: str) -> AsyncIterator[Lines]:
    """The process, until a stderr line contains `until`; stopped with SIGTERM at the end."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, *argv, cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    assert child.stderr is not None
    lines = Lines()

    async def read() -> None:
        assert child.stderr is not None
        async for raw in child.stderr:
            lines.lines.append(raw.decode("utf-8").rstrip("\n"))

    reader = asyncio.create_task(read())
    try:
        async with asyncio.timeout(60):
            while not any(until in line for line in lines.lines):
                assert child.returncode is None, "\n".join(lines.lines)
                await asyncio.sleep(0.1)
        yield lines
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                await child.wait()
        await reader


def assert_one_format(lines: Lines, service: str) -> list[dict[str, object]]:
    assert lines.lines
    records = []
    for line in lines.lines:
        assert "\x1b[" not in line, line  # no colour codes
        record = json.loads(line)  # every line, whoever wrote it, is one JSON object
        assert FIELDS <= record.keys() and record["service"] == service, line
        records.append(record)
    return records


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return str(answer.read().decode("utf-8"))


async def test_the_worker_logs_json_lines_and_serves_its_and_the_sdks_metrics(
    dev_server_env: WorkflowEnvironment, database_url: str
) -> None:
    port = free_port()
    env = environment(
        dev_server_env,
        database_url,
        WORKER_METRICS_PORT=str(port),
        WORKER_METRICS_HOST="127.0.0.1",
        WORKER_SDK_METRICS_ADDRESS=f"127.0.0.1:{free_port()}",
    )
    async with process(["-m", "activities.runtime.worker"], env, until="worker polling") as lines:
        metrics = ""
        for _ in range(50):  # the SDK's series appear with the first poll
            metrics = await asyncio.to_thread(fetch, f"http://127.0.0.1:{port}/metrics")
            if "temporal_" in metrics:
                break
            await asyncio.sleep(0.2)
    records = assert_one_format(lines, "genoptraening-worker")
    assert any(r["logger"] == "genoptraening.metrics" and str(port) in str(r["message"]) for r in records)
    assert "temporal_" in metrics and "genoptraening_event_append_duration_seconds" in metrics
    assert "python_info" in metrics  # prometheus_client's own


async def test_the_api_and_uvicorn_log_json_lines_with_the_requests_trace_id(
    dev_server_env: WorkflowEnvironment, database_url: str
) -> None:
    port = free_port()
    env = environment(
        dev_server_env, database_url, ALLOW_UNENCRYPTED_PAYLOADS="true", **auth_helpers.test_issuer().environment()
    )
    argv = ["-m", "uvicorn", "api.main:app", "--host", "127.0.0.1", "--port", str(port)]
    async with process(argv, env, until="Uvicorn running") as lines:
        missing = await asyncio.to_thread(_get_status, f"http://127.0.0.1:{port}/nothing-here")
        await asyncio.to_thread(fetch, f"http://127.0.0.1:{port}/livez")
        for _ in range(50):
            if any("/nothing-here" in line for line in lines.lines):
                break
            await asyncio.sleep(0.1)
    records = assert_one_format(lines, "genoptraening-api")
    status, correlation_id = missing
    assert status == 404
    loggers = {r["logger"] for r in records}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers, loggers
    [access] = [r for r in records if r["logger"] == "uvicorn.access" and "/nothing-here" in str(r["message"])]
    assert access["trace_id"] == correlation_id
    assert not any("/livez" in str(r["message"]) for r in records)  # probes log at DEBUG


def _get_status(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status), str(answer.headers.get("X-Correlation-Id"))
    except urllib.error.HTTPError as error:
        return int(error.code), str(error.headers.get("X-Correlation-Id"))


@pytest.fixture(autouse=True)
def _no_inherited_log_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)


async def test_the_supervisor_logs_json_lines(
    dev_server_env: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    env = environment(dev_server_env, database_url, DATA_DIR=str(tmp_path))
    async with process(["-m", "deploy.local", "--infra-only"], env, until="case service is running") as lines:
        pass
    records = assert_one_format(lines, "genoptraening-supervisor")
    assert any(r["logger"] == "deploy.local" and "Migrations" in str(r["message"]) for r in records)
