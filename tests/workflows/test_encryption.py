"""Encrypted payloads end to end on the time-skipping server: a case's history holds no CPR number or name,
while the client still reads the plan back, and the encrypted history replays."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest_asyncio
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.api.history.v1 import History, MarkerRecordedEventAttributes
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.runtime.temporal_connection import data_converter_for, payload_codec_for
from activities.sealing.payload_codec import ENCRYPTED_ENCODING
from tests.support.domain_helpers import CASEWORKER, cid, classify
from tests.support.encryption_helpers import encrypting_settings
from tests.support.factories import SYNTHETIC_CPR, make_plan, receive_plan
from tests.support.fakes import InMemoryCaseStore
from tests.support.workflow_helpers import send, start_case, terminate_started_cases, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import CloseCase
from workflows.domain.model import CaseStatus, CloseReason

CITIZEN_NAME = "Testa Testesen"
SETTINGS = encrypting_settings()


@dataclass
class Side:
    client: Client
    task_queue: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sides(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[tuple[Side, Side]]:
    """An encrypting client and worker, and a plain one, on the same server and their own task queues."""
    encrypting = Client(
        time_skipping_env.client.service_client,
        namespace=time_skipping_env.client.namespace,
        data_converter=data_converter_for(SETTINGS),
    )
    secret = Side(encrypting, f"encrypted-{uuid.uuid4().hex[:8]}")
    plain = Side(time_skipping_env.client, f"plain-{uuid.uuid4().hex[:8]}")
    store = InMemoryCaseStore()
    async with (
        Worker(secret.client, task_queue=secret.task_queue, workflows=[CaseWorkflow], activities=store.activities()),
        Worker(plain.client, task_queue=plain.task_queue, workflows=[CaseWorkflow], activities=store.activities()),
        store.message_worker(secret.client, secret.task_queue),
        store.message_worker(plain.client, plain.task_queue),
    ):
        yield secret, plain
        await terminate_started_cases()


async def run_case(side: Side) -> tuple[WorkflowHistory, str]:
    """Receive a plan (workflow input, Update argument and result), deliver it (activities), classify it
    (another Update), and return the history and what the client reads back."""
    assert CITIZEN_NAME == make_plan().patient.name
    handle, received = await start_case(side.client, side.task_queue, receive_plan())
    assert received.plan is not None and received.plan.patient.cpr == SYNTHETIC_CPR
    await wait_for_state(handle, lambda state: state.status is CaseStatus.DISTRIBUTED)
    classified = await send(handle, classify())
    state = await handle.query(CaseWorkflow.current_state)
    assert state == classified and state.plan is not None
    return await handle.fetch_history(), state.plan.patient.name


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload in a history that passes through the codec: not search attributes (plain JSON by
    design) nor the SDK's own `workflow.patched` markers (the patch id, written by the SDK's core)."""
    if isinstance(message, Payload):
        yield message
        return
    if isinstance(message, SearchAttributes):
        return
    if isinstance(message, MarkerRecordedEventAttributes) and message.marker_name == "core_patch":
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            values = list(value.values())
        elif field.is_repeated:
            values = list(value)
        else:
            values = [value]
        for item in values:
            if isinstance(item, Message):
                yield from payloads_in(item)


def raw(history: WorkflowHistory) -> bytes:
    return History(events=history.events).SerializeToString() + history.to_json().encode()


async def test_an_encrypted_history_holds_no_personal_data(sides: tuple[Side, Side]) -> None:
    secret, _ = sides
    history, name_read_back = await run_case(secret)
    assert name_read_back == CITIZEN_NAME  # the client decodes the plan ...
    assert SYNTHETIC_CPR.encode() not in raw(history)  # ... which Temporal holds only encrypted
    assert CITIZEN_NAME.encode() not in raw(history)
    assert b"Testesen" not in raw(history)
    payloads = list(payloads_in(History(events=history.events)))
    assert len(payloads) > 5  # input, Update arguments and results, activity inputs and results
    assert {payload.metadata["encoding"] for payload in payloads} == {ENCRYPTED_ENCODING}


async def test_a_plain_history_would_hold_them(sides: tuple[Side, Side]) -> None:
    # The control: the same run without the codec leaves the CPR number and the name in the history.
    _, plain = sides
    history, _ = await run_case(plain)
    assert SYNTHETIC_CPR.encode() in raw(history)
    assert CITIZEN_NAME.encode() in raw(history)


async def test_an_encrypted_history_replays_with_the_encrypting_converter(sides: tuple[Side, Side]) -> None:
    secret, _ = sides
    history, _ = await run_case(secret)
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=data_converter_for(SETTINGS))
    assert (await replayer.replay_workflow(history, raise_on_replay_failure=True)).replay_failure is None


async def test_a_finished_cases_result_holds_no_personal_data(sides: tuple[Side, Side]) -> None:
    # The result is the first thing the Temporal UI shows of a closed workflow: decoding it (ops_decrypt) must not
    # show the citizen. The state stays in the event store.
    secret, _ = sides
    handle, _ = await start_case(secret.client, secret.task_queue, receive_plan())
    await wait_for_state(handle, lambda state: state.status is CaseStatus.DISTRIBUTED)
    await send(handle, classify())
    close = CloseCase(command_id=cid(), actor=CASEWORKER, reason=CloseReason.NO_FURTHER_NEED_CITIZEN)
    closed = await send(handle, close)
    assert closed.status is CaseStatus.CLOSED
    await handle.result()
    [completed] = [
        event.workflow_execution_completed_event_attributes
        for event in (await handle.fetch_history()).events
        if event.HasField("workflow_execution_completed_event_attributes")
    ]
    codec = payload_codec_for(SETTINGS)
    assert codec is not None
    [result] = await codec.decode(list(completed.result.payloads))
    assert SYNTHETIC_CPR.encode() not in result.data and b"Testesen" not in result.data
    assert json.loads(result.data) == {"case_id": closed.case_id, "status": "closed", "version": closed.version}
