"""The durable shell every event-sourced workflow of the service shares.

Every command, whether from an Update or from the workflow's own clock, goes through `_apply`: decide
under a lock, append the events to PostgreSQL through an activity, and only then fold them into the
state. Update validators run the same decider, so a rejected command never reaches the history. A
workflow supplies the hooks: its decider, its append request, its fold, its view and its deadlines.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.contracts import AppendResult, EventMetadata
    from workflows.domain.commands import Command
    from workflows.rejection import BusinessRejection
    from workflows.search_attributes import search_attribute_updates

# Remembered across continue-as-new: Temporal deduplicates update ids only within one run.
REMEMBERED_COMMAND_IDS = 1000

# A version conflict cannot be cured by retrying: the workflow must decide again.
STORE_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), non_retryable_error_types=["ConcurrencyConflict"])
STORE_TIMEOUT = timedelta(seconds=30)


class VersionedState(Protocol):
    @property
    def version(self) -> int: ...


class DomainEvent(Protocol):
    @property
    def type(self) -> str: ...


StateT = TypeVar("StateT", bound=VersionedState)
CommandT = TypeVar("CommandT", bound=Command)
EventT = TypeVar("EventT", bound=DomainEvent)


def event_metadata(command: Command) -> EventMetadata:
    """Who caused the events and through what, as stored beside every event."""
    info = workflow.info()
    return EventMetadata(
        actor=command.actor,
        command_id=command.command_id,
        command_type=type(command).__name__,
        workflow_id=info.workflow_id,
        run_id=info.run_id,
    )


def rejection_error(rejection: BusinessRejection) -> ApplicationError:
    """A typed business rejection: fails the Update (not the workflow task), never retried."""
    return ApplicationError(
        rejection.message, {"field": rejection.field}, type=rejection.kind.value, non_retryable=True
    )


class EventSourcedShell(Generic[StateT, CommandT, EventT]):
    _state: StateT
    _handled: deque[str]
    _lock: asyncio.Lock
    _published: dict[str, object]

    def _start_shell(self, state: StateT, handled_command_ids: list[str]) -> None:
        self._state = state
        self._handled = deque(handled_command_ids, maxlen=REMEMBERED_COMMAND_IDS)
        self._lock = asyncio.Lock()
        self._published = {}

    # -- hooks ---------------------------------------------------------------------------------------

    def _decide(self, command: CommandT) -> list[EventT]:
        """The events `command` causes now, or a `BusinessRejection`."""
        raise NotImplementedError

    def _append_request(self, command: CommandT, events: list[EventT]) -> tuple[str, BaseModel]:
        """The append activity's name and input for `events` (ids from `workflow.uuid4()`)."""
        raise NotImplementedError

    def _fold(self, events: list[EventT]) -> StateT:
        raise NotImplementedError

    def _search_attribute_values(self) -> dict[str, object]:
        raise NotImplementedError

    def _summary(self) -> str:
        raise NotImplementedError

    def _next_deadline(self) -> tuple[StrEnum, datetime] | None:
        raise NotImplementedError

    def _deadline_passed(self, kind: StrEnum, command_id: str) -> CommandT:
        raise NotImplementedError

    # -- the shell -----------------------------------------------------------------------------------

    def _validate(self, command: CommandT) -> None:
        if command.command_id in self._handled:
            return  # a retried request: the handler answers with the current state
        if self._lock.locked():
            # An append is in flight, and the SDK runs validators before it applies an activity result
            # that arrived in the same task: this state may be older than the store. The handler decides
            # under the lock, on the state the append leaves.
            return
        try:
            self._decide(command)
        except BusinessRejection as rejection:
            raise rejection_error(rejection) from None

    async def _handle(self, command: CommandT) -> StateT:
        if command.command_id not in self._handled:
            await self._apply(command)
        return self._state

    async def _apply(self, command: CommandT) -> None:
        async with self._lock:
            if command.command_id in self._handled:
                return
            try:
                events = self._decide(command)
            except BusinessRejection as rejection:
                raise rejection_error(rejection) from None
            if events:
                activity, request = self._append_request(command, events)
                await workflow.execute_activity(
                    activity,
                    request,
                    result_type=AppendResult,
                    start_to_close_timeout=STORE_TIMEOUT,
                    retry_policy=STORE_RETRY,
                    summary=f"append {', '.join(event.type for event in events)}",
                )
                self._state = self._fold(events)
            self._handled.append(command.command_id)
            self._publish()

    def _publish(self) -> None:
        """Keep the operator's view (search attributes, workflow page summary) current."""
        values = self._search_attribute_values()
        changed = {name: value for name, value in values.items() if self._published.get(name) != value}
        if changed:
            workflow.upsert_search_attributes(search_attribute_updates(changed))
            self._published.update(changed)
        workflow.set_current_details(self._summary())

    async def _wait_for_change_or_deadline(self) -> None:
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
            await self._apply(self._deadline_passed(kind, f"deadline:{kind.value}:v{seen_version}"))
