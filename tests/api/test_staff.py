"""The register learns a caseworker from their commands at most once a minute per process, at once for a token
naming another team; reading the row (`seen_caseworker`) always writes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from activities.platform.db import Pool
from activities.queries.staff_register import get_caseworker
from api.auth.principal import Principal, Role
from api.staff import SEEN_RECORD_SECONDS, note_caseworker_seen, seen_caseworker
from tests.support.databases import temporary_pool


async def _last_seen(pool: Pool, municipality: str, subject: str) -> tuple[datetime, Any]:
    row = await get_caseworker(pool, municipality, subject)
    assert row is not None
    return row["last_seen_at"], row["team_id"]


async def test_commands_record_the_caseworker_once_a_minute_and_a_new_team_at_once(pool: Pool) -> None:
    municipality, subject = "101", f"cw-seen-{uuid.uuid4().hex[:8]}"
    principal = Principal(subject=subject, roles=frozenset({Role.CASEWORKER}), municipality_code=municipality)
    clock = [1000.0]

    await note_caseworker_seen(pool, principal, now=lambda: clock[0])
    first, _ = await _last_seen(pool, municipality, subject)
    clock[0] += SEEN_RECORD_SECONDS - 1
    await note_caseworker_seen(pool, principal, now=lambda: clock[0])
    assert (await _last_seen(pool, municipality, subject))[0] == first  # within the minute: no write

    clock[0] += 2
    await note_caseworker_seen(pool, principal, now=lambda: clock[0])
    second, _ = await _last_seen(pool, municipality, subject)
    assert second > first

    moved = Principal(**{**principal.__dict__, "org_unit": f"team-{uuid.uuid4().hex[:6]}"})
    await note_caseworker_seen(pool, moved, now=lambda: clock[0])  # another token: recorded at once
    third, team = await _last_seen(pool, municipality, subject)
    assert third > second and team == moved.org_unit

    await seen_caseworker(pool, principal)  # a caller who reads the row writes every time
    assert (await _last_seen(pool, municipality, subject))[0] > third


async def test_another_database_records_the_same_caseworker_at_once(pool: Pool, postgres_server_url: str) -> None:
    municipality, subject = "101", f"cw-seen-{uuid.uuid4().hex[:8]}"
    principal = Principal(subject=subject, roles=frozenset({Role.CASEWORKER}), municipality_code=municipality)
    await note_caseworker_seen(pool, principal)

    async with temporary_pool(postgres_server_url, max_size=2) as other:
        await note_caseworker_seen(other, principal)  # within the minute, but that database has not seen them

        assert await get_caseworker(other, municipality, subject) is not None
