"""Keys cannot be destroyed by accident (migration 0023): as the service's own database role, a live citizen key
cannot be overwritten or destroyed by a plain UPDATE; rotation, the retention sweep and an erasure request still
rewrap and destroy it, through the database's functions, and each such transition is recorded."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from activities.retention.erasure_requests import erase_on_request
from activities.retention.sweep import sweep_batch
from activities.runtime.settings import Settings
from activities.sealing.citizen_cipher import configure_citizen_keys, open_for_citizen, seal_for_citizen, sealed_key_id
from activities.sealing.citizen_keys import CitizenKeyConfig, LocalKeyEncryptionKey, destroy_key, key_by_id
from activities.sealing.payload_codec import new_key_ring_entry, parse_key_ring
from activities.store.eventstore import EventStore
from tests.support.app_role import INSUFFICIENT_PRIVILEGE, RAISED_BY_TRIGGER, AppDatabase, refused
from tests.support.retention_helpers import ended_case, new_cpr, new_name

RULES = Settings()
ENDED = datetime(2019, 6, 3, 12, 0, tzinfo=UTC)
AFTER_RETENTION = ENDED + timedelta(days=5 * 365 + 2)
APP_POOL_NAME = "genop-tests-app-role"  # tests/support/app_role.py's pool


async def new_key(app: AppDatabase, plaintext: bytes = b"Testa Testesen") -> tuple[uuid.UUID, bytes]:
    """A citizen's key, made as the service role by sealing something with it: (key id, the sealed bytes)."""
    async with app.app_pool.connection() as conn:
        sealed = await seal_for_citizen(conn, new_cpr(), plaintext)
    return sealed_key_id(sealed), sealed


async def owner_query(app: AppDatabase, statement: str, *params: object) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(app.owner_url, autocommit=True) as owner:
        cursor = await owner.execute(statement.encode(), params or None)
        return await cursor.fetchall()


async def transitions(app: AppDatabase, key_id: uuid.UUID) -> list[tuple[Any, ...]]:
    """The key's recorded transitions, oldest first: (what, old KEK, new KEK, reason, login role, application)."""
    return await owner_query(
        app,
        "SELECT transition, old_kek_id, new_kek_id, destroyed_reason, session_role, application_name"
        " FROM citizen_key_transitions WHERE key_id = %s ORDER BY id",
        key_id,
    )


async def stored(app: AppDatabase, key_id: uuid.UUID) -> tuple[Any, ...]:
    rows = await owner_query(
        app,
        "SELECT kek_id, wrapped_key, lookup_hash IS NOT NULL, destroyed_at IS NOT NULL, destroyed_reason"
        " FROM citizen_keys WHERE key_id = %s",
        key_id,
    )
    return rows[0]


async def as_service(app: AppDatabase, statement: str, *params: object) -> Any:
    """One statement as the service role; its first column of its first row."""
    async with app.app_pool.connection() as conn:
        row = await (await conn.execute(statement.encode(), params or None)).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize(
    "statement",
    [
        # Overwriting the wrapped key, or its KEK id, in place.
        "UPDATE citizen_keys SET wrapped_key = '\\x00' WHERE key_id = '{key_id}'",
        "UPDATE citizen_keys SET kek_id = 'forged-kek' WHERE key_id = '{key_id}'",
        # Destroying it without the function, so without a record.
        "UPDATE citizen_keys SET wrapped_key = NULL, kek_id = NULL, lookup_hash = NULL, destroyed_at = now(),"
        " destroyed_reason = 'retention' WHERE key_id = '{key_id}'",
        # Overwriting it by an upsert on its look-up hash.
        "INSERT INTO citizen_keys (key_id, lookup_hash, kek_id, wrapped_key)"
        " SELECT gen_random_uuid(), lookup_hash, 'forged-kek', '\\x00' FROM citizen_keys WHERE key_id = '{key_id}'"
        " ON CONFLICT (lookup_hash) DO UPDATE SET wrapped_key = EXCLUDED.wrapped_key",
        "DELETE FROM citizen_keys WHERE key_id = '{key_id}'",
        # A key made already destroyed, or backdated: only the four columns of a new key may be named.
        "INSERT INTO citizen_keys (key_id, destroyed_at, destroyed_reason)"
        " VALUES (gen_random_uuid(), now(), 'retention')",
        "INSERT INTO citizen_keys (key_id, lookup_hash, kek_id, wrapped_key, created_at)"
        " VALUES (gen_random_uuid(), sha256('x'), 'k', '\\x00', '2001-01-01')",
        # Forging or removing the record of transitions.
        "INSERT INTO citizen_key_transitions (key_id, transition, old_kek_id, destroyed_reason)"
        " VALUES ('{key_id}', 'destroy', 'k', 'retention')",
        "DELETE FROM citizen_key_transitions",
    ],
)
async def test_the_service_role_cannot_overwrite_or_destroy_a_key_directly(
    app_database: AppDatabase, statement: str
) -> None:
    key_id, sealed = await new_key(app_database)
    before = await stored(app_database, key_id)

    assert await refused(app_database.app_url, statement.format(key_id=key_id)) == INSUFFICIENT_PRIVILEGE

    assert await stored(app_database, key_id) == before
    assert await transitions(app_database, key_id) == []
    async with app_database.app_pool.connection() as conn:
        assert await open_for_citizen(conn, sealed) == b"Testa Testesen"


