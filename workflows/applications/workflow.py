"""One workflow per application for training without a hospital stay: a durable shell around the pure
application decider (`workflows.domain.applications`).

The same shape as `CaseWorkflow`: every command is a Workflow Update whose validator runs `decide` on the
current state; the handler decides again under a lock, appends the events to PostgreSQL through an
activity, and only then folds them. Deadlines (the GP's reply, the appeal period, the forwarding to
Ankestyrelsen, the end of the granted period) are durable timers recomputed after every change.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from workflows.applications.messaging import MessagingApplicationShell
    from workflows.applications.summary import markdown_summary, search_attribute_values
    from workflows.contracts.messaging import MESSAGE_OUTCOME_SIGNAL
    from workflows.contracts.store import APPEND_APPLICATION_EVENTS, AppendApplicationEvents
    from workflows.domain.applications.commands import (
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
    from workflows.domain.applications.deadlines import next_deadline
    from workflows.domain.applications.decider import decide
    from workflows.domain.applications.events import ApplicationEvent
    from workflows.domain.applications.model import ApplicationDeadlineKind, ApplicationStatus
    from workflows.domain.applications.state import ApplicationState, fold
    from workflows.domain.messaging.commands import MessageOutcome, ResendMessage
    from workflows.messaging.shell_steps import settle_after_end
    from workflows.shell import patches
    from workflows.shell.results import ApplicationResult
    from workflows.shell.workflow_support import event_metadata


# Applications publish the `DeliveryFailed` search attribute (as cases do) from this patch on.
DELIVERY_FAILED_ATTRIBUTE_PATCH = "application-delivery-failed-attribute"


class ApplicationWorkflowInput(BaseModel):
    application_id: str
    state: ApplicationState | None = Field(default=None, description="Carried over by continue-as-new")
    handled_command_ids: list[str] = Field(default_factory=list)
    handled_fingerprints: dict[str, str] = Field(default_factory=dict, description="Request hash per command id")
    light_shell: bool = Field(
        default=False,
        description="Set by the door since issue 18 (workflows/shell/patches.py): local-activity appends, decision "
        "letters queued in the decision's append and sent by the application itself, upserts when idle",
    )


@workflow.defn
class ApplicationWorkflow(MessagingApplicationShell):
    @workflow.init
    def __init__(self, application_input: ApplicationWorkflowInput) -> None:
        self._start_shell(
            application_input.state or ApplicationState(application_id=application_input.application_id),
            application_input.handled_command_ids,
            application_input.handled_fingerprints,
            light=application_input.light_shell,
        )

    @workflow.run
    async def run(self, application_input: ApplicationWorkflowInput) -> ApplicationResult:
        await self._await_first_command(lambda: self._state.status is not ApplicationStatus.NEW)
        while self._state.is_open:
            await self._continue_as_new_if_suggested()
            if await self._send_decision_letters():  # each decision is written to the citizen
                continue
            self._start_own_letters()
            await self._wait_for_change_or_deadline()
        self._start_own_letters()
        await settle_after_end(
            self, lambda: self._state.messages
        )  # what becomes of letters sent before the end; a resend
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ApplicationResult.of(self._state)  # no personal data in the result (workflows/shell/results.py)

    def _continue_as_new_input(self) -> ApplicationWorkflowInput:
        return ApplicationWorkflowInput(
            application_id=self._state.application_id,
            state=self._state,
            handled_command_ids=list(self._handled),
            handled_fingerprints=self._handled_fingerprints(),
            light_shell=self._light,
        )

    @workflow.query
    def current_state(self) -> ApplicationState:
        return self._state

    @workflow.signal(name=MESSAGE_OUTCOME_SIGNAL)
    async def message_outcome(self, outcome: MessageOutcome) -> None:
        """A delivery workflow reports what became of a letter: recorded in the application's own stream."""
        await self._record_outcome(outcome)

    @workflow.update
    async def resend_message(self, command: ResendMessage) -> ApplicationState:
        state = await self._handle(command)
        await self._resend(command.message_id)
        return state

    @resend_message.validator
    def _validate_resend_message(self, command: ResendMessage) -> None:
        self._validate(command)

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

    # -- hooks of the shared shell (workflows/shell/workflow_support.py) ---------------------------------

    def _decide(self, command: ApplicationCommand) -> list[ApplicationEvent]:
        return decide(self._state, command, workflow.now())

    def _append_request(self, command: ApplicationCommand, events: list[ApplicationEvent]) -> tuple[str, BaseModel]:
        return APPEND_APPLICATION_EVENTS, AppendApplicationEvents(
            application_id=self._state.application_id,
            expected_version=self._state.version,
            event_ids=[str(workflow.uuid4()) for _ in events],
            events=events,
            metadata=event_metadata(command),
        )

    def _fold(self, events: list[ApplicationEvent]) -> ApplicationState:
        return fold(self._state, events)

    def _search_attribute_values(self) -> dict[str, object]:
        # An upsert is a command: an application recorded with messages but without this attribute must replay
        # without the extra upsert. Asked only once there are messages, so a marker goes where it first matters.
        with_delivery_failed = bool(self._state.messages) and patches.patched(DELIVERY_FAILED_ATTRIBUTE_PATCH)
        return search_attribute_values(self._state, with_delivery_failed=with_delivery_failed)

    def _summary(self) -> str:
        return markdown_summary(self._state)

    def _next_deadline(self) -> tuple[StrEnum, datetime] | None:
        return next_deadline(self._state)

    def _deadline_passed(self, kind: StrEnum, command_id: str) -> ApplicationCommand:
        return MarkApplicationDeadlinePassed(
            command_id=command_id, actor="system:deadline", deadline=ApplicationDeadlineKind(kind)
        )
