"""Build and send the KL Gateway Rehab delivery reports of one or every municipality (started by the
`kl-gateway-reports` Temporal Schedule, by POST /reports/kl-gateway/{code} and by the CLI through the same code).

Each municipality's cases go a batch at a time through an activity that Temporal retries; a municipality whose
transport keeps failing is recorded as a failed run (ops see it at GET /reports/kl-gateway) and the
others go on. The workflow carries municipality codes, run ids, case-id cursors and counts: no personal data.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts.kl_gateway import (
        BEGIN_KL_RUN,
        FINISH_KL_RUN,
        KL_REPORT_WORKFLOW,
        REPORT_KL_BATCH,
        BatchRequest,
        BatchResult,
        BeginRuns,
        FinishRun,
        ReportRequest,
        RunPlan,
        RunSummary,
    )

SHORT = timedelta(seconds=30)
BATCH_TIMEOUT = timedelta(minutes=5)
# A transport that is down is tried for about half an hour before the run is recorded as failed; the next
# scheduled run starts again from the last clean run, so nothing is lost.
TRANSPORT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5), maximum_attempts=10
)


def run_name(info: workflow.Info) -> str:
    """The run's name in kl_report_runs: an on-demand workflow id is reused per municipality, its run id is not."""
    return f"{info.workflow_id}/{info.run_id}"


@workflow.defn(name=KL_REPORT_WORKFLOW)
class KlGatewayReportWorkflow:
    @workflow.run
    async def run(self, request: ReportRequest) -> RunSummary:
        plans: list[RunPlan] = await workflow.execute_activity(
            BEGIN_KL_RUN,
            BeginRuns(request=request, now=workflow.now(), workflow_id=run_name(workflow.info())),
            result_type=list[RunPlan],
            start_to_close_timeout=SHORT,
        )
        sent = refused = failed = 0
        for plan in plans:
            after, failure = "", None
            try:
                while True:
                    result: BatchResult = await workflow.execute_activity(
                        REPORT_KL_BATCH,
                        BatchRequest(run=plan, after_case_id=after),
                        result_type=BatchResult,
                        start_to_close_timeout=BATCH_TIMEOUT,
                        retry_policy=TRANSPORT_RETRY,
                    )
                    sent, refused = sent + result.sent, refused + result.refused
                    if result.next_after_case_id is None:
                        break
                    after = result.next_after_case_id
            except ActivityError as err:
                cause = err.cause
                failure = cause.type if isinstance(cause, ApplicationError) and cause.type else "ActivityFailed"
                failed += 1
                workflow.logger.warning("KL report run for municipality %s failed: %s", plan.municipality_code, failure)
            await workflow.execute_activity(
                FINISH_KL_RUN, FinishRun(run_id=plan.run_id, failure=failure), start_to_close_timeout=SHORT
            )
        return RunSummary(municipalities=len(plans), sent=sent, refused=refused, failed_municipalities=failed)
