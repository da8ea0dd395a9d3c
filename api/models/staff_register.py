"""Bodies of the staff register (a municipality's teams and caseworkers) and of `GET /me`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from api.http.timestamps import UtcTimestamps
from api.models.request_body import RequestBody
from workflows.domain.inputs import Line
from workflows.domain.plan.plan import MunicipalityCode


class TeamEntry(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Visitation Nord", "active": True}]})

    name: Line = Field(min_length=1, max_length=200, description="The team's name, as caseworkers know it")
    active: StrictBool = Field(default=True, description="An inactive team is given no cases")


class Team(UtcTimestamps):
    municipality_code: MunicipalityCode
    team_id: str = Field(description="The team's id: the organisation unit of its caseworkers' tokens")
    name: str
    active: bool
    updated_at: datetime


class CaseworkerEntry(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Karen Jensen", "team_id": "visitation", "active": True}]}
    )

    name: Line | None = Field(
        default=None, min_length=1, max_length=200, description="Null: taken from the caseworker's token"
    )
    team_id: Line | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="A team of this municipality's register; null: the organisation unit of their token",
    )
    active: StrictBool = Field(default=True, description="An inactive caseworker is given no cases")


class Caseworker(UtcTimestamps):
    municipality_code: MunicipalityCode
    subject: str = Field(description="The caseworker's token subject (`sub`)")
    name: str | None
    team_id: str | None
    active: bool
    last_seen_at: datetime | None = Field(description="When they last acted through the API")
    updated_at: datetime


class Me(BaseModel):
    """The caller as their token names them."""

    subject: str
    roles: list[str]
    name: str | None
    municipality_code: str | None
    team: str | None = Field(description="The token's organisation unit (the caseworker's team)")
