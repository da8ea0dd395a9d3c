"""`POST /codec/decode` and `POST /codec/encode`: the codec server for the Temporal UI and CLI.

Temporal's remote codec protocol: the body is a `Payloads` message in protobuf JSON,
`{"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}`, and so is the answer. The UI
calls `<endpoint>/decode` from the browser with the namespace in `X-Namespace` (and, if configured, a bearer
token in `Authorization`), so the two routes answer CORS requests from TEMPORAL_UI_ORIGIN, and from no other
origin. Payloads that are not encrypted come back unchanged.

Whoever can call `/codec/decode` can read every payload encrypted with the service's keys: in production it
must sit behind the same authentication as the Temporal UI (deploy/README.md, "Personal data in Temporal").
Without PAYLOAD_ENCRYPTION_KEYS both routes answer 404. Nothing here logs a payload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request
from google.protobuf import json_format
from pydantic import BaseModel, Field
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads

from activities.payload_codec import EncryptionCodec, PayloadDecryptionError
from api.problems import ProblemError, field_problem

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


def install_codec(app: FastAPI, codec: EncryptionCodec | None, ui_origins: list[str]) -> None:
    app.state.payload_codec = codec
    app.add_middleware(_CodecCORS, origins=ui_origins)
    app.include_router(router)
