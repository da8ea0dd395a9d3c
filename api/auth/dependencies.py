"""`PrincipalDep`: the FastAPI dependency that turns `Authorization: Bearer <JWT>` into a `Principal`.

A refused token is answered 401 problem+json with an RFC 6750 challenge (RFC 9470's
`insufficient_user_authentication` for a person's too weak sign-in); the detail and the challenge name the
reason code only, never anything from the token. A key source that cannot be reached is a 503: the
token may be fine, and the client should retry rather than sign in again.

The dependency is a plain function on purpose: FastAPI runs it in its thread pool, so the rare JWKS fetch
(`api.auth.jwks`, blocking with a timeout) never stalls the event loop.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from activities.commands.settings import CommandSettings
from activities.platform.startup_checks import read_settings
from api.auth.errors import AuthenticationFailed, AuthenticationUnavailable, Reason
from api.auth.principal import Principal
from api.auth.settings import AuthSettings
from api.auth.tokens import TokenVerifier
from api.http.problems import ProblemError

logger = logging.getLogger("genoptraening.auth")

REALM = "genoptraening"
# Declared for the OpenAPI document (the docs' "Authorize" button); the header is parsed below, so that a
# wrong scheme is told apart from no header at all.
bearer_scheme = HTTPBearer(
    bearerFormat="JWT",
    scheme_name="bearer",
    description="A JWT from the configured issuer (locally: .data/dev-tokens.json)",
    auto_error=False,
)
_DESCRIPTIONS: dict[Reason, str] = {
    "missing": "No bearer token",
    "malformed": "The token is not a well-formed JWT",
    "expired": "The token has expired",
    "not_yet_valid": "The token is not valid yet",
    "bad_signature": "The token's signature does not verify",
    "wrong_algorithm": "The token's signature algorithm is not accepted",
    "wrong_issuer": "The token is from another issuer",
    "wrong_audience": "The token is for another audience",
    "missing_claim": "The token lacks a required claim",
    "unknown_key": "The token is signed with an unknown key",
    "invalid": "The token is not valid",
    "insufficient_assurance": "The sign-in's level of assurance is too low for this service",
}
_verifier_lock = threading.Lock()


def unauthenticated(reason: Reason) -> ProblemError:
    """The 401 for a refused token, with its `WWW-Authenticate` challenge (RFC 6750 §3)."""
    description = _DESCRIPTIONS[reason]
    if reason == "missing":
        challenge = f'Bearer realm="{REALM}"'
    elif reason == "insufficient_assurance":
        # RFC 9470 §3: the token is genuine, the sign-in too weak; the client signs in again, more strongly.
        # acr_values is left out: the broker knows its own names for the NSIS levels, the service does not.
        challenge = (
            f'Bearer realm="{REALM}", error="insufficient_user_authentication", error_description="{description}"'
        )
    else:
        challenge = f'Bearer realm="{REALM}", error="invalid_token", error_description="{description}"'
    return ProblemError(
        401,
        f"{description} ({reason})",
        slug="unauthenticated",
        title="Authentication required",
        headers={"WWW-Authenticate": challenge},
    )


def _settings(request: Request) -> AuthSettings:
    settings: AuthSettings | None = getattr(request.app.state, "settings", None)  # the app's ApiSettings
    return settings if settings is not None else read_settings(AuthSettings)


def token_verifier(request: Request) -> TokenVerifier:
    """The app's verifier (its JWKS cache lives as long as the app), made from the app's settings on first use."""
    state = request.app.state
    verifier: TokenVerifier | None = getattr(state, "token_verifier", None)
    if verifier is None:
        with _verifier_lock:  # two first requests must not build two caches
            verifier = getattr(state, "token_verifier", None)
            if verifier is None:
                verifier = state.token_verifier = TokenVerifier(_settings(request))
    return verifier


def bearer_token(request: Request) -> str:
    """The token of `Authorization: Bearer <token>` (scheme case-insensitive), or `AuthenticationFailed`."""
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        raise AuthenticationFailed("missing")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise AuthenticationFailed("missing")  # another scheme (Basic...) proves nothing here: challenge for Bearer
    token = token.strip()
    if not token or " " in token:
        raise AuthenticationFailed("malformed")
    return token


def current_principal(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
) -> Principal:
    try:
        return token_verifier(request).verify(bearer_token(request))
    except AuthenticationFailed as refused:
        logger.info("401 %s on %s %s", refused.reason, request.method, request.url.path)
        raise unauthenticated(refused.reason) from None
    except AuthenticationUnavailable:
        logger.warning("503 on %s %s: the issuer's keys cannot be had", request.method, request.url.path)
        app_settings: CommandSettings = request.app.state.settings  # the app's ApiSettings
        raise ProblemError(
            503,
            "The token cannot be checked now: the issuer's keys are unavailable",
            slug="authentication-unavailable",
            title="Service unavailable",
            headers={"Retry-After": str(app_settings.retry_after_seconds)},
        ) from None


PrincipalDep = Annotated[Principal, Depends(current_principal)]
