"""Key rings that disagree: a payload under a key id a process lacks fails naming that key id, and an API
whose command was applied, but whose answer it cannot decrypt, says so instead of a bare 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.platform.db import Pool
from activities.platform.startup_checks import StartupError
from activities.runtime.settings import Settings
from activities.runtime.temporal_connection import connect_temporal, data_converter_for
from activities.sealing.payload_codec import (
    KEY_ID_KEY,
    EncryptionCodec,
    PayloadDecryptionError,
    UnknownPayloadKeyError,
    parse_key_ring,
)
from activities.store.activities import StoreActivities
from api.main import create_app
from tests.support.api_helpers import (
    PROBLEM_JSON,
    api_client,
    command,
    fresh_plan,
    post_plan,
    settings_for,
    wait_for_case,
)
from tests.support.encryption_helpers import CURRENT_KEY, OLD_KEY
from tests.support.sender_helpers import sender_for_tests
from workflows.cases.workflow import CaseWorkflow

NEWER_KEY = CURRENT_KEY  # id test-current: the worker encrypts with it
SHARED_KEY = OLD_KEY  # id test-old: every process holds it


def test_an_unknown_key_id_is_a_typed_error_naming_it() -> None:
    worker_side = EncryptionCodec(parse_key_ring(NEWER_KEY))
    api_side = EncryptionCodec(parse_key_ring(SHARED_KEY))
    encrypted = worker_side.encrypt(Payload(metadata={"encoding": b"json/plain"}, data=b'{"cpr": "1207928834"}'))
    with pytest.raises(UnknownPayloadKeyError) as raised:
        api_side.decrypt(encrypted)
    assert raised.value.key_id == "test-current"
    assert "'test-current'" in str(raised.value) and "test-old" in str(raised.value)  # what is missing, what is held
    assert isinstance(raised.value, PayloadDecryptionError)  # the codec endpoint's 400 still catches it


def test_a_forged_key_id_is_cut_short_in_the_error() -> None:
    payload = Payload(metadata={"encoding": b"binary/encrypted", KEY_ID_KEY: b"x" * 10_000}, data=b"\0" * 40)
    with pytest.raises(UnknownPayloadKeyError) as raised:
        EncryptionCodec(parse_key_ring(SHARED_KEY)).decrypt(payload)
    assert len(raised.value.key_id) == 80 and len(str(raised.value)) < 300


def test_a_process_without_keys_refuses_unless_plaintext_is_allowed() -> None:
    with pytest.raises(StartupError, match=r"PAYLOAD_ENCRYPTION_KEYS is not set.*ALLOW_UNENCRYPTED_PAYLOADS"):
        Settings(allow_unencrypted_payloads=False).require_payload_keys()
    assert Settings(allow_unencrypted_payloads=True).require_payload_keys() == []
    keys = Settings(payload_encryption_keys=SecretStr(f"{NEWER_KEY},{SHARED_KEY}")).require_payload_keys()
    assert [key.key_id for key in keys] == ["test-current", "test-old"]


async def test_connect_temporal_refuses_before_it_connects() -> None:
    # Port 1 would refuse the connection: the StartupError shows the key check comes first.
    with pytest.raises(StartupError, match="PAYLOAD_ENCRYPTION_KEYS"):
        await connect_temporal(Settings(temporal_address="127.0.0.1:1", allow_unencrypted_payloads=False))


def _client(env: WorkflowEnvironment, *keys: str) -> Client:
    converter = data_converter_for(Settings(payload_encryption_keys=SecretStr(",".join(keys))))
    return Client(env.client.service_client, namespace=env.client.namespace, data_converter=converter)


@asynccontextmanager
async def api_with_ring(
    env: WorkflowEnvironment, pool: Pool, task_queue: str, *keys: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = settings_for(task_queue, payload_encryption_keys=SecretStr(",".join(keys)))
    app = create_app(pool=pool, temporal_client=_client(env, *keys), settings=settings)
    async with api_client(app, pool) as http:
        yield http


async def test_a_command_whose_answer_is_under_an_unknown_key_names_it_and_was_applied(
    dev_server_env: WorkflowEnvironment, pool: Pool
) -> None:
    """The worker already encrypts with the newer key (rotation's second step reached it first); an API
    replica still has only the shared key: it sends the command, the worker applies it, the answer is
    unreadable there."""
    task_queue = f"key-rings-{uuid.uuid4().hex[:8]}"
    store = StoreActivities(pool)
    worker_client = _client(dev_server_env, NEWER_KEY, SHARED_KEY)
    async with AsyncExitStack() as stack:
        sender, delivery_worker = sender_for_tests(worker_client, pool, task_queue)
        await stack.enter_async_context(
            Worker(
                worker_client,
                task_queue=task_queue,
                workflows=[CaseWorkflow, *sender.case_queue_workflows],
                activities=[store.append_case_events, store.deliver_plan, *sender.case_queue_activities],
            )
        )
        await stack.enter_async_context(delivery_worker)
        rotated = await stack.enter_async_context(
            api_with_ring(dev_server_env, pool, task_queue, NEWER_KEY, SHARED_KEY)
        )
        lagging = await stack.enter_async_context(api_with_ring(dev_server_env, pool, task_queue, SHARED_KEY))

        created = await post_plan(rotated, fresh_plan())
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        await wait_for_case(rotated, case_id, status="distributed")

        key = f"classify-{uuid.uuid4().hex[:8]}"
        answer = await command(lagging, case_id, "classification", {"sub_level": "basal"}, key=key)
        assert answer.status_code == 500, answer.text
        assert answer.headers["content-type"] == PROBLEM_JSON
        problem = answer.json()
        assert problem["type"].endswith("payload-key-unknown")
        assert "'test-current'" in problem["detail"] and "may have been applied" in problem["detail"]

        # It was applied: the read model shows it, and the same Idempotency-Key answers where the key is held.
        await wait_for_case(rotated, case_id, status="classified")
        again = await command(rotated, case_id, "classification", {"sub_level": "basal"}, key=key)
        assert again.status_code == 200 and again.json()["status"] == "classified", again.text

        # A read that decodes nothing from Temporal is unaffected on the lagging replica.
        assert (await lagging.get(f"/cases/{case_id}")).status_code == 200
