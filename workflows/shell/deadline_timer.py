"""One durable timer per deadline, kept across the changes that do not move it.

`workflow.wait_condition(..., timeout=...)` starts a new timer at every wait, and a case waits again after every
command: each start is a billable action (and a history event) even when the deadline stays where it was. A light
run keeps the timer of an unchanged deadline running instead, and starts a new one only when the deadline moves.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from enum import StrEnum

from temporalio import workflow

# A deadline already past fires after this (a timer of zero length is refused).
SHORTEST_WAIT = timedelta(seconds=1)


class KeptTimer:
    """The timer of the deadline the workflow waits for (workflow code: deterministic)."""

    def __init__(self) -> None:
        self._deadline: tuple[StrEnum, datetime] | None = None
        self._task: asyncio.Task[None] | None = None

    def keep_or_replace(self, deadline: tuple[StrEnum, datetime] | None) -> None:
        """Keep the running timer if `deadline` falls when it runs out (another kind of deadline may have taken the
        place of the one it was started for: it fires for the new kind); else cancel it and start one for `deadline`."""
        running = self._deadline is not None and self._task is not None and not self._task.cancelled()
        if running and deadline is not None and self._deadline is not None and deadline[1] == self._deadline[1]:
            self._deadline = deadline
            return
        self.cancel()
        self._deadline = deadline
        if deadline is not None:
            kind, due_at = deadline
            wait = max(due_at - workflow.now(), SHORTEST_WAIT)
            self._task = asyncio.create_task(workflow.sleep(wait, summary=f"{kind.value} deadline"))

    def fired(self) -> bool:
        """Whether the kept timer has run out (and not been cancelled)."""
        return self._task is not None and self._task.done() and not self._task.cancelled()

    def take(self) -> tuple[StrEnum, datetime] | None:
        """The deadline whose timer ran out, forgotten so that the next wait starts a new timer."""
        if not self.fired():
            return None
        deadline, self._deadline, self._task = self._deadline, None, None
        return deadline

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._deadline, self._task = None, None
