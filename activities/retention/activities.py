"""The retention sweep's activity: one batch of `activities.retention.sweep_batch`."""

from __future__ import annotations

from temporalio import activity

from activities.platform.db import Pool
from activities.retention.sweep import sweep_batch
from activities.sealing.settings import CitizenKeySettings
from workflows.contracts.retention import SWEEP_RETENTION_BATCH, SweepBatchRequest, SweepBatchResult


class RetentionActivities:
    def __init__(self, pool: Pool, rules: CitizenKeySettings, batch_size: int | None = None) -> None:
        self._pool = pool
        self._rules = rules
        self._batch_size = batch_size or rules.retention_sweep_batch_size

    @activity.defn(name=SWEEP_RETENTION_BATCH)
    async def sweep_retention_batch(self, request: SweepBatchRequest) -> SweepBatchResult:
        after = (request.after_at, request.after_id) if request.after_at is not None else None
        batch = await sweep_batch(self._pool, self._rules, request.now, after, self._batch_size, request.run)
        next_at, next_id = batch.next_after if batch.next_after else (None, "")
        return SweepBatchResult(
            examined=batch.examined,
            erased=batch.erased,
            kept=batch.kept,
            unsealed=batch.unsealed,
            next_after_at=next_at,
            next_after_id=next_id,
        )