async def test_the_rotation_command_as_the_service_role_rewraps_each_live_key_and_records_it(
    app_database: AppDatabase,
) -> None:
    key_id, sealed = await new_key(app_database, b"kept across rotation")
    gone, _ = await new_key(app_database)
    async with app_database.app_pool.connection() as conn:
        assert await destroy_key(conn, gone, "erasure_request")
    old_kek = (await stored(app_database, key_id))[0]
    current = os.environ["CITIZEN_KEK_KEYS"]
    ring = f"{new_key_ring_entry('kek-next')},{current}"

    async def rotate() -> None:
        env = {**os.environ, "DATABASE_URL": app_database.app_url, "CITIZEN_KEK_KEYS": ring}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "activities.sealing.rotation", env=env, stderr=asyncio.subprocess.PIPE
        )
        _, err = await process.communicate()
        assert process.returncode == 0, err.decode(errors="replace")

    await rotate()
    await rotate()  # nothing left to rewrap: no second record

    assert (await stored(app_database, key_id))[0] == "kek-next"
    assert await transitions(app_database, key_id) == [
        ("rewrap", old_kek, "kek-next", None, app_database.login, "genoptraening-kek-rotation")
    ]
    assert [row[0] for row in await transitions(app_database, gone)] == ["destroy"]  # a destroyed key stays so
    # Rewrapped to the same data key: the new KEK alone opens what was sealed before.
    secret = RULES.require_citizen_keys().lookup_secret
    configure_citizen_keys(CitizenKeyConfig(LocalKeyEncryptionKey(parse_key_ring(ring.split(",")[0])), secret))
    try:
        async with app_database.app_pool.connection() as conn:
            assert await open_for_citizen(conn, sealed) == b"kept across rotation"
    finally:
        configure_citizen_keys(None)


async def test_the_retention_sweep_as_the_service_role_destroys_the_key_and_records_why(
    app_database: AppDatabase,
) -> None:
    pool = app_database.app_pool
    case_id = await ended_case(EventStore(pool), new_cpr(), new_name(), ENDED)
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT key_id FROM citizen_streams WHERE stream_id = %s", (case_id,))
        row = await cursor.fetchone()
    assert row is not None
    key_id = row[0]
    old_kek = (await stored(app_database, key_id))[0]

    batch = await sweep_batch(pool, RULES, AFTER_RETENTION, None, 10, "test-sweep")

    assert batch.erased == 1
    assert await stored(app_database, key_id) == (None, None, False, True, "retention")
    assert await transitions(app_database, key_id) == [
        ("destroy", old_kek, None, "retention", app_database.login, APP_POOL_NAME)
    ]


async def test_an_erasure_request_as_the_service_role_destroys_the_key_and_records_why(
    app_database: AppDatabase,
) -> None:
    cpr = new_cpr()
    async with app_database.app_pool.connection() as conn:
        key_id = sealed_key_id(await seal_for_citizen(conn, cpr, b"x"))
    old_kek = (await stored(app_database, key_id))[0]

    erasure = await erase_on_request(app_database.app_pool, RULES, cpr, None, datetime.now(UTC), "test-erasure")

    assert erasure is not None
    assert (await stored(app_database, key_id))[3:] == (True, "erasure_request")
    assert await transitions(app_database, key_id) == [
        ("destroy", old_kek, None, "erasure_request", app_database.login, APP_POOL_NAME)
    ]


async def test_a_destroyed_key_cannot_be_revived_nor_destroyed_twice(app_database: AppDatabase) -> None:
    key_id, sealed = await new_key(app_database)
    old_kek = (await stored(app_database, key_id))[0]
    async with app_database.app_pool.connection() as conn:
        assert await destroy_key(conn, key_id, "retention")
        assert not await destroy_key(conn, key_id, "erasure_request")  # already destroyed: no second record
    revive = "UPDATE citizen_keys SET wrapped_key = '\\x00', kek_id = %s, destroyed_at = NULL WHERE key_id = %s"

    assert await refused(app_database.app_url, revive, old_kek, key_id) == INSUFFICIENT_PRIVILEGE
    assert await refused(app_database.owner_url, revive, old_kek, key_id) == RAISED_BY_TRIGGER  # citizen_keys_guard
    # The rewrap function leaves a destroyed key alone, whatever KEK it is told the key had.
    rewrap = "SELECT rewrap_citizen_key(%s, %s, 'kek-next', '\\x00112233')"
    assert await as_service(app_database, rewrap, key_id, old_kek) is False
    assert await refused(app_database.app_url, rewrap, key_id, None) == "22004"  # "it had none" is no KEK

    assert await stored(app_database, key_id) == (None, None, False, True, "retention")
    assert [row[0] for row in await transitions(app_database, key_id)] == ["destroy"]
    async with app_database.app_pool.connection() as conn:
        assert await open_for_citizen(conn, sealed) is None
        row = await key_by_id(conn, key_id)
    assert row is not None and row.destroyed


