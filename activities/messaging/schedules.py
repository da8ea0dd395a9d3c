"""The Temporal Schedules of the sender's periodic jobs (the outbox sweep and the VANS inbox poll).

Created by the worker at start (idempotent: an existing schedule keeps running, with its interval brought up
to date), visible and pausable in the Temporal UI under Schedules.
"""

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
from workflows.messaging.mailroom_workflows import InboxPollWorkflow, OutboxSweepWorkflow

logger = logging.getLogger(__name__)

OUTBOX_SWEEP_SCHEDULE = "outbox-sweep"
INBOX_POLL_SCHEDULE = "vans-inbox-poll"


def _schedule(workflow: type, workflow_id: str, task_queue: str, every: timedelta) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(workflow.run, id=workflow_id, task_queue=task_queue),  # type: ignore[attr-defined]
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # A run still busy when the next is due: skip the next one, never two sweeps or polls at once.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_mailroom_schedules(
    client: Client, task_queue: str, sweep_every: timedelta, poll_every: timedelta
) -> None:
    wanted = {
        OUTBOX_SWEEP_SCHEDULE: _schedule(OutboxSweepWorkflow, "outbox-sweep-run", task_queue, sweep_every),
        INBOX_POLL_SCHEDULE: _schedule(InboxPollWorkflow, "vans-inbox-poll-run", task_queue, poll_every),
    }
    for schedule_id, schedule in wanted.items():
        if await create_or_update_schedule(client, schedule_id, schedule):
            logger.info("created schedule %s", schedule_id)
