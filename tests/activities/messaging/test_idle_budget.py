"""An idle deployment's day costs at most 300 Temporal actions (issue 18), counted from real histories; the worker's
watcher still takes a file as soon as it arrives.

The real worker process runs against the dev server over an empty database and mailbox, with its watcher and
every schedule it makes (the mailroom's two safety schedules, the retention sweep, the KL reports). A day is
simulated: each schedule is backfilled over the last 24 hours (the server starts every action the day would have
had), and the watcher looks as many times as it would in a day. Every run on the worker's task queue is then
listed and its billable actions counted from its history (`tests/support/actions.py`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest_asyncio
from temporalio.client import Client, ScheduleBackfill, ScheduleOverlapPolicy
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.messaging.schedules import INBOX_POLL_RUN, INBOX_POLL_SCHEDULE, OUTBOX_SWEEP_SCHEDULE
from activities.messaging.settings import TransportSettings
from activities.messaging.watcher import mailroom_watcher
from activities.platform.db import open_pool
from tests.support.actions import SCHEDULED_BY, actions_of
from tests.support.temporal_fixtures import NAMESPACE
from workflows.contracts.kl_gateway import KL_REPORT_SCHEDULE_ID
from workflows.contracts.retention import RETENTION_SCHEDULE_ID

logger = logging.getLogger(__name__)

IDLE_DAY_BUDGET = 300
DAY = timedelta(days=1)
SCHEDULED_BY_KEY = SearchAttributeKey.for_keyword(SCHEDULED_BY)
SCHEDULES = (OUTBOX_SWEEP_SCHEDULE, INBOX_POLL_SCHEDULE, RETENTION_SCHEDULE_ID, KL_REPORT_SCHEDULE_ID)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest_asyncio.fixture(loop_scope="session")
async def idle_worker(
    dev_server_env: WorkflowEnvironment, fresh_database_url: str
) -> AsyncIterator[tuple[Client, str, Path]]:
    """The worker process on a queue of its own, ready (its schedules made, its watcher looking); stopped after."""
    client = dev_server_env.client
    task_queue = f"idle-{uuid.uuid4().hex[:8]}"
    data_dir = Path(tempfile.mkdtemp(prefix="genop-idle-"))
    port = _free_port()
    env = os.environ | {
        "DATABASE_URL": fresh_database_url,
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": NAMESPACE,
        "TEMPORAL_TASK_QUEUE": task_queue,
        "DATA_DIR": str(data_dir),
        "ALLOW_UNENCRYPTED_PAYLOADS": "true",
        "WORKER_HEALTH_HOST": "127.0.0.1",
        "WORKER_HEALTH_PORT": str(port),
        "WORKER_METRICS_PORT": "0",
        "INBOX_POLL_SECONDS": "1",
        "OUTBOX_SWEEP_SECONDS": "1",
    }
    log_path = data_dir / "worker.log"
    with log_path.open("wb") as log:
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "activities.runtime.worker", env=env, stdout=log, stderr=log
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                ready = None
                for _ in range(120):
                    try:
                        ready = await http.get("/readyz", timeout=5)
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.5)
                assert ready is not None and ready.status_code == 200, log_path.read_text(errors="replace")[-2000:]
            yield client, task_queue, data_dir
        finally:
            worker.send_signal(signal.SIGTERM)
            await asyncio.wait_for(worker.wait(), timeout=40)
            for schedule_id in SCHEDULES:  # made by this worker for its queue: nothing left to fire
                with suppress(RPCError):  # never made: the worker did not start, and the setup says why
                    await client.get_schedule_handle(schedule_id).delete()


async def _settled(client: Client, task_queue: str, expected: int) -> bool:
    """The backfilled runs all closed: the server starts a backfill's runs a few at a time."""
    for _ in range(600):
        closed = await client.count_workflows(f"TaskQueue = '{task_queue}' AND ExecutionStatus != 'Running'")
        running = await client.count_workflows(f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'")
        if closed.count >= expected and running.count == 0:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_an_idle_day_costs_at_most_300_actions(
    idle_worker: tuple[Client, str, Path], fresh_database_url: str
) -> None:
    client, task_queue, data_dir = idle_worker
    # The watcher's day: as many looks as INBOX_POLL_SECONDS and OUTBOX_SWEEP_SECONDS give (5 s, 10 s), none
    # of which may start anything (the worker's own watcher looks every second meanwhile).
    defaults = TransportSettings()
    periods = (defaults.inbox_poll_seconds, defaults.outbox_sweep_seconds)
    pool = await open_pool(fresh_database_url, min_size=1, max_size=2)
    try:
        watcher = mailroom_watcher(
            client,
            task_queue,
            pool,
            data_dir / "vans",
            inbox_every=timedelta(seconds=periods[0]),
            outbox_every=timedelta(seconds=periods[1]),
            sweep_grace_seconds=30,
        )
        looks: Counter[bool] = Counter()
        for watch, every in zip(watcher.watches, periods, strict=True):
            for _ in range(int(DAY.total_seconds()) // every):
                looks[await watcher.check(watch)] += 1
    finally:
        await pool.close()
    assert looks == Counter({False: sum(int(DAY.total_seconds()) // every for every in periods)})

    now = datetime.now(UTC)
    for schedule_id in SCHEDULES:
        await client.get_schedule_handle(schedule_id).backfill(
            ScheduleBackfill(start_at=now - DAY, end_at=now, overlap=ScheduleOverlapPolicy.ALLOW_ALL)
        )
    period = timedelta(minutes=defaults.mailroom_schedule_minutes)
    # Each safety schedule's runs in a day, the retention sweep's and the KL report's one each.
    assert await _settled(client, task_queue, expected=2 * (DAY // period) + 2)

    runs, actions = await actions_of(client, f"TaskQueue = '{task_queue}'")
    per_schedule: Counter[str] = Counter()
    async for listed in client.list_workflows(f"TaskQueue = '{task_queue}'"):
        per_schedule[listed.typed_search_attributes.get(SCHEDULED_BY_KEY) or "watcher"] += 1
    assert per_schedule[OUTBOX_SWEEP_SCHEDULE] >= DAY // period and per_schedule[INBOX_POLL_SCHEDULE] >= DAY // period
    assert per_schedule["watcher"] == 0  # nothing arrived: the watcher started nothing
    total = sum(actions.values())
    logger.info("idle day: %d runs, %d actions %s, runs by schedule %s", runs, total, dict(actions), dict(per_schedule))
    assert total <= IDLE_DAY_BUDGET, (total, actions)

    # And the worker's own watcher is awake: a file arriving is taken without a schedule's run.
    (data_dir / "vans" / "inbound" / "loose.xml").write_bytes(b"<not-a-medcom-message/>")  # no vouched sender
    for _ in range(400):
        failed = data_dir / "vans" / "failed"
        if failed.is_dir() and any(path.name.endswith("-loose.xml") for path in failed.iterdir()):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the worker's watcher did not start the poll")
    poll = await client.get_workflow_handle(INBOX_POLL_RUN).describe()
    assert poll.task_queue == task_queue and poll.typed_search_attributes.get(SCHEDULED_BY_KEY) is None
