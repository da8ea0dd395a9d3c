"""Sending a command to an application's workflow as a Workflow Update, and its refusals as problems.

The mapping is `activities.commands.refusals`' (409 for a status that forbids the command or a closed application,
422 naming the field); only "no running workflow" is told apart from the `applications` read model.
"""

from __future__ import annotations

import uuid
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.commands.options import UpdateOptions
from activities.commands.problems import ProblemError
from activities.commands.refusals import REJECTIONS, rejection_problem, temporal_problem
from activities.commands.streams import StreamKind, send_to_stream
from activities.platform.db import Pool
from activities.queries import applications as application_queries
from workflows.applications.workflow import ApplicationWorkflow
from workflows.domain.applications.identity import workflow_id_for_application
from workflows.domain.applications.rejections import ApplicationCommandRejected
from workflows.domain.applications.state import ApplicationState
from workflows.domain.commands import Command
from workflows.shell.workflow_support import rejection_error

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


async def _stored_application(pool: Pool, application_id: str) -> ApplicationState | None:
    row = await application_queries.get_application(pool, application_id)
    return None if row is None else application_queries.application_state(row)


APPLICATIONS: StreamKind[ApplicationState] = StreamKind(
    "application", ApplicationWorkflow.run, workflow_id_for_application, _stored_application, application_problem
)


async def send_application_update(
    client: Client, pool: Pool, application_id: uuid.UUID, update: Any, command: Command, options: UpdateOptions
) -> ApplicationState:
    """Run `update` with `command` on the application's workflow; a refusal becomes a ProblemError."""
    return await send_to_stream(APPLICATIONS, client, pool, str(application_id), update, command, options)
