"""Bodies of the municipality and provider register endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.timestamps import UtcTimestamps
from workflows.domain.model import ProviderKind
from workflows.domain.plan import MunicipalityCode
from workflows.domain.rules import KNOWN_REGIONS


class MunicipalityRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"name": "København", "contact_working_days": 5}]},
    )

    name: str = Field(min_length=1, max_length=200)
    contact_working_days: int = Field(
        ge=1, le=30, description="Working days the local sundhedsaftale gives for contacting the citizen"
    )
    region: str | None = Field(
        default=None,
        description="The region the municipality lies in; citizens choose hospitals for specialiseret "
        f"genoptræning there. One of: {', '.join(sorted(KNOWN_REGIONS))} (an old name follows the 2027 merger)",
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
    updated_at: datetime


class ProviderRegistration(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"provider_id": "kbh-sundhedshus-nord", "name": "Sundhedshus Nord", "kind": "own"}]
        },
    )

    provider_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: ProviderKind = Field(
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
