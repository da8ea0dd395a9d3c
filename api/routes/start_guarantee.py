"""GET /reports/start-guarantee: how often a start was offered within 7 days (SUL §140 stk. 4), per month.

JSON by default; CSV with `Accept: text/csv` or `format=csv`; an HTML page with its chart with `Accept: text/html`
(a browser) or `format=html`. Figures come from the `start_guarantee_facts` read model, folded from the events
with the domain's `evolve` and rebuildable from them; `as_of` draws them as the facts stood at that instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import WithJsonSchema

from activities.access_log.entries import AccessAction
from activities.store.read_models.guarantee_facts import read_counted
from api.access_logging import log_access
from api.auth.access import forbidden, require, require_own_municipality
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.deps import PoolDep
from api.http.openapi import problems
from api.http.problems import checked_as_of, field_problem
from api.http.query_types import AsOf, QueryDate
from api.models.start_guarantee import REASON_LABELS, StartGuaranteeReport
from api.pages.start_guarantee_page import report_csv, report_html
from workflows.domain.calendar import local_date
from workflows.domain.guarantee.tally import tally
from workflows.domain.model import Level
from workflows.domain.plan.plan import MunicipalityCode

router = APIRouter(prefix="/reports", tags=["reports"])

MAX_MONTHS = 36  # one request draws at most three years
# The levels with a start guarantee, as the schema offers them: specialiseret has none (SUL §140 stk. 4). The route
# still reads every level, to refuse specialiseret with that reason rather than a bare "not one of".
GuaranteeLevel = Annotated[
    Level,
    WithJsonSchema({"type": "string", "enum": [level.value for level in Level if level is not Level.SPECIALISERET]}),
]


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


def report_scope(principal: Principal, requested: str | None) -> tuple[str | None, bool]:
    """The municipality the caller may see (None: every one) and whether it may see the missed plans' cases.

    Ops and a national reader see every municipality's counts; a municipality's caseworkers, administrators and
    report readers see their own, and its caseworkers and administrators also which cases missed."""
    if principal.has(Role.OPS) or (principal.has(Role.REPORT_READER) and principal.national_reader):
        return requested, False
    require(principal, "read the start-guarantee report", Role.CASEWORKER, Role.MUNICIPAL_ADMIN, Role.REPORT_READER)
    own = principal.municipality_code
    if own is None:
        raise forbidden(principal, "read the start-guarantee report without a municipality in its token")
    if requested is not None and requested != own:
        require_own_municipality(principal, requested, "read another municipality's report")
    return own, principal.has(Role.CASEWORKER, Role.MUNICIPAL_ADMIN)


def _year_before(last: date) -> date:
    """The first day of the month 11 months before `last`'s: a year of months ending with `last`'s."""
    if last.month == 12:
        return date(last.year, 1, 1)
    return date(last.year - 1, last.month + 1, 1) if last.year > 1 else date.min


def _months(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


_MEDIA_TYPES = {
    "application/json": ReportFormat.JSON,
    "text/csv": ReportFormat.CSV,
    "text/html": ReportFormat.HTML,
}


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def _format(requested: ReportFormat | None, accept: str) -> ReportFormat:
    """`format` if given, else the media type the `Accept` header prefers most (RFC 9110 §12.5.1), else JSON."""
    if requested is not None:
        return requested
    offers: list[tuple[float, int, ReportFormat]] = []
    for order, entry in enumerate(accept.lower().split(",")):
        media_type, *parameters = entry.split(";")
        chosen = _MEDIA_TYPES.get(media_type.strip())
        if chosen is not None:
            offers.append((-_quality(parameters), order, chosen))
    return min(offers)[2] if offers and min(offers)[0] < 0 else ReportFormat.JSON


_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
        "description": "The report: JSON, CSV (one row per municipality and month) or an HTML page with its chart",
    }
}


@router.get(
    "/start-guarantee",
    summary="The 7-day start guarantee per month",
    response_model=StartGuaranteeReport,
    responses={**_CONTENT, **problems(403, 422)},
)
async def get_start_guarantee_report(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    municipality: Annotated[
        MunicipalityCode | None, Query(description="One municipality; leave out for all the caller may see")
    ] = None,
    period_from: Annotated[
        QueryDate | None,
        Query(alias="from", description="First day a plan's clock may count from (default: 11 months before `to`)"),
    ] = None,
    period_to: Annotated[
        QueryDate | None, Query(alias="to", description="Last day a plan's clock may count from (default: today)")
    ] = None,
    level: Annotated[
        GuaranteeLevel | None, Query(description="almen or rehabilitering_specialiseret; both if left out")
    ] = None,
    as_of: Annotated[
        AsOf | None,
        Query(description="Draw the figures as the facts were recorded by this instant (RFC 3339 with an offset)"),
    ] = None,
    report_format: Annotated[
        ReportFormat | None, Query(alias="format", description="json, csv or html; overrides the Accept header")
    ] = None,
) -> Response:
    """Per month of discharge (or of the later start the 7-day clock counts from): the plans in scope of the
    start guarantee, the starts offered within 7 days, the share, and every miss by its KL status reason or
    `unexplained` (docs/reports.md). Ops and a national reader get every municipality's counts side by side; a
    municipality's caseworkers and administrators get their own, with the missed plans' cases (another
    municipality's is **403**). Not a list of citizens: no personal data, but its reading is access-logged like a
    search of cases.

    **422** naming the parameter: an `as_of` without an offset, in the future or before 2000; a `from` after
    `to`, or a period of more than 36 months (`to`); `level` `specialiseret`, which has no start guarantee."""
    scope, with_cases = report_scope(principal, municipality)
    now = datetime.now(UTC)
    as_of = checked_as_of(as_of)
    if level is Level.SPECIALISERET:
        raise field_problem(("query.level", "specialiseret genoptræning has no start guarantee (SUL §140 stk. 4)"))
    figures_on = local_date(as_of or now)
    last = period_to or figures_on
    first = period_from or _year_before(last)
    if first > last:
        raise field_problem(("query.from", "must not lie after `to`"))
    if _months(first, last) > MAX_MONTHS:
        raise field_problem(("query.to", f"the period may span at most {MAX_MONTHS} months"))
    criterion = {
        "report": "start-guarantee",
        "municipality": scope,
        "from": str(first),
        "to": str(last),
        "level": level.value if level else None,
        "as_of": as_of.isoformat() if as_of else None,
    }
    await log_access(request, pool, principal, AccessAction.SEARCH, criterion=criterion)
    async with pool.connection() as conn:
        facts = await read_counted(conn, first=first, last=last, municipality=scope, level=level, as_of=as_of)
    figures = tally(
        facts, on=figures_on, first=first, last=last, municipalities=[scope] if scope else [], with_cases=with_cases
    )
    report = StartGuaranteeReport(
        period_from=first,
        period_to=last,
        level=level,
        as_of=as_of,
        figures_on=figures_on,
        reason_labels=REASON_LABELS,
        municipalities=figures,
    )
    chosen = _format(report_format, request.headers.get("accept", ""))
    if chosen is ReportFormat.CSV:
        return Response(report_csv(report), media_type="text/csv; charset=utf-8")
    if chosen is ReportFormat.HTML:
        return HTMLResponse(report_html(report, with_cases=with_cases))
    return JSONResponse(report.model_dump(mode="json"))