@pytest.mark.parametrize(
    ("statement", "state"),
    [
        # A rewrap moves the key to another KEK: the same one would be an overwrite under a rotation's name.
        ("SELECT rewrap_citizen_key('{key_id}', '{kek}', '{kek}', '\\x0011')", "22023"),
        ("SELECT rewrap_citizen_key('{key_id}', '{kek}', 'kek-next', NULL)", "22004"),
        ("SELECT rewrap_citizen_key('{key_id}', '{kek}', 'kek-next', '')", "22004"),
        ("SELECT rewrap_citizen_key(gen_random_uuid(), '{kek}', 'kek-next', '\\x0011')", "P0002"),
        ("SELECT destroy_citizen_key('{key_id}', 'tidying up')", "22023"),
        ("SELECT destroy_citizen_key('{key_id}', NULL)", "22023"),
        ("SELECT destroy_citizen_key(gen_random_uuid(), 'retention')", "P0002"),
    ],
)
async def test_the_functions_refuse_what_is_no_defined_transition(
    app_database: AppDatabase, statement: str, state: str
) -> None:
    key_id, _ = await new_key(app_database)
    before = await stored(app_database, key_id)

    assert await refused(app_database.app_url, statement.format(key_id=key_id, kek=before[0])) == state

    assert await stored(app_database, key_id) == before
    assert await transitions(app_database, key_id) == []


async def test_a_rewrap_from_a_kek_the_key_no_longer_has_changes_nothing(app_database: AppDatabase) -> None:
    key_id, _ = await new_key(app_database)
    before = await stored(app_database, key_id)

    changed = await as_service(
        app_database, "SELECT rewrap_citizen_key(%s, 'kek-of-yesterday', 'kek-next', '\\x0011')", key_id
    )

    assert changed is False
    assert await stored(app_database, key_id) == before
    assert await transitions(app_database, key_id) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE citizen_key_transitions SET destroyed_reason = 'retention'",
        "DELETE FROM citizen_key_transitions",
        "TRUNCATE citizen_key_transitions",
    ],
)
async def test_the_record_of_transitions_is_append_only_even_for_the_owner(
    app_database: AppDatabase, statement: str
) -> None:
    key_id, _ = await new_key(app_database)
    async with app_database.app_pool.connection() as conn:
        assert await destroy_key(conn, key_id, "erasure_request")

    assert await refused(app_database.owner_url, statement) == RAISED_BY_TRIGGER

    assert [row[3] for row in await transitions(app_database, key_id)] == ["erasure_request"]


async def test_a_temporary_table_of_the_same_name_does_not_stand_in_for_the_keys(app_database: AppDatabase) -> None:
    key_id, _ = await new_key(app_database)
    async with await psycopg.AsyncConnection.connect(app_database.app_url, autocommit=True) as conn:
        # pg_temp is searched first unless a search_path names it: without a fixed one, the functions (running
        # as the owner) would destroy, or hand out, this table's rows instead.
        await conn.execute(
            "CREATE TEMP TABLE citizen_keys (key_id uuid, key_version int, kek_id text, wrapped_key bytea,"
            " lookup_hash bytea, destroyed_at timestamptz, destroyed_reason text)"
        )
        await conn.execute(
            "INSERT INTO citizen_keys VALUES (%s, 1, 'planted', '\\x00', sha256('planted'), NULL, NULL)", (key_id,)
        )
        held = await (
            await conn.execute("SELECT key_id FROM hold_citizen_key_for_sealing(sha256('planted'))")
        ).fetchall()
        destroyed = await (await conn.execute("SELECT destroy_citizen_key(%s, 'retention')", (key_id,))).fetchone()

    assert held == []
    assert destroyed == (True,)
    assert (await stored(app_database, key_id))[3] is True  # the real key was destroyed, and recorded
    assert [row[0] for row in await transitions(app_database, key_id)] == ["destroy"]


async def test_every_security_definer_function_has_a_fixed_search_path_and_no_public_execute(
    app_database: AppDatabase,
) -> None:
    rows = await owner_query(
        app_database,
        "SELECT p.proname, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE')"
        " FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace AND p.prosecdef ORDER BY 1",
    )
    schema = (await owner_query(app_database, "SELECT current_schema()"))[0][0]

    assert [name for name, _, _ in rows] == [
        "destroy_citizen_key",
        "hold_citizen_key_for_destruction",
        "hold_citizen_key_for_sealing",
        "rewrap_citizen_key",
    ]
    for name, config, public in rows:
        assert config == [f"search_path={schema}, pg_temp"], name
        assert public is False, name
