"""Personal fields are sealed in the event store and the read models, read back in clear, and read as erased
once the citizen's key is destroyed, while dates, levels, statuses and municipality stay."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from psycopg.types.json import Jsonb

from activities.platform.db import Pool, open_pool
from activities.queries import applications as application_queries
from activities.queries import cases as case_queries
from activities.sealing.citizen_keys import destroy_key
from activities.sealing.personal_data import PersonalDataError
from activities.sealing.personal_fields import ERASED_TEXT
from activities.store.eventstore import EventStore
from activities.store.rebuild import rebuild_applications_projection, rebuild_cases_projection
from api.models.cases import CaseView
from tests.support.factories import make_append, plan_received
from tests.support.retention_helpers import ended_application, ended_case, new_cpr, new_name
from workflows.domain.events import CitizenContacted, PlanReceived

ENDED_AT = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


async def raw_text(pool: Pool, query: str, *params: object) -> str:
    async with pool.connection() as conn:
        cursor = await conn.execute(query.encode(), params)
        return "\n".join(str(value) for row in await cursor.fetchall() for value in row)


async def key_ids_of(pool: Pool, stream_id: str) -> list[uuid.UUID]:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT key_id FROM citizen_streams WHERE stream_id = %s", (stream_id,))
        return [row[0] for row in await cursor.fetchall()]


async def test_personal_fields_are_stored_sealed_and_read_in_clear(pool: Pool) -> None:
    store, cpr, name = EventStore(pool), new_cpr(), new_name()
    case_id = await ended_case(store, cpr, name, ENDED_AT)

    stored = await raw_text(pool, "SELECT payload::text FROM events WHERE case_id = %s", case_id)
    row = await raw_text(pool, "SELECT state::text FROM cases WHERE case_id = %s", case_id)
    for text in (stored, row):
        assert cpr not in text and name not in text and "Brud på lårbenshals" not in text
        assert "$sealed" in text and '"almen"' in text and '"101"' in text  # level, municipality in clear
    events = await store.read_stream(case_id)
    first = events[0].event
    assert isinstance(first, PlanReceived) and first.plan.patient.cpr == cpr and first.plan.patient.name == name
    assert any(name in (getattr(e.event, "note", None) or "") for e in events)
    view = CaseView.of_row(await case_queries.get_case(pool, case_id) or {})
    assert view.plan is not None and view.plan.patient.name == name and view.status.value == "completed"


async def test_a_destroyed_key_reads_as_erased_everywhere_and_statistics_still_add_up(pool: Pool) -> None:
    store, cpr, name = EventStore(pool), new_cpr(), new_name()
    case_id = await ended_case(store, cpr, name, ENDED_AT)
    application_id = await ended_application(store, cpr, name, ENDED_AT)
    (key_id,) = set(await key_ids_of(pool, case_id))
    assert await key_ids_of(pool, application_id) == [key_id]  # one key per citizen, across kinds
    async with pool.connection() as conn:
        assert await destroy_key(conn, key_id, "retention")

    events = await store.read_stream(case_id)
    first = events[0].event
    assert isinstance(first, PlanReceived)
    assert (first.plan.patient.cpr, first.plan.patient.name) == (ERASED_TEXT, ERASED_TEXT)
    assert first.plan.diagnoses[0].code == ERASED_TEXT and first.plan.training_need == ERASED_TEXT
    assert first.plan.level.value == "almen" and first.plan.discharge_date.isoformat() == "2026-11-16"
    assert all(name not in json.dumps(e.payload, ensure_ascii=False) for e in events)
    row = await case_queries.get_case(pool, case_id)
    assert row is not None and (row["status"], row["level"], row["municipality_code"]) == ("completed", "almen", "101")
    view = CaseView.of_row(row)
    assert view.plan is not None and view.plan.patient.cpr == ERASED_TEXT
    assert view.model_dump_json()  # serialises without complaint
    application = application_queries.application_state(
        await application_queries.get_application(pool, application_id) or {}
    )
    assert application.application is not None and application.application.citizen.name == ERASED_TEXT
    assert (await store.read_application_stream(application_id))[0].payload["application"]["citizen"][
        "cpr"
    ] == ERASED_TEXT

    # A rebuild folds the erased events: the rows stay erased and nothing fails.
    await rebuild_cases_projection(pool)
    await rebuild_applications_projection(pool)
    again = await case_queries.get_case(pool, case_id)
    assert again is not None and case_queries.case_state(again).plan.patient.name == ERASED_TEXT  # type: ignore[union-attr]
    assert name not in await raw_text(pool, "SELECT state::text FROM cases WHERE case_id = %s", case_id)


async def test_events_stored_before_sealing_are_still_read(fresh_database_url: str) -> None:
    # A database of its own: this stream has no read-model row, which a rebuild elsewhere would add.
    case_id, event = f"case-{uuid.uuid4()}", plan_received()
    pool = await open_pool(fresh_database_url, max_size=2)
    async with pool.connection() as conn:  # a row as the store wrote it before personal fields were sealed
        await conn.execute(
            "INSERT INTO events (event_id, case_id, case_version, event_type, payload, metadata, occurred_at)"
            " VALUES (%s, %s, 1, 'PlanReceived', %s, %s, %s)",
            (
                uuid.uuid4(),
                case_id,
                Jsonb(event.model_dump(mode="json")),
                Jsonb(make_append(case_id, [event]).metadata.model_dump(mode="json")),
                event.occurred_at,
            ),
        )
    try:
        (stored,) = await EventStore(pool).read_stream(case_id)
    finally:
        await pool.close()
    assert stored.event == event


async def test_an_event_type_nobody_classified_is_refused_not_stored_in_clear(
    pool: Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import activities.store.stored_events as stored_events

    monkeypatch.setattr(stored_events, "CASE_EVENTS", {})
    case_id = f"case-{uuid.uuid4()}"
    with pytest.raises(PersonalDataError, match=r"PlanReceived .*not classified"):
        await EventStore(pool).append(make_append(case_id, [plan_received()]))


async def test_a_note_on_a_stream_without_a_citizen_is_refused(pool: Pool) -> None:
    note = CitizenContacted(
        occurred_at=ENDED_AT, contacted_at=ENDED_AT, channel="phone", informed_of_provider_choices=True, note="x"
    )
    with pytest.raises(PersonalDataError, match="no citizen"):
        await EventStore(pool).append(make_append(f"case-{uuid.uuid4()}", [note]))
