"""`POST /codec/decode` and `POST /codec/encode`: the codec server for the Temporal UI and CLI.

Temporal's remote codec protocol: the body is a `Payloads` message in protobuf JSON,
`{"payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}`, and so is the answer. The UI
calls `<endpoint>/decode` from the browser with the namespace in `X-Namespace` and, with `codec.passAccessToken`,
the user's OIDC access token in `Authorization`, so the two routes answer CORS requests from TEMPORAL_UI_ORIGIN
(explicit origins, credentials allowed, never `*`), and from no other origin. The preflight needs no token.
Payloads that are not encrypted come back unchanged.

Whoever can call `/codec/decode` can read every payload encrypted with the service's keys, so both routes take
a verified token with the role `ops_decrypt` (401 without one or with a bad one, 403 for another role), and
every decode is access-logged (action `decode`, purpose "teknisk bistand", the caller, the outcome, the source
address, the trace id and the number of payloads): a row per citizen shown and the municipality of their case
(`api.codec.access_log`), once per CODEC_DECODE_LOG_WINDOW_SECONDS, as the UI decodes one page in many requests.
A decode whose rows cannot be written is refused: nothing is decoded unlogged. Encoding reveals nothing and is
not logged.

Local mode (CODEC_AUTH_REQUIRED=false) is for `make run`, whose dev UI has no login and so cannot send a token:
a request without `Authorization` from a loopback address then acts as `local-operator`, still access-logged.
The API refuses to start in local mode unless API_HOST is a loopback address (`install_codec`).
Without PAYLOAD_ENCRYPTION_KEYS both routes answer 404. Nothing here logs a payload.

`install_codec` also answers, for every route, a payload from Temporal under a key id this API's ring lacks
(an Update result encrypted by a worker with a newer key, say): a 500 problem `payload-key-unknown` naming
the key id, saying that a command may have been applied, instead of a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Security
from fastapi.security import HTTPAuthorizationCredentials
from google.protobuf import json_format
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload, Payloads

from activities.access_log.entries import AccessOutcome
from activities.access_log.records import record
from activities.platform.db import Pool
from activities.platform.startup_checks import StartupError
from activities.runtime.settings import is_loopback
from activities.sealing.payload_codec import EncryptionCodec, PayloadDecryptionError, UnknownPayloadKeyError
from api.auth.access import forbidden
from api.auth.dependencies import bearer_scheme, current_principal
from api.auth.principal import Principal, Role
from api.codec.access_log import SeenCitizen, citizens_in, decode_entries
from api.codec.setup import CodecCORS, unknown_payload_key
from api.http.problems import FieldError, ProblemError, field_problem
from api.http.unavailable import unavailable
from api.settings import ApiSettings, get_api_settings

logger = logging.getLogger("genoptraening.api")

router = APIRouter(prefix="/codec", tags=["codec"])

PREFIX = "/codec/"
CORS_MAX_AGE_SECONDS = 600
# Who decodes in local mode (CODEC_AUTH_REQUIRED=false, `make run` on loopback): the access log names it.
LOCAL_OPERATOR = Principal(
    subject="local-operator",
    roles=frozenset({Role.OPS_DECRYPT}),
    name="Local operator (make run, CODEC_AUTH_REQUIRED=false)",
)


# Standard base64 with its padding, as protobuf JSON writes bytes (the UI and the CLI send it so).
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
Base64 = Annotated[str, Field(pattern=BASE64_PATTERN)]


class CodecPayload(BaseModel):
    metadata: dict[str, Base64] = Field(
        default_factory=dict, description="Metadata values, base64", examples=[{"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}]
    )
    data: Base64 = Field(default="", description="The payload's bytes, base64")


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
    401: {"description": "No valid bearer token (the UI sends it with `codec.passAccessToken`)"},
    403: {"description": "The token's roles do not include ops_decrypt"},
    404: {"description": "Payload encryption is not configured (PAYLOAD_ENCRYPTION_KEYS)"},
    422: {"description": "Not a Payloads message (bad shape or base64), or `payloads` these keys cannot decrypt"},
}


def _app_settings(request: Request) -> ApiSettings:
    settings: ApiSettings | None = getattr(request.app.state, "settings", None)
    return settings if settings is not None else get_api_settings()


def codec_principal(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None,
) -> Principal:
    """The verified caller (401 otherwise); in local mode, `LOCAL_OPERATOR` for a loopback request without a
    token. A token that is sent is always verified, local mode or not. Roles are checked by the route, so that
    a refused decode can be logged."""
    local_mode = not _app_settings(request).codec_auth_required
    if local_mode and "authorization" not in request.headers and is_loopback(getattr(request.client, "host", None)):
        return LOCAL_OPERATOR
    return current_principal(request)


CodecPrincipalDep = Annotated[Principal, Depends(codec_principal)]


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
        raise _not_decodable(err) from None


def _not_decodable(err: PayloadDecryptionError) -> ProblemError:
    """Well-formed payloads that these keys cannot decrypt: 422 naming `payloads` (the schema cannot say it)."""
    return ProblemError(
        422,
        str(err),
        slug="payload-not-decodable",
        title="Payload not decodable",
        errors=[FieldError(field="payloads", message=str(err))],
    )


def _access_log_unavailable(request: Request) -> ProblemError:
    return unavailable(
        _app_settings(request),
        "The access log cannot be written, so nothing is decoded; try again later",
        slug="access-log-unavailable",
    )


async def _write(
    request: Request,
    pool: Pool,
    principal: Principal,
    outcome: AccessOutcome,
    asked: list[CodecPayload],
    citizens: dict[str, SeenCitizen] | None = None,
) -> None:
    """Append the decode's rows, each unless the caller's same row (user, outcome, citizen, municipality) is younger
    than CODEC_DECODE_LOG_WINDOW_SECONDS: the Temporal UI decodes one page in many requests."""
    window = _app_settings(request).codec_decode_log_window_seconds
    within = timedelta(seconds=window) if window else None
    for entry in await decode_entries(request, pool, principal, outcome, asked, citizens):
        await record(pool, entry, unless_within=within)


async def _log(
    request: Request,
    pool: Pool,
    principal: Principal,
    outcome: AccessOutcome,
    asked: list[CodecPayload],
    citizens: dict[str, SeenCitizen] | None = None,
) -> None:
    """`_write`, or raise the 503 that refuses the decode (no unlogged decode)."""
    try:
        await _write(request, pool, principal, outcome, asked, citizens)
    except Exception as err:  # any failure to log refuses the decode; the error text may quote the row
        logger.error("decode refused on %s: the access log row failed (%s)", request.url.path, type(err).__name__)
        raise _access_log_unavailable(request) from None


@router.post(
    "/decode",
    summary="Decrypt Temporal payloads (the Temporal UI's remote codec; ops_decrypt, access-logged)",
    response_model=CodecPayloads,
    responses={
        **_RESPONSES,
        503: {"description": "The access log cannot be written, so nothing is decoded (access-log-unavailable)"},
    },
)
async def decode(
    request: Request,
    body: CodecPayloads,
    principal: CodecPrincipalDep,
    codec: CodecDep,
    namespace: NamespaceHeader = None,
) -> CodecPayloads:
    """Decrypt payloads for an operator with `ops_decrypt`; every decode is an access-log row (purpose
    "teknisk bistand"), and without one nothing is decoded (**503**). Well-formed `payloads` that these keys
    cannot decrypt (an unknown key id, a tampered payload) are **422** naming `payloads`."""
    pool: Pool | None = getattr(request.app.state, "pool", None)
    if not principal.has(Role.OPS_DECRYPT):
        if pool is not None:
            try:  # best effort: nothing was decoded, and the caller is answered 403 either way
                await _write(request, pool, principal, AccessOutcome.DENIED, body.payloads)
            except Exception as err:
                logger.warning("a refused decode was not access-logged (%s)", type(err).__name__)
        raise forbidden(principal, "decode Temporal payloads")
    if pool is None:  # no database (a codec-only app): a decode that cannot be logged is not made
        logger.error("decode refused on %s: no access log (the API has no database pool)", request.url.path)
        raise _access_log_unavailable(request)
    payloads = _to_proto(body)
    try:
        plain = await codec.decode(payloads)
    except PayloadDecryptionError as err:  # names key ids only, never data
        await _log(request, pool, principal, AccessOutcome.FAILED, body.payloads)
        raise _not_decodable(err) from None
    # Logged before the answer is built: if a row cannot be written, the decoded payloads never leave.
    await _log(request, pool, principal, AccessOutcome.ALLOWED, body.payloads, citizens_in(plain))
    return _from_proto(plain)


@router.post(
    "/encode",
    summary="Encrypt Temporal payloads with the current key (ops_decrypt)",
    response_model=CodecPayloads,
    responses=_RESPONSES,
)
async def encode(
    body: CodecPayloads, principal: CodecPrincipalDep, codec: CodecDep, namespace: NamespaceHeader = None
) -> CodecPayloads:
    """Encrypt payloads with the current key, for an operator with `ops_decrypt` (the UI's and the CLI's
    codec). Payloads these keys cannot take are **422** naming `payloads`."""
    if not principal.has(Role.OPS_DECRYPT):
        raise forbidden(principal, "encode Temporal payloads")
    return await _apply(codec.encode, body)


def install_codec(app: FastAPI, codec: EncryptionCodec | None, ui_origins: list[str]) -> None:
    """The codec routes with their CORS. Ends the process (one line) when the settings (`app.state.settings`)
    turn codec authentication off on an API that is not bound to a loopback address."""
    settings: ApiSettings = getattr(app.state, "settings", None) or get_api_settings()
    try:
        settings.require_codec_auth()
    except StartupError as err:
        raise SystemExit(f"API cannot start: {err}") from None
    if not settings.codec_auth_required:
        logger.warning(
            "codec local mode: /codec/* decodes without a token on %s (logged as local-operator)", settings.api_host
        )
    if "*" in ui_origins:  # with credentials a wildcard would hand the decoded payloads to any site
        raise SystemExit("API cannot start: TEMPORAL_UI_ORIGIN must name origins, never *")
    app.state.payload_codec = codec
    # Here rather than in api.http.unavailable: the key ring is this module's concern, and create_app calls this.
    app.add_exception_handler(UnknownPayloadKeyError, unknown_payload_key)
    app.add_middleware(CodecCORS, origins=ui_origins, prefix=PREFIX, max_age=CORS_MAX_AGE_SECONDS)
    app.include_router(router)
