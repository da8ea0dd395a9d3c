"""The municipality register (contact deadlines) and each municipality's provider register."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from activities.queries import cases as case_queries
from api.auth.access import require, require_own_municipality
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.deps import PoolDep
from api.http.openapi import problems
from api.http.problems import ProblemError, field_problem
from api.models.registers import Municipality, MunicipalityRequest, Provider, ProviderRegistration
from api.staff import registered_team

router = APIRouter(prefix="/municipalities", tags=["registers"])


def _keeps_register(principal: Principal, code: str) -> None:
    """A municipality's registers are kept by its own administrators only."""
    require(principal, "change a municipality's registers", Role.MUNICIPAL_ADMIN)
    require_own_municipality(principal, code, "change its registers")


def _reads_register(principal: Principal, code: str) -> None:
    """Registers hold no personal data: ops reads every municipality's, the municipality's staff its own."""
    if principal.has(Role.OPS):
        return
    require(principal, "read a municipality's registers", Role.CASEWORKER, Role.MUNICIPAL_ADMIN)
    require_own_municipality(principal, code, "read its registers")


CodePath = Annotated[
    str, Path(pattern=r"^[1-8]\d{2}$", description="Municipality code (three digits)", examples=["101"])
]


@router.put("/{code}", summary="Register or update a municipality", responses=problems(422))
async def put_municipality(
    code: CodePath, body: MunicipalityRequest, pool: PoolDep, principal: PrincipalDep
) -> Municipality:
    """Sets the municipality's contact deadline, the lead time of its deadline warnings and its intake team,
    used for plans received (and cases transferred to it) from now on. The intake team must be an active team
    of the municipality's register (`PUT /municipalities/{code}/teams/{team_id}` first; **422** naming
    `intake_team` otherwise). For the municipality's own administrators."""
    _keeps_register(principal, code)
    if body.intake_team is not None:
        await registered_team(pool, code, body.intake_team, "intake_team")
    try:
        row = await case_queries.upsert_municipality(
            pool, code, body.name, body.contact_working_days, body.region, body.warning_working_days, body.intake_team
        )
    except case_queries.UnknownIntakeTeam as error:  # the team went between the check and the write
        raise field_problem(("intake_team", str(error))) from None
    return Municipality.model_validate(row)


@router.get("/{code}", summary="One municipality", responses=problems(404, 422))
async def get_municipality(code: CodePath, pool: PoolDep, principal: PrincipalDep) -> Municipality:
    """For the municipality's caseworkers and administrators, and ops."""
    _reads_register(principal, code)
    row = await case_queries.get_municipality(pool, code)
    if row is None:
        raise ProblemError(404, f"Municipality {code} is not registered", slug="municipality-not-found")
    return Municipality.model_validate(row)


@router.post(
    "/{code}/providers",
    status_code=201,
    summary="Register a provider",
    responses={200: {"model": Provider, "description": "Already registered with these details"}, **problems(409, 422)},
)
async def add_provider(
    code: CodePath, body: ProviderRegistration, response: Response, pool: PoolDep, principal: PrincipalDep
) -> Provider:
    """Registering the same provider again is harmless (200); the same id with other details is a 409. For the
    municipality's own administrators."""
    _keeps_register(principal, code)
    known = await case_queries.get_provider(pool, body.provider_id)
    try:
        row = await case_queries.add_provider(pool, body.provider_id, code, body.name, body.kind)
    except case_queries.ProviderConflict as error:
        raise ProblemError(409, str(error), slug="provider-conflict", title="Provider id already in use") from None
    if known is not None:
        response.status_code = 200
    return Provider.model_validate(row)


@router.get("/{code}/providers", summary="The municipality's providers", responses=problems(422))
async def list_providers(
    code: CodePath,
    pool: PoolDep,
    principal: PrincipalDep,
    include_inactive: Annotated[bool, Query(description="Also list providers no longer active")] = False,
) -> list[Provider]:
    """For the municipality's caseworkers and administrators, and ops."""
    _reads_register(principal, code)
    rows = await case_queries.list_providers(pool, code, include_inactive)
    return [Provider.model_validate(row) for row in rows]
