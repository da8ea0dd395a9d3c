"""The Temporal Schedules of the sender's periodic jobs (the outbox sweep and the VANS inbox poll): the safety net.

The worker's watcher (`activities/messaging/watcher.py`) starts the same workflows as soon as it sees work; the
schedules run them anyway every MAILROOM_SCHEDULE_MINUTES (default 3 hours), so nothing is stranded should the
watcher miss something. An idle day costs each schedule 3 actions a run (the schedule's action, the workflow's
start, its one activity): 48 for both at the default, 144 at the shortest period allowed (an hour).

Created by the worker at start (idempotent: an existing schedule keeps running, with its interval brought up to
date, so a deployment that had the old 30 s / 60 s schedules gets the new period), visible and pausable in the
Temporal UI under Schedules: a pause set there outlasts the worker's restarts.
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
# The workflow ids: the watcher's runs under exactly these, the schedule's with its action time appended.
OUTBOX_SWEEP_RUN = "outbox-sweep-run"
INBOX_POLL_RUN = "vans-inbox-poll-run"


def _schedule(workflow: type, workflow_id: str, task_queue: str, every: timedelta, summary: str) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            workflow.run,  # type: ignore[attr-defined]
            id=workflow_id,
            task_queue=task_queue,
            static_summary=summary,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # A run still busy when the next is due: skip the next one, never two sweeps or polls at once.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def mailroom_schedules(task_queue: str, every: timedelta) -> dict[str, Schedule]:
    """The two safety schedules by id, both every `every`."""
    return {
        OUTBOX_SWEEP_SCHEDULE: _schedule(
            OutboxSweepWorkflow, OUTBOX_SWEEP_RUN, task_queue, every, "Safety net: the worker's watcher sweeps on work"
        ),
        INBOX_POLL_SCHEDULE: _schedule(
            InboxPollWorkflow, INBOX_POLL_RUN, task_queue, every, "Safety net: the worker's watcher polls on a file"
        ),
    }


async def ensure_mailroom_schedules(client: Client, task_queue: str, every: timedelta) -> None:
    for schedule_id, schedule in mailroom_schedules(task_queue, every).items():
        if await create_or_update_schedule(client, schedule_id, schedule):
            logger.info("created schedule %s (every %s)", schedule_id, every)
