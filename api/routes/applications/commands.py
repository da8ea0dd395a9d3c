"""Caseworker commands on an application: each one is a Workflow Update on the application's workflow.

Included in `api.routes.applications.applications.router` (prefix `/applications`). Conventions as for cases: a
bearer token, an `Idempotency-Key` scoped to the endpoint, problem+json refusals (409 when the application's status does
not allow the command or it is closed, 422 naming the field, 404 for an unknown application).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.command_requests import ApplicationCommandDep
from api.http.openapi import problems
from api.models.applications import (
    AnkestyrelsenOutcomeBody,
    AppealBody,
    ApplicationView,
    ForwardingBody,
    GpInformationRequestBody,
    GpReplyBody,
    TransportAssessmentBody,
)
from api.models.request_body import ClosureBody, DecisionBody, ReassessmentBody
from workflows.applications.workflow import ApplicationWorkflow as Workflow
from workflows.domain.applications.commands import (
    AssessTransport,
    CloseApplication,
    MakeDecision,
    ReassessDecision,
    RecordAnkestyrelsenOutcome,
    RecordAppeal,
    RecordForwarding,
    RecordGpReply,
    RequestGpInformation,
)

router = APIRouter(prefix="/{application_id}", responses=problems(404, 409, 412, 422))


@router.post("/gp-information-request", summary="Ask the citizen's GP for information")
async def request_gp_information(
    body: GpInformationRequestBody,
    application: ApplicationCommandDep,
) -> ApplicationView:
    """While the application is assessed or reassessed. A timer records `GpInformationOverdue` when no reply
    is recorded by the end of `reply_by` (Danish time); a `reply_by` in the past is **422**."""
    return await application.send(
        "gp-information-request", Workflow.request_gp_information, RequestGpInformation, **body.model_dump()
    )


@router.post("/gp-information-reply", summary="Record the GP's reply")
async def record_gp_reply(
    body: GpReplyBody,
    application: ApplicationCommandDep,
) -> ApplicationView:
    """Stops the reply deadline; a reply after it is recorded as late."""
    return await application.send("gp-information-reply", Workflow.record_gp_reply, RecordGpReply, **body.model_dump())


@router.post("/decision", summary="Make the decision (afgørelse): granted for a period, or refused")
async def make_decision(
    body: DecisionBody,
    application: ApplicationCommandDep,
) -> ApplicationView:
    """A concrete individual assessment; no medical assessment is needed. The decision carries appeal guidance
    (4 weeks from `notified_on`). While a grant runs, only a renewal that continues its period is allowed.

    **422** naming the field: a grant without its `period_from` and `period_to`, a refusal with a period or
    without its `reason`, `period_to` before `period_from`, or `notified_on` in the future or before the
    application date."""
    return await application.send("decision", Workflow.make_decision, MakeDecision, decision=body)


@router.post("/appeal", summary="Record the citizen's appeal")
async def record_appeal(
    body: AppealBody,
    application: ApplicationCommandDep,
) -> ApplicationView:
    """Within 4 weeks of notification, the last day included: later is **422** naming `received_on`. Starts
    the reassessment and the 4-week deadline for forwarding to Ankestyrelsen."""
    return await application.send("appeal", Workflow.record_appeal, RecordAppeal, **body.model_dump())


@router.post("/reassessment", summary="Record the reassessment (genvurdering): upheld or changed")
async def reassess(
    body: ReassessmentBody,
    application: ApplicationCommandDep,
) -> ApplicationView:
    """`changed` carries the new decision (appealable again); `upheld` awaits the forwarding to Ankestyrelsen.

    **422** naming the field: `decision` missing with `changed` or given with `upheld`, and the decision's own
    rules as for a first decision (`decision.period_from`, `decision.period_to`, `decision.reason`,
    `decision.notified_on`)."""
    return await application.send("reassessment", Workflow.reassess_decision, ReassessDecision, **body.model_dump())


@router.post("/ankestyrelsen-forwarding", summary="Record the forwarding to Ankestyrelsen")
async def record_forwarding(
    body: ForwardingBody,
    application: ApplicationCommandDep,
) -> ApplicationView:
    return await application.send(
        "ankestyrelsen-forwarding", Workflow.record_forwarding, RecordForwarding, **body.model_dump()
    )


@router.post("/ankestyrelsen-outcome", summary="Record Ankestyrelsen's outcome")
async def record_ankestyrelsen_outcome(
    body: AnkestyrelsenOutcomeBody,
    application: ApplicationCommandDep,
) -> ApplicationView:
    """`upheld`: a grant runs on, a refusal is final (closed); `changed` or `returned`: a new decision follows."""
    return await application.send(
        "ankestyrelsen-outcome", Workflow.record_ankestyrelsen_outcome, RecordAnkestyrelsenOutcome, **body.model_dump()
    )


@router.post("/transport-assessment", summary="Record the individual assessment of transport")
async def assess_transport(
    body: TransportAssessmentBody,
    application: ApplicationCommandDep,
) -> ApplicationView:
    """§86 training gives no statutory right to transport; any transport follows an individual assessment."""
    return await application.send(
        "transport-assessment", Workflow.assess_transport, AssessTransport, **body.model_dump()
    )


@router.post("/closure", summary="Close the application")
async def close_application(
    body: ClosureBody,
    application: ApplicationCommandDep,
) -> ApplicationView:
    """Withdrawn by the citizen, deceased, or another reason; it then takes no commands. Another reason needs
    its `note` (**422** naming `note` otherwise)."""
    return await application.send("closure", Workflow.close_application, CloseApplication, **body.model_dump())
