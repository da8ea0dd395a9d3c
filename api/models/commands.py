"""Request bodies of the caseworker commands: the command's own fields, without `command_id` and
`actor` (those come from the `Idempotency-Key` header and the bearer token)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import ConfigDict, Field, StrictBool, ValidationInfo, field_validator

from api.models.request_body import RequestBody
from workflows.domain.commands import Note
from workflows.domain.inputs import Line
from workflows.domain.model import AlmenSubLevel, CloseReason, ContactChannel, OptOutReason
from workflows.domain.schema_conditions import conditions, differs, equals, when


class ClassificationRequest(RequestBody):
    """Classify an almen plan as basal or avanceret (once the plan is received, before contact)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"sub_level": "basal", "reason": "Selvhjulpen, behov for gangtræning"}]}
    )

    sub_level: AlmenSubLevel
    reason: Note | None = None


class ContactRequest(RequestBody):
    """Record that the municipality has been in contact with the citizen."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contacted_at": "2026-11-18T09:30:00+01:00",
                    "channel": "phone",
                    "informed_of_provider_choices": True,
                    "note": "Borgeren ønsker træning tæt på hjemmet",
                }
            ]
        }
    )

    contacted_at: datetime | None = Field(default=None, description="Defaults to the time of recording")
    channel: ContactChannel
    informed_of_provider_choices: StrictBool = Field(
        description="Whether the citizen was told of the free choice of provider (BEK kapitel 2)"
    )
    note: Note | None = None


class ProviderChoiceRequest(RequestBody):
    """Choose the provider, by its id in the municipality's provider register."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"provider_id": "kbh-sundhedshus-nord"}]})

    provider_id: Line = Field(min_length=1, max_length=100)


class StartOfferRequest(RequestBody):
    """The date of the first offered training appointment."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"first_appointment_on": "2026-11-20"}]})

    first_appointment_on: date


# Issue 11 item 5: ending a case first lists what still needs attention; the caseworker confirms it.
_CONFIRM_DESCRIPTION = (
    "End the case although something still needs attention (the items of a 409 `closing-needs-attention`, or of "
    "`GET /cases/{case_id}/closing-check`); the event records the items confirmed. Ignored when nothing does."
)


class CompletionRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "Mål nået; selvtræning fremover"}, {"confirm": True}]}
    )

    note: Note | None = None
    confirm: StrictBool = Field(default=False, description=_CONFIRM_DESCRIPTION)


class ClosureRequest(RequestBody):
    """Close the case with one of KL's reasons; an active opt-out names its sub-reason."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reason": "active_opt_out", "opt_out_reason": "transport_logistics", "note": "Fravalgt"},
                {"reason": "citizen_did_not_show"},
                {"reason": "deceased", "confirm": True},
            ],
            # KL Gateway Rehab IG: an active opt-out carries its sub-reason, other reasons none (the decider's rule).
            **conditions(
                when(equals("reason", CloseReason.ACTIVE_OPT_OUT.value), given=["opt_out_reason"]),
                when(differs("reason", CloseReason.ACTIVE_OPT_OUT.value), left_out=["opt_out_reason"]),
            ),
        }
    )

    reason: CloseReason
    opt_out_reason: OptOutReason | None = Field(
        default=None,
        validate_default=True,
        description="Required with `active_opt_out`, and only with it (KL Gateway Rehab IG)",
    )
    note: Note | None = None
    confirm: StrictBool = Field(default=False, description=_CONFIRM_DESCRIPTION)

    @field_validator("opt_out_reason")
    @classmethod
    def _only_with_active_opt_out(cls, value: OptOutReason | None, info: ValidationInfo) -> OptOutReason | None:
        # The decider's rule (workflows/domain/decisions/ending.py), at the door too: a body the schema refuses is
        # refused before its If-Match is compared (422, not 412).
        if (value is not None) != (info.data.get("reason") is CloseReason.ACTIVE_OPT_OUT):
            raise ValueError("opt_out_reason is required for active_opt_out and only for it")
        return value
