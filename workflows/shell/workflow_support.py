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
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from workflows.contracts.store import STORE_REJECTIONS, AppendResult, EventMetadata
    from workflows.domain.commands import Command
    from workflows.domain.facts_version import precondition_holds
    from workflows.domain.rejection import BusinessRejection
    from workflows.shell import patches
    from workflows.shell.deadline_timer import KeptTimer
    from workflows.shell.search_attributes import published_at_start, search_attribute_updates
    from workflows.shell.waiting import WaitingShell

# Remembered across continue-as-new: Temporal deduplicates update ids only within one run.
REMEMBERED_COMMAND_IDS = 1000

# A version conflict or data the store refuses cannot be cured by retrying (the activity also marks them
# non-retryable); a lost worker or an unreachable database can, and is retried within seconds.
STORE_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10), non_retryable_error_types=list(STORE_REJECTIONS))
# An append is one short transaction (its lock and statement timeouts are below this), so an attempt whose
# worker died is given up and retried after a few seconds, not half a minute.
STORE_TIMEOUT = timedelta(seconds=5)
OWN_COMMAND_BACKOFF_PATCH = "own-command-backoff"
# An If-Match holds while only message delivery happened since (workflows.domain.facts_version); a command refused
# with 412 before this existed replays refused.
FACTS_VERSION_PRECONDITION_PATCH = "facts-version-precondition"
# A command that arrives while an append is in flight is checked after it (its If-Match may name the version the
# append makes); histories from before checked it at once, against the state before the append.
PRECONDITION_AFTER_APPEND_PATCH = "precondition-after-append"

VERSION_MISMATCH = "VersionMismatch"
IDEMPOTENCY_KEY_REUSED = "IdempotencyKeyReused"


class VersionedState(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def facts_version(self) -> int: ...


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
        acted_by=command.acted_by,
        command_id=command.command_id,
        command_type=type(command).__name__,
        workflow_id=info.workflow_id,
        run_id=info.run_id,
        request_fingerprint=command.request_fingerprint,
    )


def store_rejection(error: ActivityError) -> ApplicationError | None:
    """The update failure for an append the store refused for good, or None for any other failure.

    Only the kind travels on: the activity's message names no stored value, and the update's caller
    learns that nothing was recorded."""
    cause = error.cause
    if isinstance(cause, ApplicationError) and cause.type in STORE_REJECTIONS:
        return ApplicationError(
            "The command could not be stored; nothing was recorded", type=cause.type, non_retryable=True
        )
    return None


def rejection_error(rejection: BusinessRejection) -> ApplicationError:
    """A typed business rejection: fails the Update (not the workflow task), never retried."""
    return ApplicationError(
        rejection.message, {"field": rejection.field}, type=rejection.kind.value, non_retryable=True
    )


