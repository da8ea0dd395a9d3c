"""The municipality's further steps on a case: reclassification, team, contact attempts, a refusal by another
municipality's institution, the hospital for specialiseret genoptræning, and transport.

Included in `api.routes.cases.commands.router` (prefix `/cases/{case_id}`); the same conventions hold: a bearer token,
an `Idempotency-Key` scoped to the endpoint, one Workflow Update per command, problem+json refusals.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from activities.platform.db import Pool
from activities.queries import cases as case_queries
from api.command_requests import CaseCommandDep
from api.models.cases import CaseView
from api.models.course_commands import (
    ContactAttemptRequest,
    ProviderRefusalRequest,
    ReclassificationRequest,
    TeamRequest,
    TrainingHospitalRequest,
    TransportAssessmentRequest,
    TransportRequestBody,
)
from api.staff import municipality_of, note_caseworker_seen, registered_team
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import (
    AssessTransport,
    AssignTeam,
    ChooseTrainingHospital,
    HospitalRef,
    ReclassifyAlmenLevel,
    RecordContactAttempt,
    RecordProviderRefusal,
    RecordTransportRequest,
)
from workflows.domain.transport import LegalBasis, TransportAssessmentInput

router = APIRouter()


@router.post("/reclassification", summary="Reclassify the almen level (basal ↔ avanceret)")
async def reclassify(
    body: ReclassificationRequest,
    case: CaseCommandDep,
) -> CaseView:
    """The basal/avanceret sub-level is the municipality's own classification and "may change over time"
    (KL Gateway Rehab IG, `KLGateway140ServiceRequest.category`). Only a classified case can be reclassified
    (**409** otherwise); the new sub-level must differ from the current one (**422** naming `sub_level`). The
    reason is recorded in the timeline (`AlmenSubLevelReclassified`)."""
    return await case.send("reclassification", CaseWorkflow.reclassify_level, ReclassifyAlmenLevel, **body.model_dump())


@router.post("/team", summary="Assign the municipal team")
async def assign_team(
    body: TeamRequest,
    case: CaseCommandDep,
) -> CaseView:
    """The team that handles the case, and receives the reminder a working day before the contact deadline of
    the local sundhedsaftale (no national rule). The team must be active in the staff register of the case's
    municipality (`PUT /municipalities/{code}/teams/{team_id}`, or seen on a caseworker's token; **422** naming
    `team` otherwise). Assigning the same team again changes nothing; whoever holds the case keeps it."""
    await note_caseworker_seen(case.pool, case.principal)
    team = await registered_team(case.pool, municipality_of(case), body.team, "team")
    return await case.send("team", CaseWorkflow.assign_team, AssignTeam, team=team.team)


@router.post("/contact-attempts", summary="Record a failed attempt to reach the citizen")
async def record_contact_attempt(
    body: ContactAttemptRequest,
    case: CaseCommandDep,
) -> CaseView:
    """Documents the effort to meet the contact deadline of the local sundhedsaftale; it does not stop that
    deadline (only `POST /contact` does). Allowed before the first contact (**409** afterwards)."""
    return await case.send(
        "contact-attempts", CaseWorkflow.record_contact_attempt, RecordContactAttempt, **body.model_dump()
    )


@router.post("/provider-refusal", summary="Record that the chosen institution refuses the citizen")
async def record_provider_refusal(
    body: ProviderRefusalRequest,
    case: CaseCommandDep,
) -> CaseView:
    """An institution run by another municipality may refuse a citizen for capacity reasons (BEK om
    genoptræningsplaner og om patienters valg af genoptræningstilbud, kapitel 2; sst.dk "Frit valg"). The case
    returns to `citizen_contacted` and the citizen chooses again. The home municipality's own providers cannot
    refuse (**409**)."""
    return await case.send(
        "provider-refusal", CaseWorkflow.record_provider_refusal, RecordProviderRefusal, **body.model_dump()
    )


async def _citizen_region(pool: Pool, case_id: UUID) -> str | None:
    """The region of the municipality responsible for the case, if the register knows it."""
    row = await case_queries.get_case(pool, str(case_id))
    code = row and row["state"].get("responsible_municipality_code")
    municipality = await case_queries.get_municipality(pool, code) if code else None
    return municipality["region"] if municipality else None


@router.post("/training-hospital", summary="Choose the hospital for specialiseret genoptræning")
async def choose_training_hospital(
    body: TrainingHospitalRequest,
    case: CaseCommandDep,
) -> CaseView:
    """Genoptræning på specialiseret niveau takes place at a hospital the citizen chooses (frit sygehusvalg,
    SUL §86); the plan is then delivered to that hospital too (MedCom, Genoptræningsområdet). Only for
    specialiseret plans and before a start is offered (**409** otherwise); `region` must be a region in force
    today and, when the municipality register knows the citizen's region, that region (**422** naming
    `region`)."""
    command = case.command(
        "training-hospital",
        ChooseTrainingHospital,
        hospital=HospitalRef(**body.model_dump()),
        citizen_region=await _citizen_region(case.pool, case.case_id),
    )
    return await case.send_command(
        CaseWorkflow.choose_training_hospital, command, field_names={"hospital.region": "region"}
    )


@router.post("/transport-assessment", summary="Assess transport to training (befordring)")
async def assess_transport(
    body: TransportAssessmentRequest,
    case: CaseCommandDep,
) -> CaseView:
    """Decides transport or a transport allowance under BEK nr. 816 af 18/06/2018 om befordring og
    befordringsgodtgørelse efter sundhedsloven (SUL §§171-172), for training under Sundhedsloven §140: a
    pensioner is entitled; anyone else when their condition rules out public transport or the distance
    *exceeds* 50 km. The allowance is the cheapest safe round trip, paid only above the year's threshold and
    capped at the assigned site's cost. The decision is in `transport`. The allowance basis (full cost vs.
    excess over the threshold) is still to be verified against BEK 816/2018 §31.

    Amounts and distances are JSON numbers or decimal strings. **422** naming the field: a string that is no
    decimal number, `distance_km` over 9999.999 or with more than 3 decimals, `round_trip_cost_dkk` or
    `assigned_site_round_trip_cost_dkk` over 9999999.99 or with more than 2 decimals."""
    assessment = TransportAssessmentInput(legal_basis=LegalBasis.SUNDHEDSLOVEN_140, **body.model_dump())
    return await case.send(
        "transport-assessment", CaseWorkflow.assess_transport, AssessTransport, assessment=assessment
    )


@router.post("/transport-request", summary="Record that the citizen asks for transport")
async def record_transport_request(
    body: TransportRequestBody,
    case: CaseCommandDep,
) -> CaseView:
    """The citizen applies for transport or a transport allowance (BEK nr. 816 af 18/06/2018; SUL §§171-172). The
    case then shows `transport_requested_on` until `POST /transport-assessment` decides it, and closing or
    completing the case asks for confirmation while it is undecided (`transport_undecided`). Asking again while
    a request waits changes nothing. **422** naming `requested_on` for a date after today."""
    return await case.send(
        "transport-request", CaseWorkflow.record_transport_request, RecordTransportRequest, **body.model_dump()
    )
