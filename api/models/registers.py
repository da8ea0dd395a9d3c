"""Bodies of the municipality and provider register endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

from api.http.timestamps import UtcTimestamps
from api.models.request_body import RequestBody
from workflows.domain.inputs import Line
from workflows.domain.model import ProviderKind
from workflows.domain.plan.plan import MunicipalityCode
from workflows.domain.rules import KNOWN_REGIONS

# The kinds a municipality registers. Not `kl_free_choice`: KL's free-choice providers are chosen through
# `POST /cases/{id}/free-choice` once the start guarantee is breached, under KL's national agreement; the
# decider never lets a case choose one from the register, and the register's table refuses the kind.
REGISTERED_PROVIDER_KINDS = (ProviderKind.OWN, ProviderKind.CONTRACTED, ProviderKind.OTHER_MUNICIPALITY)


def _registered_kind(value: object) -> object:
    if value not in REGISTERED_PROVIDER_KINDS:
        raise ValueError(f"must be one of {', '.join(REGISTERED_PROVIDER_KINDS)}")
    return value


RegisteredProviderKind = Annotated[
    ProviderKind,
    BeforeValidator(_registered_kind),
    WithJsonSchema({"type": "string", "enum": [kind.value for kind in REGISTERED_PROVIDER_KINDS]}),
]


class MunicipalityRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "København", "contact_working_days": 5}]})

    name: Line = Field(min_length=1, max_length=200)
    contact_working_days: int = Field(
        ge=1, le=30, description="Working days the local sundhedsaftale gives for contacting the citizen"
    )
    warning_working_days: int | None = Field(
        default=None,
        ge=1,
        le=20,
        description="How many working days before the contact deadline and the start guarantee fall due the case's "
        "caseworker (or team) is warned; null: the service's setting CASE_WARNING_WORKING_DAYS, else 2",
    )
    intake_team: Line | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="The team of this municipality's register that receives its new cases (and their warnings) "
        "until someone takes them; null: new cases start in no team",
    )
    region: str | None = Field(
        default=None,
        description="The region the municipality lies in; citizens choose hospitals for specialiseret "
        f"genoptræning there. One of: {', '.join(sorted(KNOWN_REGIONS))} (an old name follows the 2027 merger)",
        json_schema_extra={"enum": [*sorted(KNOWN_REGIONS), None]},
    )

    @field_validator("region")
    @classmethod
    def _known_region(cls, region: str | None) -> str | None:
        if region is not None and region not in KNOWN_REGIONS:
            raise ValueError(f"must be one of {', '.join(sorted(KNOWN_REGIONS))}")
        return region


class Municipality(UtcTimestamps):
    code: MunicipalityCode
    name: str
    contact_working_days: int
    region: str | None = None
    warning_working_days: int | None = None
    intake_team: str | None = None
    updated_at: datetime


class ProviderRegistration(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"provider_id": "kbh-sundhedshus-nord", "name": "Sundhedshus Nord", "kind": "own"}]
        },
    )

    provider_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    name: Line = Field(min_length=1, max_length=200)
    kind: RegisteredProviderKind = Field(
        description="own: the municipality's own; contracted: a private provider under contract; "
        "other_municipality: another municipality's institution"
    )


class Provider(UtcTimestamps):
    provider_id: str
    municipality_code: MunicipalityCode
    name: str
    kind: ProviderKind
    active: bool
    created_at: datetime
