"""The staff register of each municipality: its teams and caseworkers (tables of migration 0017).

Two writers share a row. The municipality's administrator keeps it explicitly (`put_team`, `put_caseworker`),
and a caseworker's own token fills it in as they work (`record_seen`): name, and team from the token's
organisation unit. The administrator's word wins: a token only sets `last_seen_at`, and a name or team the
administrator left empty; it never re-activates a caseworker the administrator deactivated.
Staff data only: no citizen's data is stored here.
"""

from __future__ import annotations

from typing import Any

from psycopg.errors import ForeignKeyViolation
from psycopg.rows import dict_row

from activities.platform.db import Pool

_PUT_TEAM = """
INSERT INTO teams (municipality_code, team_id, name, active) VALUES (%s, %s, %s, %s)
ON CONFLICT (municipality_code, team_id) DO UPDATE
SET name = EXCLUDED.name, active = EXCLUDED.active, updated_at = now()
RETURNING municipality_code, team_id, name, active, updated_at
"""
_PUT_CASEWORKER = """
INSERT INTO caseworkers (municipality_code, subject, name, team_id, active) VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (municipality_code, subject) DO UPDATE
SET name = EXCLUDED.name, team_id = EXCLUDED.team_id, active = EXCLUDED.active, updated_at = now()
RETURNING municipality_code, subject, name, team_id, active, last_seen_at, updated_at
"""
# A team the register does not know yet is made from the token's organisation unit, named by its id until
# the administrator names it.
_SEEN_TEAM = """
INSERT INTO teams (municipality_code, team_id, name) VALUES (%s, %s, %s)
ON CONFLICT (municipality_code, team_id) DO NOTHING
"""
_SEEN_CASEWORKER = """
INSERT INTO caseworkers (municipality_code, subject, name, team_id, last_seen_at) VALUES (%s, %s, %s, %s, now())
ON CONFLICT (municipality_code, subject) DO UPDATE
SET last_seen_at = now(),
    name = coalesce(caseworkers.name, EXCLUDED.name),
    team_id = coalesce(caseworkers.team_id, EXCLUDED.team_id)
"""
_TEAM = """
SELECT municipality_code, team_id, name, active, updated_at FROM teams
WHERE municipality_code = %s AND team_id = %s
"""
_TEAMS = """
SELECT municipality_code, team_id, name, active, updated_at FROM teams
WHERE municipality_code = %s ORDER BY name, team_id
"""
_CASEWORKERS = """
SELECT municipality_code, subject, name, team_id, active, last_seen_at, updated_at FROM caseworkers
WHERE municipality_code = %s ORDER BY name NULLS LAST, subject
"""
# A caseworker with whether their team is active (true for no team).
_CASEWORKER = """
SELECT c.municipality_code, c.subject, c.name, c.team_id, c.active, c.last_seen_at, c.updated_at,
       coalesce(t.active, true) AS team_active
FROM caseworkers c LEFT JOIN teams t USING (municipality_code, team_id)
WHERE c.municipality_code = %s AND c.subject = %s
"""

TEAM_ID_MAX = 100
SUBJECT_MAX = 200
NAME_MAX = 200


class UnknownTeam(Exception):
    """The team named for a caseworker is not in the municipality's register."""


async def _one(pool: Pool, query: str, params: tuple[object, ...]) -> dict[str, Any] | None:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchone()


async def _all(pool: Pool, query: str, params: tuple[object, ...]) -> list[dict[str, Any]]:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return await cur.fetchall()


async def put_team(pool: Pool, municipality: str, team_id: str, name: str, active: bool) -> dict[str, Any]:
    row = await _one(pool, _PUT_TEAM, (municipality, team_id, name, active))
    assert row is not None
    return row


async def get_team(pool: Pool, municipality: str, team_id: str) -> dict[str, Any] | None:
    return await _one(pool, _TEAM, (municipality, team_id))


async def list_teams(pool: Pool, municipality: str) -> list[dict[str, Any]]:
    return await _all(pool, _TEAMS, (municipality,))


async def put_caseworker(
    pool: Pool, municipality: str, subject: str, name: str | None, team_id: str | None, active: bool
) -> dict[str, Any]:
    """The administrator's entry for a caseworker, replacing what was there; `UnknownTeam` for a team the
    municipality's register lacks."""
    try:
        row = await _one(pool, _PUT_CASEWORKER, (municipality, subject, name, team_id, active))
    except ForeignKeyViolation:
        raise UnknownTeam(f"team {team_id} is not in the register of municipality {municipality}") from None
    assert row is not None
    return row


async def get_caseworker(pool: Pool, municipality: str, subject: str) -> dict[str, Any] | None:
    """The caseworker's row and `team_active` (whether their team, if any, is active)."""
    return await _one(pool, _CASEWORKER, (municipality, subject))


async def list_caseworkers(pool: Pool, municipality: str) -> list[dict[str, Any]]:
    return await _all(pool, _CASEWORKERS, (municipality,))


def _fits(value: str | None, longest: int) -> str | None:
    # A claim longer than the register's column is left out rather than refused: the caller may still work.
    return value if value and len(value) <= longest else None


async def record_seen(
    pool: Pool, municipality: str, subject: str, name: str | None, org_unit: str | None
) -> dict[str, Any] | None:
    """Note that a caseworker acted now, as their token names them; their register row (with `team_active`),
    or None for a subject too long for the register."""
    if _fits(subject, SUBJECT_MAX) is None:
        return None
    team = _fits(org_unit, TEAM_ID_MAX)
    async with pool.connection() as conn, conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        if team is not None:
            await cur.execute(_SEEN_TEAM, (municipality, team, team))
        await cur.execute(_SEEN_CASEWORKER, (municipality, subject, _fits(name, NAME_MAX), team))
        await cur.execute(_CASEWORKER, (municipality, subject))
        return await cur.fetchone()
