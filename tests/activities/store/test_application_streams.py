"""Application streams in the shared event store: the projection dispatches by stream type, each read model
folds only its own kind, and the rebuilds keep it so. Against a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import pytest_asyncio
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.platform.db import Pool, open_pool
from activities.queries import applications as application_queries
from activities.queries.cases import get_case
from activities.sealing.personal_data import open_state
from activities.sealing.personal_fields import APPLICATION_STATE, CASE_STATE
from activities.store.activities import StoreActivities
from activities.store.eventstore import ConcurrencyConflict, EventStore, InvalidAppend
from activities.store.migrate import apply_migrations
from activities.store.read_models.applications import application_row
from activities.store.rebuild import rebuild_applications_projection, rebuild_cases_projection
from activities.store.stored_events import StoredApplicationEvent, StoredEvent
from tests.support.application_factories import (
    gp_reply,
    grant,
    make_application_append,
    noon,
    receive,
    request_gp,
    run,
    transport,
)
from tests.support.factories import lifecycle_batches, make_append, new_case_id
from tests.support.store_helpers import append_all
from workflows.domain.applications.commands import ApplicationCommand
from workflows.domain.applications.events import ApplicationEvent
from workflows.domain.applications.state import ApplicationState, fold
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient
from workflows.domain.messaging.state import DeliveryStatus, MessageDelivery

MIGRATION_0021 = "0021_application_delivery_failed.sql"


def application_batches(application_id: str) -> list[list[ApplicationEvent]]:
    """One batch per command, as the workflow appends them: intake, GP request and reply, grant, transport."""
    commands: list[ApplicationCommand] = [
        receive(),
        request_gp(date(2025, 11, 14)),
        gp_reply(date(2025, 11, 5)),
        grant(date(2025, 11, 10), date(2026, 2, 28), date(2025, 11, 6)),
        transport(),
    ]
    state = ApplicationState(application_id=application_id)
    batches: list[list[ApplicationEvent]] = []
    for offset, command in enumerate(commands):
        state, events = run([(command, noon(date(2025, 11, 3 + offset)))], state)
        batches.append(events)
    return batches


async def append_application(store: EventStore, application_id: str) -> list[ApplicationEvent]:
    version = 0
    appended: list[ApplicationEvent] = []
    for batch in application_batches(application_id):
        await store.append_application(make_application_append(application_id, batch, version))
        version += len(batch)
        appended += batch
    return appended


@pytest_asyncio.fixture(loop_scope="session")
async def empty_pool(fresh_database_url: str) -> AsyncIterator[Pool]:
    opened = await open_pool(fresh_database_url, max_size=3)
    try:
        yield opened
    finally:
        await opened.close()


async def rows(pool: Pool, table: str) -> list[dict[str, Any]]:
    """Every row of a read model, its state opened (sealed values differ on every write)."""
    fields = CASE_STATE if table == "cases" else APPLICATION_STATE
    async with pool.connection() as conn:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            found = await cursor.fetchall()
        for row in found:
            await open_state(conn, row["state"], fields)
        return found


async def test_an_application_stream_is_folded_into_applications_only(pool: Pool) -> None:
    store, application_id = EventStore(pool), str(uuid.uuid4())
    events = await append_application(store, application_id)

    row = await application_queries.get_application(pool, application_id)
    folded = fold(ApplicationState(application_id=application_id), events)
    assert row is not None and ApplicationState.model_validate(row["state"]) == folded
    last_position = (await store.read_application_stream(application_id))[-1].global_position
    expected = application_row(folded, last_position)
    del expected["state"]
    assert {column: row[column] for column in expected if column in row} == {
        column: value for column, value in expected.items() if column in row
    }
    assert (row["status"], row["care_level"], row["decision_outcome"]) == ("granted", "sel86_stk1", "granted")
    assert await get_case(pool, application_id) is None  # never a row in cases
    assert await store.read_stream(application_id) == []  # the case reader does not see it


async def test_the_stream_type_is_stored_and_read_back_by_kind(pool: Pool) -> None:
    store, application_id, case_id = EventStore(pool), str(uuid.uuid4()), new_case_id()
    await append_application(store, application_id)
    await append_all(store, case_id, lifecycle_batches(case_id)[:2])
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT DISTINCT case_id, stream_type FROM events WHERE case_id = ANY(%s) ORDER BY stream_type",
            ([application_id, case_id],),
        )
        assert await cursor.fetchall() == [(application_id, "application"), (case_id, "case")]
    stream = await store.read_application_stream(application_id)
    assert [stored.case_version for stored in stream] == list(range(1, len(stream) + 1))
    assert stream[0].application_id == application_id and stream[0].event_type == "ApplicationReceived"
    assert await store.read_application_stream(case_id) == []
    first = min(stream[0].global_position, (await store.read_stream(case_id))[0].global_position)
    mixed = await store.read_all(first - 1, 1000)
    kinds = {(type(stored), stored.case_id) for stored in mixed if stored.case_id in (application_id, case_id)}
    assert kinds == {(StoredApplicationEvent, application_id), (StoredEvent, case_id)}


async def test_a_stream_keeps_its_kind(pool: Pool) -> None:
    store, application_id, case_id = EventStore(pool), str(uuid.uuid4()), new_case_id()
    (intake, *_) = application_batches(application_id)
    await store.append_application(make_application_append(application_id, intake, 0))
    with pytest.raises(InvalidAppend, match="not a case stream"):
        await store.append(make_append(application_id, lifecycle_batches(application_id)[0], 1))
    await append_all(store, case_id, lifecycle_batches(case_id)[:1])
    with pytest.raises(InvalidAppend, match="not a application stream"):
        await store.append_application(make_application_append(case_id, intake, 1))


async def test_application_appends_are_checked_and_retried_like_case_appends(pool: Pool) -> None:
    store, application_id = EventStore(pool), str(uuid.uuid4())
    intake, gp, *_ = application_batches(application_id)
    first = make_application_append(application_id, intake, 0)
    assert await store.append_application(first) == await store.append_application(first)  # a retry stores once
    with pytest.raises(ConcurrencyConflict):
        await store.append_application(make_application_append(application_id, gp, 0))
    activities = StoreActivities(pool)
    with pytest.raises(ApplicationError) as failure:
        await ActivityEnvironment().run(
            activities.append_application_events, make_application_append(application_id, gp, 5)
        )
    assert failure.value.type == "ConcurrencyConflict" and failure.value.non_retryable
    result = await ActivityEnvironment().run(
        activities.append_application_events, make_application_append(application_id, gp, 1)
    )
    assert result.case_version == 1 + len(gp)


async def test_rebuilds_fold_each_kind_into_its_own_read_model(empty_pool: Pool) -> None:
    store = EventStore(empty_pool)
    for _ in range(2):
        await append_application(store, str(uuid.uuid4()))
        case_id = new_case_id()
        await append_all(store, case_id, lifecycle_batches(case_id))
    cases_before, applications_before = await rows(empty_pool, "cases"), await rows(empty_pool, "applications")

    cases = await rebuild_cases_projection(empty_pool, batch_size=5)
    applications = await rebuild_applications_projection(empty_pool, batch_size=5)

    assert (cases.cases, applications.cases) == (2, 2)
    assert await rows(empty_pool, "cases") == cases_before
    assert await rows(empty_pool, "applications") == applications_before
    async with empty_pool.connection() as conn:
        indexes = await conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'applications'")
        assert {row[0] for row in await indexes.fetchall()} >= {
            "applications_pkey",
            "applications_status_idx",
            "applications_delivery_failed_idx",
        }


def _stored_with_letter(status: DeliveryStatus) -> ApplicationState:
    letter = MessageDelivery(
        kind=MessageKind.LETTER_DECISION,
        channel=Channel.DIGITAL_POST,
        recipient=MessageRecipient.PATIENT,
        status=status,
    )
    return ApplicationState(application_id=str(uuid.uuid4()), messages={str(uuid.uuid4()): letter})


async def test_migration_0021_marks_the_applications_stored_with_a_failed_letter(
    empty_pool: Pool, fresh_database_url: str
) -> None:
    failed, sent = _stored_with_letter(DeliveryStatus.FAILED), _stored_with_letter(DeliveryStatus.SENT)
    without = ApplicationState(application_id=str(uuid.uuid4()))
    async with empty_pool.connection() as conn:
        for state in (failed, sent, without):
            await conn.execute(
                "INSERT INTO applications (application_id, status, version, last_global_position, state)"
                " VALUES (%s, 'refused', 1, 1, %s)",
                (state.application_id, Jsonb(state.model_dump(mode="json"))),
            )
        # As the table was before the migration: no column, and the migration not applied.
        await conn.execute("ALTER TABLE applications DROP COLUMN delivery_failed")
        await conn.execute("DELETE FROM schema_migrations WHERE name = %s", (MIGRATION_0021,))

    assert await apply_migrations(fresh_database_url) == [MIGRATION_0021]
    async with empty_pool.connection() as conn:
        cursor = await conn.execute("SELECT application_id FROM applications WHERE delivery_failed")
        assert [row[0] for row in await cursor.fetchall()] == [failed.application_id]
