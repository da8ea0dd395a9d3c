"""Cases and applications of made-up citizens, ended on a given day, stored through the real event store."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from psycopg.types.json import Jsonb

from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from activities.store.read_models.cases import CASES, case_row
from tests.support.application_factories import close, make_application, make_application_append, receive, run
from tests.support.factories import decide_all, lifecycle_commands, make_append, make_command, make_plan, plan_received
from workflows.domain.applications.state import ApplicationState
from workflows.domain.commands import CompleteCourse, RecordContactAttempt
from workflows.domain.model import CaseStatus, ContactChannel
from workflows.domain.state import CaseState, fold


def new_cpr() -> str:
    """A CPR number of a made-up citizen, unique per call (a real date in 1901-1999, any serial)."""
    return f"{secrets.randbelow(28) + 1:02d}{secrets.randbelow(12) + 1:02d}{secrets.randbelow(99) + 1:02d}" + (
        f"{secrets.randbelow(4000):04d}"
    )


def new_name() -> str:
    return f"Borger {secrets.token_hex(5)} Testesen"


async def ended_case(
    store: EventStore, cpr: str, name: str, ended_at: datetime, *, end: bool = True, municipality: str = "101"
) -> str:
    """A case from receipt to a completed course (with a contact note), its last event at `ended_at`."""
    case_id = str(uuid.uuid4())  # the API takes case ids as UUIDs
    plan = make_plan(
        patient={"cpr": cpr, "name": name},
        discharge_date=(ended_at - timedelta(days=2)).date(),
        home_municipality_code=municipality,
    )
    lifecycle = lifecycle_commands(plan=plan)  # receipt, three deliveries, classification, contact, ...
    attempt = make_command(RecordContactAttempt, channel=ContactChannel.PHONE, note=f"Ringede til {name}")
    commands = [*lifecycle[:5], attempt, *lifecycle[5:]]
    if end:
        commands.append(make_command(CompleteCourse, note=f"{name} har gennemført forløbet"))
    start = ended_at.replace(microsecond=0) - timedelta(hours=len(commands) - 1)
    version = 0
    for batch in decide_all(CaseState(case_id=case_id), commands, start=start):
        await store.append(make_append(case_id, batch, version))
        version += len(batch)
    return case_id


async def ended_application(
    store: EventStore, cpr: str, name: str, ended_at: datetime, *, municipality: str = "101"
) -> str:
    """An application received and then withdrawn (closed), closed at `ended_at`."""
    application_id = str(uuid.uuid4())
    application = make_application(
        citizen={"cpr": cpr, "name": name}, application_date=ended_at.date(), municipality_code=municipality
    )
    state = ApplicationState(application_id=application_id)
    version = 0
    for command in (receive(application), close()):
        state, events = run([(command, ended_at)], state)
        await store.append_application(make_application_append(application_id, events, version))
        version += len(events)
    return application_id


async def legacy_case(pool: Pool, cpr: str, name: str, at: datetime) -> str:
    """A case as the store kept it before personal fields were sealed: its PlanReceived and its read-model row in
    clear, closed at `at`, and no link to a citizen key."""
    case_id = str(uuid.uuid4())
    plan = make_plan(patient={"cpr": cpr, "name": name}, discharge_date=(at - timedelta(days=2)).date())
    received = plan_received(plan, now=at)
    state = fold(CaseState(case_id=case_id), [received])
    state = state.model_copy(update={"status": CaseStatus.CLOSED})  # ended: a candidate for the sweep
    metadata = make_append(case_id, [received]).metadata.model_dump(mode="json")
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "INSERT INTO events (event_id, case_id, case_version, event_type, payload, metadata, occurred_at)"
            " VALUES (%s, %s, 1, 'PlanReceived', %s, %s, %s) RETURNING global_position",
            (uuid.uuid4(), case_id, Jsonb(received.model_dump(mode="json")), Jsonb(metadata), at),
        )
        row = await cursor.fetchone()
        assert row is not None
        await conn.execute(CASES._upsert("cases"), case_row(state, row[0]))
    return case_id
