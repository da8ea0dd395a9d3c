"""The start-guarantee report as the API answers it in JSON (docs/reports.md)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from activities.kl_gateway.codes import STATUS_REASON
from api.http.timestamps import UtcTimestamps
from workflows.domain.guarantee.facts import UNEXPLAINED
from workflows.domain.guarantee.tally import MunicipalityFigures
from workflows.domain.model import Level

MEASURE = (
    "Plans in scope of the start guarantee (almen genoptræning and rehabilitering på specialiseret niveau) whose "
    "first appointment was offered within 7 days after discharge, or after the later start the plan sets for "
    "health reasons; per month of that day"
)
# KL's Danish names of its reasons (the KL Gateway table), and the misses none of them explains.
REASON_LABELS: dict[str, str] = {
    **{reason.value: display for reason, (_, display) in STATUS_REASON.items()},
    UNEXPLAINED: "Uforklaret",
}
LEGAL_SOURCE = "Sundhedsloven § 140, stk. 4 (lov nr. 557 af 29. maj 2018); KL Gateway Rehab 2.2.0 (statusReason)"


class StartGuaranteeReport(UtcTimestamps):
    measure: str = Field(default=MEASURE)
    legal_source: str = Field(default=LEGAL_SOURCE)
    period_from: date = Field(description="First day the plans' 7-day clocks may count from")
    period_to: date = Field(description="Last day the plans' 7-day clocks may count from")
    level: Level | None = Field(description="Only plans of this level; null for both levels in scope")
    as_of: datetime | None = Field(description="The facts as recorded by this instant; null: as recorded now")
    figures_on: date = Field(description="The Danish date outcomes are judged on: whether a plan's 7 days ran out")
    reason_labels: dict[str, str] = Field(description="KL's Danish names of the reasons in `misses_by_reason`")
    municipalities: list[MunicipalityFigures] = Field(
        description="Per municipality (the plan's home municipality), its months and the whole period"
    )
