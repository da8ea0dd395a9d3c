"""The worker process: runs case and application workflows and the store activities
(`python -m workflows.worker`).

Stops gracefully on SIGTERM/SIGINT: it finishes the activities in flight before it exits, so a rolling
deploy never abandons an append half-way (the append is idempotent anyway).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from temporalio.worker import Worker

from activities.db import open_pool
from activities.settings import get_settings
from activities.store_activities import StoreActivities
from activities.temporal_connection import connect_temporal
from workflows.application_workflow import ApplicationWorkflow
from workflows.case_workflow import CaseWorkflow

logger = logging.getLogger("genoptraening.worker")


async def run_worker() -> None:
    settings = get_settings()
    pool = await open_pool(settings.require_database_url(), application_name="genoptraening-worker")
    client = await connect_temporal(settings)
    store = StoreActivities(pool)
    worker = Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=[CaseWorkflow, ApplicationWorkflow],
        activities=[store.append_case_events, store.deliver_plan, store.append_application_events],
        graceful_shutdown_timeout=timedelta(seconds=20),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    logger.info("worker polling task queue %s on %s", settings.temporal_task_queue, settings.temporal_address)
    try:
        async with worker:
            await stop.wait()
            logger.info("worker stopping")
    finally:
        await pool.close()


def main() -> None:
    logging.basicConfig(level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(run_worker())


if __name__ == "__main__":
    main()
