"""The case workflow's Updates for a caseworker's day: who holds the case, notes, and seen warnings.

A mixin of `CaseWorkflow` (Temporal collects handlers from base classes too), so the workflow module stays a
list of the rulebook's commands. Each Update has its validator, which runs the same decider.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.cases.messaging import MessagingCaseShell
    from workflows.domain.casework.model import (
        AcknowledgeWarning,
        AddNote,
        AssignCase,
        ClaimCase,
        HandOnCase,
        ReleaseCase,
    )
    from workflows.domain.state import CaseState


class CaseworkUpdates(MessagingCaseShell):
    @workflow.update
    async def assign_case(self, command: AssignCase) -> CaseState:
        return await self._handle(command)

    @assign_case.validator
    def _validate_assign_case(self, command: AssignCase) -> None:
        self._validate(command)

    @workflow.update
    async def claim_case(self, command: ClaimCase) -> CaseState:
        return await self._handle(command)

    @claim_case.validator
    def _validate_claim_case(self, command: ClaimCase) -> None:
        self._validate(command)

    @workflow.update
    async def hand_on_case(self, command: HandOnCase) -> CaseState:
        return await self._handle(command)

    @hand_on_case.validator
    def _validate_hand_on_case(self, command: HandOnCase) -> None:
        self._validate(command)

    @workflow.update
    async def release_case(self, command: ReleaseCase) -> CaseState:
        return await self._handle(command)

    @release_case.validator
    def _validate_release_case(self, command: ReleaseCase) -> None:
        self._validate(command)

    @workflow.update
    async def add_note(self, command: AddNote) -> CaseState:
        return await self._handle(command)

    @add_note.validator
    def _validate_add_note(self, command: AddNote) -> None:
        self._validate(command)

    @workflow.update
    async def acknowledge_warning(self, command: AcknowledgeWarning) -> CaseState:
        return await self._handle(command)

    @acknowledge_warning.validator
    def _validate_acknowledge_warning(self, command: AcknowledgeWarning) -> None:
        self._validate(command)
