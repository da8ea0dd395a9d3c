"""What the codec adds to the app around its routes: CORS for the Temporal UI, and the problem for a payload
under a key id the API's ring lacks."""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from activities.sealing.payload_codec import UnknownPayloadKeyError
from api.http.problems import ProblemError, problem_response

logger = logging.getLogger("genoptraening.api")

# Methods that only read: nothing was applied when their answer cannot be decrypted.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CodecCORS:
    """CORS for the codec routes only: the rest of the API is not opened to the UI's origin."""

    def __init__(self, app: ASGIApp, origins: list[str], prefix: str, max_age: int) -> None:
        self.app = app
        self.prefix = prefix
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,  # the UI's `codec.includeCredentials` (cookies of an auth proxy)
            max_age=max_age,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(self.prefix):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def unknown_payload_key(request: Request, exc: Exception) -> JSONResponse:
    """A payload from Temporal under a key id this API's ring lacks: the worker encrypts with a key the API
    was not given. For a command, the workflow has already applied it; only its answer is unreadable."""
    assert isinstance(exc, UnknownPayloadKeyError)
    logger.error("payload under unknown key id %r on %s %s", exc.key_id, request.method, request.url.path)
    detail = (
        f"An answer from the workflow service is encrypted with key id {exc.key_id!r}, which this API's "
        f"PAYLOAD_ENCRYPTION_KEYS does not hold; the key ring must include key {exc.key_id!r}."
    )
    if request.method not in _SAFE_METHODS:
        detail += (
            " The command may have been applied: once the key is added, send it again with the same "
            "Idempotency-Key to learn its outcome, or read the case."
        )
    problem = ProblemError(500, detail, slug="payload-key-unknown", title="Payload encrypted with an unknown key")
    return problem_response(request.url.path, problem)
