"""The Temporal Schedule that starts the retention sweep every day (created idempotently at worker start)."""

from __future__ import annotations

import logging

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)

from activities.platform.schedules import create_or_update_schedule
from workflows.contracts.retention import RETENTION_SCHEDULE_ID, RETENTION_SWEEP_WORKFLOW, SweepInput

logger = logging.getLogger(__name__)


def retention_schedule(task_queue: str, hour_utc: int) -> Schedule:
    """Daily at `hour_utc`:00 UTC; a run still going when the next is due makes the next one skip."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            RETENTION_SWEEP_WORKFLOW,
            SweepInput(),
            id=f"{RETENTION_SCHEDULE_ID}-run",
            task_queue=task_queue,
            static_summary="Daily retention sweep (journalføringsbekendtgørelsen §15)",
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(hour_utc)], minute=[ScheduleRange(0)])],
            time_zone_name="UTC",
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_retention_schedule(client: Client, task_queue: str, hour_utc: int) -> bool:
    """Create the schedule, or bring an existing one to this spec; True if it was created now."""
    if not await create_or_update_schedule(client, RETENTION_SCHEDULE_ID, retention_schedule(task_queue, hour_utc)):
        return False
    logger.info("created the daily retention sweep schedule %s (%02d:00 UTC)", RETENTION_SCHEDULE_ID, hour_utc)
    return True
