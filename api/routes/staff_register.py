"""Each municipality's staff register (its teams and caseworkers), and `GET /me`: who the caller is.

Kept by the municipality's administrator, read by its caseworkers and ops, like the other registers
(api/routes/registers.py). Caseworkers also enter it themselves: acting on a case, or asking `GET /me`, records
them from their token (api/staff.py), without overriding what the administrator entered.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from activities.queries import staff_register
from api.auth.dependencies import PrincipalDep
from api.deps import PoolDep
from api.http.openapi import problems
from api.http.problems import FieldError, ProblemError
from api.models.staff_register import Caseworker, CaseworkerEntry, Me, Team, TeamEntry
from api.routes.registers import CodePath, _keeps_register, _reads_register
from api.staff import seen_caseworker

router = APIRouter(tags=["registers"])

# Ids as tokens carry them, as far as a path segment can: beginning with a letter or digit (no `.` or `..`
# segment), without control characters, `/`, `\`, `?`, `#` or `%`.
_PATH_ID = r"^[A-Za-z0-9][^\x00-\x1f\x7f/\\?#%]*$"
TeamIdPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=staff_register.TEAM_ID_MAX,
        pattern=_PATH_ID,
        description="The team's id: the organisation unit (`org_unit`) of its caseworkers' tokens",
        examples=["visitation"],
    ),
]
SubjectPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=staff_register.SUBJECT_MAX,
        pattern=_PATH_ID,
        description="The caseworker's token subject (`sub`)",
        examples=["local-caseworker"],
    ),
]


@router.put("/municipalities/{code}/teams/{team_id}", summary="Register or update a team", responses=problems(422))
async def put_team(
    code: CodePath, team_id: TeamIdPath, body: TeamEntry, pool: PoolDep, principal: PrincipalDep
) -> Team:
    """A team of the municipality, named by its organisation unit. An inactive team is given no cases (its
    cases stay where they are). For the municipality's own administrators."""
    _keeps_register(principal, code)
    return Team.model_validate(await staff_register.put_team(pool, code, team_id, body.name, body.active))


@router.get("/municipalities/{code}/teams", summary="The municipality's teams", responses=problems(422))
async def list_teams(code: CodePath, pool: PoolDep, principal: PrincipalDep) -> list[Team]:
    """Every team, by name; teams first seen on a caseworker's token are named by their id until an
    administrator names them. For the municipality's caseworkers and administrators, and ops."""
    _reads_register(principal, code)
    return [Team.model_validate(row) for row in await staff_register.list_teams(pool, code)]


@router.put(
    "/municipalities/{code}/caseworkers/{subject}", summary="Register or update a caseworker", responses=problems(422)
)
async def put_caseworker(
    code: CodePath, subject: SubjectPath, body: CaseworkerEntry, pool: PoolDep, principal: PrincipalDep
) -> Caseworker:
    """The administrator's entry replaces the caseworker's: name, team and whether they are active. What the
    caseworker's token says later fills only a name or team left null here, and never re-activates them.
    `team_id` must be a team of this municipality's register (**422** naming `team_id`). For the municipality's
    own administrators."""
    _keeps_register(principal, code)
    try:
        row = await staff_register.put_caseworker(pool, code, subject, body.name, body.team_id, body.active)
    except staff_register.UnknownTeam as error:
        raise ProblemError(
            422,
            str(error),
            slug="unknown-staff",
            title="Not in the staff register",
            errors=[FieldError(field="team_id", message=str(error))],
        ) from None
    return Caseworker.model_validate(row)


@router.get("/municipalities/{code}/caseworkers", summary="The municipality's caseworkers", responses=problems(422))
async def list_caseworkers(code: CodePath, pool: PoolDep, principal: PrincipalDep) -> list[Caseworker]:
    """Every caseworker the administrator entered or who has acted through the API, by name. For the
    municipality's caseworkers and administrators, and ops."""
    _reads_register(principal, code)
    return [Caseworker.model_validate(row) for row in await staff_register.list_caseworkers(pool, code)]


@router.get("/me", summary="Who the caller is")
async def get_me(pool: PoolDep, principal: PrincipalDep) -> Me:
    """The caller as their token names them: subject, roles, municipality, team (organisation unit) and name. A
    caseworker is recorded in their municipality's register on the way. For every role."""
    await seen_caseworker(pool, principal)
    return Me(
        subject=principal.subject,
        roles=sorted(role.value for role in principal.roles),
        name=principal.name,
        municipality_code=principal.municipality_code,
        team=principal.org_unit,
    )
