"""Record the delivery-workflow histories the replay test keeps (`python -m tests.support.record_delivery_histories`).

Only missing files are recorded: a saved history is what a `MessageDeliveryWorkflow` started by that version
of the code looks like. `delivery_acknowledged` and `delivery_not_acknowledged` were recorded before the
`medcom-automatic-resends` patch, `delivery_automatic_resends` after it. Never re-record an existing file to
make the replay test pass; guard the change with `workflow.patched` instead.

The deliveries run without an owner (as a receipt to a hospital does), with the in-memory fake transport.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from deploy.binaries import temporal_test_server
from tests.support.fakes import InMemoryCaseStore
from tests.support.paths import HISTORIES
from workflows.contracts.messaging import RECEIPT_SIGNAL, DeliveryInput, ReceiptNotice, delivery_workflow_id
from workflows.messaging.delivery_workflow import MessageDeliveryWorkflow

TASK_QUEUE = "record-deliveries"
logger = logging.getLogger(__name__)

Delivery = WorkflowHandle[Any, Any]
Scenario = Callable[[WorkflowEnvironment], Awaitable[Delivery]]


async def _start(env: WorkflowEnvironment, **fields: Any) -> Delivery:
    message_id = str(uuid.uuid4())
    delivery = DeliveryInput(
        message_id=message_id, owner_workflow_id=None, ack_expected=True, give_up_after=timedelta(hours=24), **fields
    )
    return await env.client.start_workflow(
        MessageDeliveryWorkflow.run, delivery, id=delivery_workflow_id(message_id), task_queue=TASK_QUEUE
    )


async def _receipt_after(env: WorkflowEnvironment, handle: Delivery, wait: timedelta, message_id: str) -> None:
    await env.sleep(wait)
    await handle.signal(RECEIPT_SIGNAL, ReceiptNotice(message_id=message_id, positive=True))


async def delivery_acknowledged(env: WorkflowEnvironment) -> Delivery:
    """A MedCom message sent, its positive receipt after 10 minutes."""
    handle = await _start(env)
    await _receipt_after(env, handle, timedelta(minutes=10), handle.id.removeprefix("message-"))
    await handle.result()
    return handle


async def delivery_not_acknowledged(env: WorkflowEnvironment) -> Delivery:
    """A MedCom message sent, no receipt within the give-up period: failed (not_acknowledged)."""
    handle = await _start(env)
    await env.sleep(timedelta(hours=25))
    await handle.result()
    return handle


async def delivery_automatic_resends(env: WorkflowEnvironment) -> Delivery:
    """No receipt for 30 minutes, twice: resent twice with new envelopes; the receipt comes after the second
    resend (patch medcom-automatic-resends)."""
    handle = await _start(env, resend_after=timedelta(minutes=30), automatic_resends=2)
    await _receipt_after(env, handle, timedelta(minutes=65), handle.id.removeprefix("message-"))
    await handle.result()
    return handle


SCENARIOS: dict[str, Scenario] = {
    "delivery_acknowledged": delivery_acknowledged,
    "delivery_not_acknowledged": delivery_not_acknowledged,
    "delivery_automatic_resends": delivery_automatic_resends,
}


async def record(names: list[str]) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(temporal_test_server())
    )
    store = InMemoryCaseStore()
    async with (
        env,
        Worker(
            env.client,
            task_queue=TASK_QUEUE,
            workflows=[MessageDeliveryWorkflow],
            activities=[store.send_message, store.record_delivery_failure],
        ),
    ):
        for name in names:
            handle = await SCENARIOS[name](env)
            history = await handle.fetch_history()
            (HISTORIES / f"{name}.json").write_text(history.to_json())
            logger.info("recorded %s (%d events)", name, len(history.events))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    wanted = sys.argv[1:] or [name for name in SCENARIOS if not (HISTORIES / f"{name}.json").exists()]
    asyncio.run(record(wanted))
