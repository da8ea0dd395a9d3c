"""`make run`'s citizen keys: a local KEK and look-up secret under DATA_DIR, like the local payload key.

Every citizen key in the local database is wrapped by DATA_DIR/citizen-kek: losing that file makes every
case's personal data unreadable (as erased). The look-up secret (DATA_DIR/citizen-lookup-secret) finds a
citizen's key and access-log rows by CPR. Both are created on first use, mode 0600, and never logged.
"""

from __future__ import annotations

import logging
import secrets
from base64 import b64encode
from pathlib import Path

from activities.platform.startup_checks import StartupError
from activities.runtime.settings import Settings
from activities.sealing.payload_codec import KeyRingError, new_key_ring_entry, parse_key_ring
from activities.sealing.settings import LOOKUP_SECRET_MIN_BYTES
from api.auth.local_issuer import _write_once

logger = logging.getLogger("deploy.local")

KEK_FILE = "citizen-kek"
LOOKUP_SECRET_FILE = "citizen-lookup-secret"


def _read_or_create(path: Path, make: str) -> str:
    if not path.exists():
        _write_once(path, (make + "\n").encode("ascii"))  # of two racing starts, the first file wins
        logger.info("Created %s: keep it, the personal data in the local database is encrypted under it", path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        logger.warning("%s is accessible to other users (mode %03o): run chmod 600 on it", path, mode)
    return path.read_text(encoding="ascii").strip()


def local_citizen_key_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    """CITIZEN_KEK_KEYS and CITIZEN_LOOKUP_SECRET for the children, from DATA_DIR unless set already."""
    env: dict[str, str] = {}
    if settings.citizen_kek_keys is None:
        path = data_dir / KEK_FILE
        ring = _read_or_create(path, new_key_ring_entry(f"local-kek-{secrets.token_hex(4)}"))
        try:
            parse_key_ring(ring)
        except KeyRingError as err:
            raise StartupError(f"{path}: {err}") from None
        env["CITIZEN_KEK_KEYS"] = ring
    if settings.citizen_lookup_secret is None:
        secret = b64encode(secrets.token_bytes(LOOKUP_SECRET_MIN_BYTES)).decode("ascii")
        env["CITIZEN_LOOKUP_SECRET"] = _read_or_create(data_dir / LOOKUP_SECRET_FILE, secret)
    return env