class EventSourcedShell(WaitingShell[StateT, CommandT], Generic[StateT, CommandT, EventT]):
    _state: StateT
    _handled: deque[str]
    _fingerprints: dict[str, str]
    _lock: asyncio.Lock
    _published: dict[str, object]

    def _start_shell(
        self,
        state: StateT,
        handled_command_ids: list[str],
        fingerprints: dict[str, str] | None = None,
        *,
        light: bool = False,
    ) -> None:
        self._state = state
        self._handled = deque(handled_command_ids, maxlen=REMEMBERED_COMMAND_IDS)
        self._fingerprints = {key: value for key, value in (fingerprints or {}).items() if key in self._handled}
        self._lock = asyncio.Lock()
        # A light run (workflows.shell.patches) appends through a local activity, adds the command's consequences
        # to the same append, and upserts its few search attributes only when it falls idle.
        self._light = light
        self._published = self._attributes_at_start() if light else {}
        self._deadline_timer = KeptTimer()

    def _handled_fingerprints(self) -> dict[str, str]:
        """The request fingerprints of the remembered command ids, for continue-as-new."""
        return {key: value for key, value in self._fingerprints.items() if key in self._handled}

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

    def _attributes_at_start(self) -> dict[str, object]:
        """The search attributes a light run's door set when it started the workflow (so none is upserted again)."""
        return published_at_start()

    def _busy(self) -> bool:
        """Work of the workflow's own still running beside the main loop (a light run's letters): continue-as-new
        waits for it."""
        return False

    def _consequences(self, after: StateT, command: CommandT) -> list[EventT]:
        """Events a light run appends with `command`'s own: what the state after it owes at once (a withheld
        copy, a queued letter), so they cost no workflow task, activity or append of their own."""
        return []

    def _summary(self) -> str:
        raise NotImplementedError

    def _next_deadline(self) -> tuple[StrEnum, datetime] | None:
        raise NotImplementedError

    def _deadline_passed(self, kind: StrEnum, command_id: str) -> CommandT:
        raise NotImplementedError

    def _continue_as_new_input(self) -> BaseModel:
        """What a new run starts from: the state and the remembered command ids and fingerprints."""
        raise NotImplementedError

    # -- the shell -----------------------------------------------------------------------------------

    async def _continue_as_new_if_suggested(self) -> None:
        """Continue as new when the server suggests it (history size), once every handler has finished; only ever
        called from `run`."""
        if workflow.info().is_continue_as_new_suggested():
            await workflow.wait_condition(lambda: workflow.all_handlers_finished() and not self._busy())
            self._deadline_timer.cancel()
            workflow.continue_as_new(self._continue_as_new_input())

    def _check_request(self, command: CommandT) -> bool:
        """Whether `command` repeats one already applied (then it is answered, not applied again).

        Raises for a reused idempotency key with another request, and for a stale `expected_version`
        (the caller's If-Match): these are refused whatever the case's state."""
        if command.command_id in self._handled:
            known = self._fingerprints.get(command.command_id)
            if known is not None and command.request_fingerprint not in (None, known):
                raise ApplicationError(
                    "This Idempotency-Key was used for another request; use a new key for a new request",
                    {"field": "header.Idempotency-Key"},
                    type=IDEMPOTENCY_KEY_REUSED,
                    non_retryable=True,
                )
            return True
        if command.expected_version is not None and not self._precondition_holds(command.expected_version):
            raise ApplicationError(
                f"The version is {self._state.version}, not {command.expected_version}: read it again and decide",
                {"current_version": self._state.version},
                type=VERSION_MISMATCH,
                non_retryable=True,
            )
        return False

    def _precondition_holds(self, expected_version: int) -> bool:
        """Whether an If-Match naming `expected_version` holds: the same version, or only messages went out since."""
        if expected_version == self._state.version:
            return True
        if not precondition_holds(expected_version, self._state.facts_version, self._state.version):
            return False
        # A validator records no marker and decides nothing that reaches the history; the handler records the
        # patch the first time the wider precondition lets a command through.
        return workflow.unsafe.is_read_only() or patches.patched(FACTS_VERSION_PRECONDITION_PATCH)

    def _validate(self, command: CommandT) -> None:
        if self._lock.locked():
            # An append is in flight, and the SDK runs validators before it applies an activity result
            # that arrived in the same task: this state may be older than the store. The handler checks
            # and decides under the lock, on the state the append leaves.
            return
        if self._check_request(command):
            return  # a retried request: the handler answers with the current state
        try:
            self._decide(command)
        except BusinessRejection as rejection:
            raise rejection_error(rejection) from None

    async def _handle(self, command: CommandT) -> StateT:
        if self._lock.locked() and patches.patched(PRECONDITION_AFTER_APPEND_PATCH):
            # An append is in flight: the state is older than the store (and than what the caller may have read).
            # The repeat and the If-Match are checked under the lock, on the state the append leaves.
            await self._apply(command)
            return self._state
        if not self._check_request(command):  # a repeat is answered at once, as before, without the lock
            await self._apply(command)
        return self._state

    async def _apply(self, command: CommandT) -> None:
        async with self._lock:
            if self._check_request(command):
                return
            try:
                events = self._decide(command)
            except BusinessRejection as rejection:
                raise rejection_error(rejection) from None
            if events and self._light:
                events = events + self._consequences(self._fold(events), command)
            if events:
                activity, request = self._append_request(command, events)
                # A light run appends through a local activity: one short transaction, no task of its own.
                execute = workflow.execute_local_activity if self._light else workflow.execute_activity
                try:
                    await execute(
                        activity,
                        request,
                        result_type=AppendResult,
                        start_to_close_timeout=STORE_TIMEOUT,
                        retry_policy=STORE_RETRY,
                        summary=f"append {', '.join(event.type for event in events)}",
                    )
                except ActivityError as error:
                    # The lock is released on the way out, so the case takes its next command.
                    raise store_rejection(error) or error from None
                self._state = self._fold(events)
            self._handled.append(command.command_id)
            if command.request_fingerprint is not None:
                self._fingerprints[command.command_id] = command.request_fingerprint
                if len(self._fingerprints) > REMEMBERED_COMMAND_IDS:
                    self._fingerprints = self._handled_fingerprints()
            self._publish()

    async def _apply_own(self, command: CommandT) -> bool:
        """Apply a command of the workflow's own (a deadline, a delivery); False if it failed for good.

        A failure must not fail the workflow, which would end the case: it is logged without the data
        and retried after a change or `SYSTEM_COMMAND_BACKOFF`."""
        try:
            await self._apply(command)
            return True
        except (ApplicationError, ActivityError) as error:
            if not patches.patched(OWN_COMMAND_BACKOFF_PATCH):
                raise  # a history from before the backoff failed here, and must replay so
            await self._back_off(type(command).__name__, error)
            return False

    def _publish(self) -> None:
        """Keep the operator's view (search attributes, workflow page summary) current; a light run's attributes
        wait for `_publish_attributes` when it falls idle, so a burst of commands costs one upsert at most."""
        workflow.set_current_details(self._summary())
        if not self._light:
            self._publish_attributes()

    def _publish_attributes(self) -> None:
        """Upsert the search attributes that changed since they were last published."""
        values = self._search_attribute_values()
        changed = {name: value for name, value in values.items() if self._published.get(name) != value}
        if changed:
            workflow.upsert_search_attributes(search_attribute_updates(changed))
            self._published.update(changed)
