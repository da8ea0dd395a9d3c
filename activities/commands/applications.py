"""Sending a command to an application's workflow as a Workflow Update, and its refusals as problems.

The mapping is `activities.commands.refusals`' (409 for a status that forbids the command or a closed application,
422 naming the field); only "no running workflow" is told apart from the `applications` read model.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from activities.commands.observed import observed_command
from activities.commands.options import UpdateOptions
from activities.commands.problems import ProblemError
from activities.commands.refusals import REJECTIONS, rejection_problem, temporal_problem
from activities.commands.repeats import applied_before, workflow_gone
from activities.platform.db import Pool
from activities.queries import applications as application_queries
from workflows.applications.workflow import ApplicationWorkflow
from workflows.domain.applications.identity import workflow_id_for_application
from workflows.domain.applications.rejections import ApplicationCommandRejected
from workflows.domain.applications.state import ApplicationState
from workflows.domain.commands import Command
from workflows.shell.workflow_support import rejection_error

logger = logging.getLogger("genoptraening.api")

_CLOSED = REJECTIONS["ApplicationClosed"]


def not_found(application_id: str) -> ProblemError:
    return ProblemError(
        404, f"There is no application {application_id}", slug="application-not-found", title="No such application"
    )


def rejected(rejection: ApplicationCommandRejected) -> ProblemError:
    """The problem for a command the pure decider refused before any workflow was involved."""
    return rejection_problem(rejection_error(rejection))


async def closed_or_unknown(application_id: str, pool: Pool) -> ProblemError:
    """No running workflow: the application either ended (its workflow completed) or never existed."""
    row = await application_queries.get_application(pool, application_id)
    if row is None:
        return not_found(application_id)
    return ProblemError(
        _CLOSED.status,
        f"The application is {row['status']}; it takes no commands",
        slug=_CLOSED.slug,
        title=_CLOSED.title,
    )


async def application_problem(
    error: Exception, application_id: str, pool: Pool, options: UpdateOptions
) -> ProblemError | None:
    if isinstance(error, RPCError) and error.status is RPCStatusCode.NOT_FOUND:
        return await closed_or_unknown(application_id, pool)
    return await temporal_problem(error, application_id, pool, options)


async def send_application_update(
    client: Client, pool: Pool, application_id: uuid.UUID, update: Any, command: Command, options: UpdateOptions
) -> ApplicationState:
    """Run `update` with `command` on the application's workflow; a refusal becomes a ProblemError."""
    handle = client.get_workflow_handle_for(ApplicationWorkflow.run, workflow_id_for_application(str(application_id)))
    with observed_command("application", type(command).__name__):
        try:
            state: ApplicationState = await handle.execute_update(
                update, command, id=options.update_id, rpc_timeout=options.answer_timeout
            )
        except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
            if workflow_gone(error) and await applied_before(pool, str(application_id), command):
                row = await application_queries.get_application(pool, str(application_id))
                if row is not None:
                    logger.info("application %s: %s repeated after the end", application_id, type(command).__name__)
                    return application_queries.application_state(row)
            problem = await application_problem(error, str(application_id), pool, options)
            if problem is None:
                raise
            logger.info("application %s: %s refused (%d)", application_id, type(command).__name__, problem.status)
            raise problem from None
    logger.info(
        "application %s: %s by %s -> %s", application_id, type(command).__name__, command.actor, state.status.value
    )
    return state
