"""`POST /plans`: a hospital sends a rehabilitation plan; the plan starts (or finds) its case."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
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

from activities import case_queries
from activities.db import Pool
from activities.settings import Settings
from api.deps import PoolDep, SettingsDep, TemporalDep
from api.examples import PLAN_EXAMPLES
from api.models.cases import CaseView
from api.openapi import problems
from api.problems import ProblemError
from api.temporal_errors import REJECTIONS, temporal_problem
from workflows import search_attributes as keys
from workflows.case_workflow import CaseWorkflow, CaseWorkflowInput
from workflows.domain.commands import ReceivePlan
from workflows.domain.decider import Rejection, plan_fingerprint
from workflows.domain.model import CaseStatus
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


async def _contact_working_days(pool: Pool, settings: Settings, municipality_code: str) -> int:
    municipality = await case_queries.get_municipality(pool, municipality_code)
    if municipality is None:
        return settings.default_contact_working_days
    return int(municipality["contact_working_days"])


def _start_operation(
    case_id: str, plan: RehabilitationPlan, settings: Settings
) -> WithStartWorkflowOperation[Any, Any]:
    return WithStartWorkflowOperation(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=case_id),
        id=workflow_id_for_case(case_id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A completed case's workflow id is never reused: the plan id belongs to that case for good.
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(keys.CASE_STATUS, CaseStatus.RECEIVED.value),
                SearchAttributePair(keys.MUNICIPALITY_CODE, plan.home_municipality_code),
                SearchAttributePair(keys.CARE_LEVEL, plan.level.value),
            ]
        ),
        static_summary=f"Genoptræning case {case_id} (municipality {plan.home_municipality_code})",
    )


def _answer_from_read_model(row: dict[str, Any], fingerprint: str) -> CaseView:
    """The case has ended, so its workflow takes no updates: the stored plan decides the answer."""
    state = CaseState.model_validate(row["state"])
    if state.plan_fingerprint != fingerprint:
        raise _conflict()
    return CaseView.of(state)


@router.post(
    "/plans",
    status_code=201,
    summary="Receive a rehabilitation plan (GOP)",
    response_description="The new case (201, with a Location header) or the existing one (200)",
    responses={
        200: {"model": CaseView, "description": "The same plan again: its existing case"},
        **problems(400, 409, 422),
    },
)
async def receive_plan(
    plan: Annotated[RehabilitationPlan, Body(openapi_examples=PLAN_EXAMPLES)],
    response: Response,
    pool: PoolDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> CaseView:
    """Start the case for a plan, or return the case the same plan already started.

    The case id is derived from the sending hospital's SOR id and its plan id, so resending a plan is safe:
    the same content answers **200** with the existing case; different content under the same plan id is a
    **409** conflict (a corrected plan needs a new plan id). A new case answers **201** with `Location`.
    """
    case_id = case_id_for_plan(plan.sending_hospital_sor_id, plan.plan_id)
    fingerprint = plan_fingerprint(plan)
    existing = await case_queries.get_case(pool, case_id)
    if existing is not None and CaseStatus(existing["status"]).is_terminal:
        response.status_code = 200
        return _answer_from_read_model(existing, fingerprint)
    command = ReceivePlan(
        # The fingerprint in the update id: Temporal answers a repeat of the same content from the first
        # result, while other content gets a new update id and so reaches the validator (PlanConflict).
        command_id=f"plan:{fingerprint[:32]}",
        actor=f"hospital:{plan.sending_hospital_sor_id}",
        plan=plan,
        contact_working_days=await _contact_working_days(pool, settings, plan.home_municipality_code),
    )
    try:
        state: CaseState = await client.execute_update_with_start_workflow(
            CaseWorkflow.receive_plan,
            command,
            start_workflow_operation=_start_operation(case_id, plan, settings),
            id=command.command_id,
        )
    except WorkflowAlreadyStartedError:
        # The workflow completed (the case ended) and REJECT_DUPLICATE refused a new run.
        row = await case_queries.get_case(pool, case_id)
        if row is None:
            raise _conflict() from None
        response.status_code = 200
        return _answer_from_read_model(row, fingerprint)
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
        problem = await temporal_problem(error, case_id, pool)
        if problem is None:
            raise
        raise problem from None
    if existing is None:
        logger.info("case %s received a plan from hospital %s", case_id, plan.sending_hospital_sor_id)
        response.headers["Location"] = f"/cases/{case_id}"
        return CaseView.of(state)
    response.status_code = 200
    # A repeated update is answered from its first result; the read model may be further along.
    latest = await case_queries.get_case(pool, case_id) or existing
    stored = CaseState.model_validate(latest["state"])
    return CaseView.of(stored if stored.version >= state.version else state)
