"""Applications for training without a hospital stay (Serviceloven §86 / Ældreloven): intake and reads.

`POST /applications` starts an application's workflow together with its first Update; the caseworker
commands on `/applications/{id}/…` are in `api.routes.applications.commands`, included here.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from temporalio.client import (
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.access_log.entries import AccessAction
from activities.commands.applications import application_problem, rejected
from activities.commands.options import UpdateOptions
from activities.commands.refusals import REJECTIONS, etag
from activities.commands.update_with_start import execute_update_with_start
from activities.platform import keyset_pages
from activities.platform.identity import acted_by
from activities.queries import applications as application_queries
from api.access_logging import log_access
from api.auth.access import list_scope, require, require_own_municipality
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Role
from api.deps import ApplicationIdPath, IdempotencyKeyHeader, PoolDep, SettingsDep, TemporalDep
from api.http.openapi import problems
from api.http.problems import FieldError, ProblemError, invalid_cursor_problem
from api.models.applications import ApplicationPage, ApplicationSummary, ApplicationTimeline, ApplicationView
from api.models.cases import TimelineEvent
from api.models.request_body import ApplicationBody
from api.routes.applications import commands as application_commands
from api.routes.applications import letters as application_letters
from api.scoped_rows import visible_application
from api.settings import ApiSettings
from workflows.applications.workflow import ApplicationWorkflow, ApplicationWorkflowInput
from workflows.domain.applications.commands import Application, ReceiveApplication
from workflows.domain.applications.decider import application_fingerprint, decide
from workflows.domain.applications.identity import application_id_for_key, workflow_id_for_application
from workflows.domain.applications.model import ApplicationStatus
from workflows.domain.applications.rejections import ApplicationCommandRejected
from workflows.domain.applications.state import ApplicationState
from workflows.domain.plan.plan import MunicipalityCode
from workflows.shell import search_attributes as keys

logger = logging.getLogger("genoptraening.api")
router = APIRouter(prefix="/applications", tags=["applications"])
router.include_router(application_commands.router)
router.include_router(application_letters.router)  # its decision letters as the PDFs the citizen got

_CONFLICT = REJECTIONS["ApplicationConflict"]

_EXAMPLE = {
    "citizen": {"cpr": "250947-9989", "name": "Testa Testesen"},
    "municipality_code": "101",
    "legal_basis": "stk1",
    "covered_by_aeldreloven": True,
    "application_date": "2026-11-16",
    "description_of_need": "Nedsat gangfunktion efter lungebetændelse behandlet hos egen læge.",
}


def _start_operation(
    application_id: str, application: Application, settings: ApiSettings
) -> WithStartWorkflowOperation[Any, Any]:
    return WithStartWorkflowOperation(
        ApplicationWorkflow.run,
        ApplicationWorkflowInput(application_id=application_id, light_shell=True),
        id=workflow_id_for_application(application_id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # Never reused once the application ended; one that failed to start (no first event) may be.
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(keys.CASE_STATUS, ApplicationStatus.UNDER_ASSESSMENT.value),
                SearchAttributePair(keys.MUNICIPALITY_CODE, application.municipality_code),
            ]
        ),
        static_summary=f"Application {application_id} (municipality {application.municipality_code})",
    )


def _key_reused(message: str) -> ProblemError:
    """Same key, other request (IETF draft-ietf-httpapi-idempotency-key-header): 422 naming the header."""
    return ProblemError(
        _CONFLICT.status,
        message,
        slug=_CONFLICT.slug,
        title=_CONFLICT.title,
        errors=[FieldError(field="header.Idempotency-Key", message=message)],
    )


def _from_read_model(row: dict[str, Any], fingerprint: str) -> ApplicationView:
    """The application has ended, so its workflow takes no updates: the stored intake decides the answer."""
    state = application_queries.application_state(row)
    if state.application_fingerprint != fingerprint:
        raise _key_reused("This Idempotency-Key was used for another application")
    return ApplicationView.of(state)


@router.post(
    "",
    status_code=201,
    summary="Receive an application for training without a hospital stay",
    response_description="The new application (201, with a Location header), or the same one again (200)",
    responses={200: {"model": ApplicationView, "description": "The same request again"}, **problems(400, 409, 422)},
)
async def receive_application(
    application: Annotated[
        ApplicationBody, Body(openapi_examples={"stk1": {"summary": "§86 stk. 1", "value": _EXAMPLE}})
    ],
    request: Request,
    response: Response,
    principal: PrincipalDep,
    pool: PoolDep,
    client: TemporalDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    """Record the citizen's application: genoptræning (§86 stk. 1) or vedligeholdelsestræning (stk. 2).

    The legal reference follows from the application date and the caseworker's statement that the citizen is
    covered by the Ældrelov (in force from 1 July 2025). With an `Idempotency-Key`, resending the same
    application answers **200** with it; other content under the same key is **422** naming
    `Idempotency-Key`. A `citizen.cpr` whose first six digits are no birth date, or an `application_date` in
    the future, is **422** too.

    For the caseworkers of the application's `municipality_code` (**403** for another municipality).
    """
    require(principal, "receive applications", Role.CASEWORKER)
    require_own_municipality(principal, application.municipality_code, "receive its applications")
    actor = principal.actor
    application_id = application_id_for_key(actor, idempotency_key) if idempotency_key else str(uuid.uuid4())
    await log_access(
        request,
        pool,
        principal,
        AccessAction.CREATE,
        citizen_cpr=application.citizen.cpr,
        application_id=application_id,
    )
    fingerprint = application_fingerprint(application)
    command = ReceiveApplication(
        command_id=f"application:{fingerprint[:32]}",
        actor=actor,
        acted_by=acted_by(principal),
        application=application,
    )
    try:
        # Checked before any workflow starts, so a refused intake leaves no workflow behind.
        decide(ApplicationState(application_id=application_id), command, datetime.now(UTC))
    except ApplicationCommandRejected as rejection:
        raise rejected(rejection) from None
    existing = await application_queries.get_application(pool, application_id)
    if existing is not None and ApplicationStatus(existing["status"]).is_terminal:
        response.status_code = 200
        return _from_read_model(existing, fingerprint)
    options = UpdateOptions.for_request(settings, command.command_id, idempotency_key)
    try:
        state: ApplicationState = await execute_update_with_start(
            client,
            ApplicationWorkflow.receive_application,
            command,
            _start_operation(application_id, application, settings),
            options,
        )
    except WorkflowAlreadyStartedError:
        row = await application_queries.get_application(pool, application_id)
        if row is None:
            raise _key_reused("This Idempotency-Key was used before") from None
        response.status_code = 200
        return _from_read_model(row, fingerprint)
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
        problem = await application_problem(error, application_id, pool, options)
        if problem is None:
            raise
        raise problem from None
    if existing is None:
        logger.info("application %s received for municipality %s", application_id, application.municipality_code)
        response.headers["Location"] = f"/applications/{application_id}"
    else:
        response.status_code = 200
    response.headers["ETag"] = etag(state.version)
    return ApplicationView.of(state)


@router.get("", summary="List applications, newest first", responses=problems(422))
async def list_applications(
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
    municipality: Annotated[MunicipalityCode | None, Query(description="Municipality code")] = None,
    status: Annotated[ApplicationStatus | None, Query(description="Only applications in this status")] = None,
    delivery_failed: Annotated[
        bool | None,
        Query(description="Only applications with (true) or without (false) a letter that failed to arrive"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=keyset_pages.MAX_PAGE)] = 50,
    cursor: Annotated[
        str | None,
        Query(pattern=keyset_pages.CURSOR_PATTERN, max_length=500, description="`next_cursor` of the previous page"),
    ] = None,
) -> ApplicationPage:
    """One page of applications, newest first; `next_cursor` fetches the next: pass it back as `cursor` as it
    came (the position after which the page starts; its shape is the parameter's pattern).
    `delivery_failed=true` lists the applications with a decision letter whose delivery failed (it must be sent
    again), `false` the others."""
    scope = list_scope(principal, municipality, "list applications")
    criterion = {"list": "applications", "municipality": scope, "status": status, "delivery_failed": delivery_failed}
    await log_access(request, pool, principal, AccessAction.SEARCH, criterion=criterion)
    try:
        rows, next_cursor = await application_queries.list_applications(
            pool,
            municipality=scope,
            status=status.value if status else None,
            limit=limit,
            cursor=cursor,
            delivery_failed=delivery_failed,
        )
    except keyset_pages.InvalidCursor as error:
        raise invalid_cursor_problem(error) from None
    return ApplicationPage(items=[ApplicationSummary.of_row(row) for row in rows], next_cursor=next_cursor)


@router.get("/{application_id}", summary="One application", responses=problems(404, 422))
async def get_application(
    application_id: ApplicationIdPath, request: Request, pool: PoolDep, principal: PrincipalDep, response: Response
) -> ApplicationView:
    """The application as of its last stored event (the read model is written with the events). The `ETag` is
    its version, for `If-Match` on a command. For the caseworkers of its municipality."""
    row = await visible_application(request, pool, principal, str(application_id), AccessAction.READ)
    view = ApplicationView.of_row(row)
    response.headers["ETag"] = etag(view.version)
    return view


@router.get("/{application_id}/events", summary="The application's timeline", responses=problems(404, 422))
async def application_events(
    application_id: ApplicationIdPath, request: Request, pool: PoolDep, principal: PrincipalDep
) -> ApplicationTimeline:
    """Every event of the application in order, with who caused it and through which command. For the
    caseworkers of its municipality."""
    await visible_application(request, pool, principal, str(application_id), AccessAction.READ)
    stored = await application_queries.application_timeline(pool, str(application_id))
    return ApplicationTimeline(application_id=str(application_id), events=[TimelineEvent.of(event) for event in stored])
