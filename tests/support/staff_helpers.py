"""The staff register for tests: teams registered straight in the database, as a municipality's administrator
would through `PUT /municipalities/{code}/teams/{team_id}` (a case's team must be in its municipality's register)."""

from __future__ import annotations

from activities.platform.db import Pool
from activities.queries import staff_register
from tests.support.auth_helpers import DEFAULT_MUNICIPALITY


async def register_teams(pool: Pool, *teams: str, municipality: str = DEFAULT_MUNICIPALITY) -> None:
    """Each team active in the municipality's register, named by its id."""
    for team in teams:
        await staff_register.put_team(pool, municipality, team, team, True)
