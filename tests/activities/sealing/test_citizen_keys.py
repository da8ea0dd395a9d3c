"""Citizen keys: the KEK wraps and unwraps (and rotates), sealed data round-trips, a destroyed key erases."""

from __future__ import annotations

import base64
import secrets
import stat
import uuid
from pathlib import Path

import psycopg
import pytest

from activities.platform.db import Pool
from activities.platform.startup_checks import StartupError
from activities.runtime.settings import Settings
from activities.sealing.citizen_cipher import (
    SealedDataError,
    configure_citizen_keys,
    open_for_citizen,
    seal_for_citizen,
    sealed_key_id,
)
from activities.sealing.citizen_keys import (
    CitizenKeyConfig,
    KekError,
    LocalKeyEncryptionKey,
    destroy_key,
    find_key,
    key_by_id,
    rewrap_keys,
)
from activities.sealing.payload_codec import new_key_ring_entry, parse_key_ring
from tests.support.retention_helpers import new_cpr


def _kek(*entries: str) -> LocalKeyEncryptionKey:
    return LocalKeyEncryptionKey(parse_key_ring(",".join(entries)))


async def test_the_kek_wraps_and_unwraps_and_an_older_kek_still_unwraps_after_rotation() -> None:
    old, new = new_key_ring_entry("kek-2025"), new_key_ring_entry("kek-2026")
    data_key = secrets.token_bytes(32)
    kek_id, wrapped = await _kek(old).wrap(data_key)
    assert kek_id == "kek-2025" and data_key not in wrapped
    rotated = _kek(new, old)
    assert await rotated.unwrap(kek_id, wrapped) == data_key
    assert (await rotated.wrap(data_key))[0] == "kek-2026"
    with pytest.raises(KekError, match="kek-2025"):
        await _kek(new).unwrap(kek_id, wrapped)
    with pytest.raises(KekError):
        await rotated.unwrap("kek-2025", wrapped[:-1] + bytes([wrapped[-1] ^ 1]))


async def test_sealed_data_round_trips_and_carries_its_key(pool: Pool) -> None:
    cpr = new_cpr()
    async with pool.connection() as conn:
        sealed = await seal_for_citizen(conn, cpr, b"Testa Testesen")
        again = await seal_for_citizen(conn, cpr.replace("-", ""), b"Testa Testesen")
        assert b"Testa" not in sealed and sealed != again  # a fresh nonce each time
        assert sealed_key_id(sealed) == sealed_key_id(again)  # one key per citizen
        assert await open_for_citizen(conn, sealed) == b"Testa Testesen"
        other = await seal_for_citizen(conn, new_cpr(), b"x")
        assert sealed_key_id(other) != sealed_key_id(sealed)


async def test_tampered_or_foreign_bytes_are_refused_without_their_content(pool: Pool) -> None:
    async with pool.connection() as conn:
        sealed = await seal_for_citizen(conn, new_cpr(), b"secret note")
        with pytest.raises(SealedDataError):
            await open_for_citizen(conn, sealed[:-1] + bytes([sealed[-1] ^ 1]))
        with pytest.raises(SealedDataError):
            await open_for_citizen(conn, b"plain text, not sealed at all, long enough")
        unknown = sealed[:1] + uuid.uuid4().bytes + sealed[17:]
        with pytest.raises(SealedDataError, match="does not hold"):
            await open_for_citizen(conn, unknown)


async def test_a_destroyed_key_reads_as_erased_and_the_citizen_gets_a_new_key_later(pool: Pool) -> None:
    cpr = new_cpr()
    async with pool.connection() as conn:
        sealed = await seal_for_citizen(conn, cpr, b"Testa Testesen")
        key_id = sealed_key_id(sealed)
        assert await destroy_key(conn, key_id, "retention")
        assert not await destroy_key(conn, key_id, "retention")  # idempotent
        assert await open_for_citizen(conn, sealed) is None
        row = await key_by_id(conn, key_id)
        assert row is not None and row.destroyed
        cursor = await conn.execute("SELECT lookup_hash, wrapped_key FROM citizen_keys WHERE key_id = %s", (key_id,))
        assert await cursor.fetchone() == (None, None)
        fresh = await seal_for_citizen(conn, cpr, b"new case")
        assert sealed_key_id(fresh) != key_id
        assert await open_for_citizen(conn, sealed) is None


