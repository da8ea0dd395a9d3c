"""An append folds on from the state the process's previous append of the stream left, never from one that is
no longer the row's: another process appended, or the citizen's key was destroyed meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime

from activities.platform.db import Pool
from activities.queries import cases as case_queries
from activities.sealing.citizen_keys import destroy_key
from activities.sealing.personal_fields import ERASED_TEXT
from activities.store.eventstore import EventStore
from tests.support.factories import make_append, make_plan, new_case_id, plan_received
from tests.support.retention_helpers import new_cpr
from workflows.domain.events import CitizenContacted
from workflows.domain.model import ContactChannel
from workflows.domain.state import CaseState, fold

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def _contacted(note: str) -> CitizenContacted:
    return CitizenContacted(
        occurred_at=NOW, contacted_at=NOW, channel=ContactChannel.PHONE, informed_of_provider_choices=True, note=note
    )


async def test_appends_of_two_processes_to_one_stream_fold_every_event(pool: Pool) -> None:
    first, second, case_id = EventStore(pool), EventStore(pool), new_case_id()
    await first.append(make_append(case_id, [plan_received()], 0))
    await second.append(make_append(case_id, [_contacted("by the other process")], 1))
    await first.append(make_append(case_id, [_contacted("by the first again")], 2))

    row = await case_queries.get_case(pool, case_id)
    assert row is not None
    events = [stored.event for stored in await first.read_stream(case_id)]
    assert case_queries.case_state(row) == fold(CaseState(case_id=case_id), events)
    assert row["version"] == 3


async def test_after_a_key_is_destroyed_the_next_append_keeps_the_data_erased(pool: Pool) -> None:
    store, case_id, cpr = EventStore(pool), new_case_id(), new_cpr()
    plan = plan_received(make_plan(patient={"cpr": cpr, "name": "Testa Testesen"}))
    await store.append(make_append(case_id, [plan], 0))  # the process now remembers the state, CPR in clear
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT key_id FROM citizen_streams WHERE stream_id = %s", (case_id,))
        (key_id,) = [row[0] for row in await cursor.fetchall()]
        assert await destroy_key(conn, key_id, "erasure_request")

    await store.append(make_append(case_id, [_contacted("after the erasure")], 1))

    row = await case_queries.get_case(pool, case_id)
    assert row is not None and row["version"] == 2
    assert case_queries.case_state(row).plan.patient.cpr == ERASED_TEXT  # type: ignore[union-attr]
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT count(*) FROM citizen_streams WHERE stream_id = %s", (case_id,))
        assert await cursor.fetchone() == (1,)  # no new key was made for the erased citizen
