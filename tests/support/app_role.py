"""The application role in tests: a database of the test's own, reached AS a login member of genoptraening_app.

Roles belong to the whole cluster, so the login role has a unique name and is dropped afterwards. A fixture
module (tests/conftest.py's pytest_plugins): tests ask for `app_database`.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

import psycopg
import pytest
import pytest_asyncio
from psycopg import sql
from psycopg.conninfo import make_conninfo

from activities.platform.db import Pool, open_pool

APPLICATION_ROLE = "genoptraening_app"
INSUFFICIENT_PRIVILEGE = "42501"
RAISED_BY_TRIGGER = "P0001"


@dataclass(frozen=True)
class AppDatabase:
    owner_url: str
    app_url: str
    app_pool: Pool
    login: str  # the application role's login member the test connects as


@pytest_asyncio.fixture(loop_scope="session")
async def app_database(fresh_database_url: str) -> AsyncIterator[AppDatabase]:
    login, password = f"genop_test_app_{secrets.token_hex(6)}", secrets.token_urlsafe(24)
    async with await psycopg.AsyncConnection.connect(fresh_database_url, autocommit=True) as owner:
        # A password too, so a TEST_DATABASE_URL server that does not trust its clients works as well.
        await owner.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                sql.Identifier(login), sql.Literal(password), sql.Identifier(APPLICATION_ROLE)
            )
        )
    app_url = make_conninfo(fresh_database_url, user=login, password=password)
    pool = await open_pool(app_url, min_size=1, max_size=4, application_name="genop-tests-app-role")
    try:
        yield AppDatabase(fresh_database_url, app_url, pool, login)
    finally:
        await pool.close()
        async with await psycopg.AsyncConnection.connect(fresh_database_url, autocommit=True) as owner:
            await owner.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))


async def refused(url: str, statement: str, *params: object) -> str:
    """Run one statement as the role of `url`; returns the SQLSTATE it was refused with."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as failure:
            await conn.execute(statement.encode(), params or None)
    assert failure.value.sqlstate is not None
    return failure.value.sqlstate
