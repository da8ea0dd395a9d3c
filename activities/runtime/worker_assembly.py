"""The worker's parts put together: every workflow and activity the service runs, on its task queues, and the
schedules it keeps (`run_worker`). Imported by `activities.runtime.worker` once the settings have been checked, so
a worker that cannot start says so without loading all of this first."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker, WorkflowRunner

from activities.intake.vans_door import vans_ggop_door
from activities.kl_gateway.activities import KlGatewayActivities
from activities.kl_gateway.reporting import ReportConfig
from activities.kl_gateway.schedule import ensure_kl_report_schedule
from activities.kl_gateway.transport import DirectoryTransport
from activities.messaging.settings import TransportSettings
from activities.messaging.setup import message_task_queue, messaging_parts, start_schedules
from activities.messaging.watcher import MailroomWatcher
from activities.platform.db import Pool, open_pool
from activities.platform.startup_checks import StartupError, database_unreachable
from activities.retention.activities import RetentionActivities
from activities.retention.schedule import ensure_retention_schedule
from activities.runtime.process_observability import (
    install_worker_runtime,
    start_worker_metrics,
)
from activities.runtime.settings import Settings
from activities.runtime.temporal_connection import connect_temporal
from activities.runtime.worker_health import serving_health
from activities.sealing.citizen_cipher import configure_citizen_keys
from activities.store.activities import StoreActivities
from workflows.applications.workflow import ApplicationWorkflow
from workflows.cases.workflow import CaseWorkflow
from workflows.scheduled.kl_gateway_report import KlGatewayReportWorkflow
from workflows.scheduled.retention_sweep import RetentionSweepWorkflow

logger = logging.getLogger("genoptraening.worker")


async def _connect(settings: Settings) -> tuple[Client, Pool]:
    """Temporal first, then the database (the settings were checked before)."""
    configure_citizen_keys(settings.require_citizen_keys())  # personal data is sealed with them
    install_worker_runtime()  # the SDK's metrics port: only once the checks passed
    try:
        client = await connect_temporal(settings)
    except StartupError:
        raise
    except RuntimeError as err:  # the SDK's "Failed client connect": names the address, no credentials
        reason = " ".join(str(err).split())  # one line
        raise StartupError(
            f"cannot connect to Temporal at TEMPORAL_ADDRESS {settings.temporal_address}: {reason}"
        ) from None
    database_url = settings.require_database_url()
    try:
        pool = await open_pool(database_url, application_name="genoptraening-worker")
    except psycopg.Error as err:  # libpq's text is not passed on: it may quote the connection string
        raise database_unreachable(database_url, err) from None
    return client, pool


def kl_gateway_activities(pool: Pool, settings: Settings) -> list[Callable[..., Any]]:
    """The KL report's activities with the embedded transport (a directory of bundles under DATA_DIR)."""
    config = ReportConfig(settings.kl_gateway_municipality_sor_ids, settings.kl_gateway_provider_sor_ids)
    parts = KlGatewayActivities(pool, DirectoryTransport(settings.kl_gateway_root(settings.data_dir)), config)
    return [parts.begin_runs, parts.report_batch, parts.finish_run]


def workflow_runner() -> WorkflowRunner:
    """The service's workflows run without the SDK's sandbox. The sandbox re-imports, for each cached run, every
    module not passed through, and checks calls (the clock, randomness, I/O) only in those: the service's workflow
    modules already import their shell, contracts and domain through `imports_passed_through`, so it checked only the
    thin top modules, at the price of their own copy and its pydantic models per cached case (393 KiB per case in
    all), and with the `workflows` package passed through it checked nothing and still cost ~65 KiB per case
    (docs/benchmarks.md, "Worker memory per cached case"). The checks stay where they catch mistakes before
    production: every test's worker and every replay of tests/histories/ run the default sandbox."""
    return UnsandboxedWorkflowRunner()


@dataclass(frozen=True)
class ServiceWorkers:
    """The worker process's parts: iterating gives its two Temporal workers."""

    case_worker: Worker
    delivery_worker: Worker
    watcher: MailroomWatcher  # starts the mailroom's sweep and poll when there is work (no Temporal work idle)

    def __iter__(self) -> Iterator[Worker]:
        return iter((self.case_worker, self.delivery_worker))


def service_workers(
    client: Client, pool: Pool, settings: Settings, transport_settings: TransportSettings
) -> ServiceWorkers:
    """The case queue's worker (cases, applications, scheduled work) and the deliveries' worker, each caching at
    most MAX_CACHED_WORKFLOWS runs, and the mailroom's watcher."""
    store = StoreActivities(pool)
    sender = messaging_parts(
        pool,
        client,
        settings.temporal_task_queue,
        transport_settings,
        settings.data_dir,
        take_ggop=vans_ggop_door(pool, client, settings),
    )
    worker = Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[
            CaseWorkflow,
            ApplicationWorkflow,
            RetentionSweepWorkflow,
            KlGatewayReportWorkflow,
            *sender.case_queue_workflows,
        ],
        activities=[
            store.append_case_events,
            store.deliver_plan,
            store.append_application_events,
            RetentionActivities(pool, settings).sweep_retention_batch,
            *kl_gateway_activities(pool, settings),
            *sender.case_queue_activities,
        ],
        graceful_shutdown_timeout=timedelta(seconds=20),
        max_cached_workflows=settings.max_cached_workflows,
        workflow_runner=workflow_runner(),
    )
    # The deliveries on their own queue: a transport that hangs never holds up a case's workflow task.
    delivery_worker = Worker(
        client,
        task_queue=message_task_queue(settings.temporal_task_queue),
        workflows=sender.message_queue_workflows,
        activities=sender.message_queue_activities,
        graceful_shutdown_timeout=timedelta(seconds=20),
        max_cached_workflows=settings.max_cached_workflows,
        workflow_runner=workflow_runner(),
    )
    return ServiceWorkers(worker, delivery_worker, sender.watcher)


async def run_worker(settings: Settings) -> None:
    client, pool = await _connect(settings)
    start_worker_metrics()
    transport_settings = TransportSettings()
    parts = service_workers(client, pool, settings, transport_settings)
    await start_schedules(client, settings.temporal_task_queue, transport_settings)
    await ensure_retention_schedule(client, settings.temporal_task_queue, settings.retention_sweep_hour_utc)
    await ensure_kl_report_schedule(client, settings.temporal_task_queue, settings.kl_gateway_report_interval_hours)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    logger.info("worker polling task queue %s on %s", settings.temporal_task_queue, settings.temporal_address)
    try:
        async with (
            parts.case_worker,
            parts.delivery_worker,
            serving_health(client, pool, list(parts)),
            parts.watcher.running(),
        ):
            await stop.wait()
            logger.info("worker stopping")
    finally:
        await pool.close()
