"""Record the workflow histories the replay test keeps (`python -m tests.record_histories`).

Re-record only for a deliberate, versioned change: these files are what running cases look like, and the
replay test proves the current code can still continue them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from deploy.binaries import temporal_test_server
from tests.domain_helpers import choose, classify, contact, offer
from tests.factories import make_plan, receive_plan
from tests.fakes import InMemoryCaseStore
from tests.temporal_fixtures import register_search_attributes
from tests.workflow_helpers import send, start_case, wait_for_state
from workflows.case_workflow import CaseWorkflow
from workflows.domain.commands import CompleteCourse
from workflows.domain.model import CaseStatus

HISTORIES = Path(__file__).parent / "histories"
logger = logging.getLogger(__name__)


async def record() -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(temporal_test_server())
    )
    await register_search_attributes(env.client)
    store = InMemoryCaseStore()
    async with env, Worker(env.client, task_queue="record", workflows=[CaseWorkflow], activities=store.activities()):
        today = (await env.get_current_time()).date()
        plan = make_plan(discharge_date=today.isoformat())

        completed, _ = await start_case(env.client, "record", receive_plan(plan), case_id=str(uuid.uuid4()))
        await wait_for_state(completed, lambda s: s.status is CaseStatus.DISTRIBUTED)
        for command in (classify(), contact(), choose(), offer(today + timedelta(days=3))):
            await send(completed, command)
        await send(completed, CompleteCourse(command_id="complete", actor="caseworker:record"))
        await completed.result()

        breached, _ = await start_case(env.client, "record", receive_plan(make_plan(discharge_date=today.isoformat())))
        await wait_for_state(breached, lambda s: s.status is CaseStatus.DISTRIBUTED)
        await env.sleep(timedelta(days=9))
        await wait_for_state(breached, lambda s: s.start_guarantee_breached and s.contact_overdue)
        await breached.terminate("recorded")

        for name, handle in (("almen_completed", completed), ("deadlines_breached", breached)):
            history = await handle.fetch_history()
            (HISTORIES / f"{name}.json").write_text(history.to_json())
            logger.info("recorded %s (%d events)", name, len(history.events))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(record())
