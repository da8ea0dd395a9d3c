"""KL Gateway Rehab delivery reports (docs/reports.md): send on demand, list what was sent, preview the next
reports, and the status ops watch.

Who may: the municipality's administrator (municipal_admin) sends, lists and previews its own municipality's
reports (another municipality's: 403); ops read the status of every municipality's runs, counts only. The
preview holds CPR numbers: each citizen in it is access-logged as an export.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from temporalio.common import WorkflowIDConflictPolicy

from activities.access_log.entries import AccessAction
from activities.kl_gateway import queries
from activities.kl_gateway.reporting import ReportConfig, citizens_of, next_report
from api.access_logging import log_access
from api.auth.access import require, require_own_municipality
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.deps import PoolDep, SettingsDep, TemporalDep
from api.http.openapi import problems
from api.http.problems import field_problem
from api.models.kl_gateway import (
    KlGatewayPreview,
    KlGatewayReports,
    MunicipalityRunStatus,
    PreviewItem,
    ReportRun,
    ReportStarted,
    RunProblem,
    SentReport,
)
from workflows.contracts.kl_gateway import KL_REPORT_WORKFLOW, ReportRequest, RunPlan

router = APIRouter(prefix="/reports/kl-gateway", tags=["kl-gateway"])

CodePath = Annotated[str, Path(pattern=r"^[1-8]\d{2}$", description="The municipality's code", examples=["101"])]
PURPOSE = "indberetning til KL (SUL §140)"
# An RFC 3339 instant with its offset (`2026-03-31T22:00:00Z`) that `datetime.fromisoformat` reads: a bare number
# or date is no instant, nor is year 0000, month 13 or a leap second. `format: date-time` beside it refuses the days
# a month lacks, so what the schema lets through `_instant` takes.
INSTANT = (
    "^(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$"
)
_INSTANT_SCHEMA = {"format": "date-time"}


def _instant(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise field_problem((name, "is no date and time that exists")) from None


def _own(principal: Principal, code: str, what: str) -> None:
    require(principal, what, Role.MUNICIPAL_ADMIN)
    require_own_municipality(principal, code, what)


@router.get("", summary="Every municipality's latest report run (counts only)", responses=problems(403))
async def get_kl_gateway_status(principal: PrincipalDep, pool: PoolDep) -> list[MunicipalityRunStatus]:
    require(principal, "read the KL report status", Role.OPS)
    return [MunicipalityRunStatus.model_validate(row) for row in await queries.status(pool)]


@router.post(
    "/{code}",
    status_code=202,
    summary="Build and send the municipality's KL reports now",
    responses=problems(403, 422, 503),
)
async def send_kl_gateway_reports(
    request: Request,
    code: CodePath,
    principal: PrincipalDep,
    pool: PoolDep,
    client: TemporalDep,
    settings: SettingsDep,
    period_from: Annotated[
        str | None,
        Query(alias="from", pattern=INSTANT, json_schema_extra=_INSTANT_SCHEMA, description="Cases changed since"),
    ] = None,
    period_to: Annotated[
        str | None,
        Query(alias="to", pattern=INSTANT, json_schema_extra=_INSTANT_SCHEMA, description="Facts as they stood then"),
    ] = None,
) -> ReportStarted:
    """Starts the report workflow for this municipality: only what changed since each citizen's last accepted
    report goes out. Follow the run at GET /reports/kl-gateway/{code}. While one runs, asking again answers with
    the running one.

    **422** naming `to` when it is no RFC 3339 instant with an offset or lies in the future (a report states facts
    as they stood), or `from` when it is no such instant or does not lie before `to`."""
    _own(principal, code, "send the municipality's KL reports")
    since = _instant("query.from", period_from)
    to = _instant("query.to", period_to) or datetime.now(UTC)
    if to > datetime.now(UTC):
        raise field_problem(("query.to", "cannot lie in the future: a report states facts as they stood"))
    if since is not None and since >= to:
        raise field_problem(("query.from", "must lie before `to`"))
    await log_access(request, pool, principal, AccessAction.EXPORT, purpose=PURPOSE,
                     criterion={"report": "kl-gateway", "municipality": code})  # fmt: skip
    # One on-demand run per municipality at a time: asked again while it runs, the answer is the running one.
    workflow_id = f"kl-gateway-{code}"
    report = ReportRequest(municipalities=[code], trigger="api", period_from=since, period_to=to)
    handle = await client.start_workflow(
        KL_REPORT_WORKFLOW,
        report,
        id=workflow_id,
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return ReportStarted(workflow_id=workflow_id, run_id=f"{workflow_id}/{handle.first_execution_run_id}:{code}")


@router.get(
    "/{code}", summary="The municipality's report runs and the reports KL accepted", responses=problems(403, 422)
)
async def list_kl_gateway_reports(
    code: CodePath,
    principal: PrincipalDep,
    pool: PoolDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> KlGatewayReports:
    _own(principal, code, "read the municipality's KL reports")
    runs = [
        ReportRun.model_validate({**row, "problems": [RunProblem.model_validate(p) for p in row["problems"]]})
        for row in await queries.runs(pool, code, limit)
    ]
    sent = [SentReport.model_validate(row) for row in await queries.reports(pool, code, limit)]
    return KlGatewayReports(municipality_code=code, runs=runs, reports=sent)


@router.get(
    "/{code}/preview", summary="The reports the next run would send (nothing is sent)", responses=problems(403, 422)
)
async def preview_kl_gateway_reports(
    request: Request,
    code: CodePath,
    principal: PrincipalDep,
    pool: PoolDep,
    settings: SettingsDep,
    after: Annotated[str, Query(max_length=200, pattern=r"^[A-Za-z0-9._:-]*$", description="Cursor")] = "",
    limit: Annotated[int, Query(ge=1, le=50, description="Cases looked at")] = 10,
) -> KlGatewayPreview:
    _own(principal, code, "preview the municipality's KL reports")
    config = ReportConfig(settings.kl_gateway_municipality_sor_ids, settings.kl_gateway_provider_sor_ids)
    run = RunPlan(run_id="preview", municipality_code=code, period_from=None, period_to=datetime.now(UTC))
    items: list[PreviewItem] = []
    async with pool.connection() as conn:
        citizens, _, next_after = await citizens_of(conn, run, after, limit)
        for cpr, cases in citizens.items():
            report = await next_report(conn, config, run, cpr, cases)
            if report is None:
                continue
            found = [RunProblem(case_id=p.case_id, rule=p.rule, resource_type=p.resource_type) for p in report.problems]
            items.append(PreviewItem(bundle=report.bundle, problems=found))
            await log_access(request, pool, principal, AccessAction.EXPORT, purpose=PURPOSE, citizen_cpr=cpr,
                             case_id=cases[0].case_id)  # fmt: skip
    return KlGatewayPreview(items=items, next_after=next_after)
