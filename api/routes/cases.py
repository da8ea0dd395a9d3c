"""Reads of cases: the list, one case, and its timeline (from the PostgreSQL read models)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from activities import case_queries, keyset_pages
from api.deps import CaseIdPath, PoolDep
from api.models.cases import CasePage, CaseSummary, CaseView, Timeline, TimelineEvent
from api.openapi import problems
from api.problems import ProblemError, invalid_cursor_problem
from api.temporal_errors import etag
from workflows.domain.model import CaseStatus
from workflows.domain.plan import MunicipalityCode

router = APIRouter(prefix="/cases", tags=["cases"])


def _not_found(case_id: str) -> ProblemError:
    return ProblemError(404, f"There is no case {case_id}", slug="case-not-found", title="No such case")


@router.get("", summary="List cases, newest first", responses=problems(422))
async def list_cases(
    pool: PoolDep,
    municipality: Annotated[
        MunicipalityCode | None,
        Query(description="The responsible municipality: the home municipality, or the one a case was transferred to"),
    ] = None,
    status: Annotated[CaseStatus | None, Query(description="Only cases in this status")] = None,
    overdue: Annotated[bool | None, Query(description="Only overdue (true) or not overdue (false) cases")] = None,
    limit: Annotated[int, Query(ge=1, le=keyset_pages.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")] = None,
) -> CasePage:
    """One page of cases without personal data, newest first; `next_cursor` fetches the next. A `cursor` this
    list did not give out (or gave out for other filters) is **422** naming `cursor`."""
    try:
        rows, next_cursor = await case_queries.list_cases(
            pool,
            municipality=municipality,
            status=status.value if status else None,
            overdue=overdue,
            limit=limit,
            cursor=cursor,
        )
    except keyset_pages.InvalidCursor as error:
        raise invalid_cursor_problem(error) from None
    return CasePage(items=[CaseSummary.of_row(row) for row in rows], next_cursor=next_cursor)


@router.get("/{case_id}", summary="One case", responses=problems(404, 422))
async def get_case(case_id: CaseIdPath, pool: PoolDep, response: Response) -> CaseView:
    """The case as of its last stored event (the read model is written with the events). The `ETag` is the
    case's version: send it as `If-Match` with a command to apply it only to the case as you saw it."""
    row = await case_queries.get_case(pool, str(case_id))
    if row is None:
        raise _not_found(str(case_id))
    view = CaseView.of_row(row)
    response.headers["ETag"] = etag(view.version)
    return view


@router.get("/{case_id}/events", summary="The case's timeline", responses=problems(404, 422))
async def case_events(case_id: CaseIdPath, pool: PoolDep) -> Timeline:
    """Every event of the case in order, with who caused it and through which command."""
    stored = await case_queries.case_timeline(pool, str(case_id))
    if not stored:
        raise _not_found(str(case_id))
    return Timeline(case_id=str(case_id), events=[TimelineEvent.of(event) for event in stored])
