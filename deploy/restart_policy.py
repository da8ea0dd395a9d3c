"""When the local supervisor restarts a child that died: exponential backoff, a fresh start for a child that
had run stably, and a limit that turns a crash loop into one clear failure instead of restarting forever.

Pure: every method takes the clock value, so the rules are tested without sleeping.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RestartLimits:
    backoff_base_seconds: float = 1.0  # before the first restart; doubled for each further one in a row
    backoff_max_seconds: float = 30.0
    # A child that ran this long before it died is not in a crash loop: its backoff starts again at the base.
    stable_after_seconds: float = 60.0
    # At most this many restarts within the window; the next death within it stops the whole service.
    max_restarts: int = 5
    window_seconds: float = 300.0


@dataclass(frozen=True)
class Restart:
    delay: float  # seconds to wait before starting the child again
    number: int  # restarts of this child since the supervisor started, this one included
    in_window: int  # restarts within the window, this one included


class RestartPolicy:
    """The restart decisions for one child."""

    def __init__(self, limits: RestartLimits | None = None) -> None:
        self.limits = limits or RestartLimits()
        self.restarts = 0
        self._in_a_row = 0
        self._recent: deque[float] = deque()  # clock values of the restarts within the window

    def after_exit(self, started_at: float, now: float) -> Restart | None:
        """The child, started at `started_at`, died at `now`: when to restart it, or None for a crash loop
        (it has already been restarted `max_restarts` times within the window)."""
        limits = self.limits
        while self._recent and self._recent[0] <= now - limits.window_seconds:
            self._recent.popleft()
        if len(self._recent) >= limits.max_restarts:
            return None
        if now - started_at >= limits.stable_after_seconds:
            self._in_a_row = 0
        delay = min(limits.backoff_base_seconds * 2**self._in_a_row, limits.backoff_max_seconds)
        self._in_a_row += 1
        self.restarts += 1
        self._recent.append(now)
        return Restart(delay=delay, number=self.restarts, in_window=len(self._recent))