async def test_a_destroyed_key_cannot_be_revived_or_deleted(pool: Pool) -> None:
    async with pool.connection() as conn:
        key_id = sealed_key_id(await seal_for_citizen(conn, new_cpr(), b"x"))
        await destroy_key(conn, key_id, "erasure_request")
    async with pool.connection() as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="destroyed"):
            await conn.execute(
                "UPDATE citizen_keys SET wrapped_key = '\\x00', kek_id = 'k', destroyed_at = NULL WHERE key_id = %s",
                (key_id,),
            )
    async with pool.connection() as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="never deleted"):
            await conn.execute("DELETE FROM citizen_keys WHERE key_id = %s", (key_id,))


async def test_kek_rotation_rewraps_every_live_key(fresh_database_url: str) -> None:
    # A database of its own: the rotation rewraps every key in it, which the other tests' processes cannot read.
    settings = Settings()
    before = settings.require_citizen_keys()
    cpr = new_cpr()
    async with await psycopg.AsyncConnection.connect(fresh_database_url, autocommit=True) as conn:
        sealed = await seal_for_citizen(conn, cpr, b"kept across rotation")
    assert settings.citizen_kek_keys is not None
    ring = f"{new_key_ring_entry('kek-next')},{settings.citizen_kek_keys.get_secret_value()}"
    rotated = CitizenKeyConfig(_kek(ring), before.lookup_secret)
    configure_citizen_keys(rotated)
    try:
        async with await psycopg.AsyncConnection.connect(fresh_database_url, autocommit=True) as conn:
            assert await rewrap_keys(conn, rotated) == 1
            row = await find_key(conn, rotated, cpr)
            assert row is not None and row.kek_id == "kek-next"
            # The old KEK can now go: the new one alone opens what was sealed before the rotation.
            configure_citizen_keys(CitizenKeyConfig(_kek(ring.split(",")[0]), before.lookup_secret))
            assert await open_for_citizen(conn, sealed) == b"kept across rotation"
    finally:
        configure_citizen_keys(None)


def test_a_process_without_a_kek_refuses_to_start_with_one_line() -> None:
    with pytest.raises(StartupError, match=r"^CITIZEN_KEK_KEYS is not set.*ALLOW_EPHEMERAL_CITIZEN_KEYS") as caught:
        Settings(
            citizen_kek_keys=None, allow_ephemeral_citizen_keys=False, allow_unencrypted_payloads=False
        ).require_citizen_keys()
    assert "\n" not in str(caught.value)
    ephemeral = Settings(citizen_kek_keys=None, citizen_lookup_secret=None, allow_ephemeral_citizen_keys=True)
    assert ephemeral.require_citizen_keys().lookup_hash("0101011234") != b""


def test_a_malformed_lookup_secret_is_named_without_its_value() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="CITIZEN_LOOKUP_SECRET") as caught:
        Settings(citizen_lookup_secret=base64.b64encode(b"short-secret-value").decode())
    assert "short-secret-value" not in str(caught.value)


def test_the_lookup_hash_ignores_the_hyphen_and_depends_on_the_secret() -> None:
    config = Settings().require_citizen_keys()
    assert config.lookup_hash("010101-1234") == config.lookup_hash("0101011234")
    other = CitizenKeyConfig(config.kek, secrets.token_bytes(32))
    assert other.lookup_hash("0101011234") != config.lookup_hash("0101011234")


def test_make_run_keeps_a_local_kek_and_lookup_secret_under_the_data_dir(tmp_path: Path) -> None:
    from deploy.local_citizen_keys import KEK_FILE, LOOKUP_SECRET_FILE, local_citizen_key_env

    unset = Settings(data_dir=tmp_path, citizen_kek_keys=None, citizen_lookup_secret=None)
    env = local_citizen_key_env(unset, tmp_path)
    for name in (KEK_FILE, LOOKUP_SECRET_FILE):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert local_citizen_key_env(unset, tmp_path) == env  # the next start finds the same keys
    child = Settings(citizen_kek_keys=env["CITIZEN_KEK_KEYS"], citizen_lookup_secret=env["CITIZEN_LOOKUP_SECRET"])
    assert child.require_citizen_keys().lookup_hash("0101011234")
    assert local_citizen_key_env(Settings(), tmp_path) == {}  # configured keys are left alone
