"""The sender's periodic jobs as workflows: the worker's watcher starts one when it sees work
(`activities/messaging/watcher.py`, under a fixed id, so a run going is never doubled), a slow Temporal Schedule
as a safety net (`activities/messaging/schedules.py`, whose overlap policy skips a run while one is busy). Each
runs its activity once: a workflow start and an activity, two actions a run (three from the schedule)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contracts.messaging import POLL_INBOX, START_UNDISPATCHED_DELIVERIES

_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), maximum_attempts=5)


@workflow.defn
class OutboxSweepWorkflow:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            START_UNDISPATCHED_DELIVERIES,
            result_type=int,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=_RETRY,
        )


@workflow.defn
class InboxPollWorkflow:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(  # type: ignore[no-any-return]
            POLL_INBOX,
            result_type=int,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=_RETRY,
        )
