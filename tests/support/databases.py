"""Throw-away databases on a PostgreSQL server: a migrated template per server and run, copied for each database a
test or a bench asks for. Apart from tests/conftest.py so that a bench can use them without the test run's set-up
(its tracing, its environment)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from activities.platform.db import Pool, open_pool
from activities.store.migrate import apply_migrations


def with_database(server_url: str, dbname: str) -> str:
    """The same server and credentials, another database (URI or key=value conninfo)."""
    if "://" in server_url:
        parts = urlsplit(server_url)
        return urlunsplit(parts._replace(path=f"/{dbname}"))
    return make_conninfo(server_url, dbname=dbname)


# One migrated database per server and run, copied for every test that needs a database of its own: a copy
# (CREATE DATABASE ... TEMPLATE) instead of 25 migrations each time.
_TEMPLATES: dict[str, str] = {}
_TEMPLATE_LOCK = asyncio.Lock()


async def migrated_template(server_url: str) -> str:
    """The name of the run's migrated template database on the server, made on first use."""
    async with _TEMPLATE_LOCK:
        name = _TEMPLATES.get(server_url)
        if name is None:
            name = f"genop_template_{secrets.token_hex(6)}"
            async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as admin:
                await admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            await apply_migrations(with_database(server_url, name))
            _TEMPLATES[server_url] = name
        return name


async def drop_templates(server_url: str) -> None:
    name = _TEMPLATES.pop(server_url, None)
    if name is not None:
        async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as admin:
            await admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@asynccontextmanager
async def temporary_database(server_url: str, *, migrate: bool = True) -> AsyncIterator[str]:
    """A new uniquely named database on the server (migrated: a copy of the run's template), dropped on exit even
    if its users still hang on."""
    name = f"genop_test_{secrets.token_hex(6)}"
    template = await migrated_template(server_url) if migrate else None
    async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as admin:
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        await admin.execute(create)
    url = with_database(server_url, name)
    try:
        yield url
    finally:
        async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as admin:
            await admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@asynccontextmanager
async def temporary_pool(server_url: str, *, max_size: int) -> AsyncIterator[Pool]:
    """A pool on a new migrated database of its own (`temporary_database`), closed and dropped on exit."""
    async with temporary_database(server_url) as url:
        opened = await open_pool(url, min_size=1, max_size=max_size)
        try:
            yield opened
        finally:
            await opened.close()
