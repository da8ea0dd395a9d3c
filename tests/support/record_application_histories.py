"""Record the application histories the replay test keeps (`python -m tests.support.record_application_histories`).

Only missing files are recorded: a saved history is what an application started by that version of the code
looks like. Never re-record an existing file to make the replay test pass; guard the change with
`workflow.patched` instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.application_factories import (
    ankestyrelsen,
    appeal,
    forward,
    grant,
    make_application,
    receive,
    refuse,
    request_gp,
    transport,
    uphold,
)
from tests.support.application_fakes import InMemoryApplicationStore
from tests.support.application_workflow_helpers import Handle, own_time_skipping_env, send, start_application, wait_for
from tests.support.paths import HISTORIES
from workflows.applications.workflow import ApplicationWorkflow
from workflows.domain.applications.model import AnkestyrelsenOutcome
from workflows.domain.calendar import local_date

TASK_QUEUE = "record-applications"
logger = logging.getLogger(__name__)


async def _appeal_to_grant_end(env: WorkflowEnvironment) -> Handle:
    """GP overdue, refusal, appeal upheld, forwarding overdue then done, returned, granted, period ended."""
    today = local_date(await env.get_current_time())
    handle, _ = await start_application(
        env.client, TASK_QUEUE, receive(make_application(application_date=today, covered_by_aeldreloven=True))
    )
    await send(handle, request_gp(today + timedelta(days=3)))
    await env.sleep(timedelta(days=5))
    await wait_for(handle, lambda s: s.gp_overdue)
    day = local_date(await env.get_current_time())
    for command in (transport(), refuse(day), appeal(day), uphold()):
        await send(handle, command)
    await env.sleep(timedelta(days=30))
    await wait_for(handle, lambda s: s.forwarding_overdue)
    day = local_date(await env.get_current_time())
    await send(handle, forward(day))
    await send(handle, ankestyrelsen(AnkestyrelsenOutcome.RETURNED, day))
    await send(handle, grant(day, day + timedelta(days=14), day))
    # A handle from update-with-start does not unlock time skipping in result(): sleep past the period's end.
    await env.sleep(timedelta(days=16))
    await handle.result()  # the end of the granted period closed the application
    return handle


async def _refusal_not_appealed(env: WorkflowEnvironment) -> Handle:
    today = local_date(await env.get_current_time())
    handle, _ = await start_application(env.client, TASK_QUEUE, receive(make_application(application_date=today)))
    await send(handle, refuse(today))
    await env.sleep(timedelta(days=30))
    await handle.result()  # closed when the appeal period ended
    return handle


async def _decision_letters(env: WorkflowEnvironment) -> Handle:
    """Each decision written to the citizen (the truthful-messages patch): a refusal and, after the appeal is
    upheld and Ankestyrelsen returns it, a grant; each letter queued and sent; then the granted period ends."""
    today = local_date(await env.get_current_time())
    handle, _ = await start_application(env.client, TASK_QUEUE, receive(make_application(application_date=today)))
    for command in (refuse(today), appeal(today), uphold(), forward(today)):
        await send(handle, command)
    await send(handle, ankestyrelsen(AnkestyrelsenOutcome.RETURNED, today))
    await send(handle, grant(today, today + timedelta(days=14), today))
    await wait_for(
        handle, lambda s: len(s.messages) == 2 and all(m.status.value == "sent" for m in s.messages.values())
    )
    await env.sleep(timedelta(days=16))
    await handle.result()  # the end of the granted period closed the application
    return handle


async def _light_decision_letters(env: WorkflowEnvironment) -> Handle:
    """Started light, as the door starts applications since issue 18: the refusal's letter queued in the
    decision's own append and sent by the application itself (no delivery workflow); closed when the appeal
    period ended."""
    today = local_date(await env.get_current_time())
    receive_it = receive(make_application(application_date=today))
    handle, _ = await start_application(env.client, TASK_QUEUE, receive_it, light=True)
    await send(handle, refuse(today))
    await wait_for(
        handle, lambda s: len(s.messages) == 1 and all(m.status.value == "sent" for m in s.messages.values())
    )
    await env.sleep(timedelta(days=30))
    await handle.result()
    return handle


RECORDINGS: dict[str, Callable[[WorkflowEnvironment], Awaitable[Handle]]] = {
    "application_appeal_to_grant_end": _appeal_to_grant_end,
    "application_refusal_not_appealed": _refusal_not_appealed,
    "application_decision_letters": _decision_letters,
    "application_light_refusal": _light_decision_letters,
}


async def record() -> None:
    missing = {name: run for name, run in RECORDINGS.items() if not (HISTORIES / f"{name}.json").exists()}
    if not missing:
        logger.info("every application history is recorded")
        return
    store = InMemoryApplicationStore()
    async with (
        own_time_skipping_env() as env,
        Worker(
            env.client,
            task_queue=TASK_QUEUE,
            workflows=[ApplicationWorkflow],
            activities=[store.append_application_events, store.queue_application_message],
        ),
        store.message_worker(env.client, TASK_QUEUE),
    ):
        for name, run in missing.items():
            handle = await run(env)
            history = await handle.fetch_history()
            (HISTORIES / f"{name}.json").write_text(history.to_json())
            logger.info("recorded %s (%d events)", name, len(history.events))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(record())
