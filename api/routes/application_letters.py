"""The letters an application sent the citizen (its decisions, with their klagevejledning), as the PDFs the
citizen got. Included by api.routes.applications (prefix /applications)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from activities import letter_queries
from activities.access_log_entries import AccessAction
from api.auth.dependencies import PrincipalDep
from api.deps import ApplicationIdPath, PoolDep
from api.openapi import problems
from api.problems import ProblemError
from api.routes.letters import LetterIdPath, LetterSummary, pdf_response
from api.scoped_rows import visible_application

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
