"""Caseworker commands on a case: each one is a Workflow Update on the case's workflow."""

from __future__ import annotations

from fastapi import APIRouter

from activities.queries import cases as case_queries
from api.command_requests import CaseCommandDep
from api.http.openapi import problems
from api.http.problems import FieldError, ProblemError
from api.models.cases import CaseView
from api.models.commands import (
    ClassificationRequest,
    ClosureRequest,
    CompletionRequest,
    ContactRequest,
    ProviderChoiceRequest,
    StartOfferRequest,
)
from api.routes.cases import course_commands, guarantee_commands, proposal_commands, warning_commands
from api.routes.cases.closing_check import checked
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import (
    ChooseProvider,
    ClassifyAlmenLevel,
    CloseCase,
    CompleteCourse,
    OfferStart,
    ProviderRef,
    RecordCitizenContact,
)

router = APIRouter(prefix="/cases/{case_id}", tags=["commands"], responses=problems(404, 409, 412, 422))


@router.post("/classification", summary="Classify the almen level (basal or avanceret)")
async def classify(
    body: ClassificationRequest,
    case: CaseCommandDep,
) -> CaseView:
    """Only almen plans are classified, from the moment the plan is received: the caseworker need not wait
    for the plan's copies to the citizen and the GP to go out (they continue in the background)."""
    return await case.send("classification", CaseWorkflow.classify_level, ClassifyAlmenLevel, **body.model_dump())


@router.post("/contact", summary="Record contact with the citizen")
async def record_contact(
    body: ContactRequest,
    case: CaseCommandDep,
) -> CaseView:
    """Stops the contact deadline. **422** naming the field: `contacted_at` in the future or before the plan
    arrived, or `informed_of_provider_choices` false at the first contact (the citizen must be told of the free
    choice of provider then; BEK om genoptræningsplaner kapitel 2)."""
    return await case.send("contact", CaseWorkflow.record_contact, RecordCitizenContact, **body.model_dump())


@router.post("/provider", summary="Choose the training provider")
async def choose_provider(
    body: ProviderChoiceRequest,
    case: CaseCommandDep,
) -> CaseView:
    """The provider must be active in the provider register (**422** naming `provider_id` otherwise). The
    citizen may choose the home municipality's own or contracted providers, or another municipality's own
    institution."""
    row = await case_queries.get_provider(case.pool, body.provider_id)
    if row is None or not row["active"]:
        reason = "is not in the provider register" if row is None else "is no longer active"
        message = f"provider {body.provider_id} {reason}"
        raise ProblemError(
            422,
            message,
            slug="unknown-provider",
            title="Unknown provider",
            errors=[FieldError(field="provider_id", message=message)],
        )
    provider = ProviderRef(
        provider_id=row["provider_id"], name=row["name"], municipality_code=row["municipality_code"], kind=row["kind"]
    )
    return await case.send("provider", CaseWorkflow.choose_provider, ChooseProvider, provider=provider)


@router.post("/start-offer", summary="Offer the start of training")
async def offer_start(
    body: StartOfferRequest,
    case: CaseCommandDep,
) -> CaseView:
    """A first appointment after the start guarantee (SUL §140 stk. 4) opens the citizen's free choice. **422**
    naming `first_appointment_on` for a date before the municipality received the plan, or before the plan allows
    training to start."""
    return await case.send("start-offer", CaseWorkflow.offer_start, OfferStart, **body.model_dump())


@router.post("/completion", summary="Complete the training course")
async def complete_course(
    body: CompletionRequest,
    case: CaseCommandDep,
) -> CaseView:
    """Ends the case after training has started; it then takes no further commands.

    While something still needs attention (an undelivered message, a transport to decide, the citizen's other
    open case or application: `GET …/closing-check`), **409** `closing-needs-attention` lists it in `attention`
    and nothing is recorded; `confirm: true` ends the case anyway and `CourseCompleted` records the items."""
    command = case.command("completion", CompleteCourse, **body.model_dump(exclude={"confirm"}))
    return await case.send_command(CaseWorkflow.complete_course, await checked(case, command, body.confirm))


@router.post("/closure", summary="Close the case")
async def close_case(
    body: ClosureRequest,
    case: CaseCommandDep,
) -> CaseView:
    """Ends an open case with one of KL's reasons for ending a §140 course (KL Gateway Rehab IG); it then takes
    no further commands. `active_opt_out` needs its `opt_out_reason`, other reasons take none (**422** naming
    `opt_out_reason`). Before training starts, the need stands as the hospital assessed it, so
    `no_further_need_professional_assessed` is refused (**409**; ism.dk).

    While something still needs attention (an undelivered message, a transport to decide, the citizen's other
    open case or application: `GET …/closing-check`), **409** `closing-needs-attention` lists it in `attention`
    and nothing is recorded; `confirm: true` closes the case anyway and `CaseClosed` records the items."""
    command = case.command("closure", CloseCase, **body.model_dump(exclude={"confirm"}))
    return await case.send_command(CaseWorkflow.close_case, await checked(case, command, body.confirm))


# The rest of the rulebook's commands live in their own modules and share this router's prefix, tag and
# problem responses, so api.main needs no change for them.
for _module in (course_commands, guarantee_commands, proposal_commands, warning_commands):
    router.include_router(_module.router)
