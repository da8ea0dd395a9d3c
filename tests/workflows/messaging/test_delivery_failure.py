"""A message whose transport keeps failing: retried with backoff, then recorded as failed after the give-up
period; the case list's filter and the search attribute show it; a caseworker's resend delivers it."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.messaging.mailroom import Mailroom, medcom_receipt_reader
from activities.messaging.medcom.receipts import Original, build_positive_receipt
from activities.messaging.settings import TransportSettings
from activities.messaging.setup import embedded_transports, messaging_parts
from activities.messaging.transports.base import Delivery, Transport
from activities.platform.db import Pool
from activities.queries import cases as case_queries
from activities.store.eventstore import EventStore
from tests.support.factories import make_plan, receive_plan
from tests.support.sender_helpers import case_and_message_workers
from tests.support.workflow_helpers import search_attribute, send, start_case, terminate_started_cases, wait_for_state
from workflows.domain.commands import CloseCase
from workflows.domain.messaging.commands import ResendMessage
from workflows.domain.messaging.model import Channel, MessageKind
from workflows.domain.messaging.state import DeliveryStatus
from workflows.domain.model import CaseStatus, CloseReason
from workflows.domain.state import CaseState
from workflows.shell import search_attributes as keys

EHR_EAN = "5790001234567"
MUNICIPALITY = "183"  # a municipality no other test lists cases for


class Unreachable(Exception):
    """What a mailbox that is down raises."""


class SwitchableTransport:
    """The VANS file drop behind a switch: down until a test turns it on."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.up = False
        self.attempts = 0

    async def send(self, delivery: Delivery) -> str:
        self.attempts += 1
        if not self.up:
            raise Unreachable("mailbox down")
        return await self.inner.send(delivery)


Stack = tuple[WorkflowEnvironment, Pool, str, SwitchableTransport]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(time_skipping_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Stack]:
    data_dir = Path(tempfile.mkdtemp(prefix="genop-msgfail-"))
    settings = TransportSettings(medcom_plan_forward_eans={MUNICIPALITY: EHR_EAN}, message_give_up_hours=2)
    transports = embedded_transports(settings, data_dir)
    medcom = SwitchableTransport(transports[Channel.MEDCOM])
    transports[Channel.MEDCOM] = medcom
    task_queue = f"msgfail-{uuid.uuid4().hex[:8]}"
    client = time_skipping_env.client
    parts = messaging_parts(pool, client, task_queue, settings, data_dir, transports)
    async with case_and_message_workers(client, pool, task_queue, parts):
        yield time_skipping_env, pool, task_queue, medcom
        await terminate_started_cases()


def _forward(state: CaseState) -> tuple[str, DeliveryStatus] | None:
    for message_id, message in state.messages.items():
        if message.kind is MessageKind.PLAN_FORWARD:
            return message_id, message.status
    return None


async def _closed(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the workflow has closed (describe() cannot decode this test server's search attributes)."""
    history = await handle.fetch_history()
    return any(event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED for event in history.events)


async def test_a_failing_transport_is_retried_then_failed_then_resent(stack: Stack) -> None:
    env, pool, task_queue, medcom = stack
    today = (await env.get_current_time()).date()
    plan = make_plan(discharge_date=today.isoformat(), home_municipality_code=MUNICIPALITY)
    handle, _ = await start_case(env.client, task_queue, receive_plan(plan))
    state = await wait_for_state(handle, lambda s: _forward(s) is not None)
    forwarded = _forward(state)
    assert forwarded is not None
    message_id = forwarded[0]

    await env.sleep(timedelta(hours=3))  # past the give-up period of 2 hours
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.FAILED)
    assert medcom.attempts > 2  # retried with backoff before it gave up
    assert state.delivery_failed
    rows, _ = await case_queries.list_cases(pool, municipality=MUNICIPALITY, delivery_failed=True)
    assert state.case_id in [row["case_id"] for row in rows]
    assert await search_attribute(handle, keys.DELIVERY_FAILED.name) is True

    medcom.up = True
    await send(handle, ResendMessage(command_id=f"resend-{uuid.uuid4()}", actor="caseworker:cw", message_id=message_id))
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.SENT)
    assert not state.delivery_failed and state.messages[message_id].resends == 1
    rows, _ = await case_queries.list_cases(pool, municipality=MUNICIPALITY, delivery_failed=True)
    assert state.case_id not in [row["case_id"] for row in rows]
    stored = await EventStore(pool).read_stream(state.case_id)
    about = [e.event.type for e in stored if getattr(e.event, "message_id", None) == message_id]
    assert about == ["MessageQueued", "MessageDeliveryFailed", "MessageResendRequested", "MessageSent"]


