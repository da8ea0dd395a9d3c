"""`POST /plans`: a hospital sends a rehabilitation plan; the plan starts (or finds) its case."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from temporalio.client import (
    Client,
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

from activities import case_queries
from activities.access_log_entries import AccessAction
from activities.db import Pool
from activities.settings import Settings
from api.access_logging import log_access
from api.auth.access import acted_by, require
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.case_updates import send_update
from api.deps import PoolDep, SettingsDep, TemporalDep
from api.examples import PLAN_EXAMPLES
from api.models.cases import CaseView
from api.models.request_body import PlanBody
from api.municipality_deadlines import municipality_deadlines
from api.openapi import problems
from api.problems import FieldError, ProblemError
from api.temporal_errors import REJECTIONS, etag, temporal_problem
from api.update_options import UpdateOptions
from workflows import search_attributes as keys
from workflows.case_workflow import CaseWorkflow, CaseWorkflowInput
from workflows.domain.commands import ReceivePlan, ReplacePlan
from workflows.domain.decider import Rejection, plan_fingerprint
from workflows.domain.model import CaseStatus, PlanRelation
from workflows.domain.plan import RehabilitationPlan
from workflows.domain.state import CaseState
from workflows.identity import case_id_for_plan, workflow_id_for_case

logger = logging.getLogger("genoptraening.api")
router = APIRouter(tags=["plans"])

_PLAN_CONFLICT = REJECTIONS[Rejection.PLAN_CONFLICT]


def _conflict() -> ProblemError:
    return ProblemError(
        _PLAN_CONFLICT.status,
        "This plan id was already received from this hospital with different content",
        slug=_PLAN_CONFLICT.slug,
        title=_PLAN_CONFLICT.title,
    )


def _start_operation(
    case_id: str, plan: RehabilitationPlan, settings: Settings
) -> WithStartWorkflowOperation[Any, Any]:
    return WithStartWorkflowOperation(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=case_id),
        id=workflow_id_for_case(case_id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A completed case's workflow id is never reused: the plan id belongs to that case for good. A workflow
        # that ended without its first event (workflows.workflow_support.START_GRACE) failed, and may be reused.
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(keys.CASE_STATUS, CaseStatus.RECEIVED.value),
                SearchAttributePair(keys.MUNICIPALITY_CODE, plan.home_municipality_code),
                SearchAttributePair(keys.CARE_LEVEL, plan.level.value),
            ]
        ),
        static_summary=f"Genoptræning case {case_id} (municipality {plan.home_municipality_code})",
    )


def _tagged(response: Response, view: CaseView) -> CaseView:
    """The case with its version as the answer's ETag, for a later If-Match."""
    response.headers["ETag"] = etag(view.version)
    return view


def _answer_from_read_model(row: dict[str, Any], fingerprint: str) -> CaseView:
    """The case has ended, so its workflow takes no updates: the stored plan decides the answer."""
    state = case_queries.case_state(row)
    if state.plan_fingerprint != fingerprint:
        raise _conflict()
    return CaseView.of(state)


async def _replace_plan(
    plan: RehabilitationPlan, fingerprint: str, pool: Pool, client: Client, settings: Settings, principal: Principal
) -> CaseView:
    """A plan that replaces an earlier one goes to the earlier plan's case as the `replace_plan` Update."""
    assert plan.previous_plan is not None
    previous = await case_queries.find_plan(pool, plan.sending_hospital_sor_id, plan.previous_plan.plan_id)
    if previous is None:
        message = f"no plan {plan.previous_plan.plan_id} from hospital {plan.sending_hospital_sor_id} is known"
        raise ProblemError(
            422,
            message,
            slug="unknown-previous-plan",
            title="Unknown previous plan",
            errors=[FieldError(field="previous_plan.plan_id", message=message)],
        )
    deadlines = await municipality_deadlines(pool, settings, plan.home_municipality_code)
    command = ReplacePlan(
        # As for a new plan: a resend of the same content is answered from the first result.
        command_id=f"replace-plan:{fingerprint[:32]}",
        actor=principal.actor,
        acted_by=acted_by(principal),
        plan=plan,
        contact_working_days=deadlines.contact_working_days,
        warning_working_days=deadlines.warning_working_days,
    )
    options = UpdateOptions.for_request(settings, command.command_id)
    view = await send_update(client, pool, previous["case_id"], CaseWorkflow.replace_plan, command, options)
    logger.info("case %s: plan replaced by hospital %s", previous["case_id"], plan.sending_hospital_sor_id)
    return view


