"""Caseworker commands on an application: each one is a Workflow Update on the application's workflow.

Included in `api.routes.applications.router` (prefix `/applications`). Conventions as for cases: `X-Actor`,
an `Idempotency-Key` scoped to the endpoint, problem+json refusals (409 when the application's status does
not allow the command or it is closed, 422 naming the field, 404 for an unknown application).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.application_updates import send_application_update
from api.case_updates import command_id
from api.deps import ActorHeader, ApplicationIdPath, IdempotencyKeyHeader, PoolDep, TemporalDep
from api.models.applications import (
    AnkestyrelsenOutcomeBody,
    AppealBody,
    ApplicationView,
    ForwardingBody,
    GpInformationRequestBody,
    GpReplyBody,
    TransportAssessmentBody,
)
from api.openapi import problems
from workflows.application_workflow import ApplicationWorkflow as Workflow
from workflows.applications.commands import (
    AssessTransport,
    CloseApplication,
    ClosureTerms,
    DecisionTerms,
    MakeDecision,
    ReassessDecision,
    ReassessmentTerms,
    RecordAnkestyrelsenOutcome,
    RecordAppeal,
    RecordForwarding,
    RecordGpReply,
    RequestGpInformation,
)

router = APIRouter(prefix="/{application_id}", responses=problems(404, 409, 422))


@router.post("/gp-information-request", summary="Ask the citizen's GP for information")
async def request_gp_information(
    application_id: ApplicationIdPath,
    body: GpInformationRequestBody,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    """While the application is assessed or reassessed. A timer records `GpInformationOverdue` when no reply
    is recorded by the end of `reply_by` (Danish time)."""
    command = RequestGpInformation(
        command_id=command_id("gp-information-request", idempotency_key), actor=actor, **body.model_dump()
    )
    return await send_application_update(client, pool, application_id, Workflow.request_gp_information, command)


@router.post("/gp-information-reply", summary="Record the GP's reply")
async def record_gp_reply(
    application_id: ApplicationIdPath,
    body: GpReplyBody,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    """Stops the reply deadline; a reply after it is recorded as late."""
    command = RecordGpReply(
        command_id=command_id("gp-information-reply", idempotency_key), actor=actor, **body.model_dump()
    )
    return await send_application_update(client, pool, application_id, Workflow.record_gp_reply, command)


@router.post("/decision", summary="Make the decision (afgørelse): granted for a period, or refused")
async def make_decision(
    application_id: ApplicationIdPath,
    body: DecisionTerms,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    """A concrete individual assessment; no medical assessment is needed. The decision carries appeal guidance
    (4 weeks from `notified_on`). While a grant runs, only a renewal that continues its period is allowed."""
    command = MakeDecision(command_id=command_id("decision", idempotency_key), actor=actor, decision=body)
    return await send_application_update(client, pool, application_id, Workflow.make_decision, command)


@router.post("/appeal", summary="Record the citizen's appeal")
async def record_appeal(
    application_id: ApplicationIdPath,
    body: AppealBody,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    """Within 4 weeks of notification, the last day included: later is **422** naming `received_on`. Starts
    the reassessment and the 4-week deadline for forwarding to Ankestyrelsen."""
    command = RecordAppeal(command_id=command_id("appeal", idempotency_key), actor=actor, **body.model_dump())
    return await send_application_update(client, pool, application_id, Workflow.record_appeal, command)


@router.post("/reassessment", summary="Record the reassessment (genvurdering): upheld or changed")
async def reassess(
    application_id: ApplicationIdPath,
    body: ReassessmentTerms,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    """`changed` carries the new decision (appealable again); `upheld` awaits the forwarding to Ankestyrelsen."""
    command = ReassessDecision(command_id=command_id("reassessment", idempotency_key), actor=actor, **body.model_dump())
    return await send_application_update(client, pool, application_id, Workflow.reassess_decision, command)


@router.post("/ankestyrelsen-forwarding", summary="Record the forwarding to Ankestyrelsen")
async def record_forwarding(
    application_id: ApplicationIdPath,
    body: ForwardingBody,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    command = RecordForwarding(
        command_id=command_id("ankestyrelsen-forwarding", idempotency_key), actor=actor, **body.model_dump()
    )
    return await send_application_update(client, pool, application_id, Workflow.record_forwarding, command)


@router.post("/ankestyrelsen-outcome", summary="Record Ankestyrelsen's outcome")
async def record_ankestyrelsen_outcome(
    application_id: ApplicationIdPath,
    body: AnkestyrelsenOutcomeBody,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    """`upheld`: a grant runs on, a refusal is final (closed); `changed` or `returned`: a new decision follows."""
    command = RecordAnkestyrelsenOutcome(
        command_id=command_id("ankestyrelsen-outcome", idempotency_key), actor=actor, **body.model_dump()
    )
    return await send_application_update(client, pool, application_id, Workflow.record_ankestyrelsen_outcome, command)


@router.post("/transport-assessment", summary="Record the individual assessment of transport")
async def assess_transport(
    application_id: ApplicationIdPath,
    body: TransportAssessmentBody,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    """§86 training gives no statutory right to transport; any transport follows an individual assessment."""
    command = AssessTransport(
        command_id=command_id("transport-assessment", idempotency_key), actor=actor, **body.model_dump()
    )
    return await send_application_update(client, pool, application_id, Workflow.assess_transport, command)


@router.post("/closure", summary="Close the application")
async def close_application(
    application_id: ApplicationIdPath,
    body: ClosureTerms,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationView:
    """Withdrawn by the citizen, deceased, or another reason (with a note); it then takes no commands."""
    command = CloseApplication(command_id=command_id("closure", idempotency_key), actor=actor, **body.model_dump())
    return await send_application_update(client, pool, application_id, Workflow.close_application, command)
