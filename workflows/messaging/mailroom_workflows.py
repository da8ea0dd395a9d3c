"""The sender's periodic jobs as workflows a Temporal Schedule starts (`activities/messaging/schedules.py`):
each runs its activity once; the Schedule's overlap policy keeps a slow run from being doubled."""

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
