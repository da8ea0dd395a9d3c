"""The letters an application sent the citizen (its decisions, with their klagevejledning), as the PDFs the
citizen got, and the resend of a failed one. Included by api.routes.applications.applications (prefix /applications)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from activities.access_log.entries import AccessAction
from activities.queries import applications as application_queries
from activities.queries import letters as letter_queries
from api.auth.dependencies import PrincipalDep
from api.command_requests import ApplicationCommandDep
from api.deps import ApplicationIdPath, PoolDep
from api.http.openapi import problems
from api.http.problems import ProblemError
from api.models.applications import ApplicationView
from api.routes.cases.letters import LetterIdPath, LetterSummary, MessageIdPath, pdf_response
from api.scoped_rows import visible_application
from workflows.applications.workflow import ApplicationWorkflow
from workflows.domain.messaging.commands import ResendMessage

router = APIRouter(prefix="/{application_id}")


class ApplicationLetterList(BaseModel):
    application_id: str
    letters: list[LetterSummary]


@router.get("/letters", summary="The letters sent to the citizen", responses=problems(404, 422))
async def list_application_letters(
    application_id: ApplicationIdPath, request: Request, pool: PoolDep, principal: PrincipalDep
) -> ApplicationLetterList:
    """Every decision letter of the application, oldest first, with its delivery state. For the caseworkers of
    the application's municipality."""
    await visible_application(request, pool, principal, str(application_id), AccessAction.READ)
    rows = await letter_queries.list_letters(pool, "application_id", str(application_id))
    return ApplicationLetterList(
        application_id=str(application_id), letters=[LetterSummary.of_row(row) for row in rows]
    )


@router.get(
    "/letters/{letter_id}",
    summary="One letter as the PDF the citizen got",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The letter"}, **problems(404, 410, 422)},
)
async def get_application_letter(
    application_id: ApplicationIdPath,
    letter_id: LetterIdPath,
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
) -> Response:
    """The decision letter exactly as it went to Digital Post (**410** once the citizen's data has been erased)."""
    await visible_application(request, pool, principal, str(application_id), AccessAction.EXPORT)
    try:
        pdf = await letter_queries.letter_as_sent(pool, "application_id", str(application_id), str(letter_id))
    except letter_queries.LetterUnavailable:
        raise ProblemError(
            410, "The letter's content was erased with the citizen's data", slug="letter-erased", title="Letter erased"
        ) from None
    if pdf is None:
        raise ProblemError(
            404, f"The application has no letter {letter_id}", slug="letter-not-found", title="Letter not found"
        )
    return pdf_response(pdf, str(letter_id))


@router.post(
    "/messages/{message_id}/resend",
    tags=["commands"],
    summary="Send a failed letter again",
    responses=problems(404, 409, 412, 422),
)
async def resend_application_message(message_id: MessageIdPath, application: ApplicationCommandDep) -> ApplicationView:
    """A letter whose delivery failed (`delivery_failed` on the application) goes out again with the same content
    and id; the application records `MessageResendRequested`, then what became of it. **409** when the message has
    not failed. For the caseworkers of the application's municipality."""
    row = await application_queries.get_application(application.pool, str(application.application_id))
    messages = ((row or {}).get("state") or {}).get("messages") or {}
    if str(message_id) not in messages:
        raise ProblemError(
            404, f"The application has no message {message_id}", slug="message-not-found", title="Message not found"
        )
    return await application.send(
        f"resend:{message_id}", ApplicationWorkflow.resend_message, ResendMessage, message_id=str(message_id)
    )
