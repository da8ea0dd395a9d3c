"""Per-citizen data keys (crypto-shredding): one AES-256 key per citizen, wrapped by a key-encryption key.

A citizen's personal data (in events, read models, stored messages and letters) is encrypted with the
citizen's own data key. The key is kept in `citizen_keys` only wrapped by the KEK (`KeyEncryptionKey`), and
is found by a keyed hash of the CPR number (HMAC-SHA256 with CITIZEN_LOOKUP_SECRET), never by the CPR in
clear. Destroying the key (retention's end, or an erasure request) erases every copy it encrypted at once,
backups included; the row keeps its id, so sealed data reads as erased rather than as corrupt.

The KEK is an interface: the embedded default (`LocalKeyEncryptionKey`) wraps with a key ring from
configuration (RFC 3394 AES key wrap); a KMS or Vault transit engine implements the same two calls.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import uuid
from base64 import b64decode
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from psycopg import AsyncConnection

from activities.platform.startup_checks import StartupError
from activities.sealing.payload_codec import PayloadKey, new_key_ring_entry, parse_key_ring

logger = logging.getLogger(__name__)

DATA_KEY_BYTES = 32  # AES-256-GCM


class KekError(RuntimeError):
    """A wrapped key cannot be unwrapped: its KEK id is not configured, or the wrapping does not verify.
    The message names the KEK id only."""


class KeyEncryptionKey(Protocol):
    """Wraps and unwraps citizen data keys. A KMS or Vault implements these two calls; `wrap` names the KEK it
    used, so an older KEK keeps unwrapping the keys it wrapped after a newer one takes over (rotation)."""

    async def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        """(KEK id, wrapped key) for a new data key."""
        ...

    async def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        """The data key; KekError when `kek_id` is unknown or the wrapped key does not verify."""
        ...


class LocalKeyEncryptionKey:
    """The embedded KEK: a key ring from CITIZEN_KEK_KEYS (first wraps, all unwrap), AES key wrap (RFC 3394)."""

    def __init__(self, ring: Sequence[PayloadKey]) -> None:
        if not ring:
            raise ValueError("a KEK needs at least one key")
        self._keys = {entry.key_id: entry.key for entry in ring}
        self.current_id = ring[0].key_id

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    async def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        return self.current_id, aes_key_wrap(self._keys[self.current_id], data_key)

    async def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        key = self._keys.get(kek_id)
        if key is None:
            raise KekError(f"citizen key wrapped by KEK {kek_id[:80]!r}, which is not in CITIZEN_KEK_KEYS")
        try:
            return aes_key_unwrap(key, wrapped)
        except InvalidUnwrap:
            raise KekError(f"a citizen key does not unwrap with KEK {kek_id[:80]!r}") from None


@dataclass(frozen=True)
class CitizenKeyConfig:
    """What every process that reads or writes personal data needs: the KEK and the look-up secret."""

    kek: KeyEncryptionKey
    lookup_secret: bytes

    def __repr__(self) -> str:  # never print the secret
        return "CitizenKeyConfig(...)"

    def lookup_hash(self, cpr: str) -> bytes:
        """The keyed hash of a CPR number (ten digits, hyphen or not): finds its key and its access-log rows."""
        digits = cpr.replace("-", "").strip()
        return hmac.new(self.lookup_secret, digits.encode("ascii"), hashlib.sha256).digest()


def citizen_key_config(kek_keys: str | None, lookup_secret: str | None, *, allow_ephemeral: bool) -> CitizenKeyConfig:
    """The configured KEK and secret, or StartupError naming the setting. With `allow_ephemeral` and nothing
    configured, a random in-memory pair (lost at exit, with every key it wrapped): tests and throw-away servers."""
    if kek_keys is None or lookup_secret is None:
        if not allow_ephemeral:
            missing = "CITIZEN_KEK_KEYS" if kek_keys is None else "CITIZEN_LOOKUP_SECRET"
            raise StartupError(
                f"{missing} is not set, so citizens' personal data cannot be encrypted. Set CITIZEN_KEK_KEYS "
                "(`python -m activities.sealing.payload_codec` prints a key) and CITIZEN_LOOKUP_SECRET (base64 of "
                "32 random bytes), or ALLOW_EPHEMERAL_CITIZEN_KEYS=true for a throw-away development server"
            )
        logger.warning("No CITIZEN_KEK_KEYS: citizen keys are wrapped by a KEK that is lost when this process exits")
        kek_keys = kek_keys or new_key_ring_entry(f"ephemeral-{uuid.uuid4().hex[:8]}")
        secret = os.urandom(32) if lookup_secret is None else b64decode(lookup_secret)
        return CitizenKeyConfig(LocalKeyEncryptionKey(parse_key_ring(kek_keys)), secret)
    return CitizenKeyConfig(LocalKeyEncryptionKey(parse_key_ring(kek_keys)), b64decode(lookup_secret.strip()))


@dataclass(frozen=True)
class CitizenKeyRow:
    key_id: uuid.UUID
    key_version: int
    kek_id: str | None
    wrapped_key: bytes | None  # None once destroyed

    @property
    def destroyed(self) -> bool:
        return self.wrapped_key is None


_SELECT_BY_HASH = "SELECT key_id, key_version, kek_id, wrapped_key FROM citizen_keys WHERE lookup_hash = %s"
_SELECT_BY_ID = "SELECT key_id, key_version, kek_id, wrapped_key FROM citizen_keys WHERE key_id = %s"
# Row locks need UPDATE privilege, which the application role does not have (migration 0023): they are taken
# by functions, and every change of a key goes through one that records it in citizen_key_transitions.
_HOLD_BY_HASH = "SELECT key_id, key_version, kek_id, wrapped_key FROM hold_citizen_key_for_sealing(%s)"
_INSERT = """
INSERT INTO citizen_keys (key_id, lookup_hash, kek_id, wrapped_key) VALUES (%s, %s, %s, %s)
ON CONFLICT (lookup_hash) DO NOTHING
"""


def key_row(row: Sequence[Any]) -> CitizenKeyRow:
    """A key from the columns key_id, key_version, kek_id, wrapped_key (in that order)."""
    return CitizenKeyRow(row[0], int(row[1]), row[2], bytes(row[3]) if row[3] is not None else None)


async def find_key(
    conn: AsyncConnection[Any], config: CitizenKeyConfig, cpr: str, *, lock: bool = False
) -> CitizenKeyRow | None:
    """The citizen's live key, if they have one (a destroyed key no longer carries the look-up hash).

    `lock` holds the row FOR SHARE until the caller's transaction ends: the retention sweep cannot destroy a
    key that a new case is being sealed with (it re-checks the citizen's cases after taking the row)."""
    cursor = await conn.execute(_HOLD_BY_HASH if lock else _SELECT_BY_HASH, (config.lookup_hash(cpr),))
    row = await cursor.fetchone()
    return key_row(row) if row else None


async def key_for(conn: AsyncConnection[Any], config: CitizenKeyConfig, cpr: str) -> CitizenKeyRow:
    """The citizen's live key, made (and wrapped) if they have none. Safe against a concurrent first use."""
    found = await find_key(conn, config, cpr, lock=True)
    if found is not None:
        return found
    kek_id, wrapped = await config.kek.wrap(os.urandom(DATA_KEY_BYTES))
    await conn.execute(_INSERT, (uuid.uuid4(), config.lookup_hash(cpr), kek_id, wrapped))
    found = await find_key(conn, config, cpr, lock=True)
    assert found is not None, "a citizen key was inserted or already present"
    return found


async def key_by_id(conn: AsyncConnection[Any], key_id: uuid.UUID) -> CitizenKeyRow | None:
    cursor = await conn.execute(_SELECT_BY_ID, (key_id,))
    row = await cursor.fetchone()
    return key_row(row) if row else None


async def hold_for_destruction(conn: AsyncConnection[Any], key_id: uuid.UUID) -> bool | None:
    """Lock the key until the transaction ends, so no new data is sealed with it while the caller decides;
    True if it is destroyed already, None if there is no such key."""
    cursor = await conn.execute("SELECT hold_citizen_key_for_destruction(%s)", (key_id,))
    row = await cursor.fetchone()
    return None if row is None or row[0] is None else bool(row[0])


async def destroy_key(conn: AsyncConnection[Any], key_id: uuid.UUID, reason: str) -> bool:
    """Destroy the data key and the look-up hash, recorded with `reason` (an ErasureBasis value); True if this
    call destroyed it (False: already destroyed)."""
    cursor = await conn.execute("SELECT destroy_citizen_key(%s, %s)", (key_id, reason))
    row = await cursor.fetchone()
    return bool(row and row[0])


async def rewrap_keys(conn: AsyncConnection[Any], config: CitizenKeyConfig, batch_size: int = 500) -> int:
    """KEK rotation: rewrap every live key not wrapped by the current KEK; returns how many were rewrapped.
    The old KEK can leave CITIZEN_KEK_KEYS once this has run. Each rewrap is recorded by the database; a key
    destroyed or rewrapped by someone else meanwhile is left as it is."""
    current, _ = await config.kek.wrap(bytes(DATA_KEY_BYTES))
    done = 0
    while True:
        cursor = await conn.execute(
            "SELECT key_id, key_version, kek_id, wrapped_key FROM citizen_keys"
            " WHERE wrapped_key IS NOT NULL AND kek_id <> %s ORDER BY key_id LIMIT %s",
            (current, batch_size),
        )
        rows = [key_row(row) for row in await cursor.fetchall()]
        if not rows:
            return done
        for row in rows:
            assert row.kek_id is not None and row.wrapped_key is not None
            data_key = await config.kek.unwrap(row.kek_id, row.wrapped_key)
            kek_id, wrapped = await config.kek.wrap(data_key)
            cursor = await conn.execute(
                "SELECT rewrap_citizen_key(%s, %s, %s, %s)", (row.key_id, row.kek_id, kek_id, wrapped)
            )
            rewrapped = await cursor.fetchone()
            done += bool(rewrapped and rewrapped[0])
