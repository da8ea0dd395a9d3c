"""The retention sweep: a citizen's key is destroyed once none of their cases or applications is live (running,
on hold, or inside the retention period after it ended), and each of them records its erasure. Each test has a
database of its own: the sweep looks at every ended case, and other tests' citizens must not be erased."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.platform.db import Pool, open_pool
from activities.queries import cases as case_queries
from activities.retention.activities import RetentionActivities
from activities.retention.holds import change_hold, current_status
from activities.retention.schedule import ensure_retention_schedule
from activities.retention.sweep import retained_until, sweep_batch
from activities.runtime.settings import Settings
from activities.sealing.personal_fields import ERASED_TEXT
from activities.sealing.settings import RetentionRule
from activities.store.eventstore import EventStore
from activities.store.retention_events import HoldKind, PersonalDataErased
from tests.support.factories import make_append
from tests.support.retention_helpers import ended_application, ended_case, legacy_case, new_cpr, new_name
from workflows.contracts.retention import RETENTION_SCHEDULE_ID, SweepInput, SweepSummary
from workflows.contracts.store import EventMetadata
from workflows.domain.events import ContactAttemptRecorded
from workflows.domain.model import ContactChannel
from workflows.scheduled.retention_sweep import RetentionSweepWorkflow

ENDED = datetime(2019, 6, 3, 12, 0, tzinfo=UTC)
WITHIN = ENDED + timedelta(days=4 * 365)
AFTER = ENDED + timedelta(days=5 * 365 + 2)
RULES = Settings()


@pytest_asyncio.fixture(loop_scope="session")
async def own_pool(fresh_database_url: str) -> AsyncIterator[Pool]:
    opened = await open_pool(fresh_database_url, max_size=4)
    try:
        yield opened
    finally:
        await opened.close()


async def sweep(pool: Pool, now: datetime) -> tuple[int, int]:
    erased = kept = 0
    after = None
    while True:
        batch = await sweep_batch(pool, RULES, now, after, 2, "test-sweep")
        erased, kept = erased + batch.erased, kept + batch.kept
        if batch.next_after is None:
            return erased, kept
        after = batch.next_after


async def patient_name(pool: Pool, case_id: str) -> str:
    row = await case_queries.get_case(pool, case_id)
    assert row is not None
    plan = case_queries.case_state(row).plan
    assert plan is not None
    return plan.patient.name


def metadata() -> EventMetadata:
    return EventMetadata(
        actor="caseworker:cw", command_id=str(uuid.uuid4()), command_type="PlaceHold", workflow_id="api", run_id="api"
    )


async def test_nothing_is_erased_inside_the_retention_period_and_everything_after_it(own_pool: Pool) -> None:
    store, cpr, name = EventStore(own_pool), new_cpr(), new_name()
    case_id = await ended_case(store, cpr, name, ENDED)
    application_id = await ended_application(store, cpr, name, ENDED)

    assert await sweep(own_pool, WITHIN) == (0, 0)
    assert await patient_name(own_pool, case_id) == name

    assert await sweep(own_pool, AFTER) == (2, 0)
    assert await patient_name(own_pool, case_id) == ERASED_TEXT
    for subject_type, subject_id in (("case", case_id), ("application", application_id)):
        status = await current_status(own_pool, subject_type, subject_id)
        assert status.erased_at is not None and status.erased_basis == "retention"
    retention = await EventStore(own_pool).read_all(0, 1000)
    erased = [e.event for e in retention if isinstance(e.event, PersonalDataErased)]
    assert {(e.rule, e.retention_years, e.ended_on) for e in erased} == {
        ("journalføringsbekendtgørelsen §15 stk. 2", 5, ENDED.date())
    }

    assert await sweep(own_pool, AFTER + timedelta(days=1)) == (0, 0)  # idempotent: nothing left to do


async def test_a_hold_keeps_the_data_until_it_is_lifted(own_pool: Pool) -> None:
    store, cpr, name = EventStore(own_pool), new_cpr(), new_name()
    case_id = await ended_case(store, cpr, name, ENDED)
    await change_hold(
        own_pool, "case", case_id, HoldKind.COMPLAINT, "Klage til STPK", place=True, metadata=metadata(), now=AFTER
    )

    assert await sweep(own_pool, AFTER) == (0, 0)
    assert await patient_name(own_pool, case_id) == name

    await change_hold(
        own_pool, "case", case_id, HoldKind.COMPLAINT, "Klagen er afgjort", place=False, metadata=metadata(), now=AFTER
    )
    assert await sweep(own_pool, AFTER) == (1, 0)
    assert await patient_name(own_pool, case_id) == ERASED_TEXT


async def test_a_live_case_of_the_same_citizen_keeps_the_key_of_an_expired_one(own_pool: Pool) -> None:
    store, cpr, name = EventStore(own_pool), new_cpr(), new_name()
    old_case = await ended_case(store, cpr, name, ENDED)
    running = await ended_case(store, cpr, name, AFTER - timedelta(days=3), end=False)

    assert await sweep(own_pool, AFTER) == (0, 1)
    assert await patient_name(own_pool, old_case) == name
    assert await patient_name(own_pool, running) == name


def test_the_rule_in_force_when_the_case_ended_sets_its_period() -> None:
    rules = Settings(
        retention_rules=(
            RetentionRule(valid_from=date(1970, 1, 1), years=5, source="journalføringsbekendtgørelsen §15 stk. 2"),
            RetentionRule(valid_from=date(2030, 1, 1), years=10, source="a later rule"),
        )
    )
    assert retained_until(rules, datetime(2029, 12, 31, 12, tzinfo=UTC))[0] == date(2034, 12, 31)
    until, rule = retained_until(rules, datetime(2030, 1, 2, 12, tzinfo=UTC))
    assert until == date(2040, 1, 2) and rule.source == "a later rule"
    assert retained_until(rules, datetime(2024, 2, 29, 12, tzinfo=UTC))[0] == date(2029, 3, 1)


async def test_the_sweep_workflow_erases_through_its_activity_on_the_time_skipping_server(
    own_pool: Pool, time_skipping_env: WorkflowEnvironment
) -> None:
    store, cpr, name = EventStore(own_pool), new_cpr(), new_name()
    case_id = await ended_case(store, cpr, name, ENDED)  # ended 2019: past its 5 years by the server's clock
    task_queue = f"retention-{uuid.uuid4()}"
    activities = RetentionActivities(own_pool, RULES, batch_size=1)
    async with Worker(
        time_skipping_env.client,
        task_queue=task_queue,
        workflows=[RetentionSweepWorkflow],
        activities=[activities.sweep_retention_batch],
    ):
        summary = await time_skipping_env.client.execute_workflow(
            RetentionSweepWorkflow.run,
            SweepInput(),
            id=f"retention-sweep-{uuid.uuid4()}",
            task_queue=task_queue,
            result_type=SweepSummary,
        )
    assert summary == SweepSummary(erased=1, kept=0, unsealed=0)
    assert await patient_name(own_pool, case_id) == ERASED_TEXT


async def test_the_schedule_is_created_once_and_runs_daily(dev_server_env: WorkflowEnvironment) -> None:
    client: Client = dev_server_env.client
    try:  # a worker started by another module of the run made it on the shared server: start from none
        await client.get_schedule_handle(RETENTION_SCHEDULE_ID).delete()
    except RPCError:
        pass
    try:
        assert await ensure_retention_schedule(client, "q-retention", 3) is True
        assert await ensure_retention_schedule(client, "q-retention", 4) is False  # already there: updated
        described = await client.get_schedule_handle(RETENTION_SCHEDULE_ID).describe()
        (calendar,) = described.schedule.spec.calendars
        assert [r.start for r in calendar.hour] == [4] and [r.start for r in calendar.minute] == [0]
        assert described.schedule.policy.overlap.name == "SKIP"
    finally:
        await client.get_schedule_handle(RETENTION_SCHEDULE_ID).delete()


async def test_a_case_stored_before_sealing_gets_sealed_events_but_is_not_reported_erased(own_pool: Pool) -> None:
    cpr, name = new_cpr(), new_name()
    case_id = await legacy_case(own_pool, cpr, name, ENDED - timedelta(days=1))
    note = ContactAttemptRecorded(occurred_at=ENDED, channel=ContactChannel.PHONE, note=f"Ringede til {name}")
    await EventStore(own_pool).append(make_append(case_id, [note], 1))  # sealed with the legacy citizen's key
    async with own_pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT payload::text FROM events WHERE case_id = %s AND case_version = 2", (case_id,)
        )
        row = await cursor.fetchone()
    assert row is not None and name not in row[0] and "$sealed" in row[0]

    batch = await sweep_batch(own_pool, RULES, AFTER, None, 10, "test-sweep")

    assert (batch.erased, batch.unsealed) == (0, 1)  # the key is gone, but the first plan is still in clear
    (stored_note,) = [e for e in await EventStore(own_pool).read_stream(case_id) if e.case_version == 2]
    assert getattr(stored_note.event, "note", None) == ERASED_TEXT
    assert (await current_status(own_pool, "case", case_id)).erased_at is None
