"""Commands around the start and the 7-day start guarantee (SUL §140 stk. 4), each of which KL reports with a
`statusReason`: a cancelled first appointment, the free choice accepted or declined, a postponed start, a
transfer to another municipality, and a plan revoked as sent in error.

Included in `api.routes.cases.commands.router` (prefix `/cases/{case_id}`), with the same conventions.
"""

from __future__ import annotations

from fastapi import APIRouter

from activities.commands.municipality_deadlines import municipality_deadlines
from api.command_requests import CaseCommandDep, PlanCommandDep
from api.deps import SettingsDep
from api.http.problems import field_problem
from api.models.cases import CaseView
from api.models.course_commands import (
    AppointmentCancellationRequest,
    FreeChoiceDecision,
    FreeChoiceRequest,
    PostponementRequest,
    RevocationRequest,
    TransferRequest,
)
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import (
    AcceptFreeChoice,
    CancelAppointment,
    DeclineFreeChoice,
    FreeChoiceProvider,
    PostponeStart,
    RevokePlan,
    TransferCase,
)

router = APIRouter()


@router.post("/appointment-cancellation", summary="Record that the first appointment was cancelled")
async def cancel_appointment(
    body: AppointmentCancellationRequest,
    case: CaseCommandDep,
) -> CaseView:
    """The first offered appointment still counts as the start of training, and so as the start guarantee met,
    "selv om kontakten måtte blive aflyst" (KL Gateway Rehab IG, `occurrencePeriod.start`). Only after a start
    was offered, and once (**409** otherwise)."""
    return await case.send(
        "appointment-cancellation", CaseWorkflow.cancel_appointment, CancelAppointment, **body.model_dump()
    )


@router.post("/free-choice", summary="The citizen accepts or declines the free choice")
async def answer_free_choice(
    body: FreeChoiceRequest,
    case: CaseCommandDep,
) -> CaseView:
    """When no start is offered within 7 days of discharge, the citizen may choose a private provider KL has an
    agreement with (SUL §140 stk. 4-5; FritValgService / mingenoptræning.dk), paid by the home municipality.

    - `accept` with `provider_id` and `provider_name`: the provider becomes the case's provider (kind
      `kl_free_choice`), `guarantee_status_reason` `frit_valg`. Without them **422** naming the missing fields
      (`provider_id`, `provider_name`); a `note` with accept is **422** too.
    - `decline` (the citizen prefers to wait): `guarantee_status_reason` `frit_valg_afslaaet`. A `provider_id`
      or `provider_name` with decline is **422** naming it.

    Only while the free choice is open, i.e. after the guarantee was breached and before it was answered
    (**409** otherwise)."""
    if body.decision is FreeChoiceDecision.ACCEPT:
        missing = [
            (name, f"{name} is required to accept the free choice")
            for name, value in (("provider_id", body.provider_id), ("provider_name", body.provider_name))
            if value is None
        ]
        if missing:
            raise field_problem(*missing)
        if body.note is not None:
            raise field_problem(("note", "a note is recorded only with decline"))
        assert body.provider_id is not None and body.provider_name is not None
        accept = case.command(
            "free-choice",
            AcceptFreeChoice,
            provider=FreeChoiceProvider(provider_id=body.provider_id, name=body.provider_name),
        )
        names = {"provider.provider_id": "provider_id", "provider.name": "provider_name"}
        return await case.send_command(CaseWorkflow.accept_free_choice, accept, field_names=names)
    stray = [name for name in ("provider_id", "provider_name") if getattr(body, name) is not None]
    if stray:
        raise field_problem(*((name, f"{name} is given only with accept") for name in stray))
    return await case.send("free-choice", CaseWorkflow.decline_free_choice, DeclineFreeChoice, note=body.note)


@router.post("/postponement", summary="The citizen asks to start later")
async def postpone_start(
    body: PostponementRequest,
    case: CaseCommandDep,
) -> CaseView:
    """The 7-day start guarantee (SUL §140 stk. 4) lapses when the citizen postpones the start (municipal
    practice, e.g. Vejen Kommune): its deadline stops and a later start does not open the free choice. Only
    before a start is offered, and once (**409** otherwise)."""
    return await case.send("postponement", CaseWorkflow.postpone_start, PostponeStart, **body.model_dump())


@router.post("/transfer", summary="Transfer the case to another municipality")
async def transfer_case(
    body: TransferRequest,
    case: CaseCommandDep,
    settings: SettingsDep,
) -> CaseView:
    """The receiving municipality becomes responsible and starts over (from `distributed`, or `received` while
    copies are still going out), with its own contact
    deadline (its `contact_working_days` in the municipality register, else the default). The start guarantee
    lapses; a transfer at the citizen's request is reported as `anden_kommune` (KL Gateway Rehab IG, statusReason
    "Anden kommune") unless a start or a breach came first. Not once training has started (**409**); not to
    the responsible municipality itself (**422** naming `to_municipality_code`)."""
    deadlines = await municipality_deadlines(case.pool, settings, body.to_municipality_code)
    return await case.send(
        "transfer",
        CaseWorkflow.transfer_case,
        TransferCase,
        contact_working_days=deadlines.contact_working_days,
        warning_working_days=deadlines.warning_working_days,
        intake_team=deadlines.intake_team,
        **body.model_dump(),
    )


@router.post("/revocation", summary="Revoke the plan as sent in error")
async def revoke_plan(
    body: RevocationRequest,
    case: PlanCommandDep,
) -> CaseView:
    """A plan sent in error is revoked and the case closes with `plan_sent_in_error` (KL Gateway Rehab IG,
    statusReason "Fejl"); it then takes no further commands (**409**). A plan replaced after re-admission is
    not revoked here: the hospital sends the new plan to `POST /plans` with `previous_plan`."""
    return await case.send("revocation", CaseWorkflow.revoke_plan, RevokePlan, **body.model_dump())
