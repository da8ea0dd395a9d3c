"""The mailroom's watcher: looks for work in the worker process and starts the outbox sweep or the inbox poll only
when there is some, so an idle deployment costs no Temporal work (issue 18: at most 300 actions a day).

Each look is local: a listing of the VANS inbound directory, one indexed query for messages queued outside a
workflow (`outbox_undispatched_idx`). Work found starts the same workflow the safety schedule starts
(`activities/messaging/schedules.py`), under a fixed id: a run still going is never doubled, whether this
worker or another one's watcher started it (the start is refused and the next look tries again). The Temporal
UI shows each run under `vans-inbox-poll-run` / `outbox-sweep-run`; the schedule's own runs carry its time.

Work a run could not take (the intake is unreachable, so the files go back to their mailbox) is not restarted at
every look: the same waiting set waits `RETRY_FIRST`, then twice as long each time, up to `RETRY_AT_MOST`. A new
file or message changes the set and starts a run at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.messaging import outbox
from activities.messaging.schedules import INBOX_POLL_RUN, OUTBOX_SWEEP_RUN
from activities.messaging.transports import vans_inbox
from activities.platform.db import Pool
from workflows.messaging.mailroom_workflows import InboxPollWorkflow, OutboxSweepWorkflow

logger = logging.getLogger(__name__)

RETRY_FIRST = timedelta(seconds=30)
RETRY_AT_MOST = timedelta(minutes=30)
# How many due messages a look reads to tell one waiting set from another: the sweep takes them in this order.
_LOOK_AHEAD = 50

Look = Callable[[], Awaitable[frozenset[str]]]  # what waits now (file paths, message ids); empty when nothing


@dataclass
class Watch:
    """One kind of work: how to look for it, which workflow takes it, and how often to look."""

    name: str
    workflow: type
    workflow_id: str
    every: timedelta
    look: Look
    started_for: frozenset[str] = field(default=frozenset())  # the waiting set the last run was started for
    retry_at: float = 0.0
    retry_delay: timedelta = RETRY_FIRST
    failing: str | None = None  # the kind of the last look's failure, logged once per streak


def inbox_look(vans_root: Path) -> Look:
    async def look() -> frozenset[str]:
        # Also gives back claims a dead poller left behind (after STALE_CLAIM_SECONDS): they then count as waiting.
        waiting = await asyncio.to_thread(vans_inbox.waiting_files, vans_root)
        return frozenset(str(file.path) for file in waiting)

    return look


def outbox_look(pool: Pool, grace_seconds: float) -> Look:
    async def look() -> frozenset[str]:
        async with pool.connection() as conn:
            return frozenset(await outbox.undispatched(conn, grace_seconds, _LOOK_AHEAD))

    return look


class MailroomWatcher:
    def __init__(self, client: Client, task_queue: str, watches: Sequence[Watch]) -> None:
        self._client = client
        self._task_queue = task_queue
        self.watches = list(watches)

    async def check(self, watch: Watch) -> bool:
        """Look once; True when a run was started for what waits."""
        waiting = await watch.look()
        if not waiting:
            watch.started_for, watch.retry_delay = frozenset(), RETRY_FIRST
            return False
        now = asyncio.get_running_loop().time()
        same = waiting == watch.started_for
        if same and now < watch.retry_at:
            return False  # a run already had this very set and left it: wait before trying it again
        try:
            await self._client.start_workflow(
                watch.workflow.run,  # type: ignore[attr-defined]
                id=watch.workflow_id,
                task_queue=self._task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            return False  # a run is going (this worker's or another's): the next look sees what it leaves
        watch.retry_delay = min(watch.retry_delay * 2, RETRY_AT_MOST) if same else RETRY_FIRST
        watch.started_for, watch.retry_at = waiting, now + watch.retry_delay.total_seconds()
        logger.info("%s: %d waiting, started %s", watch.name, len(waiting), watch.workflow_id)  # never which
        return True

    async def _keep_watching(self, watch: Watch) -> None:
        while True:
            try:
                await self.check(watch)
                if watch.failing is not None:
                    logger.info("%s: looking again after %s", watch.name, watch.failing)
                    watch.failing = None
            except Exception as exc:  # the database or Temporal away: the next look tries again
                if watch.failing != type(exc).__name__:
                    watch.failing = type(exc).__name__
                    logger.warning(
                        "%s: cannot look for work (%s); the safety schedule still runs", watch.name, watch.failing
                    )
            await asyncio.sleep(watch.every.total_seconds())

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Watch while the block runs (the worker's lifetime); stopped when it leaves."""
        tasks = [asyncio.create_task(self._keep_watching(watch), name=f"watch-{watch.name}") for watch in self.watches]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task


def mailroom_watcher(
    client: Client,
    task_queue: str,
    pool: Pool,
    vans_root: Path,
    *,
    inbox_every: timedelta,
    outbox_every: timedelta,
    sweep_grace_seconds: float,
) -> MailroomWatcher:
    """The watcher of the VANS inbound directory and of the outbox, starting the workflows on `task_queue`."""
    return MailroomWatcher(
        client,
        task_queue,
        [
            Watch("inbox", InboxPollWorkflow, INBOX_POLL_RUN, inbox_every, inbox_look(vans_root)),
            Watch(
                "outbox", OutboxSweepWorkflow, OUTBOX_SWEEP_RUN, outbox_every, outbox_look(pool, sweep_grace_seconds)
            ),
        ],
    )
