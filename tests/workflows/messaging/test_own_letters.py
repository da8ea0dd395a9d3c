"""Letters a light case sends itself (workflows/messaging/letters.py, activities/messaging/own_letters.py): one
`deliver_letter` activity renders, queues and sends the letter, with no delivery workflow; a transport that is down
is retried until the give-up period, then the letter is failed, flagged and resent by a caseworker; a retried
activity never sends a delivery twice. Workflows on the time-skipping server, the store in PostgreSQL."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest_asyncio
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.messaging.activities import MessagingActivities
from activities.messaging.outbox import delivery_row
from activities.messaging.own_letters import LetterActivities
from activities.messaging.settings import TransportSettings
from activities.messaging.setup import embedded_transports, messaging_parts
from activities.messaging.transports.base import Delivery, Transport
from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from tests.support.factories import make_plan, receive_plan
from tests.support.sender_helpers import case_and_message_workers
from tests.support.workflow_helpers import search_attribute, send, start_case, terminate_started_cases, wait_for_state
from workflows.contracts.messaging import LetterDelivery, QueueCaseMessage, delivery_workflow_id
from workflows.domain.messaging.commands import ResendMessage
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient
from workflows.domain.messaging.state import DeliveryStatus
from workflows.domain.state import CaseState
from workflows.shell import search_attributes as keys


class Switchable:
    """Digital Post behind a switch: down until a test turns it on; counts what it was handed."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.up = True
        self.attempts = 0
        self.sent: list[str] = []

    async def send(self, delivery: Delivery) -> str:
        self.attempts += 1
        if not self.up:
            raise ConnectionError("Digital Post down")
        self.sent.append(delivery.name)
        return await self.inner.send(delivery)


Stack = tuple[WorkflowEnvironment, Pool, str, Switchable, TransportSettings]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(time_skipping_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Stack]:
    data_dir = Path(tempfile.mkdtemp(prefix="genop-letters-"))
    settings = TransportSettings(message_give_up_hours=2)
    transports = embedded_transports(settings, data_dir)
    post = Switchable(transports[Channel.DIGITAL_POST])
    transports[Channel.DIGITAL_POST] = post
    task_queue = f"letters-{uuid.uuid4().hex[:8]}"
    client = time_skipping_env.client
    parts = messaging_parts(pool, client, task_queue, settings, data_dir, transports)
    async with case_and_message_workers(client, pool, task_queue, parts):
        yield time_skipping_env, pool, task_queue, post, settings
        await terminate_started_cases()


def _letter(state: CaseState) -> tuple[str, DeliveryStatus]:
    (found,) = [(i, m.status) for i, m in state.messages.items() if m.kind is MessageKind.LETTER_FIRST_CONTACT]
    return found


async def _light_case(stack: Stack) -> tuple[object, CaseState]:
    env, _, task_queue, _, _ = stack
    today = (await env.get_current_time()).date()
    handle, _ = await start_case(
        env.client, task_queue, receive_plan(make_plan(discharge_date=today.isoformat())), light=True
    )
    return handle, await handle.query("current_state", result_type=CaseState)


async def test_a_letter_is_rendered_queued_and_sent_by_one_activity(stack: Stack) -> None:
    env, pool, _, post, _ = stack
    post.up = True
    handle, _ = await _light_case(stack)
    state = await wait_for_state(handle, lambda s: _letter(s)[1] is DeliveryStatus.SENT)  # type: ignore[arg-type]
    message_id, _ = _letter(state)
    assert message_id in post.sent  # the spool has it
    async with pool.connection() as conn:
        row = await delivery_row(conn, message_id)
    assert row is not None and row.transport_ref is not None and row.resends == 0
    try:
        await env.client.get_workflow_handle(delivery_workflow_id(message_id)).describe()
        raise AssertionError("a letter needs no delivery workflow")
    except RPCError:
        pass
    stored = await EventStore(pool).read_stream(state.case_id)
    about = [e.event.type for e in stored if getattr(e.event, "message_id", None) == message_id]
    assert about == ["MessageQueued", "MessageSent"]


async def test_a_letter_that_cannot_go_fails_after_the_give_up_period_and_is_resent(stack: Stack) -> None:
    env, pool, _, post, _ = stack
    post.up, post.attempts, post.sent = False, 0, []
    handle, state = await _light_case(stack)
    message_id, _ = _letter(state)
    await env.sleep(timedelta(hours=3))  # past the give-up period of 2 hours
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.FAILED)  # type: ignore[arg-type]
    assert post.attempts > 2 and state.delivery_failed  # retried with backoff before it gave up
    assert await search_attribute(handle, keys.DELIVERY_FAILED.name) is True  # type: ignore[arg-type]

    post.up = True
    await send(handle, ResendMessage(command_id=f"resend-{uuid.uuid4()}", actor="caseworker:cw", message_id=message_id))  # type: ignore[arg-type]
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.SENT)  # type: ignore[arg-type]
    assert state.messages[message_id].resends == 1 and not state.delivery_failed
    stored = await EventStore(pool).read_stream(state.case_id)
    about = [e.event.type for e in stored if getattr(e.event, "message_id", None) == message_id]
    assert about == ["MessageQueued", "MessageDeliveryFailed", "MessageResendRequested", "MessageSent"]
    assert post.sent == [f"{message_id}-resend-1"]  # nothing went before the give-up; the resend went once


async def test_a_retried_delivery_sends_nothing_twice(stack: Stack) -> None:
    _, pool, _, post, settings = stack
    post.up = True
    handle, state = await _light_case(stack)
    state = await wait_for_state(handle, lambda s: _letter(s)[1] is DeliveryStatus.SENT)  # type: ignore[arg-type]
    message_id, _ = _letter(state)
    sends = len(post.sent)
    transports = {Channel.DIGITAL_POST: post}
    letters = LetterActivities(pool, MessagingActivities(pool, transports, settings), settings)  # type: ignore[arg-type]
    request = LetterDelivery(
        message_id=message_id,
        case=QueueCaseMessage(
            case_id=state.case_id,
            message_id=message_id,
            kind=MessageKind.LETTER_FIRST_CONTACT,
            recipient=MessageRecipient.PATIENT,
        ),
    )
    again = await ActivityEnvironment().run(letters.deliver_letter, request)  # the activity retried after its send
    assert again.transport_ref is not None and len(post.sent) == sends