@router.post(
    "/plans",
    status_code=201,
    summary="Receive a rehabilitation plan (GOP)",
    response_description="The new case (201, with a Location header) or an existing one (200)",
    responses={
        200: {
            "model": CaseView,
            "description": "The same plan again: its case; or a plan that replaces an earlier one: that plan's case",
        },
        **problems(400, 409, 422),
    },
)
async def receive_plan(
    plan: Annotated[PlanBody, Body(openapi_examples=PLAN_EXAMPLES)],
    request: Request,
    response: Response,
    pool: PoolDep,
    client: TemporalDep,
    settings: SettingsDep,
    principal: PrincipalDep,
) -> CaseView:
    """Start the case for a plan, or return the case the same plan already started.

    For hospitals: the token's SOR id must be the plan's `sending_hospital_sor_id` (**403** otherwise).

    The case id is derived from the sending hospital's SOR id and its plan id, so resending a plan is safe:
    the same content answers **200** with the case it went to; different content under the same plan id is a
    **409** conflict (a corrected plan needs a new plan id). A new case answers **201** with `Location`.

    After a re-admission the hospital may send a new plan with `previous_plan` (KL Gateway Rehab IG,
    `replaces`):

    - `relation: replaces`: the earlier plan is revoked and its case continues with the new plan (fresh
      distribution, classification and deadlines under the rules of the new discharge date): **200** with that
      case. The earlier plan must be known (**422** naming `previous_plan.plan_id`) and be the case's current
      plan, for the same citizen (**422** naming `previous_plan` or `patient.cpr`); an ended case takes no new
      plan (**409**).
    - `relation: parallel`: both plans stay active (e.g. another body region), so the new plan starts its own
      case like any other; the link is kept in its plan.

    `rehabilitation_deadline_text` is the hospital's free text on when training should start (MedCom GGOP
    `RehabilitationDeadline`), kept verbatim. Where it names a later start ("tidligst 14 dage efter
    udskrivelse", "opstart efter 1/12"), the case proposes that date with the words it came from
    (`start_date_proposal`); only a caseworker's confirmation moves the 7-day start guarantee (SUL §140 stk. 4).

    `general_practitioner` may be null only when the hospital deselected the GP copy (`gp_copy_deselected`
    true, MedCom GGOP without a `GPCCReceiver`); otherwise a missing one is **422** naming
    `general_practitioner`. A `start_date_for_health_reasons` before the `discharge_date`, or a `previous_plan`
    naming the plan itself, is **422** naming that field; the `discharge_date` lies on or after 2018-07-01, when
    the rules began.

    A CPR number that fails the modulus 11 check is accepted and flagged in `warnings`
    (`cpr_fails_modulus_11`; numbers issued since 2007 may fail it, cpr.dk); one that is no valid date is
    **422** naming `patient.cpr`.
    """
    require(principal, "send plans", Role.HOSPITAL)
    if principal.sor_id != plan.sending_hospital_sor_id:
        raise ProblemError(403, "the token is for another hospital than the plan's sender", slug="forbidden")
    # Logged before the case is touched: no plan reaches a case without its row (the row names the case the
    # plan's id derives; a replacing plan goes on in its earlier plan's case).
    case_id = case_id_for_plan(plan.sending_hospital_sor_id, plan.plan_id)
    await log_access(request, pool, principal, AccessAction.CREATE, citizen_cpr=plan.patient.cpr, case_id=case_id)
    return await _receive(plan, response, pool, client, settings, principal)


async def _receive(
    plan: RehabilitationPlan,
    response: Response,
    pool: Pool,
    client: Client,
    settings: Settings,
    principal: Principal,
) -> CaseView:
    fingerprint = plan_fingerprint(plan)
    known = await case_queries.find_plan(pool, plan.sending_hospital_sor_id, plan.plan_id)
    if known is not None:
        # The plan is stored already, in the case it started or the case whose plan it replaced.
        if known["plan_fingerprint"] != fingerprint:
            raise _conflict()
        row = await case_queries.get_case(pool, known["case_id"])
        if row is not None:
            response.status_code = 200
            return _tagged(response, CaseView.of_row(row))
    if plan.previous_plan is not None and plan.previous_plan.relation is PlanRelation.REPLACES:
        response.status_code = 200
        return _tagged(response, await _replace_plan(plan, fingerprint, pool, client, settings, principal))
    case_id = case_id_for_plan(plan.sending_hospital_sor_id, plan.plan_id)
    existing = await case_queries.get_case(pool, case_id)
    if existing is not None and CaseStatus(existing["status"]).is_terminal:
        response.status_code = 200
        return _tagged(response, _answer_from_read_model(existing, fingerprint))
    deadlines = await municipality_deadlines(pool, settings, plan.home_municipality_code)
    command = ReceivePlan(
        # The fingerprint in the update id: Temporal answers a repeat of the same content from the first
        # result, while other content gets a new update id and so reaches the validator (PlanConflict).
        command_id=f"plan:{fingerprint[:32]}",
        actor=principal.actor,
        acted_by=acted_by(principal),
        plan=plan,
        contact_working_days=deadlines.contact_working_days,
        warning_working_days=deadlines.warning_working_days,
        intake_team=deadlines.intake_team,
    )
    options = UpdateOptions.for_request(settings, command.command_id)
    try:
        state: CaseState = await client.execute_update_with_start_workflow(
            CaseWorkflow.receive_plan,
            command,
            start_workflow_operation=_start_operation(case_id, plan, settings),
            id=options.update_id,
            rpc_timeout=options.answer_timeout,
        )
    except WorkflowAlreadyStartedError:
        # The workflow completed (the case ended) and REJECT_DUPLICATE refused a new run.
        row = await case_queries.get_case(pool, case_id)
        if row is None:
            raise _conflict() from None
        response.status_code = 200
        return _tagged(response, _answer_from_read_model(row, fingerprint))
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
        problem = await temporal_problem(error, case_id, pool, options)
        if problem is None:
            raise
        raise problem from None
    if existing is None:
        logger.info("case %s received a plan from hospital %s", case_id, plan.sending_hospital_sor_id)
        response.headers["Location"] = f"/cases/{case_id}"
        return _tagged(response, CaseView.of(state))
    response.status_code = 200
    # A repeated update is answered from its first result; the read model may be further along.
    latest = await case_queries.get_case(pool, case_id) or existing
    stored = case_queries.case_state(latest)
    return _tagged(response, CaseView.of(stored if stored.version >= state.version else state))


async def take_plan(
    plan: RehabilitationPlan, pool: Pool, client: Client, settings: Settings, principal: Principal
) -> tuple[CaseView, bool]:
    """The JSON intake's way into the domain, for the service's other doors (MedCom GGOP, `api.ggop_intake`):
    the case the plan went to, and whether the plan started it. The caller has checked the sender and written
    the access-log row, as `receive_plan` does."""
    response = Response()
    view = await _receive(plan, response, pool, client, settings, principal)
    return view, "Location" in response.headers
