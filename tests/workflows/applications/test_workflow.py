"""The application workflow on a time-skipping test server of its own, with the in-memory store: every timer.

Open applications are terminated at teardown, so no timer outlives the module's worker.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.application_factories import (
    appeal,
    close,
    forward,
    gp_reply,
    grant,
    make_application,
    receive,
    refuse,
    request_gp,
    transport,
    uphold,
)
from tests.support.application_fakes import InMemoryApplicationStore
from tests.support.application_workflow_helpers import (
    Handle,
    own_time_skipping_env,
    send,
    start_application,
    terminate_started_applications,
    wait_for,
)
from tests.support.workflow_helpers import search_attribute
from workflows.applications.workflow import ApplicationWorkflow
from workflows.domain.applications.model import (
    ApplicationCloseReason,
    ApplicationStatus,
    CareLevel,
    CaseworkerCloseReason,
)
from workflows.domain.applications.state import ApplicationState, fold
from workflows.domain.calendar import local_date
from workflows.shell import search_attributes as keys
from workflows.shell.results import ApplicationResult

Running = tuple[WorkflowEnvironment, InMemoryApplicationStore, str]
Status = ApplicationStatus


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def running() -> AsyncIterator[Running]:
    store = InMemoryApplicationStore()
    task_queue = f"applications-{uuid.uuid4().hex[:8]}"
    async with (
        own_time_skipping_env() as env,
        Worker(
            env.client,
            task_queue=task_queue,
            workflows=[ApplicationWorkflow],
            activities=[store.append_application_events, store.queue_application_message],
        ),
        store.message_worker(env.client, task_queue),
    ):
        yield env, store, task_queue
        await terminate_started_applications()


async def _today(env: WorkflowEnvironment) -> date:
    return local_date(await env.get_current_time())


async def _started(running: Running, **application: object) -> tuple[Handle, date]:
    env, _, task_queue = running
    today = await _today(env)
    handle, state = await start_application(
        env.client, task_queue, receive(make_application(application_date=today, **application))
    )
    assert state.status is Status.UNDER_ASSESSMENT
    return handle, today


async def test_gp_reply_deadline_records_overdue_and_a_reply_cancels_it(running: Running) -> None:
    env, store, _ = running
    late, today = await _started(running)
    answered, _ = await _started(running)
    await send(late, request_gp(today + timedelta(days=5)))
    await send(answered, request_gp(today + timedelta(days=5)))
    await send(answered, gp_reply(today))
    await env.sleep(timedelta(days=7))
    state = await wait_for(late, lambda s: s.gp_overdue)
    assert store.types(state.application_id)[-1] == "GpInformationOverdue"
    assert await search_attribute(late, keys.CASE_OVERDUE.name) is True  # type: ignore[arg-type]
    quiet = await answered.query(ApplicationWorkflow.current_state)
    assert not quiet.gp_overdue and "GpInformationOverdue" not in store.types(quiet.application_id)


async def test_appeal_upheld_and_not_forwarded_in_4_weeks_is_overdue(running: Running) -> None:
    env, store, _ = running
    handle, today = await _started(running)
    for command in (refuse(today), appeal(today), uphold()):
        state = await send(handle, command)
    assert state.status is Status.UPHELD and state.forwarding_due_on == today + timedelta(days=28)
    await env.sleep(timedelta(days=27))
    assert not (await handle.query(ApplicationWorkflow.current_state)).forwarding_overdue
    await env.sleep(timedelta(days=2))
    state = await wait_for(handle, lambda s: s.forwarding_overdue)
    assert store.types(state.application_id)[-1] == "AnkestyrelsenForwardingOverdue"
    assert await search_attribute(handle, keys.CASE_OVERDUE.name) is True  # type: ignore[arg-type]
    forwarded = await send(handle, forward(await _today(env)))
    assert forwarded.status is Status.AT_ANKESTYRELSEN
    assert store.events(state.application_id)[-1].within_deadline is False  # type: ignore[union-attr]
    assert await search_attribute(handle, keys.CASE_OVERDUE.name) is False  # type: ignore[arg-type]


async def test_the_end_of_the_granted_period_closes_the_application(running: Running) -> None:
    env, store, _ = running
    handle, today = await _started(running, legal_basis="stk2", covered_by_aeldreloven=True)
    await send(handle, grant(today, today + timedelta(days=10), today))
    assert await search_attribute(handle, keys.CARE_LEVEL.name) == CareLevel.AELDRELOVEN.value  # type: ignore[arg-type]
    await env.sleep(timedelta(days=12))
    result = await handle.result()
    state = await handle.query(ApplicationWorkflow.current_state)  # a closed workflow still answers queries
    assert (state.status, state.close_reason) == (Status.CLOSED, ApplicationCloseReason.GRANT_PERIOD_ENDED)
    assert result == ApplicationResult(application_id=state.application_id, status=Status.CLOSED, version=state.version)
    assert store.types(state.application_id)[-2:] == ["GrantPeriodEnded", "ApplicationClosed"]
    assert fold(ApplicationState(application_id=state.application_id), store.events(state.application_id)) == state
    details = (await handle.query("__temporal_workflow_metadata")).current_details  # the workflow page
    assert "Status: **closed**" in details and "Legal reference: Ældreloven" in details
    assert state.application is not None
    assert state.application.citizen.cpr not in details and state.application.citizen.name not in details


async def test_a_renewal_before_the_end_keeps_the_application_open(running: Running) -> None:
    env, store, _ = running
    handle, today = await _started(running)
    await send(handle, grant(today, today + timedelta(days=10), today))
    await send(handle, transport(granted=False))
    renewed = await send(handle, grant(today + timedelta(days=11), today + timedelta(days=40), today))
    assert renewed.granted_to == today + timedelta(days=40)
    await env.sleep(timedelta(days=12))
    state = await handle.query(ApplicationWorkflow.current_state)
    assert state.status is Status.GRANTED and "GrantPeriodEnded" not in store.types(state.application_id)
    assert await search_attribute(handle, keys.CASE_STATUS.name) == Status.GRANTED.value  # type: ignore[arg-type]


async def test_a_refusal_not_appealed_closes_when_the_4_weeks_are_over(running: Running) -> None:
    env, store, _ = running
    handle, today = await _started(running)
    await send(handle, refuse(today))
    await env.sleep(timedelta(days=28))  # still day 28 after notification: an appeal would be in time
    assert (await handle.query(ApplicationWorkflow.current_state)).status is Status.REFUSED
    await env.sleep(timedelta(days=1))
    result = await handle.result()
    state = await handle.query(ApplicationWorkflow.current_state)
    assert (result.status, state.close_reason) == (Status.CLOSED, ApplicationCloseReason.REFUSAL_NOT_APPEALED)
    assert store.types(result.application_id)[-2:] == ["AppealPeriodEnded", "ApplicationClosed"]


async def test_the_validator_rejects_a_late_appeal_before_anything_is_stored(running: Running) -> None:
    env, store, _ = running
    handle, today = await _started(running)
    await send(handle, grant(today, today + timedelta(days=60), today))
    await env.sleep(timedelta(days=29))
    version = len(store.events((await handle.query(ApplicationWorkflow.current_state)).application_id))
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await send(handle, appeal(await _today(env)))
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCommand"
    assert cause.details[0] == {"field": "received_on"}
    state = await handle.query(ApplicationWorkflow.current_state)
    assert state.version == version == len(store.events(state.application_id))


async def test_closing_ends_the_workflow_and_a_resent_command_is_applied_once(running: Running) -> None:
    _, store, _ = running
    handle, _ = await _started(running)
    command = close(CaseworkerCloseReason.DECEASED)
    first = await send(handle, command)
    again = await send(handle, command)
    assert first == again and first.status is Status.CLOSED
    assert store.types(first.application_id).count("ApplicationClosed") == 1
    assert (await handle.result()) == ApplicationResult.of(first)
