"""Helpers every command workflow shares: the store's retry policy, remembered command ids, event
metadata and typed rejections. Pure Temporal workflow API: safe to import from workflow code.

`ApplicationWorkflow` uses these; `CaseShell` (workflows/case_shell.py) still has its own copies.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import EventMetadata
    from workflows.domain.commands import Command

# Remembered across continue-as-new: Temporal deduplicates update ids only within one run.
REMEMBERED_COMMAND_IDS = 1000

# A version conflict cannot be cured by retrying: the workflow must decide again.
STORE_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), non_retryable_error_types=["ConcurrencyConflict"])


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


def rejection_error(kind: str, message: str, field: str | None) -> ApplicationError:
    """A typed business rejection: fails the Update (not the workflow task), never retried."""
    return ApplicationError(message, {"field": field}, type=kind, non_retryable=True)
