"""The letters a case sent the citizen, as the PDFs the citizen got, and the resend of a failed message."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field

from activities.access_log.entries import AccessAction
from activities.queries import cases as case_queries
from activities.queries import letters as letter_queries
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Role
from api.command_requests import CaseCommandDep
from api.deps import CaseIdPath, PoolDep
from api.http.openapi import problems
from api.http.problems import ProblemError
from api.models.cases import CaseView
from api.scoped_rows import visible_case
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.messaging.commands import ResendMessage
from workflows.domain.messaging.model import MessageKind
from workflows.domain.messaging.state import DeliveryStatus

# Included by api.routes.cases.cases (prefix /cases), so api.main needs no change for it.
router = APIRouter(prefix="/{case_id}")

LetterIdPath = Annotated[uuid.UUID, Path(description="The letter's id (its outbox message id, a UUID)")]
MessageIdPath = Annotated[uuid.UUID, Path(description="The message's id (its outbox message id, a UUID)")]


class LetterSummary(BaseModel):
    letter_id: str
    kind: MessageKind
    title: str = Field(description="The letter's heading, as the citizen reads it")
    status: DeliveryStatus = Field(description="queued, sent (Digital Post took it) or failed")
    queued_at: datetime
    sent_at: datetime | None
    resends: int

    @classmethod
    def of_row(cls, row: dict[str, Any]) -> LetterSummary:
        status = (
            DeliveryStatus.SENT
            if row["sent_at"]
            else DeliveryStatus.FAILED
            if row["failed_at"]
            else DeliveryStatus.QUEUED
        )
        return cls(
            letter_id=row["letter_id"],
            kind=MessageKind(row["kind"]),
            title=str((row["details"] or {}).get("title", "")),
            status=status,
            queued_at=row["queued_at"],
            sent_at=row["sent_at"],
            resends=row["resends"],
        )


class LetterList(BaseModel):
    case_id: str
    letters: list[LetterSummary]


def _letter_not_found(letter_id: uuid.UUID) -> ProblemError:
    return ProblemError(404, f"The case has no letter {letter_id}", slug="letter-not-found", title="Letter not found")


@router.get("/letters", tags=["cases"], summary="The letters sent to the citizen", responses=problems(404, 422))
async def list_letters(case_id: CaseIdPath, request: Request, pool: PoolDep, principal: PrincipalDep) -> LetterList:
    """Every letter the case owed the citizen (the first contact, the free-choice notice), oldest first, with
    its delivery state. For the caseworkers of the responsible municipality."""
    await visible_case(request, pool, principal, str(case_id), AccessAction.READ, Role.CASEWORKER)
    rows = await letter_queries.list_letters(pool, "case_id", str(case_id))
    return LetterList(case_id=str(case_id), letters=[LetterSummary.of_row(row) for row in rows])


@router.get(
    "/letters/{letter_id}",
    tags=["cases"],
    summary="One letter as the PDF the citizen got",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The letter"}, **problems(404, 410, 422)},
)
async def get_letter(
    case_id: CaseIdPath, letter_id: LetterIdPath, request: Request, pool: PoolDep, principal: PrincipalDep
) -> Response:
    """The letter exactly as it went to Digital Post (**410** once the citizen's data has been erased)."""
    await visible_case(request, pool, principal, str(case_id), AccessAction.EXPORT, Role.CASEWORKER)
    try:
        pdf = await letter_queries.letter_as_sent(pool, "case_id", str(case_id), str(letter_id))
    except letter_queries.LetterUnavailable:
        raise ProblemError(
            410, "The letter's content was erased with the citizen's data", slug="letter-erased", title="Letter erased"
        ) from None
    if pdf is None:
        raise _letter_not_found(letter_id)
    return pdf_response(pdf, str(letter_id))


def pdf_response(pdf: bytes, letter_id: str) -> Response:
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{letter_id}.pdf"'}
    )


@router.post(
    "/messages/{message_id}/resend",
    tags=["commands"],
    summary="Send a failed message again",
    responses=problems(404, 409, 412, 422),
)
async def resend_message(message_id: MessageIdPath, case: CaseCommandDep) -> CaseView:
    """A message whose delivery failed (`delivery_failed` on the case) goes out again with the same content and
    id; the case records `MessageResendRequested`, then what became of it. **409** when the message has not
    failed. For the caseworkers of the responsible municipality."""
    row = await case_queries.get_case(case.pool, str(case.case_id))
    messages = ((row or {}).get("state") or {}).get("messages") or {}
    if str(message_id) not in messages:
        raise ProblemError(
            404, f"The case has no message {message_id}", slug="message-not-found", title="Message not found"
        )
    return await case.send(
        f"resend:{message_id}", CaseWorkflow.resend_message, ResendMessage, message_id=str(message_id)
    )
