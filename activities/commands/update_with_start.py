"""Starting a workflow together with its first command (update-with-start), leaving no outcome unread.

The SDK sets the start's own outcome on a future of the `WithStartWorkflowOperation` that only
`workflow_handle()` reads. When the call fails (a timeout: no worker answered in time), that future holds the
error and, unread, asyncio logs "Future exception was never retrieved" with a traceback at every such 503. The
call's own exception is the answer, so the start's copy of it is read and dropped here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation

from activities.commands.options import UpdateOptions


def _read(outcome: asyncio.Future[Any]) -> None:
    if not outcome.cancelled():
        outcome.exception()  # marks it read; the call itself raised the error that matters


async def execute_update_with_start(
    client: Client, update: Any, command: Any, start: WithStartWorkflowOperation[Any, Any], options: UpdateOptions
) -> Any:
    """`client.execute_update_with_start_workflow`, bounded by `options`; the update's result."""
    try:
        return await client.execute_update_with_start_workflow(
            update, command, start_workflow_operation=start, id=options.update_id, rpc_timeout=options.answer_timeout
        )
    finally:
        # The SDK's own future (temporalio 1.35, pinned): read now if done, else as soon as it is.
        outcome: asyncio.Future[Any] = start._workflow_handle
        if outcome.done():
            _read(outcome)
        else:
            outcome.add_done_callback(_read)
