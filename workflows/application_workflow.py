"""One workflow per application for training without a hospital stay: a durable shell around the pure
application decider (`workflows.applications`).

The same shape as `CaseWorkflow`: every command is a Workflow Update whose validator runs `decide` on the
current state; the handler decides again under a lock, appends the events to PostgreSQL through an
activity, and only then folds them. Deadlines (the GP's reply, the appeal period, the forwarding to
Ankestyrelsen, the end of the granted period) are durable timers recomputed after every change.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from activities.contracts import APPEND_APPLICATION_EVENTS, AppendApplicationEvents, AppendResult
    from workflows.application_summary import markdown_summary, search_attribute_values
    from workflows.applications.commands import (
        ApplicationCommand,
        AssessTransport,
        CloseApplication,
        MakeDecision,
        MarkApplicationDeadlinePassed,
        ReassessDecision,
        ReceiveApplication,
        RecordAnkestyrelsenOutcome,
        RecordAppeal,
        RecordForwarding,
        RecordGpReply,
        RequestGpInformation,
    )
    from workflows.applications.deadlines import next_deadline
    from workflows.applications.decider import decide
    from workflows.applications.model import ApplicationStatus
    from workflows.applications.rejections import ApplicationCommandRejected
    from workflows.applications.state import ApplicationState, fold
    from workflows.case_summary import search_attribute_updates
    from workflows.workflow_support import REMEMBERED_COMMAND_IDS, STORE_RETRY, event_metadata, rejection_error


class ApplicationWorkflowInput(BaseModel):
    application_id: str
    state: ApplicationState | None = Field(default=None, description="Carried over by continue-as-new")
    handled_command_ids: list[str] = Field(default_factory=list)


@workflow.defn
class ApplicationWorkflow:
    @workflow.init
    def __init__(self, application_input: ApplicationWorkflowInput) -> None:
        self._state = application_input.state or ApplicationState(application_id=application_input.application_id)
        self._handled = deque(application_input.handled_command_ids, maxlen=REMEMBERED_COMMAND_IDS)
        self._lock = asyncio.Lock()
        self._published: dict[str, object] = {}

    @workflow.run
    async def run(self, application_input: ApplicationWorkflowInput) -> ApplicationState:
        await workflow.wait_condition(lambda: self._state.status is not ApplicationStatus.NEW)
        while self._state.is_open:
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    ApplicationWorkflowInput(
                        application_id=self._state.application_id,
                        state=self._state,
                        handled_command_ids=list(self._handled),
                    )
                )
            await self._wait_for_change_or_deadline()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.query
    def current_state(self) -> ApplicationState:
        return self._state

    # -- commands ----------------------------------------------------------------------------------

    @workflow.update
    async def receive_application(self, command: ReceiveApplication) -> ApplicationState:
        return await self._handle(command)

    @receive_application.validator
    def _validate_receive_application(self, command: ReceiveApplication) -> None:
        self._validate(command)

    @workflow.update
    async def request_gp_information(self, command: RequestGpInformation) -> ApplicationState:
        return await self._handle(command)

    @request_gp_information.validator
    def _validate_request_gp_information(self, command: RequestGpInformation) -> None:
        self._validate(command)

    @workflow.update
    async def record_gp_reply(self, command: RecordGpReply) -> ApplicationState:
        return await self._handle(command)

    @record_gp_reply.validator
    def _validate_record_gp_reply(self, command: RecordGpReply) -> None:
        self._validate(command)

    @workflow.update
    async def make_decision(self, command: MakeDecision) -> ApplicationState:
        return await self._handle(command)

    @make_decision.validator
    def _validate_make_decision(self, command: MakeDecision) -> None:
        self._validate(command)

    @workflow.update
    async def record_appeal(self, command: RecordAppeal) -> ApplicationState:
        return await self._handle(command)

    @record_appeal.validator
    def _validate_record_appeal(self, command: RecordAppeal) -> None:
        self._validate(command)

    @workflow.update
    async def reassess_decision(self, command: ReassessDecision) -> ApplicationState:
        return await self._handle(command)

    @reassess_decision.validator
    def _validate_reassess_decision(self, command: ReassessDecision) -> None:
        self._validate(command)

    @workflow.update
    async def record_forwarding(self, command: RecordForwarding) -> ApplicationState:
        return await self._handle(command)

    @record_forwarding.validator
    def _validate_record_forwarding(self, command: RecordForwarding) -> None:
        self._validate(command)

    @workflow.update
    async def record_ankestyrelsen_outcome(self, command: RecordAnkestyrelsenOutcome) -> ApplicationState:
        return await self._handle(command)

    @record_ankestyrelsen_outcome.validator
    def _validate_record_ankestyrelsen_outcome(self, command: RecordAnkestyrelsenOutcome) -> None:
        self._validate(command)

    @workflow.update
    async def assess_transport(self, command: AssessTransport) -> ApplicationState:
        return await self._handle(command)

    @assess_transport.validator
    def _validate_assess_transport(self, command: AssessTransport) -> None:
        self._validate(command)

    @workflow.update
    async def close_application(self, command: CloseApplication) -> ApplicationState:
        return await self._handle(command)

    @close_application.validator
    def _validate_close_application(self, command: CloseApplication) -> None:
        self._validate(command)

    # -- the shell around the decider --------------------------------------------------------------

    def _validate(self, command: ApplicationCommand) -> None:
        if command.command_id in self._handled:
            return  # a retried request: the handler answers with the current state
        if self._lock.locked():
            return  # an append is in flight: the handler decides under the lock, on the state it leaves
        try:
            decide(self._state, command, workflow.now())
        except ApplicationCommandRejected as rejection:
            raise rejection_error(rejection.kind.value, rejection.message, rejection.field) from None

    async def _handle(self, command: ApplicationCommand) -> ApplicationState:
        if command.command_id not in self._handled:
            await self._apply(command)
        return self._state

    async def _apply(self, command: ApplicationCommand) -> None:
        async with self._lock:
            if command.command_id in self._handled:
                return
            try:
                events = decide(self._state, command, workflow.now())
            except ApplicationCommandRejected as rejection:
                raise rejection_error(rejection.kind.value, rejection.message, rejection.field) from None
            if events:
                await workflow.execute_activity(
                    APPEND_APPLICATION_EVENTS,
                    AppendApplicationEvents(
                        application_id=self._state.application_id,
                        expected_version=self._state.version,
                        event_ids=[str(workflow.uuid4()) for _ in events],
                        events=events,
                        metadata=event_metadata(command),
                    ),
                    result_type=AppendResult,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=STORE_RETRY,
                    summary=f"append {', '.join(event.type for event in events)}",
                )
                self._state = fold(self._state, events)
            self._handled.append(command.command_id)
            self._publish()

    def _publish(self) -> None:
        """Keep the operator's view (search attributes, workflow page summary) current."""
        values = search_attribute_values(self._state)
        changed = {name: value for name, value in values.items() if self._published.get(name) != value}
        if changed:
            workflow.upsert_search_attributes(search_attribute_updates(changed))
            self._published.update(changed)
        workflow.set_current_details(markdown_summary(self._state))

    # -- what the application does by itself --------------------------------------------------------

    async def _wait_for_change_or_deadline(self) -> None:
        seen_version = self._state.version
        upcoming = next_deadline(self._state)
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
            await self._apply(
                MarkApplicationDeadlinePassed(
                    # The version makes the id unique per wait, so an early wake-up never masks the real one.
                    command_id=f"deadline:{kind.value}:v{seen_version}",
                    actor="system:deadline",
                    deadline=kind,
                )
            )
