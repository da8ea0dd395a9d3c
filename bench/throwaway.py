"""The secrets of a throw-away run for the benches that seal in their own process (as tests/conftest.py sets the
tests'): fresh citizen keys and look-up secret, and no payload keys needed. What is set already is kept."""

from __future__ import annotations

import base64
import os
import secrets

from activities.sealing.payload_codec import new_key_ring_entry


def use_throwaway_secrets() -> None:
    os.environ.setdefault("ALLOW_UNENCRYPTED_PAYLOADS", "true")
    os.environ.setdefault("CITIZEN_KEK_KEYS", new_key_ring_entry(f"bench-kek-{secrets.token_hex(4)}"))
    os.environ.setdefault("CITIZEN_LOOKUP_SECRET", base64.b64encode(secrets.token_bytes(32)).decode("ascii"))
