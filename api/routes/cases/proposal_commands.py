"""The caseworker's decision on a later start proposed from the plan's free-text start deadline.

When a plan's `rehabilitation_deadline_text` (MedCom GGOP `RehabilitationDeadline`) names a date or a delay
("tidligst 14 dage efter udskrivelse"), the case proposes that later start with the words it came from
(`start_date_proposal`). Only a confirmed date moves the 7-day start guarantee (SUL §140 stk. 4, last
sentence). Included in `api.routes.cases.commands.router` (prefix `/cases/{case_id}`), with the same conventions:
`Idempotency-Key`, `If-Match`, the new version as `ETag`, problems as `application/problem+json`, and a
caseworker of the responsible municipality.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.command_requests import CaseCommandDep
from api.models.cases import CaseView
from api.models.start_proposal import StartDateConfirmationRequest, StartDateRejectionRequest
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import ConfirmProposedStartDate, RejectProposedStartDate

router = APIRouter()


@router.post("/start-date-proposal/confirmation", summary="Confirm the proposed later start")
async def confirm_proposed_start_date(
    body: StartDateConfirmationRequest,
    case: CaseCommandDep,
) -> CaseView:
    """The start guarantee's last day becomes the proposed date plus 7 days (`start_guarantee_due_on`), its
    timer moves with it, and `guarantee_status_reason` becomes `udskudt`; the first appointment may then not lie
    before the proposed date. **409** when there is no open proposal (none was made, or it was decided already:
    a proposal is decided once), or when the guarantee was already breached or a start already offered (the
    proposal can still be rejected). **422** naming `proposed_on` when it is not the open proposal's date."""
    return await case.send(
        "start-date-proposal-confirmation",
        CaseWorkflow.confirm_proposed_start_date,
        ConfirmProposedStartDate,
        **body.model_dump(),
    )


@router.post("/start-date-proposal/rejection", summary="Reject the proposed later start")
async def reject_proposed_start_date(
    body: StartDateRejectionRequest,
    case: CaseCommandDep,
) -> CaseView:
    """The start guarantee stays as it was: 7 days from discharge, or from the plan's own
    `start_date_for_health_reasons`. **409** when there is no open proposal."""
    return await case.send(
        "start-date-proposal-rejection",
        CaseWorkflow.reject_proposed_start_date,
        RejectProposedStartDate,
        **body.model_dump(),
    )
