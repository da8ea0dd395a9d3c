"""Why a bearer token was not accepted: short reason codes that never quote the token."""

from __future__ import annotations

from typing import Literal

# The reason codes a 401 names (in its detail and WWW-Authenticate error_description).
Reason = Literal[
    "missing",  # no Authorization header, or not a Bearer one
    "malformed",  # not a JWS compact token, bad base64/JSON, a non-integer time claim, too long
    "expired",  # `exp` passed (beyond the leeway)
    "not_yet_valid",  # `iat` or `nbf` in the future (beyond the leeway)
    "bad_signature",  # the signature does not verify with the key the `kid` names
    "wrong_algorithm",  # `alg` not in AUTH_ALGORITHMS (`none`, HS256, ...) or not the key's algorithm
    "wrong_issuer",
    "wrong_audience",
    "missing_claim",  # one of exp, iat, iss, aud, or the subject claim is absent
    "unknown_key",  # the `kid` is in no configured key source
    "invalid",  # any other refusal by the JWT library
    # A person's token without the level of assurance AUTH_MIN_LOA asks for (RFC 9470
    # insufficient_user_authentication): the token is genuine, the sign-in behind it too weak.
    "insufficient_assurance",
]


class AuthenticationFailed(Exception):
    """The token does not prove who the caller is: answered 401. `reason` is one of `Reason`."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason: Reason = reason


class AuthenticationUnavailable(Exception):
    """The issuer's keys cannot be had (JWKS unreachable, never fetched): answered 503, not 401, so that a
    client does not throw a good token away because of the service's own trouble."""
