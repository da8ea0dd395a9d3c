"""Seal a citizen's personal data with the citizen's own key, and open it again while the key lives.

The public API for every part of the service that stores personal data (events and read models through
`activities.sealing.personal_data`; original MedCom messages, letters, outbox content):

    sealed = await seal_for_citizen(conn, cpr, plaintext)      # makes the citizen's key if needed
    plaintext = await open_for_citizen(conn, sealed)           # None once the key was destroyed (erased)

Sealed bytes carry the key's id and version, so they open without knowing whose they are:

    0x01 | key id (16 bytes, UUID) | key version (4 bytes, big-endian) | nonce (12 bytes) | AES-256-GCM ciphertext

The first 21 bytes are the associated data: a ciphertext moved under another key id fails to open.
"""

from __future__ import annotations

import os
import struct
import uuid
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import AsyncConnection

from activities.platform.startup_checks import read_settings
from activities.sealing.citizen_keys import CitizenKeyConfig, CitizenKeyRow, key_by_id, key_for

FORMAT_VERSION = 1
_HEADER = struct.Struct(">B16sI")
_NONCE_BYTES = 12

_configured: CitizenKeyConfig | None = None
# Unwrapped data keys by (key id, wrapped bytes): a KMS is asked once per key and process. The row is read on
# every use all the same, so a key destroyed by another process is never used from this cache.
_unwrapped: dict[tuple[uuid.UUID, bytes], AESGCM] = {}
_CACHE_LIMIT = 4096


class SealedDataError(ValueError):
    """Bytes that are not sealed data of this service, or that do not verify under their key. Names no content."""


def configure_citizen_keys(config: CitizenKeyConfig | None) -> None:
    """Set the process's KEK and look-up secret (processes call it at start; None: read the settings again)."""
    global _configured
    _configured = config
    _unwrapped.clear()


def citizen_key_config() -> CitizenKeyConfig:
    """The process's KEK and look-up secret; read from the settings on first use when not configured."""
    global _configured
    if _configured is None:
        from activities.sealing.settings import CitizenKeySettings  # not at import: it imports this module's neighbours

        _configured = read_settings(CitizenKeySettings).require_citizen_keys()
    return _configured


async def _cipher(config: CitizenKeyConfig, row: CitizenKeyRow) -> AESGCM:
    assert row.wrapped_key is not None and row.kek_id is not None
    cache_key = (row.key_id, row.wrapped_key)
    cipher = _unwrapped.get(cache_key)
    if cipher is None:
        cipher = AESGCM(await config.kek.unwrap(row.kek_id, row.wrapped_key))
        if len(_unwrapped) >= _CACHE_LIMIT:
            _unwrapped.clear()
        _unwrapped[cache_key] = cipher
    return cipher


def sealed_key_id(sealed: bytes) -> uuid.UUID:
    """The id of the citizen key that sealed `sealed` (SealedDataError if it is not sealed data)."""
    if len(sealed) < _HEADER.size + _NONCE_BYTES + 16 or sealed[0] != FORMAT_VERSION:
        raise SealedDataError("not sealed citizen data")
    return uuid.UUID(bytes=_HEADER.unpack_from(sealed)[1])


async def seal_with_key(config: CitizenKeyConfig, row: CitizenKeyRow, plaintext: bytes) -> bytes:
    """Seal with a key row already looked up (the store seals many fields under one key)."""
    if row.destroyed:
        raise SealedDataError("the citizen's key was destroyed")
    header = _HEADER.pack(FORMAT_VERSION, row.key_id.bytes, row.key_version)
    nonce = os.urandom(_NONCE_BYTES)
    return header + nonce + (await _cipher(config, row)).encrypt(nonce, plaintext, header)


async def open_with_key(config: CitizenKeyConfig, row: CitizenKeyRow, sealed: bytes) -> bytes | None:
    """Open with the key row `sealed` names; None when that key was destroyed."""
    if sealed_key_id(sealed) != row.key_id:
        raise SealedDataError("sealed under another key")
    if row.destroyed:
        return None
    _, _, version = _HEADER.unpack_from(sealed)
    if version != row.key_version:
        raise SealedDataError(f"sealed under key version {version}, the key is at {row.key_version}")
    header, nonce = sealed[: _HEADER.size], sealed[_HEADER.size : _HEADER.size + _NONCE_BYTES]
    try:
        return (await _cipher(config, row)).decrypt(nonce, sealed[_HEADER.size + _NONCE_BYTES :], header)
    except InvalidTag:
        raise SealedDataError("sealed data does not verify under its key") from None


async def seal_for_citizen(conn: AsyncConnection[Any], cpr: str, plaintext: bytes) -> bytes:
    """Encrypt `plaintext` with the citizen's key, making the key if the citizen has none (in `conn`'s
    transaction, so a rolled-back caller leaves no key behind)."""
    config = citizen_key_config()
    return await seal_with_key(config, await key_for(conn, config, cpr), plaintext)


async def open_for_citizen(conn: AsyncConnection[Any], sealed: bytes) -> bytes | None:
    """The plaintext, or None when the citizen's key was destroyed (the data is erased).

    SealedDataError for bytes that are not sealed data or do not verify; `KekError` when the key's KEK is
    not configured. Neither message names the content."""
    row = await key_by_id(conn, sealed_key_id(sealed))
    if row is None:
        raise SealedDataError("sealed under a citizen key this database does not hold")
    return await open_with_key(citizen_key_config(), row, sealed)
