"""Answers of the KL Gateway report routes (api/routes/kl_gateway.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ReportStarted(BaseModel):
    workflow_id: str
    run_id: str = Field(description="The run's id in GET /reports/kl-gateway/{code}")


class RunProblem(BaseModel):
    case_id: str | None
    rule: str = Field(description="The rule the citizen's report broke (docs/reports.md, 'Checks')")
    resource_type: str | None


class ReportRun(BaseModel):
    run_id: str
    trigger: str
    period_from: datetime | None
    period_to: datetime
    started_at: datetime
    finished_at: datetime | None
    status: str
    citizens_sent: int
    citizens_unchanged: int
    citizens_refused: int
    citizens_erased: int
    failure: str | None
    problems: list[RunProblem]


class SentReport(BaseModel):
    report_id: str
    run_id: str
    bundle_timestamp: datetime
    accepted_at: datetime
    resource_count: int
    changed: int = Field(description="Resources new or corrected in this report")
    entered_in_error: int = Field(description="Resources withdrawn in this report")
    receipt: str | None


class KlGatewayReports(BaseModel):
    municipality_code: str
    runs: list[ReportRun]
    reports: list[SentReport]


class PreviewItem(BaseModel):
    bundle: dict[str, Any] = Field(description="The DeliveryReport bundle that would be sent (holds the CPR)")
    problems: list[RunProblem] = Field(description="Rules it breaks: such a report is not sent")


class KlGatewayPreview(BaseModel):
    items: list[PreviewItem]
    next_after: str | None = Field(description="Pass as `after` for the next page; null: no more cases")


class MunicipalityRunStatus(BaseModel):
    municipality_code: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    citizens_sent: int
    citizens_unchanged: int
    citizens_refused: int
    citizens_erased: int
    failure: str | None
    failed_runs: int
