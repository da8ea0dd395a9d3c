"""A decision letter of an application that cannot be delivered: the application records MessageDeliveryFailed,
its `applications` row and the list's `delivery_failed` filter show it, the `DeliveryFailed` search attribute
is set; a caseworker's resend delivers it and clears all three. Time-skipping server, real PostgreSQL."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.messaging.settings import TransportSettings
from activities.messaging.setup import embedded_transports, message_task_queue, messaging_parts
from activities.platform.db import Pool
from activities.queries import applications as application_queries
from activities.store.activities import StoreActivities
from tests.support.api_helpers import unused_municipality
from tests.support.application_factories import close, make_application, receive, refuse
from tests.support.application_workflow_helpers import (
    Handle,
    own_time_skipping_env,
    send,
    start_application,
    terminate_started_applications,
    wait_for,
)
from tests.support.refusing_transport import RefusingTransport
from tests.support.workflow_helpers import search_attribute
from workflows.applications.workflow import DELIVERY_FAILED_ATTRIBUTE_PATCH, ApplicationWorkflow
from workflows.domain.calendar import local_date
from workflows.domain.messaging.commands import ResendMessage
from workflows.domain.messaging.model import Channel
from workflows.domain.messaging.state import DeliveryStatus
from workflows.shell import search_attributes as keys

Stack = tuple[WorkflowEnvironment, str, RefusingTransport]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(pool: Pool) -> AsyncIterator[Stack]:
    data_dir = Path(tempfile.mkdtemp(prefix="genop-appfail-"))
    settings = TransportSettings()
    transports = embedded_transports(settings, data_dir)
    digital_post = RefusingTransport(transports[Channel.DIGITAL_POST])
    transports[Channel.DIGITAL_POST] = digital_post
    task_queue = f"appfail-{uuid.uuid4().hex[:8]}"
    store = StoreActivities(pool)
    async with own_time_skipping_env() as env:
        parts = messaging_parts(pool, env.client, task_queue, settings, data_dir, transports)
        async with (
            Worker(
                env.client,
                task_queue=task_queue,
                workflows=[ApplicationWorkflow],
                activities=[store.append_application_events, *parts.case_queue_activities],
            ),
            Worker(
                env.client,
                task_queue=message_task_queue(task_queue),
                workflows=parts.message_queue_workflows,
                activities=parts.message_queue_activities,
            ),
        ):
            yield env, task_queue, digital_post
            await terminate_started_applications()


async def _refused_application(
    stack: Stack, municipality: str, *, refuse_letter: bool, light: bool
) -> tuple[Handle, str]:
    """An application refused today, its decision letter queued; with `refuse_letter`, the letter fails. `light`: as
    the door starts it since issue 18 (the application sends the letter itself), else through a delivery workflow."""
    env, task_queue, digital_post = stack
    today = local_date(await env.get_current_time())
    application_id = str(uuid.uuid4())
    if refuse_letter:
        digital_post.refused.add(application_id)
    application = make_application(application_date=today, municipality_code=municipality)
    handle, _ = await start_application(env.client, task_queue, receive(application), application_id, light=light)
    await send(handle, refuse(today))
    expected = DeliveryStatus.FAILED if refuse_letter else DeliveryStatus.SENT
    state = await wait_for(handle, lambda s: [m.status for m in s.messages.values()] == [expected])
    return handle, next(iter(state.messages))


async def _listed(pool: Pool, municipality: str, delivery_failed: bool) -> list[str]:
    rows, _ = await application_queries.list_applications(
        pool, municipality=municipality, delivery_failed=delivery_failed
    )
    return [row["application_id"] for row in rows]


async def _row_says_failed(pool: Pool, application_id: str) -> bool:
    row = await application_queries.get_application(pool, application_id)
    assert row is not None
    return bool(row["delivery_failed"])


LIGHT = pytest.mark.parametrize("light", [False, True], ids=["delivery-workflow", "light"])


@LIGHT
async def test_a_failed_letter_marks_the_application_until_it_is_resent(pool: Pool, stack: Stack, light: bool) -> None:
    municipality = await unused_municipality(pool)
    failed, message_id = await _refused_application(stack, municipality, refuse_letter=True, light=light)
    delivered, _ = await _refused_application(stack, municipality, refuse_letter=False, light=light)
    failed_id, delivered_id = failed.id.removeprefix("application-"), delivered.id.removeprefix("application-")

    assert (await failed.query(ApplicationWorkflow.current_state)).delivery_failed
    assert await _row_says_failed(pool, failed_id) and not await _row_says_failed(pool, delivered_id)
    assert await _listed(pool, municipality, delivery_failed=True) == [failed_id]
    assert await _listed(pool, municipality, delivery_failed=False) == [delivered_id]
    assert await search_attribute(failed, keys.DELIVERY_FAILED.name) is True  # type: ignore[arg-type]
    assert await search_attribute(delivered, keys.DELIVERY_FAILED.name) is False  # type: ignore[arg-type]

    stack[2].refused.discard(failed_id)  # the mailbox takes it now
    resend = ResendMessage(command_id=f"resend-{uuid.uuid4()}", actor="caseworker:cw-86", message_id=message_id)
    await failed.execute_update(ApplicationWorkflow.resend_message, resend, id=resend.command_id)
    state = await wait_for(failed, lambda s: s.messages[message_id].status is DeliveryStatus.SENT)
    assert not state.delivery_failed and state.messages[message_id].resends == 1
    assert not await _row_says_failed(pool, failed_id)
    assert await _listed(pool, municipality, delivery_failed=True) == []
    assert await search_attribute(failed, keys.DELIVERY_FAILED.name) is False  # type: ignore[arg-type]


@LIGHT
async def test_a_letter_that_failed_is_resent_after_the_application_closed(
    pool: Pool, stack: Stack, light: bool
) -> None:
    # The decision letter is owed whether or not the application has closed since: the workflow stays for it.
    municipality = await unused_municipality(pool)
    failed, message_id = await _refused_application(stack, municipality, refuse_letter=True, light=light)
    await send(failed, close())
    state = await wait_for(failed, lambda s: s.status.is_terminal)
    assert state.delivery_failed

    stack[2].refused.discard(failed.id.removeprefix("application-"))
    resend = ResendMessage(command_id=f"resend-{uuid.uuid4()}", actor="caseworker:cw-86", message_id=message_id)
    answered = await failed.execute_update(ApplicationWorkflow.resend_message, resend, id=resend.command_id)
    assert answered.status.is_terminal
    state = await wait_for(failed, lambda s: s.messages[message_id].status is DeliveryStatus.SENT)
    assert not state.delivery_failed and state.messages[message_id].resends == 1
    await failed.result()  # nothing has failed any more: the workflow finishes


async def test_a_history_recorded_with_the_attribute_replays(pool: Pool, stack: Stack) -> None:
    # The patch marker sits where the attribute is first published: a history recorded now must replay.
    handle, _ = await _refused_application(stack, await unused_municipality(pool), refuse_letter=True, light=False)
    history = await handle.fetch_history()
    markers = [event for event in history.events if event.HasField("marker_recorded_event_attributes")]
    assert any(DELIVERY_FAILED_ATTRIBUTE_PATCH.encode() in marker.SerializeToString() for marker in markers)
    replayer = Replayer(workflows=[ApplicationWorkflow], data_converter=stack[0].client.data_converter)
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
