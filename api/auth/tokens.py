"""Verifying bearer tokens: `TokenVerifier(settings).verify(token) -> Principal`.

PyJWT does the cryptography and the registered claims; this module fixes what it is given. The algorithms
come from AUTH_ALGORITHMS only (asymmetric, never from the token) and are narrowed to those the chosen key
can verify; exp, iat, iss and aud are required; issuer and audience are compared whole; the leeway is at most
60 s (AuthSettings). The key is the configured public key file's, or the issuer's JWKS key that the token's `kid`
names (`api.auth.jwks`).

Then the claims become a `Principal` through the configured claim names and role map. A person's token must
carry the level of assurance AUTH_MIN_LOA asks for (`api.auth.assurance`); a token with no known role counts
as a person's. A valid token whose roles the service does not know still yields a Principal, with no roles: it
is authenticated (the issuer vouches for the subject) but may do nothing, so authorization answers 403, not 401.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.exceptions import UnsupportedAlgorithm

from activities.platform.startup_checks import StartupError
from api.auth.assurance import require_assurance
from api.auth.errors import AuthenticationFailed, Reason
from api.auth.jwks import Fetch, JwksKey, JwksKeys, fetch_url
from api.auth.keys import algorithms_for, load_public_key_file, thumbprint
from api.auth.principal import Principal, Role
from api.auth.settings import AuthSettings

logger = logging.getLogger("genoptraening.auth")

REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud"]
MAX_TOKEN_CHARS = 16 * 1024  # far above any real token; bounds the work a junk header can cause

# PyJWT's exceptions, most specific first (InvalidSignatureError is a DecodeError).
_REASONS: tuple[tuple[type[jwt.PyJWTError], Reason], ...] = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidIssuerError, "wrong_issuer"),
    (jwt.InvalidAudienceError, "wrong_audience"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.InvalidAlgorithmError, "wrong_algorithm"),
    (jwt.InvalidKeyError, "bad_signature"),
    (jwt.InvalidIssuedAtError, "malformed"),
    (jwt.DecodeError, "malformed"),
)


def _reason(error: jwt.PyJWTError) -> Reason:
    return next((reason for kind, reason in _REASONS if isinstance(error, kind)), "invalid")


class TokenVerifier:
    def __init__(self, settings: AuthSettings, *, fetch: Fetch = fetch_url) -> None:
        self.settings = settings
        self._file_key: JwksKey | None = None
        self._file_kid: str | None = None
        if settings.auth_public_key_file is not None:
            key = load_public_key_file(settings.auth_public_key_file)
            self._file_key, self._file_kid = JwksKey(key, None), thumbprint(key)
        self.jwks: JwksKeys | None = None
        if settings.auth_jwks_url is not None:
            self.jwks = JwksKeys(
                settings.auth_jwks_url,
                settings.auth_algorithms,
                cache_seconds=settings.auth_jwks_cache_seconds,
                cooldown_seconds=settings.auth_jwks_cooldown_seconds,
                timeout_seconds=settings.auth_jwks_timeout_seconds,
                fetch=fetch,
            )
        if self._file_key is None and self.jwks is None:
            logger.warning("Neither AUTH_JWKS_URL nor AUTH_PUBLIC_KEY_FILE is set: no token can be verified")

    def keys_loaded(self) -> bool:
        """Whether a token can be verified now (readiness): the key file's key, or a key from the issuer's JWKS,
        fetched now if none has been yet. Blocking, as `verify`."""
        return self._file_key is not None or (self.jwks is not None and self.jwks.loaded())

    def verify(self, token: str) -> Principal:
        """The caller the token proves, or `AuthenticationFailed` (401) / `AuthenticationUnavailable` (503)."""
        if not token:
            raise AuthenticationFailed("missing")
        if len(token) > MAX_TOKEN_CHARS:
            raise AuthenticationFailed("malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationFailed("malformed") from None
        kid, alg = header.get("kid"), header.get("alg")
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationFailed("malformed")
        chosen = self._key_for(kid)
        algorithms = algorithms_for(chosen.key, self.settings.auth_algorithms)
        if chosen.algorithm is not None:
            algorithms = [name for name in algorithms if name == chosen.algorithm]
        if alg not in algorithms:  # `none`, HS256 with the public key as secret, ES256 against an RSA key...
            raise AuthenticationFailed("wrong_algorithm")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                chosen.key,
                algorithms=algorithms,
                audience=self.settings.auth_audience,
                issuer=self.settings.auth_issuer,
                leeway=self.settings.auth_leeway_seconds,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as err:
            raise AuthenticationFailed(_reason(err)) from None
        return principal_from_claims(claims, self.settings)

    def _key_for(self, kid: str | None) -> JwksKey:
        # The key file answers a token without kid, with its own thumbprint as kid, or any kid when there is no
        # JWKS to ask; every other kid is the JWKS's to know.
        if self._file_key is not None and (kid is None or kid == self._file_kid or self.jwks is None):
            return self._file_key
        if self.jwks is not None and kid is not None:
            return self.jwks.key(kid)
        raise AuthenticationFailed("unknown_key")


def require_token_keys(settings: AuthSettings) -> None:
    """StartupError when no token could be verified: neither AUTH_JWKS_URL nor AUTH_PUBLIC_KEY_FILE is set, or
    the key file does not hold a public key. `make run` sets its local issuer's key file (deploy.local)."""
    if settings.auth_jwks_url is None and settings.auth_public_key_file is None:
        raise StartupError(
            "neither AUTH_JWKS_URL nor AUTH_PUBLIC_KEY_FILE is set, so no token could be verified: set the issuer's "
            "JWKS URL or its public key file (`make run` runs a local issuer and sets its key file)"
        )
    if settings.auth_public_key_file is not None:
        try:
            load_public_key_file(settings.auth_public_key_file)
        except (OSError, ValueError, UnsupportedAlgorithm) as err:
            raise StartupError(f"AUTH_PUBLIC_KEY_FILE is not a readable public key ({type(err).__name__})") from None


