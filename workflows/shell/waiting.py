"""How the event-sourced shell waits (workflow code: deterministic): for its first command, for a change or the next
deadline, and after a failed step of its own. A mixin of `workflows.shell.workflow_support.EventSourcedShell`, which
supplies the state, the own-command path and the deadline hooks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.shell import patches
    from workflows.shell.deadline_timer import KeptTimer

# How long a workflow started for its first command waits for that command's events before it ends itself
# (the command was refused, or failed): no case or application without its first event.
START_GRACE = timedelta(minutes=2)
# After a command of the workflow's own (a deadline, a delivery) failed for good, wait this long (or for
# any change) before trying again, rather than failing the case or spinning.
SYSTEM_COMMAND_BACKOFF = timedelta(hours=1)
START_GRACE_PATCH = "start-grace"
NOT_STARTED = "NotStarted"

StateT = TypeVar("StateT")
CommandT = TypeVar("CommandT")


class WaitingShell(Generic[StateT, CommandT]):
    _state: Any  # a VersionedState: `.version`
    _light: bool
    _deadline_timer: KeptTimer

    async def _apply_own(self, command: CommandT) -> bool:
        raise NotImplementedError

    def _next_deadline(self) -> tuple[StrEnum, datetime] | None:
        raise NotImplementedError

    def _deadline_passed(self, kind: StrEnum, command_id: str) -> CommandT:
        raise NotImplementedError

    def _publish_attributes(self) -> None:
        raise NotImplementedError

    async def _back_off(self, what: str, error: ApplicationError | ActivityError) -> None:
        """Log a failed step of the workflow's own (its kind only, never its data) and wait before a retry."""
        kind = error.type if isinstance(error, ApplicationError) else type(error.cause).__name__
        workflow.logger.error("%s failed (%s); retrying later", what, kind)
        seen_version = self._state.version
        try:
            await workflow.wait_condition(
                lambda: self._state.version != seen_version,
                timeout=SYSTEM_COMMAND_BACKOFF,
                timeout_summary=f"retry {what}",
            )
        except TimeoutError:
            pass

    async def _await_first_command(self, started: Callable[[], bool]) -> None:
        """Wait for the first command's events; end the workflow if none come within `START_GRACE`.

        The workflow was started together with its first command (update-with-start): if that command
        was refused or failed, nothing was stored, and the workflow must not linger without a case."""
        if not patches.patched(START_GRACE_PATCH):
            await workflow.wait_condition(started)  # histories from before the grace replay unchanged
            return
        while not started():
            try:
                await workflow.wait_condition(started, timeout=START_GRACE, timeout_summary="first command")
            except TimeoutError:
                if not workflow.all_handlers_finished():
                    continue  # the first command is still being stored: give it time
                raise ApplicationError(
                    "The first command was not stored, so nothing was recorded; send it again",
                    type=NOT_STARTED,
                    non_retryable=True,
                ) from None

    async def _wait_for_change_or_deadline(self) -> None:
        if self._light:
            await self._wait_with_kept_timer()
            return
        seen_version = self._state.version
        upcoming = self._next_deadline()
        if upcoming is None:
            await workflow.wait_condition(
                lambda: self._state.version != seen_version or workflow.info().is_continue_as_new_suggested()
            )
            return
        kind, due_at = upcoming
        try:
            await workflow.wait_condition(
                lambda: self._state.version != seen_version,
                timeout=max(due_at - workflow.now(), timedelta(seconds=1)),
                timeout_summary=f"{kind.value} deadline",
            )
        except TimeoutError:
            # The version makes the id unique per wait, so an early wake-up can never mask the real one.
            await self._apply_own(self._deadline_passed(kind, f"deadline:{kind.value}:v{seen_version}"))

    async def _wait_with_kept_timer(self) -> None:
        """A light run's wait: publish the attributes once idle, keep the deadline's timer if it did not move."""
        self._publish_attributes()
        seen_version = self._state.version
        timer = self._deadline_timer
        timer.keep_or_replace(self._next_deadline())
        await workflow.wait_condition(
            lambda: (
                self._state.version != seen_version or timer.fired() or workflow.info().is_continue_as_new_suggested()
            )
        )
        passed = timer.take() if self._state.version == seen_version else None
        if passed is not None:
            kind, _ = passed
            await self._apply_own(self._deadline_passed(kind, f"deadline:{kind.value}:v{seen_version}"))
