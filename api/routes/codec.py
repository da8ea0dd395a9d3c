"""`POST /codec/decode` and `POST /codec/encode`: the codec server for the Temporal UI and CLI.

Temporal's remote codec protocol: the body is a `Payloads` message in protobuf JSON,
`{"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}`, and so is the answer. The UI
calls `<endpoint>/decode` from the browser with the namespace in `X-Namespace` (and, if configured, a bearer
token in `Authorization`), so the two routes answer CORS requests from TEMPORAL_UI_ORIGIN, and from no other
origin. Payloads that are not encrypted come back unchanged.

Whoever can call `/codec/decode` can read every payload encrypted with the service's keys: in production it
must sit behind the same authentication as the Temporal UI (deploy/README.md, "Personal data in Temporal").
Without PAYLOAD_ENCRYPTION_KEYS both routes answer 404. Nothing here logs a payload.

`install_codec` also answers, for every route, a payload from Temporal under a key id this API's ring lacks
(an Update result encrypted by a worker with a newer key, say): a 500 problem `payload-key-unknown` naming
the key id, saying that a command may have been applied, instead of a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from pydantic import BaseModel, Field
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads

from activities.payload_codec import EncryptionCodec, PayloadDecryptionError, UnknownPayloadKeyError
from api.problems import ProblemError, field_problem, problem_response

logger = logging.getLogger("genoptraening.api")

router = APIRouter(prefix="/codec", tags=["codec"])

PREFIX = "/codec/"
CORS_MAX_AGE_SECONDS = 600


class CodecPayload(BaseModel):
    metadata: dict[str, str] = Field(
        default_factory=dict, description="Metadata values, base64", examples=[{"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}]
    )
    data: str = Field(default="", description="The payload's bytes, base64")


class CodecPayloads(BaseModel):
    """A Temporal `Payloads` message in protobuf JSON."""

    payloads: list[CodecPayload] = Field(default_factory=list)


NamespaceHeader = Annotated[
    str | None,
    Header(
        alias="X-Namespace",
        description="The namespace the Temporal UI shows (sent by the UI; informational, not a security boundary)",
    ),
]

_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "An encrypted payload this service's keys cannot decrypt"},
    404: {"description": "Payload encryption is not configured (PAYLOAD_ENCRYPTION_KEYS)"},
    422: {"description": "Not a Payloads message (bad shape or base64)"},
}


def _codec(request: Request) -> EncryptionCodec:
    codec: EncryptionCodec | None = request.app.state.payload_codec
    if codec is None:
        raise ProblemError(
            404,
            "Payload encryption is not configured (PAYLOAD_ENCRYPTION_KEYS is unset), so there is no codec",
            slug="codec-not-configured",
        )
    return codec


CodecDep = Annotated[EncryptionCodec, Depends(_codec)]


def _to_proto(body: CodecPayloads) -> list[Payload]:
    payloads = []
    for index, item in enumerate(body.payloads):
        try:
            payloads.append(json_format.ParseDict(item.model_dump(), Payload()))
        except json_format.ParseError:
            raise field_problem((f"payloads.{index}", "metadata values and data must be base64")) from None
    return payloads


def _from_proto(payloads: Iterable[Payload]) -> CodecPayloads:
    return CodecPayloads.model_validate(json_format.MessageToDict(Payloads(payloads=list(payloads))))


async def _apply(
    convert: Callable[[Iterable[Payload]], Awaitable[list[Payload]]], body: CodecPayloads
) -> CodecPayloads:
    try:
        return _from_proto(await convert(_to_proto(body)))
    except PayloadDecryptionError as err:  # names key ids only, never data
        raise ProblemError(400, str(err), slug="payload-not-decodable", title="Payload not decodable") from None


@router.post(
    "/decode",
    summary="Decrypt Temporal payloads (the Temporal UI's remote codec)",
    response_model=CodecPayloads,
    responses=_RESPONSES,
)
async def decode(body: CodecPayloads, codec: CodecDep, namespace: NamespaceHeader = None) -> CodecPayloads:
    return await _apply(codec.decode, body)


@router.post(
    "/encode",
    summary="Encrypt Temporal payloads with the current key",
    response_model=CodecPayloads,
    responses=_RESPONSES,
)
async def encode(body: CodecPayloads, codec: CodecDep, namespace: NamespaceHeader = None) -> CodecPayloads:
    return await _apply(codec.encode, body)


class _CodecCORS:
    """CORS for the codec routes only: the rest of the API is not opened to the UI's origin."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,  # the UI's `codec.includeCredentials` (cookies of an auth proxy)
            max_age=CORS_MAX_AGE_SECONDS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


# Methods that only read: nothing was applied when their answer cannot be decrypted.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _on_unknown_payload_key(request: Request, exc: Exception) -> JSONResponse:
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


def install_codec(app: FastAPI, codec: EncryptionCodec | None, ui_origins: list[str]) -> None:
    app.state.payload_codec = codec
    # Here rather than in api.unavailable: the key ring is this module's concern, and create_app calls this.
    app.add_exception_handler(UnknownPayloadKeyError, _on_unknown_payload_key)
    app.add_middleware(_CodecCORS, origins=ui_origins)
    app.include_router(router)
