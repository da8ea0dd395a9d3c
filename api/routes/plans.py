"""`POST /plans`: a hospital sends a rehabilitation plan; the plan starts (or finds) its case."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from activities.access_log.entries import AccessAction
from activities.commands.refusals import etag
from activities.intake.plans import take_plan
from api.access_logging import log_access
from api.auth.access import require
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Role
from api.deps import PoolDep, SettingsDep, TemporalDep
from api.http.examples import PLAN_EXAMPLES
from api.http.openapi import problems
from api.http.problems import ProblemError
from api.models.cases import CaseView
from api.models.request_body import PlanBody
from workflows.shell.identity import case_id_for_plan

logger = logging.getLogger("genoptraening.api")
router = APIRouter(tags=["plans"])


def _tagged(response: Response, view: CaseView) -> CaseView:
    """The case with its version as the answer's ETag, for a later If-Match."""
    response.headers["ETag"] = etag(view.version)
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
    await log_access(
        request,
        pool,
        principal,
        AccessAction.CREATE,
        citizen_cpr=plan.patient.cpr,
        case_id=case_id,
        responsible_municipality_code=plan.home_municipality_code,  # the hospital has none: the case's auditor
    )
    received = await take_plan(plan, sender=principal, pool=pool, client=client, settings=settings)
    if received.created:
        response.headers["Location"] = f"/cases/{received.state.case_id}"
    else:
        response.status_code = 200
    return _tagged(response, CaseView.of(received.state))
