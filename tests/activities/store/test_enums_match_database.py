"""Every enum value the service writes to a column with a CHECK constraint is one the database accepts.

The constraints are read from the migrated database itself, so a migration and an enum cannot drift apart
unnoticed; and every constrained column must be listed here, so a new one cannot be forgotten.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import get_args

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.access_log.records import AccessAction, AccessOutcome
from activities.messaging.medcom.inbound_messages import InboundChannel, InboundOutcome, ReceiptKind
from activities.platform.db import Pool
from activities.store.retention_events import ErasureBasis
from activities.store.stored_events import StreamType
from api.models.registers import REGISTERED_PROVIDER_KINDS
from tests.support.api_helpers import Api, running_api, unused_municipality
from workflows.contracts.kl_gateway import RUN_STATUSES as KL_RUN_STATUSES
from workflows.contracts.kl_gateway import TRIGGERS as KL_TRIGGERS
from workflows.domain.messaging.model import Channel, MessageRecipient
from workflows.domain.model import ProviderKind, Recipient

# (table, column) -> the values the service writes there.
WRITTEN: dict[tuple[str, str], frozenset[str]] = {
    ("providers", "kind"): frozenset(REGISTERED_PROVIDER_KINDS),
    ("outbox", "recipient"): frozenset(Recipient) | frozenset(MessageRecipient),
    ("outbox", "channel"): frozenset(Channel),
    ("events", "stream_type"): frozenset(StreamType),
    ("access_log", "action"): frozenset(AccessAction),
    ("access_log", "outcome"): frozenset(AccessOutcome),
    ("kl_report_runs", "trigger"): frozenset(KL_TRIGGERS),
    ("kl_report_runs", "status"): frozenset(KL_RUN_STATUSES),
    ("inbound_messages", "channel"): frozenset(get_args(InboundChannel)),
    ("inbound_messages", "outcome"): frozenset(get_args(InboundOutcome)),
    ("inbound_messages", "receipt_kind"): frozenset(get_args(ReceiptKind)),
    ("citizen_keys", "destroyed_reason"): frozenset(ErasureBasis),
    ("citizen_key_transitions", "destroyed_reason"): frozenset(ErasureBasis),
    # Written by the database's own functions (migration 0023), named here so the list stays complete.
    ("citizen_key_transitions", "transition"): frozenset({"rewrap", "destroy"}),
    ("retention_status", "erased_basis"): frozenset(ErasureBasis),
    # Retention is kept for the cases and applications themselves, never for a retention stream.
    ("retention_status", "subject_type"): frozenset(StreamType) - {StreamType.RETENTION},
    ("citizen_streams", "stream_type"): frozenset(StreamType) - {StreamType.RETENTION},
}

# `CHECK ((kind = ANY (ARRAY['own'::text, ...])))`, as PostgreSQL prints an `IN (...)` list.
_IN_LIST = re.compile(r"\(\(?(\w+)\)? = ANY \(\(?ARRAY\[(.*?)\]")
_LITERAL = re.compile(r"'((?:[^']|'')*)'")


async def _constrained_columns(pool: Pool) -> dict[tuple[str, str], frozenset[str]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'c' AND connamespace = 'public'::regnamespace"
        )
        rows = await cursor.fetchall()
    found: dict[tuple[str, str], frozenset[str]] = {}
    for table, definition in rows:
        for column, values in _IN_LIST.findall(definition):
            found[table, column] = frozenset(_LITERAL.findall(values))
    return found


async def test_every_value_written_is_allowed_by_its_check_constraint(pool: Pool) -> None:
    constrained = await _constrained_columns(pool)
    assert set(constrained) == set(WRITTEN), "a CHECK on a list of values is missing from WRITTEN, or gone"
    for column, values in WRITTEN.items():
        assert values <= constrained[column], f"{column}: the database refuses {sorted(values - constrained[column])}"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def test_every_kind_the_register_schema_offers_is_stored(api: Api) -> None:
    code = await unused_municipality(api.pool)
    schema = api.app.openapi()["components"]["schemas"]["ProviderRegistration"]["properties"]["kind"]
    for kind in schema["enum"]:
        body = {"provider_id": f"p-{uuid.uuid4().hex[:8]}", "name": f"Udbyder {kind}", "kind": kind}
        response = await api.http.post(f"/municipalities/{code}/providers", json=body)
        assert response.status_code == 201, response.text
        assert response.json()["kind"] == kind


async def test_a_kl_free_choice_provider_is_refused_with_422_not_500(api: Api) -> None:
    body = {"provider_id": f"p-{uuid.uuid4().hex[:8]}", "name": "Fysio City ApS", "kind": ProviderKind.KL_FREE_CHOICE}
    response = await api.http.post(f"/municipalities/{await unused_municipality(api.pool)}/providers", json=body)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["kind"]
