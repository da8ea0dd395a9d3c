"""The Temporal Schedule that reports every configured municipality to KL at the configured interval (created
idempotently at worker start, like activities.retention.sweep.schedule)."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)

from activities.platform.schedules import create_or_update_schedule
from workflows.contracts.kl_gateway import KL_REPORT_SCHEDULE_ID, KL_REPORT_WORKFLOW, ReportRequest

logger = logging.getLogger(__name__)


def kl_report_schedule(task_queue: str, interval_hours: int) -> Schedule:
    """Every `interval_hours`; a run still going when the next is due makes the next one skip."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            KL_REPORT_WORKFLOW,
            ReportRequest(),
            id=f"{KL_REPORT_SCHEDULE_ID}-run",
            task_queue=task_queue,
            static_summary="KL Gateway Rehab delivery reports (SUL §140)",
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=interval_hours))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_kl_report_schedule(client: Client, task_queue: str, interval_hours: int) -> bool:
    """Create the schedule, or bring an existing one to this spec; True if it was created now."""
    if not await create_or_update_schedule(
        client, KL_REPORT_SCHEDULE_ID, kl_report_schedule(task_queue, interval_hours)
    ):
        return False
    logger.info("created the KL Gateway report schedule %s (every %d h)", KL_REPORT_SCHEDULE_ID, interval_hours)
    return True