def claim(claims: Mapping[str, Any], name: str) -> Any:
    """A claim by its whole name (URI claim names have dots), else by dotted path: `realm_access.roles`."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _text(value: Any) -> str | None:
    """A string claim; numbers too (a municipality code may come as 101), never lists or objects."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        return str(value).strip() or None
    return None


def roles_from(value: Any, role_map: Mapping[str, str]) -> frozenset[Role]:
    """The service's roles among the token's role values; values it does not know are ignored."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    known = {role.value for role in Role}
    roles: set[Role] = set()
    for item in values:
        if not isinstance(item, str):
            continue
        mapped = role_map.get(item) if role_map else item
        if mapped in known:
            roles.add(Role(mapped))
    return frozenset(roles)


_SHAPES = {
    "municipality": re.compile(r"[0-9]{3}"),  # Danish municipality codes
    "sor": re.compile(r"[0-9]{6,18}"),  # SOR ids (Sundhedsdatastyrelsen)
    "cvr": re.compile(r"[0-9]{8}"),  # CVR numbers
}
_MAX_SUBJECT = 150  # the actor `role:subject` is stored with every event and must fit its columns


def _shaped(value: str | None, kind: str) -> str | None:
    """An organisation claim only when it has its shape: anything else binds the caller to nothing."""
    return value if value is not None and _SHAPES[kind].fullmatch(value) else None


def _true(value: object) -> bool:
    """A flag claim: JSON `true`, or the text `true` as some brokers send it."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def principal_from_claims(claims: Mapping[str, Any], settings: AuthSettings) -> Principal:
    subject = _text(claim(claims, settings.auth_claim_subject))
    if subject is None:
        raise AuthenticationFailed("missing_claim")
    if len(subject) > _MAX_SUBJECT or not subject.isprintable():
        raise AuthenticationFailed("invalid")
    roles = roles_from(claim(claims, settings.auth_claim_roles), settings.auth_role_map)
    require_assurance(claim(claims, settings.auth_claim_loa), roles, settings.auth_min_loa)
    national = claim(claims, settings.auth_claim_national)
    national_reader = claim(claims, settings.auth_claim_national_reader)
    return Principal(
        subject=subject,
        roles=roles,
        name=_text(claim(claims, settings.auth_claim_name)),
        municipality_code=_shaped(_text(claim(claims, settings.auth_claim_municipality)), "municipality"),
        sor_id=_shaped(_text(claim(claims, settings.auth_claim_sor)), "sor"),
        org_unit=_text(claim(claims, settings.auth_claim_org_unit)),
        cvr=_shaped(_text(claim(claims, settings.auth_claim_cvr)), "cvr"),
        national=_true(national),
        national_reader=_true(national_reader),
        token_id=_text(claims.get("jti")),
    )
