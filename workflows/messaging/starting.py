"""Starting a delivery from the workflow that owns the message (workflow code: deterministic)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contracts.messaging import DeliveryInput, Queued, delivery_workflow_id
    from workflows.domain.messaging.state import DeliveryStatus, Messages, any_failed
    from workflows.messaging.delivery_workflow import MessageDeliveryWorkflow
    from workflows.shell import patches

# Set on the cases and applications that send messages (so histories from before replay unchanged).
TRUTHFUL_MESSAGES_PATCH = "truthful-messages"
# Queueing renders a letter (a PDF) and seals it: more than an append, still far below this.
QUEUE_TIMEOUT = timedelta(seconds=30)
# The longest an ended case or application waits for its messages in flight (past any give-up period in use).
SETTLE_TIMEOUT = timedelta(days=31)
# Cases and applications that ended before this waited for no resend: they replay (and end) as they did.
RESENDS_AFTER_END_PATCH = "resends-after-end"


def message_task_queue() -> str:
    """The delivery workflows' own task queue: slow transports never hold up the owners' workflow tasks."""
    return f"{workflow.info().task_queue}-messages"


async def start_delivery(queued: Queued, message_id: str, resend: int) -> None:
    """Start the message's delivery as a child that outlives its owner's continue-as-new and closing."""
    try:
        await workflow.start_child_workflow(
            MessageDeliveryWorkflow.run,
            DeliveryInput(
                message_id=message_id,
                owner_workflow_id=workflow.info().workflow_id,
                resend=resend,
                ack_expected=queued.ack_expected,
                give_up_after=queued.give_up_after,
                resend_after=queued.resend_after,
                automatic_resends=queued.automatic_resends,
            ),
            id=delivery_workflow_id(message_id, resend),
            task_queue=message_task_queue(),
            parent_close_policy=ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"deliver {message_id}",
        )
    except WorkflowAlreadyStartedError:
        pass  # the outbox sweep started it first: one delivery either way


def in_flight(messages: Messages) -> bool:
    """A message still waits for its transport, or for a receipt it expects (both end by the give-up period)."""
    return any(
        m.status is DeliveryStatus.QUEUED or (m.status is DeliveryStatus.SENT and m.ack_expected)
        for m in messages.values()
    )


async def settle(messages: Callable[[], Messages]) -> None:
    """Before an owner that has ended returns: wait (bounded) for its messages in flight, so what becomes of them
    still reaches its stream. A delivery ends by the give-up period; SETTLE_TIMEOUT is the safety net."""
    if not patches.patched(TRUTHFUL_MESSAGES_PATCH):
        return
    try:
        await workflow.wait_condition(
            lambda: not in_flight(messages()), timeout=SETTLE_TIMEOUT, timeout_summary="messages in flight"
        )
    except TimeoutError:
        pass


async def await_resend_after_end(messages: Callable[[], Messages]) -> bool:
    """After the end, while a message has failed and was not sent again: wait for a caseworker's resend (or for
    the server to suggest continue-as-new), then for that delivery to settle. The citizen's letter and the plan's
    copies are owed whether or not the case has ended, so the workflow stays to take the resend. False when no
    message has failed (the owner may finish), or for a history from before this existed."""
    if not any_failed(messages()) or not patches.patched(RESENDS_AFTER_END_PATCH):
        return False
    await workflow.wait_condition(lambda: not any_failed(messages()) or workflow.info().is_continue_as_new_suggested())
    await settle(messages)
    return True
