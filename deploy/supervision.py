"""Keeps the local supervisor's children running: a child that dies is started again after a backoff (see
`deploy.restart_policy`), one that crash-loops stops the whole service, and on a stop request no child is
started again and all are stopped in the reverse of their start order.

Independent of PostgreSQL and Temporal, so that it is tested with small dummy processes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from deploy.processes import Child, ChildSpec
from deploy.restart_policy import RestartLimits, RestartPolicy

logger = logging.getLogger(__name__)
T = TypeVar("T")


class StopRequested(Exception):
    pass


class ChildNotReady(RuntimeError):
    pass


async def unless_stopped(stop: asyncio.Event, awaitable: Awaitable[T]) -> T:
    """Await `awaitable`, abandoning it (StopRequested) if `stop` is set meanwhile."""
    task = asyncio.ensure_future(awaitable)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([task, stopped], return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        raise StopRequested
    finally:
        # Also when we are cancelled ourselves (e.g. by a timeout around us): leave no task behind.
        stopped.cancel()
        task.cancel()


@dataclass
class _Slot:
    spec: ChildSpec
    child: Child
    started_at: float
    policy: RestartPolicy


class ChildGroup:
    """The children in start order. `watch` keeps them running until `stop` is set or one crash-loops."""

    def __init__(
        self,
        stop: asyncio.Event,
        limits: RestartLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stop = stop
        self.limits = limits or RestartLimits()
        self.clock = clock
        self.slots: list[_Slot] = []
        self.crash_looped: str | None = None  # the name of the child that made the service stop

    @property
    def children(self) -> list[Child]:
        return [slot.child for slot in self.slots]

    async def start(self, spec: ChildSpec, child: Child | None = None) -> Child:
        """Start `spec` (or take over `child`, already started from it) and wait until it is ready.

        Raises StopRequested on a stop request meanwhile, ChildNotReady (or what `spec.ready` raises) if it does
        not become ready. The child is kept either way, so that `stop_all` stops it."""
        if child is None:
            child = await spec.start()
        child.stop_timeout = spec.stop_timeout
        self.slots.append(_Slot(spec, child, self.clock(), RestartPolicy(self.limits)))
        if not await self._ready(spec, child):
            raise ChildNotReady(f"{spec.name} {self._not_ready(spec, child)}")
        return child

    async def watch(self) -> int:
        """Run until a stop is requested (0) or a child crash-loops (1). Returns with no child being started."""
        keepers = [asyncio.create_task(self._keep(slot)) for slot in self.slots]
        try:
            await self.stop.wait()
            # Each keeper returns as soon as it sees the stop, even in the middle of a backoff.
            await asyncio.gather(*keepers)
        finally:
            for keeper in keepers:
                keeper.cancel()
        return 1 if self.crash_looped else 0

    async def stop_all(self) -> None:
        for slot in reversed(self.slots):
            await slot.child.stop()

    async def _keep(self, slot: _Slot) -> None:
        try:
            reason = await self._exited(slot)
            while True:
                restart = slot.policy.after_exit(slot.started_at, self.clock())
                name, limits = slot.spec.name, self.limits
                if restart is None:
                    logger.error(
                        "%s %s after %d restarts within %g s: a crash loop, stopping everything",
                        name,
                        reason,
                        limits.max_restarts,
                        limits.window_seconds,
                    )
                    self.crash_looped = name
                    self.stop.set()
                    return
                logger.warning(
                    "%s %s: restart %d in %g s (%d of %d allowed within %g s)",
                    name,
                    reason,
                    restart.number,
                    restart.delay,
                    restart.in_window,
                    limits.max_restarts,
                    limits.window_seconds,
                )
                await unless_stopped(self.stop, asyncio.sleep(restart.delay))
                reason = await self._restart(slot) or await self._exited(slot)
        except StopRequested:
            return

    async def _exited(self, slot: _Slot) -> str:
        code = await unless_stopped(self.stop, slot.child.process.wait())
        return f"exited unexpectedly (code {code})"

    async def _restart(self, slot: _Slot) -> str | None:
        """Start the child again: None once it is ready, else why not (which counts like a death)."""
        if self.stop.is_set():  # a stop that came just as the backoff ended
            raise StopRequested
        slot.started_at = self.clock()
        try:
            slot.child = await slot.spec.start()
        except OSError as err:  # e.g. the executable vanished
            return f"could not be started ({err})"
        try:
            if await self._ready(slot.spec, slot.child):
                logger.info("%s restarted (pid %d)", slot.spec.name, slot.child.process.pid)
                return None
            reason = self._not_ready(slot.spec, slot.child)
        except StopRequested:
            raise
        except Exception as err:  # the readiness check's own error, e.g. the dev server's
            reason = f"did not become ready ({err})"
        await slot.child.stop()  # one that hangs without serving is stopped and counted as dead
        return reason

    async def _ready(self, spec: ChildSpec, child: Child) -> bool:
        if spec.ready is None:
            return child.running
        try:
            async with asyncio.timeout(spec.ready_timeout):
                return await unless_stopped(self.stop, spec.ready(child))
        except TimeoutError:
            return False

    def _not_ready(self, spec: ChildSpec, child: Child) -> str:
        if not child.running:
            return f"exited (code {child.process.returncode}) before it was ready"
        return f"did not become ready within {spec.ready_timeout:.0f} s"
