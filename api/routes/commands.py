"""Caseworker commands on a case: each one is a Workflow Update on the case's workflow."""

from __future__ import annotations

from fastapi import APIRouter

from activities import case_queries
from api.case_updates import command_id, send_update
from api.deps import ActorHeader, CaseIdPath, IdempotencyKeyHeader, PoolDep, TemporalDep
from api.models.cases import CaseView
from api.models.commands import (
    ClassificationRequest,
    ClosureRequest,
    CompletionRequest,
    ContactRequest,
    ProviderChoiceRequest,
    StartOfferRequest,
)
from api.openapi import problems
from api.problems import FieldError, ProblemError
from api.routes import course_commands, guarantee_commands
from workflows.case_workflow import CaseWorkflow
from workflows.domain.commands import (
    ChooseProvider,
    ClassifyAlmenLevel,
    CloseCase,
    CompleteCourse,
    OfferStart,
    ProviderRef,
    RecordCitizenContact,
)

router = APIRouter(prefix="/cases/{case_id}", tags=["commands"], responses=problems(404, 409, 422))


@router.post("/classification", summary="Classify the almen level (basal or avanceret)")
async def classify(
    case_id: CaseIdPath,
    body: ClassificationRequest,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CaseView:
    """Only almen plans are classified, and only once the plan is distributed."""
    command = ClassifyAlmenLevel(
        command_id=command_id("classification", idempotency_key), actor=actor, **body.model_dump()
    )
    return await send_update(client, pool, case_id, CaseWorkflow.classify_level, command)


@router.post("/contact", summary="Record contact with the citizen")
async def record_contact(
    case_id: CaseIdPath,
    body: ContactRequest,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CaseView:
    """Stops the contact deadline. `contacted_at` may not lie in the future or before the plan arrived."""
    command = RecordCitizenContact(command_id=command_id("contact", idempotency_key), actor=actor, **body.model_dump())
    return await send_update(client, pool, case_id, CaseWorkflow.record_contact, command)


@router.post("/provider", summary="Choose the training provider")
async def choose_provider(
    case_id: CaseIdPath,
    body: ProviderChoiceRequest,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CaseView:
    """The provider must be active in the provider register. The citizen may choose the home
    municipality's own or contracted providers, or another municipality's own institution."""
    row = await case_queries.get_provider(pool, body.provider_id)
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
    command = ChooseProvider(command_id=command_id("provider", idempotency_key), actor=actor, provider=provider)
    return await send_update(client, pool, case_id, CaseWorkflow.choose_provider, command)


@router.post("/start-offer", summary="Offer the start of training")
async def offer_start(
    case_id: CaseIdPath,
    body: StartOfferRequest,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CaseView:
    """A first appointment after the start guarantee (SUL §140 stk. 4) opens the citizen's free choice."""
    command = OfferStart(command_id=command_id("start-offer", idempotency_key), actor=actor, **body.model_dump())
    return await send_update(client, pool, case_id, CaseWorkflow.offer_start, command)


@router.post("/completion", summary="Complete the training course")
async def complete_course(
    case_id: CaseIdPath,
    body: CompletionRequest,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CaseView:
    """Ends the case after training has started; it then takes no further commands."""
    command = CompleteCourse(command_id=command_id("completion", idempotency_key), actor=actor, **body.model_dump())
    return await send_update(client, pool, case_id, CaseWorkflow.complete_course, command)


@router.post("/closure", summary="Close the case")
async def close_case(
    case_id: CaseIdPath,
    body: ClosureRequest,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CaseView:
    """Ends an open case with one of KL's reasons for ending a §140 course (KL Gateway Rehab IG); it then takes
    no further commands. `active_opt_out` needs its `opt_out_reason`, other reasons take none (**422** naming
    `opt_out_reason`). Before training starts, the need stands as the hospital assessed it, so
    `no_further_need_professional_assessed` is refused (**409**; ism.dk)."""
    command = CloseCase(command_id=command_id("closure", idempotency_key), actor=actor, **body.model_dump())
    return await send_update(client, pool, case_id, CaseWorkflow.close_case, command)


# The rest of the rulebook's commands live in their own modules and share this router's prefix, tag and
# problem responses, so api.main needs no change for them.
for _module in (course_commands, guarantee_commands):
    router.include_router(_module.router)
