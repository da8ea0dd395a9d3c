"""One workflow per genoptræning case: a durable shell around the pure decider.

Every command arrives as a Workflow Update. Its validator runs `decide` against the current state, so a
command the case does not allow is rejected before anything reaches the history. The handler decides
again under a lock, appends the events to PostgreSQL through an activity, and only then folds them into
the state (`workflows/shell/workflow_support.py`). Deadlines are durable timers recomputed after every change.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel, Field

    from workflows.cases.casework_updates import CaseworkUpdates
    from workflows.contracts.messaging import MESSAGE_OUTCOME_SIGNAL
    from workflows.domain.commands import (
        AcceptFreeChoice,
        AssessTransport,
        AssignTeam,
        CancelAppointment,
        ChooseProvider,
        ChooseTrainingHospital,
        ClassifyAlmenLevel,
        CloseCase,
        CompleteCourse,
        ConfirmProposedStartDate,
        DeclineFreeChoice,
        OfferStart,
        PostponeStart,
        ReceivePlan,
        ReclassifyAlmenLevel,
        RecordCitizenContact,
        RecordContactAttempt,
        RecordProviderRefusal,
        RecordTransportRequest,
        RejectProposedStartDate,
        ReplacePlan,
        RevokePlan,
        TransferCase,
    )
    from workflows.domain.decider import recipients_to_serve
    from workflows.domain.messaging.commands import MessageOutcome, ResendMessage
    from workflows.domain.state import CaseState
    from workflows.messaging.shell_steps import settle_after_end
    from workflows.shell.results import CaseResult


class CaseWorkflowInput(BaseModel):
    case_id: str
    state: CaseState | None = Field(default=None, description="Carried over by continue-as-new")
    handled_command_ids: list[str] = Field(default_factory=list)
    handled_fingerprints: dict[str, str] = Field(default_factory=dict, description="Request hash per command id")
    light_shell: bool = Field(
        default=False,
        description="Set by every door since issue 18 (workflows/shell/patches.py): local-activity appends, "
        "consequences in the same append, letters sent by the case itself, few search attributes",
    )
    forwarded_municipalities: list[str] = Field(
        default_factory=list,
        description="Municipalities whose own EHR gets the plan over MedCom (MEDCOM_PLAN_FORWARD_EANS' codes)",
    )


@workflow.defn
class CaseWorkflow(CaseworkUpdates):
    @workflow.init
    def __init__(self, case_input: CaseWorkflowInput) -> None:
        self._start_shell(
            case_input.state or CaseState(case_id=case_input.case_id),
            case_input.handled_command_ids,
            case_input.handled_fingerprints,
            light=case_input.light_shell,
        )
        self._forwarded = frozenset(case_input.forwarded_municipalities)

    @workflow.run
    async def run(self, case_input: CaseWorkflowInput) -> CaseResult:
        await self._await_first_command(lambda: self._state.plan is not None)
        while self._state.is_open:
            await self._continue_as_new_if_suggested()
            if recipients_to_serve(self._state):
                await self._distribute_plan()  # a new plan, or the hospital chosen for specialised training
                continue
            if await self._send_owed_letters():  # e.g. free choice has opened (SUL §140 stk. 4)
                continue
            self._start_own_letters()
            await self._wait_for_change_or_deadline()
        self._start_own_letters()
        await settle_after_end(
            self, lambda: self._state.messages
        )  # what becomes of messages sent before the end; a resend
        await workflow.wait_condition(workflow.all_handlers_finished)
        return CaseResult.of(self._state)  # no personal data in the history's result (workflows/shell/results.py)

    def _continue_as_new_input(self) -> CaseWorkflowInput:
        return CaseWorkflowInput(
            case_id=self._state.case_id,
            state=self._state,
            handled_command_ids=list(self._handled),
            handled_fingerprints=self._handled_fingerprints(),
            light_shell=self._light,
            forwarded_municipalities=sorted(self._forwarded),
        )

    @workflow.query
    def current_state(self) -> CaseState:
        return self._state

    @workflow.signal(name=MESSAGE_OUTCOME_SIGNAL)
    async def message_outcome(self, outcome: MessageOutcome) -> None:
        """A delivery workflow reports what became of a message: recorded in the case's own stream."""
        await self._record_outcome(outcome)

    @workflow.update
    async def resend_message(self, command: ResendMessage) -> CaseState:
        state = await self._handle(command)
        await self._resend(command.message_id)
        return state

    @resend_message.validator
    def _validate_resend_message(self, command: ResendMessage) -> None:
        self._validate(command)

    @workflow.update
    async def receive_plan(self, command: ReceivePlan) -> CaseState:
        return await self._handle(command)

    @receive_plan.validator
    def _validate_receive_plan(self, command: ReceivePlan) -> None:
        self._validate(command)

    @workflow.update
    async def classify_level(self, command: ClassifyAlmenLevel) -> CaseState:
        return await self._handle(command)

    @classify_level.validator
    def _validate_classify_level(self, command: ClassifyAlmenLevel) -> None:
        self._validate(command)

    @workflow.update
    async def reclassify_level(self, command: ReclassifyAlmenLevel) -> CaseState:
        return await self._handle(command)

    @reclassify_level.validator
    def _validate_reclassify_level(self, command: ReclassifyAlmenLevel) -> None:
        self._validate(command)

    @workflow.update
    async def assign_team(self, command: AssignTeam) -> CaseState:
        return await self._handle(command)

    @assign_team.validator
    def _validate_assign_team(self, command: AssignTeam) -> None:
        self._validate(command)

    @workflow.update
    async def record_contact_attempt(self, command: RecordContactAttempt) -> CaseState:
        return await self._handle(command)

    @record_contact_attempt.validator
    def _validate_record_contact_attempt(self, command: RecordContactAttempt) -> None:
        self._validate(command)

    @workflow.update
    async def record_contact(self, command: RecordCitizenContact) -> CaseState:
        return await self._handle(command)

    @record_contact.validator
    def _validate_record_contact(self, command: RecordCitizenContact) -> None:
        self._validate(command)

    @workflow.update
    async def choose_provider(self, command: ChooseProvider) -> CaseState:
        return await self._handle(command)

    @choose_provider.validator
    def _validate_choose_provider(self, command: ChooseProvider) -> None:
        self._validate(command)

    @workflow.update
    async def record_provider_refusal(self, command: RecordProviderRefusal) -> CaseState:
        return await self._handle(command)

    @record_provider_refusal.validator
    def _validate_record_provider_refusal(self, command: RecordProviderRefusal) -> None:
        self._validate(command)

    @workflow.update
    async def choose_training_hospital(self, command: ChooseTrainingHospital) -> CaseState:
        return await self._handle(command)

    @choose_training_hospital.validator
    def _validate_choose_training_hospital(self, command: ChooseTrainingHospital) -> None:
        self._validate(command)

    @workflow.update
    async def offer_start(self, command: OfferStart) -> CaseState:
        return await self._handle(command)

    @offer_start.validator
    def _validate_offer_start(self, command: OfferStart) -> None:
        self._validate(command)

    @workflow.update
    async def cancel_appointment(self, command: CancelAppointment) -> CaseState:
        return await self._handle(command)

    @cancel_appointment.validator
    def _validate_cancel_appointment(self, command: CancelAppointment) -> None:
        self._validate(command)

    @workflow.update
    async def accept_free_choice(self, command: AcceptFreeChoice) -> CaseState:
        return await self._handle(command)

    @accept_free_choice.validator
    def _validate_accept_free_choice(self, command: AcceptFreeChoice) -> None:
        self._validate(command)

    @workflow.update
    async def decline_free_choice(self, command: DeclineFreeChoice) -> CaseState:
        return await self._handle(command)

    @decline_free_choice.validator
    def _validate_decline_free_choice(self, command: DeclineFreeChoice) -> None:
        self._validate(command)

    @workflow.update
    async def postpone_start(self, command: PostponeStart) -> CaseState:
        return await self._handle(command)

    @postpone_start.validator
    def _validate_postpone_start(self, command: PostponeStart) -> None:
        self._validate(command)

    @workflow.update
    async def transfer_case(self, command: TransferCase) -> CaseState:
        return await self._handle(command)

    @transfer_case.validator
    def _validate_transfer_case(self, command: TransferCase) -> None:
        self._validate(command)

    @workflow.update
    async def revoke_plan(self, command: RevokePlan) -> CaseState:
        return await self._handle(command)

    @revoke_plan.validator
    def _validate_revoke_plan(self, command: RevokePlan) -> None:
        self._validate(command)

    @workflow.update
    async def replace_plan(self, command: ReplacePlan) -> CaseState:
        return await self._handle(command)

    @replace_plan.validator
    def _validate_replace_plan(self, command: ReplacePlan) -> None:
        self._validate(command)

    @workflow.update
    async def assess_transport(self, command: AssessTransport) -> CaseState:
        return await self._handle(command)

    @assess_transport.validator
    def _validate_assess_transport(self, command: AssessTransport) -> None:
        self._validate(command)

    @workflow.update
    async def record_transport_request(self, command: RecordTransportRequest) -> CaseState:
        return await self._handle(command)

    @record_transport_request.validator
    def _validate_record_transport_request(self, command: RecordTransportRequest) -> None:
        self._validate(command)

    @workflow.update
    async def confirm_proposed_start_date(self, command: ConfirmProposedStartDate) -> CaseState:
        return await self._handle(command)  # the start guarantee's timer is re-armed from the new state

    @confirm_proposed_start_date.validator
    def _validate_confirm_proposed_start_date(self, command: ConfirmProposedStartDate) -> None:
        self._validate(command)

    @workflow.update
    async def reject_proposed_start_date(self, command: RejectProposedStartDate) -> CaseState:
        return await self._handle(command)

    @reject_proposed_start_date.validator
    def _validate_reject_proposed_start_date(self, command: RejectProposedStartDate) -> None:
        self._validate(command)

    @workflow.update
    async def complete_course(self, command: CompleteCourse) -> CaseState:
        return await self._handle(command)

    @complete_course.validator
    def _validate_complete_course(self, command: CompleteCourse) -> None:
        self._validate(command)

    @workflow.update
    async def close_case(self, command: CloseCase) -> CaseState:
        return await self._handle(command)

    @close_case.validator
    def _validate_close_case(self, command: CloseCase) -> None:
        self._validate(command)
