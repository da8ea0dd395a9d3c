"""Request and response bodies of holds and erasure requests (docs/security.md, "Retention and erasure")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from activities.store.read_models.retention_status import RetentionStatus
from activities.store.retention_events import HoldKind
from api.http.timestamps import UtcTimestamps
from api.models.request_body import RequestBody
from workflows.domain.cpr import CPR_SHAPE, InvalidCpr, check_cpr

Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class HoldRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"hold": "complaint", "reason": "Klage over forløbet sendt til STPK"}]}
    )

    hold: HoldKind = Field(description="complaint, supervision (tilsyn), compensation (erstatning) or archive")
    reason: Reason = Field(description="Why; kept sealed with the citizen's key")


class HoldLiftRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Klagen er afgjort"}]})

    reason: Reason = Field(description="Why the hold ends; kept sealed with the citizen's key")


class RetentionView(UtcTimestamps):
    """A case's or an application's retention: its active holds, and whether its personal data was erased."""

    subject_type: Literal["case", "application"]
    subject_id: str
    holds: list[HoldKind] = Field(description="Active holds; any one keeps the data past its retention period")
    erased_at: datetime | None = Field(description="When the citizen's key was destroyed; null while it lives")
    erased_basis: Literal["retention", "erasure_request"] | None
    version: int = Field(description="How many retention events the case or application has")

    @classmethod
    def of(cls, status: RetentionStatus) -> RetentionView:
        return cls(
            subject_type=status.subject_type,
            subject_id=status.subject_id,
            holds=list(status.holds),
            erased_at=status.erased_at,
            erased_basis=status.erased_basis,
            version=status.version,
        )


class ErasureRequest(RequestBody):
    """A citizen's request to erase their data (GDPR art. 17). The CPR travels here, never in a URL."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"citizen_cpr": "2509479989"}]})

    citizen_cpr: str = Field(json_schema_extra={"pattern": CPR_SHAPE}, description="The citizen's CPR number")

    @field_validator("citizen_cpr")
    @classmethod
    def _valid_cpr(cls, value: str) -> str:
        try:
            return check_cpr(value).normalised
        except InvalidCpr as exc:
            raise ValueError(str(exc)) from exc


class ErasureOutcome(UtcTimestamps):
    outcome: Literal["erased", "nothing_held"] = Field(
        description="erased: the citizen's key is destroyed; nothing_held: this municipality holds no data on them"
    )
    erased: int = Field(description="Cases and applications whose personal data now reads as erased")
    stored_in_clear: int = Field(
        default=0,
        description="Cases and applications stored before personal fields were sealed: destroying the key does not "
        "reach their first plan or application, which an operator must erase separately (docs/security.md)",
    )
