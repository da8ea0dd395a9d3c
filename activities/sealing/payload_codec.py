"""Encryption of Temporal payloads: AES-256-GCM with a key ring (the first key encrypts, every key decrypts).

Every payload the SDK sends to Temporal (workflow inputs and results, Update arguments and results, query
results, activity inputs and results, memo) passes through `EncryptionCodec.encode` on the way out and
`decode` on the way in, so CPR numbers and names reach Temporal's history only as ciphertext. The workflow
code never sees any of this: the codec runs outside the workflow sandbox, on the client and the worker.

An encrypted payload is the original `Payload` message, serialised, then encrypted:

    metadata  encoding: binary/encrypted, encryption-key-id: <key id>
    data      12-byte random nonce || AES-256-GCM ciphertext and tag

the format of Temporal's encryption samples, so their codec servers in other languages can read it too.

`decode` leaves any payload that is not `binary/encrypted` unchanged: histories recorded before encryption
was switched on replay and continue. A payload under a key id the ring does not hold is an error, never
passed on as it is.
"""

from __future__ import annotations

import binascii
import os
import re
from base64 import b64decode, b64encode
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING_KEY = "encoding"
KEY_ID_KEY = "encryption-key-id"
ENCRYPTED_ENCODING = b"binary/encrypted"
NONCE_BYTES = 12
KEY_BYTES = 32  # AES-256

KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
KEY_FORMAT = "keyid:base64-of-32-bytes[,keyid:base64-of-32-bytes...]"
MAX_REPORTED_KEY_ID = 80  # a valid id has at most 64 characters; a longer one is cut in error messages


class KeyRingError(ValueError):
    """A malformed key list. The message never quotes key material."""


class PayloadDecryptionError(ValueError):
    """An encrypted payload that this key ring cannot decrypt."""


class UnknownPayloadKeyError(PayloadDecryptionError):
    """An encrypted payload under a key id the ring does not hold: the ring lacks a key another process uses.

    `key_id` is the id as the payload states it, cut to a printable length: it comes from outside (a
    history, a codec request), so it is quoted with `repr`, never trusted as a name."""

    def __init__(self, key_id: str, configured: Sequence[str]) -> None:
        self.key_id = key_id[:MAX_REPORTED_KEY_ID]
        super().__init__(
            f"payload encrypted with key id {self.key_id!r}, which is not in PAYLOAD_ENCRYPTION_KEYS "
            f"(configured: {', '.join(configured)}); add that key to decrypt it"
        )


@dataclass(frozen=True)
class PayloadKey:
    key_id: str
    key: bytes

    def __repr__(self) -> str:  # never print the key itself
        return f"PayloadKey(key_id={self.key_id!r})"


def parse_key_ring(value: str) -> list[PayloadKey]:
    """`keyid:base64[,keyid:base64...]` -> keys, the encrypting key first.

    Raises `KeyRingError` naming the entry (by position and key id) that is wrong, without its key material.
    """
    entries = [entry.strip() for entry in value.replace("\n", ",").split(",")]
    entries = [entry for entry in entries if entry]
    if not entries:
        raise KeyRingError(f"no key given; expected {KEY_FORMAT}")
    keys: list[PayloadKey] = []
    for position, entry in enumerate(entries, start=1):
        key_id, separator, encoded = entry.partition(":")
        key_id, encoded = key_id.strip(), encoded.strip()
        if not separator:
            raise KeyRingError(f"key {position} has no key id; expected {KEY_FORMAT}")
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise KeyRingError(
                f"key {position}: the key id must be 1-64 letters, digits, '.', '_' or '-' (starting with a "
                f"letter or digit); expected {KEY_FORMAT}"
            )
        try:
            key = b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise KeyRingError(f"key {key_id!r} is not valid base64; expected {KEY_FORMAT}") from None
        if len(key) != KEY_BYTES:
            raise KeyRingError(f"key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES} bytes")
        if any(known.key_id == key_id for known in keys):
            raise KeyRingError(f"key id {key_id!r} appears twice")
        keys.append(PayloadKey(key_id, key))
    return keys


def new_key_ring_entry(key_id: str) -> str:
    """A fresh random key as one `keyid:base64` entry (for the local key file and for operators)."""
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise KeyRingError(f"invalid key id {key_id!r}")
    return f"{key_id}:{b64encode(os.urandom(KEY_BYTES)).decode('ascii')}"


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over whole payloads. `keys[0]` encrypts; every key in `keys` decrypts (rotation)."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        super().__init__()
        if not keys:
            raise KeyRingError("an encryption codec needs at least one key")
        self._ciphers: dict[str, AESGCM] = {}
        for entry in keys:
            if len(entry.key) != KEY_BYTES:
                raise KeyRingError(f"key {entry.key_id!r} is {len(entry.key)} bytes; AES-256 needs {KEY_BYTES}")
            if entry.key_id in self._ciphers:
                raise KeyRingError(f"key id {entry.key_id!r} appears twice")
            self._ciphers[entry.key_id] = AESGCM(entry.key)
        self.encrypting_key_id = keys[0].key_id

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    async def encode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Iterable[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._ciphers[self.encrypting_key_id].encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={ENCODING_KEY: ENCRYPTED_ENCODING, KEY_ID_KEY: self.encrypting_key_id.encode()},
            data=nonce + ciphertext,
        )

    def decrypt(self, payload: Payload) -> Payload:
        """The original payload; a payload that is not `binary/encrypted` is returned unchanged."""
        if payload.metadata.get(ENCODING_KEY) != ENCRYPTED_ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_KEY, b"").decode("utf-8", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise UnknownPayloadKeyError(key_id, list(self._ciphers))
        if len(payload.data) <= NONCE_BYTES:
            raise PayloadDecryptionError(
                f"payload under key id {key_id[:MAX_REPORTED_KEY_ID]!r} is too short to be AES-GCM ciphertext"
            )
        try:
            plaintext = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], None)
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload under key id {key_id!r} does not authenticate: wrong key for that id, or tampered data"
            ) from None
        return Payload.FromString(plaintext)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m activities.sealing.payload_codec [KEY_ID]`: print a new `keyid:base64` entry for
    PAYLOAD_ENCRYPTION_KEYS."""
    import argparse
    import sys
    from datetime import UTC, datetime

    parser = argparse.ArgumentParser(prog="python -m activities.sealing.payload_codec", description=main.__doc__)
    parser.add_argument("key_id", nargs="?", default=f"k{datetime.now(UTC):%Y%m%d}", help="default: k<today>")
    args = parser.parse_args(argv)
    sys.stdout.write(new_key_ring_entry(args.key_id) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
