"""A token issuer for development and tests: an ES256 key in a directory, tokens in the shape the default
AUTH_CLAIM_* settings read.

`python -m deploy.local` keeps its key in DATA_DIR/auth/, trusts it (AUTH_PUBLIC_KEY_FILE) and writes one token
per role to DATA_DIR/dev-tokens.json. More tokens:

    python -m api.auth.local_issuer --role caseworker --municipality 101 [--org-unit U] [--name N] [--hours 8]
    python -m api.auth.local_issuer --role hospital --sor 227871000016001
    python -m api.auth.local_issuer --role caseworker --municipality 101 --loa low   # refused: 401

A person's token carries `loa: substantial` (NSIS level of assurance, as AUTH_MIN_LOA asks by default); a
hospital's, a system client's, carries none.

Only a service that trusts this key file accepts these tokens; in production it is never configured.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from activities.platform.settings import PlatformSettings
from activities.platform.startup_checks import read_settings
from api.auth.assurance import NSIS_LEVELS
from api.auth.keys import thumbprint
from api.auth.principal import Role
from api.auth.settings import AuthSettings

logger = logging.getLogger("genoptraening.auth")

PRIVATE_KEY_FILE = "signing-key.pem"
PUBLIC_KEY_FILE = "signing-key.pub.pem"
DEV_TOKENS_FILE = "dev-tokens.json"  # in DATA_DIR, written by `python -m deploy.local`
ALGORITHM = "ES256"
MAX_HOURS = 24 * 30
PERSON_LOA = "substantial"  # the least level AUTH_MIN_LOA asks of a person by default


def _write_private(path: Path, data: bytes, *, replace: bool) -> None:
    """Write `data` beside `path` (mode 0600 from mkstemp) and move it into place, so a crash never leaves half
    a file. `replace=False` links instead: of two starts racing to create a key, the first one's file wins."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temporary, path)
            return
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        os.unlink(temporary)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _write_once(path: Path, data: bytes) -> None:
    _write_private(path, data, replace=False)


def write_private_file(path: Path, data: bytes) -> None:
    """Replace `path` atomically with `data`, mode 0600 (dev tokens: bearer credentials)."""
    _write_private(path, data, replace=True)


class LocalIssuer:
    def __init__(self, private_key: ec.EllipticCurvePrivateKey, key_dir: Path, issuer: str, audience: str) -> None:
        self._private_key = private_key
        self.key_dir = key_dir
        self.issuer = issuer
        self.audience = audience
        self.kid = thumbprint(private_key.public_key())

    @classmethod
    def create_or_load(cls, key_dir: Path, issuer: str, audience: str) -> LocalIssuer:
        """The issuer whose key is in `key_dir` (created there on first use, mode 0600)."""
        key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = key_dir / PRIVATE_KEY_FILE
        if not path.exists():
            new_key = ec.generate_private_key(ec.SECP256R1())
            _write_once(path, new_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
            logger.info("Created the local token signing key %s", path)
        if path.stat().st_mode & 0o077:
            logger.warning("%s is accessible to other users: run chmod 600 on it", path)
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"{path} is not an EC P-256 private key")
        loaded = cls(key, key_dir, issuer, audience)
        public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        if not loaded.public_key_file.exists() or loaded.public_key_file.read_bytes() != public:
            write_private_file(loaded.public_key_file, public)  # derived from the private key: always matches it
        return loaded

    @property
    def public_key_file(self) -> Path:
        return self.key_dir / PUBLIC_KEY_FILE

    def settings_overrides(self) -> dict[str, Any]:
        """The settings fields that make a service trust this issuer: `ApiSettings(**..., **overrides)`."""
        return {
            "auth_issuer": self.issuer,
            "auth_audience": self.audience,
            "auth_public_key_file": self.public_key_file,
            "auth_algorithms": (ALGORITHM,),
        }

    def environment(self) -> dict[str, str]:
        """The same, as the AUTH_* environment of a child process."""
        return {
            "AUTH_ISSUER": self.issuer,
            "AUTH_AUDIENCE": self.audience,
            "AUTH_PUBLIC_KEY_FILE": str(self.public_key_file),
            "AUTH_ALGORITHMS": ALGORITHM,
        }

    def issue(
        self,
        role: Role,
        *,
        subject: str | None = None,
        name: str | None = None,
        municipality: str | None = None,
        sor: str | None = None,
        org_unit: str | None = None,
        national: bool = False,
        hours: float = 8,
        loa: str | None = PERSON_LOA,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed token. Nothing is checked here (tests need odd tokens too); `extra_claims` overrides any
        claim, e.g. `{"exp": ...}` for an expired one. `loa` (None: no claim) is left out of a hospital's token:
        a system client is not a person and has no level of assurance."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject or (f"local-hospital-{sor}" if role is Role.HOSPITAL and sor else f"local-{role.value}"),
            "iat": now,
            "exp": now + round(hours * 3600),
            "jti": secrets.token_hex(8),
            "roles": [role.value],
        }
        optional = {"name": name, "municipality": municipality, "sor": sor, "org_unit": org_unit}
        claims |= {key: value for key, value in optional.items() if value is not None}
        if national:
            claims["national_reader" if role is Role.REPORT_READER else "national_auditor"] = True
        if loa is not None and role is not Role.HOSPITAL:
            claims["loa"] = loa
        claims |= dict(extra_claims or {})
        return self.sign(claims)

    def sign(self, claims: Mapping[str, Any], *, headers: Mapping[str, Any] | None = None) -> str:
        """Exactly these claims, signed with this issuer's key. Signed as raw JSON, not through `jwt.encode`,
        which would refuse the malformed claims tests need (a list as `iss`, a text `iat`)."""
        payload = json.dumps(dict(claims), separators=(",", ":")).encode("utf-8")
        header = {"kid": self.kid, "typ": "JWT", **(headers or {})}
        return jwt.PyJWS().encode(payload, self._private_key, algorithm=ALGORITHM, headers=header)


