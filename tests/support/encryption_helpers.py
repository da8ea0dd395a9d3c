"""Payload encryption in tests: fresh keys and settings that carry them."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from activities.sealing.payload_codec import new_key_ring_entry
from api.settings import ApiSettings

# Random per run: nothing may depend on a particular key.
CURRENT_KEY = new_key_ring_entry("test-current")
OLD_KEY = new_key_ring_entry("test-old")


def encrypting_settings(*entries: str, **overrides: Any) -> ApiSettings:
    """ApiSettings with PAYLOAD_ENCRYPTION_KEYS = `entries` joined (default: the current key only)."""
    keys = ",".join(entries or (CURRENT_KEY,))
    return ApiSettings(payload_encryption_keys=SecretStr(keys), **overrides)
