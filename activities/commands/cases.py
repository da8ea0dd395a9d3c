"""Sending a command to a case's workflow as a Workflow Update: its answer is the case as it now is, its refusal a
`ProblemError`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError

from activities.commands.observed import observed_command
from activities.commands.options import UpdateOptions
from activities.commands.problems import FieldError, ProblemError
from activities.commands.refusals import temporal_problem
from activities.commands.repeats import applied_before, workflow_gone
from activities.platform.db import Pool
from activities.queries import cases as case_queries
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import Command
from workflows.domain.state import CaseState
from workflows.shell.identity import workflow_id_for_case

logger = logging.getLogger("genoptraening.api")


def renamed_fields(problem: ProblemError, field_names: Mapping[str, str]) -> ProblemError:
    """The problem with the decider's field paths (`hospital.region`) renamed to the request body's (`region`)."""
    if problem.errors:
        problem.errors = [
            FieldError(field=field_names.get(error.field, error.field) if error.field else None, message=error.message)
            for error in problem.errors
        ]
    return problem


async def send_update(
    client: Client,
    pool: Pool,
    case_id: uuid.UUID | str,
    update: Any,
    command: Command,
    options: UpdateOptions,
    *,
    field_names: Mapping[str, str] | None = None,
) -> CaseState:
    """Run `update` with `command` on the case's workflow; a refusal becomes a ProblemError.

    `field_names` maps the command's field paths to the request body's where they differ. A worker that
    does not answer within `options.answer_timeout` gives a 503 (the command may still be applied).
    """
    handle = client.get_workflow_handle_for(CaseWorkflow.run, workflow_id_for_case(str(case_id)))
    with observed_command("case", type(command).__name__):
        try:
            state: CaseState = await handle.execute_update(
                update, command, id=options.update_id, rpc_timeout=options.answer_timeout
            )
        except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
            if workflow_gone(error) and await applied_before(pool, str(case_id), command):
                row = await case_queries.get_case(pool, str(case_id))
                if row is not None:
                    logger.info("case %s: %s repeated after the end", case_id, type(command).__name__)
                    return case_queries.case_state(row)
            problem = await temporal_problem(error, str(case_id), pool, options)
            if problem is None:
                raise
            logger.info("case %s: %s refused (%d)", case_id, type(command).__name__, problem.status)
            raise renamed_fields(problem, field_names or {}) from None
    logger.info("case %s: %s by %s -> %s", case_id, type(command).__name__, command.actor, state.status.value)
    return state
