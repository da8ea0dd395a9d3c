"""The KL Gateway report's Temporal activities (the workflow is workflows.scheduled.kl_gateway_report)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.kl_gateway import store
from activities.kl_gateway.reporting import ReportConfig, report_batch
from activities.kl_gateway.transport import KlTransport
from activities.platform.db import Pool
from workflows.contracts.kl_gateway import (
    BEGIN_KL_RUN,
    FINISH_KL_RUN,
    REPORT_KL_BATCH,
    BatchRequest,
    BatchResult,
    BeginRuns,
    FinishRun,
    RunPlan,
)

# A scheduled run looks back this far before the last clean run's end: an event that occurred before that end but
# was committed after the run read the store is picked up (the delta sends nothing twice).
WINDOW_OVERLAP = timedelta(hours=1)


class KlGatewayActivities:
    def __init__(self, pool: Pool, transport: KlTransport, config: ReportConfig) -> None:
        self._pool = pool
        self._transport = transport
        self._config = config

    @activity.defn(name=BEGIN_KL_RUN)
    async def begin_runs(self, begin: BeginRuns) -> list[RunPlan]:
        """One run per municipality asked for (every configured one by default), recorded as started."""
        request = begin.request
        municipalities = request.municipalities or sorted(self._config.municipality_sor_ids)
        plans: list[RunPlan] = []
        async with self._pool.connection() as conn:
            for code in municipalities:
                since = request.period_from
                if request.trigger == "schedule":
                    last = await store.last_clean_run_end(conn, code)
                    since = last - WINDOW_OVERLAP if last is not None else None
                to = request.period_to or begin.now
                if since is not None and since >= to:
                    raise ApplicationError("the period ends before it begins", type="InvalidPeriod", non_retryable=True)
                run_id = f"{begin.workflow_id}:{code}"
                await store.start_run(conn, run_id, code, request.trigger, since, to)
                plans.append(RunPlan(run_id=run_id, municipality_code=code, period_from=since, period_to=to))
        return plans

    @activity.defn(name=REPORT_KL_BATCH)
    async def report_batch(self, request: BatchRequest) -> BatchResult:
        return await report_batch(self._pool, self._transport, self._config, request)

    @activity.defn(name=FINISH_KL_RUN)
    async def finish_run(self, request: FinishRun) -> None:
        async with self._pool.connection() as conn:
            await store.finish_run(conn, request.run_id, request.failure)
