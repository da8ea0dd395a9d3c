"""The daily retention sweep (started by the `retention-sweep` Temporal Schedule, activities.retention.sweep.schedule).

It walks the ended cases and applications batch by batch through an activity, which destroys a citizen's key
once none of their cases or applications is live any more (activities.retention.sweep). The workflow carries only
positions and counts: no ids of citizens, no personal data.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contracts.retention import (
        RETENTION_SWEEP_WORKFLOW,
        SWEEP_RETENTION_BATCH,
        SweepBatchRequest,
        SweepBatchResult,
        SweepInput,
        SweepSummary,
    )

BATCH_TIMEOUT = timedelta(minutes=5)
BATCHES_PER_RUN = 500  # then continue-as-new, so the history stays small


@workflow.defn(name=RETENTION_SWEEP_WORKFLOW)
class RetentionSweepWorkflow:
    @workflow.run
    async def run(self, sweep: SweepInput) -> SweepSummary:
        now = workflow.now()
        after_at, after_id = sweep.after_at, sweep.after_id
        erased, kept, unsealed = sweep.erased, sweep.kept, sweep.unsealed
        for _ in range(BATCHES_PER_RUN):
            result: SweepBatchResult = await workflow.execute_activity(
                SWEEP_RETENTION_BATCH,
                SweepBatchRequest(now=now, after_at=after_at, after_id=after_id, run=workflow.info().workflow_id),
                result_type=SweepBatchResult,
                start_to_close_timeout=BATCH_TIMEOUT,
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
            )
            erased, kept, unsealed = erased + result.erased, kept + result.kept, unsealed + result.unsealed
            if result.next_after_at is None:
                workflow.logger.info("retention sweep done: %d erased, %d kept, %d unsealed", erased, kept, unsealed)
                return SweepSummary(erased=erased, kept=kept, unsealed=unsealed)
            after_at, after_id = result.next_after_at, result.next_after_id
        workflow.continue_as_new(
            SweepInput(after_at=after_at, after_id=after_id, erased=erased, kept=kept, unsealed=unsealed)
        )