def scope_problem(role: Role, *, municipality: str | None, sor: str | None, national: bool) -> str | None:
    """Why a token for `role` with this scope would be useless, or None: each role is bound to its organisation."""
    if role is Role.HOSPITAL and not sor:
        return "a hospital token needs --sor (the hospital's SOR id)"
    if role in (Role.CASEWORKER, Role.MUNICIPAL_ADMIN) and not municipality:
        return f"a {role.value} token needs --municipality"
    if role is Role.AUDITOR and not municipality and not national:
        return "an auditor token needs --municipality, or --national for every municipality"
    if role is Role.REPORT_READER and not municipality and not national:
        return "a report_reader token needs --municipality, or --national for every municipality"
    return None


# What `deploy.local` writes to DATA_DIR/dev-tokens.json: one ready token per role.
DEV_TOKEN_SCOPES: dict[Role, dict[str, Any]] = {
    # With an organisation unit, as KOMBIT's orgenhed constraint gives one: a claim puts the case in that team.
    Role.CASEWORKER: {"municipality": "101", "name": "Local Caseworker", "org_unit": "visitation"},
    Role.MUNICIPAL_ADMIN: {"municipality": "101", "name": "Local Municipal Admin"},
    Role.HOSPITAL: {"sor": "227871000016001"},
    Role.OPS: {"name": "Local Operator"},
    Role.OPS_DECRYPT: {"name": "Local Operator (decrypt)"},
    Role.AUDITOR: {"municipality": "101", "name": "Local Auditor"},
    Role.REPORT_READER: {"national": True, "name": "Local National Reader"},
}


def write_dev_tokens(issuer: LocalIssuer, path: Path, *, hours: float = 12) -> dict[str, str]:
    """One token per role, written to `path` as {role: token} (mode 0600: they are bearer credentials)."""
    tokens = {role.value: issuer.issue(role, hours=hours, **scope) for role, scope in DEV_TOKEN_SCOPES.items()}
    write_private_file(path, (json.dumps(tokens, indent=2) + "\n").encode("ascii"))
    return tokens


class _IssuerSettings(PlatformSettings, AuthSettings):
    """What issuing a token reads: where the local issuer keeps its key (DATA_DIR) and whom tokens are for."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api.auth.local_issuer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", required=True, choices=[role.value for role in Role])
    parser.add_argument("--municipality", help="municipality code (caseworker, municipal_admin, auditor)")
    parser.add_argument("--sor", help="the hospital's SOR id (hospital)")
    parser.add_argument("--org-unit", help="the caseworker's organisation unit")
    parser.add_argument("--national", action="store_true", help="an auditor or report_reader of every municipality")
    parser.add_argument("--name", help="the person's name")
    parser.add_argument("--subject", help="the `sub` claim (default: local-<role>)")
    parser.add_argument("--hours", type=float, default=8.0, help=f"validity, 0 < hours <= {MAX_HOURS} (default 8)")
    parser.add_argument(
        "--loa",
        choices=[*NSIS_LEVELS, "none"],
        help=f"the person's NSIS level of assurance (default {PERSON_LOA}); low or none to try the refusal",
    )
    args = parser.parse_args(argv)
    role = Role(args.role)
    problem = scope_problem(role, municipality=args.municipality, sor=args.sor, national=args.national)
    if problem is None and not 0 < args.hours <= MAX_HOURS:
        problem = f"--hours must be more than 0 and at most {MAX_HOURS}"
    if problem is None and args.loa is not None and role is Role.HOSPITAL:
        problem = "a hospital token carries no --loa: a system client is not a person"
    if problem is not None:
        parser.error(problem)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s", stream=sys.stderr)
    settings = read_settings(_IssuerSettings)
    issuer = LocalIssuer.create_or_load(settings.data_dir / "auth", settings.auth_issuer, settings.auth_audience)
    if not settings.auth_is_local and settings.auth_public_key_file != issuer.public_key_file:
        logger.warning("AUTH_JWKS_URL/AUTH_PUBLIC_KEY_FILE name another issuer: the service will refuse this token")
    token = issuer.issue(
        role,
        subject=args.subject,
        name=args.name,
        municipality=args.municipality,
        sor=args.sor,
        org_unit=args.org_unit,
        national=args.national,
        hours=args.hours,
        loa=PERSON_LOA if args.loa is None else None if args.loa == "none" else args.loa,
    )
    sys.stdout.write(token + "\n")  # stdout carries the token alone: TOKEN=$(python -m api.auth.local_issuer ...)
    return 0


if __name__ == "__main__":
    sys.exit(main())
