"""Input and output of the retention sweep's activity, importable by workflow code (pure pydantic, no I/O)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

SWEEP_RETENTION_BATCH = "sweep_retention_batch"
RETENTION_SWEEP_WORKFLOW = "RetentionSweepWorkflow"
RETENTION_SCHEDULE_ID = "retention-sweep"


class SweepInput(BaseModel):
    """Where a sweep run starts (continue-as-new carries the position and the totals)."""

    model_config = ConfigDict(frozen=True)

    after_at: datetime | None = None
    after_id: str = ""
    erased: int = 0
    kept: int = 0
    unsealed: int = 0


class SweepBatchRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    now: datetime = Field(description="The sweep's time (the workflow's clock), so a retried batch decides alike")
    after_at: datetime | None = None
    after_id: str = ""
    run: str = Field(description="The sweep run's workflow id, recorded with each erasure")


class SweepBatchResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    examined: int
    erased: int
    kept: int
    unsealed: int
    next_after_at: datetime | None = Field(description="None: the sweep is done")
    next_after_id: str = ""


class SweepSummary(BaseModel):
    """What a sweep run did (counts only: no ids, no personal data)."""

    model_config = ConfigDict(frozen=True)

    erased: int
    kept: int
    unsealed: int