async def test_a_copy_that_fails_after_the_case_ended_is_still_resent(stack: Stack) -> None:
    """The case is closed while its copy is still on the way; the copy then fails. The copy is owed all the same:
    the ended case's workflow stays to take the resend, and the failure flag clears once the copy goes out."""
    env, pool, task_queue, medcom = stack
    medcom.up = False
    today = (await env.get_current_time()).date()
    plan = make_plan(discharge_date=today.isoformat(), home_municipality_code=MUNICIPALITY)
    handle, _ = await start_case(env.client, task_queue, receive_plan(plan))
    state = await wait_for_state(handle, lambda s: _forward(s) is not None)
    message_id = state.messages and _forward(state)[0]  # type: ignore[index]
    assert message_id
    close = CloseCase(command_id=f"close-{uuid.uuid4()}", actor="caseworker:cw", reason=CloseReason.PLAN_SENT_IN_ERROR)
    assert (await send(handle, close)).status is CaseStatus.CLOSED

    await env.sleep(timedelta(hours=3))  # past the give-up period of 2 hours
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.FAILED)
    assert state.delivery_failed and state.status is CaseStatus.CLOSED
    assert not await _closed(handle)  # the workflow waits for the resend
    assert await search_attribute(handle, keys.DELIVERY_FAILED.name) is True
    rows, _ = await case_queries.list_cases(pool, municipality=MUNICIPALITY, delivery_failed=True)
    assert state.case_id in [row["case_id"] for row in rows]

    medcom.up = True
    resend = ResendMessage(command_id=f"resend-{uuid.uuid4()}", actor="caseworker:cw", message_id=message_id)
    assert (await send(handle, resend)).status is CaseStatus.CLOSED
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.SENT)
    assert not state.delivery_failed and state.messages[message_id].resends == 1
    assert await search_attribute(handle, keys.DELIVERY_FAILED.name) is False
    rows, _ = await case_queries.list_cases(pool, municipality=MUNICIPALITY, delivery_failed=True)
    assert state.case_id not in [row["case_id"] for row in rows]


async def test_a_receipt_after_the_give_up_period_still_counts(stack: Stack) -> None:
    env, pool, task_queue, medcom = stack
    medcom.up = True
    today = (await env.get_current_time()).date()
    plan = make_plan(discharge_date=today.isoformat(), home_municipality_code=MUNICIPALITY)
    handle, _ = await start_case(env.client, task_queue, receive_plan(plan))
    state = await wait_for_state(
        handle, lambda s: (_forward(s) or ("", DeliveryStatus.QUEUED))[1] is DeliveryStatus.SENT
    )
    forwarded = _forward(state)
    assert forwarded is not None
    message_id = forwarded[0]

    await env.sleep(timedelta(hours=3))  # no receipt within the give-up period
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.FAILED)
    stored = await EventStore(pool).read_stream(state.case_id)
    (failure,) = [e.event for e in stored if e.event.type == "MessageDeliveryFailed"]
    assert failure.reason.value == "not_acknowledged"  # type: ignore[union-attr]

    vans = medcom.inner.root  # type: ignore[attr-defined]
    original = Original(
        envelope_id=uuid.UUID(message_id).hex,
        sender_ean="5790000000000",
        receiver_ean=EHR_EAN,
        letter_id=None,
        version_code=None,
    )
    (vans / "inbound" / EHR_EAN).mkdir(parents=True, exist_ok=True)
    (vans / "inbound" / EHR_EAN / "late-receipt.xml").write_bytes(build_positive_receipt(original, datetime.now(UTC)))
    mailroom = Mailroom(
        pool=pool,
        client=env.client,
        vans_root=vans,
        message_task_queue=f"{task_queue}-messages",
        give_up_after=timedelta(hours=2),
        read_receipt=medcom_receipt_reader(),
    )
    assert await ActivityEnvironment().run(mailroom.poll_inbox) == 1
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.ACKNOWLEDGED)
    assert not state.delivery_failed  # the receiver's word counts, even late
