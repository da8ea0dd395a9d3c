"""Inputs and outputs of the KL Gateway report workflow and its activities (pure pydantic: workflow code imports
it). Municipality codes, run ids, case-id cursors and counts only: no personal data goes through Temporal."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

KL_REPORT_WORKFLOW = "KlGatewayReportWorkflow"
KL_REPORT_SCHEDULE_ID = "kl-gateway-reports"
BEGIN_KL_RUN = "begin_kl_report_run"
REPORT_KL_BATCH = "report_kl_batch"
FINISH_KL_RUN = "finish_kl_report_run"
# Who started a run, and the states a run goes through (kl_report_runs' CHECK constraints, migration 0016).
TRIGGERS = ("schedule", "api", "cli")
RUN_STATUSES = ("running", "succeeded", "failed")


class ReportRequest(BaseModel):
    """What to report: the schedule's input is empty (every configured municipality, each since its last clean
    scheduled run, facts as of now); an on-demand request names one municipality and may name a period."""

    model_config = ConfigDict(frozen=True)

    municipalities: list[str] | None = Field(default=None, description="None: every configured municipality")
    trigger: str = Field(default="schedule", pattern="^(schedule|api|cli)$")
    period_from: datetime | None = None
    period_to: datetime | None = Field(default=None, description="None: the workflow's now")


class RunPlan(BaseModel):
    """One municipality's run: its id, the period it covers and the time the bundles carry."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    municipality_code: str
    period_from: datetime | None = Field(description="Cases changed since then; None: every case")
    period_to: datetime = Field(description="Facts as they stood then (also the bundles' timestamp)")


class BeginRuns(BaseModel):
    model_config = ConfigDict(frozen=True)

    request: ReportRequest
    now: datetime
    workflow_id: str


class BatchRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    run: RunPlan
    after_case_id: str = ""
    limit: int = Field(default=100, ge=1, le=5000)


class BatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    sent: int = 0
    unchanged: int = 0
    refused: int = 0
    erased: int = 0
    next_after_case_id: str | None = Field(default=None, description="None: the run is done")


class FinishRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    run_id: str
    failure: str | None = None


class RunSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    municipalities: int
    sent: int
    refused: int
    failed_municipalities: int
