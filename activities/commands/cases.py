"""Sending a command to a case's workflow as a Workflow Update: its answer is the case as it now is, its refusal a
`ProblemError`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from temporalio.client import Client

from activities.commands.options import UpdateOptions
from activities.commands.problems import FieldError, ProblemError
from activities.commands.refusals import temporal_problem
from activities.commands.streams import StreamKind, send_to_stream
from activities.platform.db import Pool
from activities.queries import cases as case_queries
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import Command
from workflows.domain.state import CaseState
from workflows.shell.identity import workflow_id_for_case


def renamed_fields(problem: ProblemError, field_names: Mapping[str, str]) -> ProblemError:
    """The problem with the decider's field paths (`hospital.region`) renamed to the request body's (`region`)."""
    if problem.errors:
        problem.errors = [
            FieldError(field=field_names.get(error.field, error.field) if error.field else None, message=error.message)
            for error in problem.errors
        ]
    return problem


async def _stored_case(pool: Pool, case_id: str) -> CaseState | None:
    row = await case_queries.get_case(pool, case_id)
    return None if row is None else case_queries.case_state(row)


CASES: StreamKind[CaseState] = StreamKind(
    "case", CaseWorkflow.run, workflow_id_for_case, _stored_case, temporal_problem
)


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

    `field_names` maps the command's field paths to the request body's where they differ."""
    try:
        return await send_to_stream(CASES, client, pool, str(case_id), update, command, options)
    except ProblemError as problem:
        raise renamed_fields(problem, field_names or {}) from None
