"""A plan into its case: the intake both plan doors use (`POST /plans` with JSON, MedCom's GGOP over HTTP and the
VANS file drop, `activities.intake.ggop`).

The case id derives from the sending hospital's SOR id and the plan id, so a plan sent again finds its case: the
same content is answered with the case as it is, other content under the same plan id is a conflict. A plan that
replaces an earlier one (`previous_plan.relation: replaces`) goes to the earlier plan's case as `ReplacePlan`; any
other starts its case's workflow together with its first command (update-with-start). The caller (the door) has
checked the sender and written the access-log row before the plan reaches a case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import (
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.commands.cases import send_update
from activities.commands.municipality_deadlines import municipality_deadlines
from activities.commands.options import UpdateOptions
from activities.commands.problems import FieldError, ProblemError
from activities.commands.refusals import REJECTIONS, temporal_problem
from activities.commands.update_with_start import execute_update_with_start
from activities.intake.settings import IntakeSettings
from activities.platform.db import Pool
from activities.platform.identity import Identity, acted_by, actor_of
from activities.queries import cases as case_queries
from workflows.cases.summary import start_search_attributes
from workflows.cases.workflow import CaseWorkflow, CaseWorkflowInput
from workflows.domain.commands import ReceivePlan, ReplacePlan
from workflows.domain.decider import Rejection, plan_fingerprint
from workflows.domain.model import CaseStatus, PlanRelation
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.state import CaseState
from workflows.shell.identity import case_id_for_plan, workflow_id_for_case
from workflows.shell.search_attributes import search_attribute_pairs

logger = logging.getLogger("genoptraening.intake")

_PLAN_CONFLICT = REJECTIONS[Rejection.PLAN_CONFLICT]


@dataclass(frozen=True)
class Received:
    """The case a plan went to, and whether the plan started it (a new case) or found it (a resend, a replacing
    plan, an ended case)."""

    state: CaseState
    created: bool


def _conflict() -> ProblemError:
    return ProblemError(
        _PLAN_CONFLICT.status,
        "This plan id was already received from this hospital with different content",
        slug=_PLAN_CONFLICT.slug,
        title=_PLAN_CONFLICT.title,
    )


def _start_operation(
    case_id: str, plan: RehabilitationPlan, settings: IntakeSettings
) -> WithStartWorkflowOperation[Any, Any]:
    return WithStartWorkflowOperation(
        CaseWorkflow.run,
        CaseWorkflowInput(
            case_id=case_id, light_shell=True, forwarded_municipalities=sorted(settings.medcom_plan_forward_eans)
        ),
        id=workflow_id_for_case(case_id),
        task_queue=settings.temporal_task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # A completed case's workflow id is never reused: the plan id belongs to that case for good. A workflow
        # that ended without its first event (workflows.shell.waiting.START_GRACE) failed, and may be reused.
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        search_attributes=TypedSearchAttributes(
            search_attribute_pairs(start_search_attributes(plan.home_municipality_code, plan.level.value))
        ),
        static_summary=f"Genoptræning case {case_id} (municipality {plan.home_municipality_code})",
    )


def _answer_from_read_model(row: dict[str, Any], fingerprint: str) -> CaseState:
    """The case has ended, so its workflow takes no updates: the stored plan decides the answer."""
    state = case_queries.case_state(row)
    if state.plan_fingerprint != fingerprint:
        raise _conflict()
    return state


async def _replace_plan(
    plan: RehabilitationPlan, fingerprint: str, pool: Pool, client: Client, settings: IntakeSettings, sender: Identity
) -> CaseState:
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
        actor=actor_of(sender),
        acted_by=acted_by(sender),
        plan=plan,
        contact_working_days=deadlines.contact_working_days,
        warning_working_days=deadlines.warning_working_days,
    )
    options = UpdateOptions.for_request(settings, command.command_id)
    state = await send_update(client, pool, previous["case_id"], CaseWorkflow.replace_plan, command, options)
    logger.info("case %s: plan replaced by hospital %s", previous["case_id"], plan.sending_hospital_sor_id)
    return state


async def take_plan(
    plan: RehabilitationPlan, *, sender: Identity, pool: Pool, client: Client, settings: IntakeSettings
) -> Received:
    """The case `plan` went to, sent by `sender`; a refusal is a `ProblemError` (409 other content under the plan
    id, 422 an unknown or unfit earlier plan, the case's own refusals; 503 when no worker answered in time)."""
    fingerprint = plan_fingerprint(plan)
    known = await case_queries.find_plan(pool, plan.sending_hospital_sor_id, plan.plan_id)
    if known is not None:
        # The plan is stored already, in the case it started or the case whose plan it replaced.
        if known["plan_fingerprint"] != fingerprint:
            raise _conflict()
        row = await case_queries.get_case(pool, known["case_id"])
        if row is not None:
            return Received(case_queries.case_state(row), created=False)
    if plan.previous_plan is not None and plan.previous_plan.relation is PlanRelation.REPLACES:
        return Received(await _replace_plan(plan, fingerprint, pool, client, settings, sender), created=False)
    case_id = case_id_for_plan(plan.sending_hospital_sor_id, plan.plan_id)
    existing = await case_queries.get_case(pool, case_id)
    if existing is not None and CaseStatus(existing["status"]).is_terminal:
        return Received(_answer_from_read_model(existing, fingerprint), created=False)
    deadlines = await municipality_deadlines(pool, settings, plan.home_municipality_code)
    command = ReceivePlan(
        # The fingerprint in the update id: Temporal answers a repeat of the same content from the first
        # result, while other content gets a new update id and so reaches the validator (PlanConflict).
        command_id=f"plan:{fingerprint[:32]}",
        actor=actor_of(sender),
        acted_by=acted_by(sender),
        plan=plan,
        contact_working_days=deadlines.contact_working_days,
        warning_working_days=deadlines.warning_working_days,
        intake_team=deadlines.intake_team,
    )
    options = UpdateOptions.for_request(settings, command.command_id)
    try:
        state: CaseState = await execute_update_with_start(
            client, CaseWorkflow.receive_plan, command, _start_operation(case_id, plan, settings), options
        )
    except WorkflowAlreadyStartedError:
        # The workflow completed (the case ended) and REJECT_DUPLICATE refused a new run.
        row = await case_queries.get_case(pool, case_id)
        if row is None:
            raise _conflict() from None
        return Received(_answer_from_read_model(row, fingerprint), created=False)
    except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
        problem = await temporal_problem(error, case_id, pool, options)
        if problem is None:
            raise
        raise problem from None
    if existing is None:
        logger.info("case %s received a plan from hospital %s", case_id, plan.sending_hospital_sor_id)
        return Received(state, created=True)
    # A repeated update is answered from its first result; the read model may be further along.
    latest = await case_queries.get_case(pool, case_id) or existing
    stored = case_queries.case_state(latest)
    return Received(stored if stored.version >= state.version else state, created=False)
