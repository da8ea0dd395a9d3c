"""`POST /medcom/ggop`: a hospital sends a MedCom GGOP plan (OIOXML) and gets its case and MedCom receipt.

The answer is JSON, like every answer of this API, and carries the MedCom receipt as XML text, so an
integrator gets both the case and what MedCom says it is owed (docs/medcom.md, "Answers"):

- accepted: **201** (a new case, `Location`) or **200** (a known case: a resend, a replacing plan, or a
  duplicate), with `receipt` the positive receipt when the envelope asked for one (`pluspositivkvitt`);
- refused: a problem (`application/problem+json`) with `receipt` the negative receipt naming the error, and
  `refuse_code` MedCom's code: **422** the body is no GGOP the service takes (not XML, a DTD, the schema, or
  it cannot become a plan; `errors` names `body`), **409** the letter id came with other content before. A
  message whose ids cannot be read has no receipt.

The same receipt is queued in the outbox for the sender's EAN, which is how MedCom expects it to arrive.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from activities.access_log.entries import AccessAction
from activities.intake.ggop import GgopOutcome, take_ggop_message
from activities.intake.senders import GgopSender, SenderRefused
from api.access_logging import log_access
from api.auth.access import require
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Role
from api.deps import PoolDep, SettingsDep, TemporalDep
from api.http.limits import too_large
from api.http.openapi import problems
from api.http.problems import PROBLEM_JSON, FieldError, Problem, ProblemError
from workflows.domain.plan.plan import RehabilitationPlan

router = APIRouter(tags=["medcom"])

XML_MEDIA_TYPES = ("application/xml", "text/xml")
# The route's ceiling for the request contract (api/http/limits.py); MEDCOM_MAX_MESSAGE_BYTES is checked below.
_CEILING = 50 * 1024 * 1024


class GgopAnswer(BaseModel):
    case_id: str = Field(description="The case the plan went to")
    envelope_id: str | None = Field(description="The message's envelope id (MedCom Envelope/Identifier)")
    letter_id: str | None = Field(description="The plan's letter id (Letter/Identifier), the plan id of its case")
    duplicate: bool = Field(description="The same envelope and letter came before: the same answer again")
    receipt: str | None = Field(description="The MedCom positive receipt (XML), when the envelope asked for one")


class GgopProblem(Problem):
    receipt: str | None = Field(default=None, description="The MedCom negative receipt (XML) naming the error")
    refuse_code: str | None = Field(default=None, description="MedCom's refuse code (syntaksfejl, ...)")


def _is_xml(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type in XML_MEDIA_TYPES or (media_type.startswith("application/") and media_type.endswith("+xml"))


async def _body(request: Request, limit: int) -> bytes:
    """The body, read no further than `limit` bytes (413 beyond it)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _refusal(request: Request, outcome: GgopOutcome) -> JSONResponse:
    problem = GgopProblem(
        type="urn:genoptraening:problem:medcom-refused",
        title="MedCom message refused",
        status=outcome.status,
        detail=outcome.detail,
        instance=request.url.path,
        receipt=outcome.receipt.decode() if outcome.receipt else None,
        refuse_code=outcome.refuse_code,
        errors=[FieldError(field="body", message=outcome.detail or "refused")] if outcome.status == 422 else None,
    )
    return JSONResponse(problem.model_dump(exclude_none=True), status_code=outcome.status, media_type=PROBLEM_JSON)


@router.post(
    "/medcom/ggop",
    status_code=201,
    summary="Receive a MedCom GGOP rehabilitation plan (OIOXML)",
    response_model=GgopAnswer,
    response_description="The new case (201, with a Location header) or a known one (200), with the receipt",
    responses={
        200: {"model": GgopAnswer, "description": "A known case: a resend, a replacing plan or a duplicate"},
        **{
            status: {"model": GgopProblem, "description": text}
            for status, text in (
                (409, "The letter id came before with other content: with the negative receipt"),
                (
                    422,
                    "Not a GGOP the service takes (not XML, a DTD, the schema, the mapping): with the negative "
                    "receipt naming the element, where the message's ids could be read",
                ),
            )
        },
        **problems(413, 415),
        # Declared as for every operation with a body; this one answers a body it cannot read with 422.
        400: {"model": Problem, "description": "Not used here: an unreadable body is 422"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "description": "A GGOP Emessage"}}},
        }
    },
    max_body_size=_CEILING,
)
async def receive_ggop(
    request: Request,
    response: Response,
    pool: PoolDep,
    client: TemporalDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> Any:
    """Take a GGOP plan (`application/xml`) from the hospital whose token is used.

    The message's sender (Sender/EANIdentifier) must be registered for the token's SOR id
    (`MEDCOM_SENDER_SOR_BY_EAN`) or name that SOR id itself, else **403** without a receipt. The body is at
    most `MEDCOM_MAX_MESSAGE_BYTES` (2 MiB by default, **413**); a message with a DTD is refused unread.

    **422** when the body (`body`) is no GGOP message the service takes: not well-formed XML, a DTD, not the
    schema, or a plan the case service cannot take; the problem carries the negative receipt where the
    message's envelope id and sender EAN could be read. **409** when its letter id came before with other
    content. Each refusal names MedCom's `refuse_code`.
    """
    require(principal, "send plans", Role.HOSPITAL)
    if not _is_xml(request.headers.get("content-type")):
        raise ProblemError(
            415,
            "The request body must be a MedCom XML message, sent as Content-Type: application/xml",
            slug="unsupported-media-type",
            title="Unsupported media type",
            headers={"Accept-Post": "application/xml"},
        )
    raw = await _body(request, settings.medcom_max_message_bytes)

    async def logged(plan: RehabilitationPlan, case_id: str) -> None:
        await log_access(
            request,
            pool,
            principal,
            AccessAction.CREATE,
            citizen_cpr=plan.patient.cpr,
            case_id=case_id,
            responsible_municipality_code=plan.home_municipality_code,
        )

    try:
        outcome = await take_ggop_message(
            raw,
            sender=GgopSender.hospital_token(principal),
            pool=pool,
            client=client,
            settings=settings,
            record_access=logged,
        )
    except SenderRefused as refused:
        raise ProblemError(403, str(refused), slug="forbidden") from None
    if not outcome.accepted:
        return _refusal(request, outcome)
    assert outcome.case_id is not None
    response.status_code = outcome.status
    if outcome.status == 201:
        response.headers["Location"] = f"/cases/{outcome.case_id}"
    return GgopAnswer(
        case_id=outcome.case_id,
        envelope_id=outcome.envelope_id,
        letter_id=outcome.letter_id,
        duplicate=outcome.duplicate,
        receipt=outcome.receipt.decode() if outcome.receipt else None,
    )
