"""Request bodies of the commands that follow the rest of the rulebook: reclassification, team, contact
attempts, refusals, hospital choice, the free choice, postponement, transfer, revocation and transport.

As in `api.models.commands`, only the command's own fields: `command_id` and `actor` come from headers.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, WithJsonSchema

from api.models.request_body import RequestBody
from workflows.domain.commands import Note, Reason
from workflows.domain.inputs import Line
from workflows.domain.model import AlmenSubLevel, ContactChannel, TransferReason
from workflows.domain.plan.plan import MunicipalityCode, SorId
from workflows.domain.schema_conditions import conditions, equals, when


def _ore(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))  # exact: at most two decimal places are accepted


def _decimal_schema(whole: int, places: int) -> WithJsonSchema:
    """What the `Field` below takes, stated for clients: a number on the grid of `places` decimals up to
    `whole` digits before the point, or such a decimal string (plain digits; the door also reads `+1.5` or
    `1e3`, which a client need not send)."""
    number = {"type": "number", "minimum": 0, "maximum": float(f"{'9' * whole}.{'9' * places}")}
    string = {"type": "string", "pattern": f"^[0-9]{{1,{whole}}}(?:\\.[0-9]{{1,{places}}})?$"}
    return WithJsonSchema(
        {"anyOf": [{**number, "multipleOf": 10**-places}, string], "description": "A number or a decimal string"},
        mode="validation",
    )


# JSON numbers or strings, parsed straight to Decimal (no float reaches the domain).
Kilometres = Annotated[
    Decimal, Field(ge=0, max_digits=7, decimal_places=3, examples=["51"]), _decimal_schema(whole=4, places=3)
]
Kroner = Annotated[
    Decimal,
    Field(ge=0, max_digits=9, decimal_places=2, examples=["150.00"]),
    _decimal_schema(whole=7, places=2),
    AfterValidator(_ore),
]


class ReclassificationRequest(RequestBody):
    """Change an almen case's sub-level; the municipality's classification "may change over time"."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"sub_level": "avanceret", "reason": "Faldet igen; behov for holdtræning"}]}
    )

    sub_level: AlmenSubLevel
    reason: Reason


class TeamRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"team": "genoptraening-nord"}]})

    team: Line = Field(min_length=1, max_length=100, description="The municipal team that handles the case")


class ContactAttemptRequest(RequestBody):
    """An attempt to reach the citizen that did not succeed."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"channel": "phone", "note": "Intet svar; lagt besked på telefonsvarer"}]}
    )

    channel: ContactChannel
    note: Note | None = None


class ProviderRefusalRequest(RequestBody):
    """Another municipality's institution refuses the citizen for capacity reasons."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Ingen ledig kapacitet de næste 6 uger"}]})

    reason: Reason


class TrainingHospitalRequest(RequestBody):
    """The hospital the citizen chooses for specialiseret genoptræning (frit sygehusvalg)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"sor_id": "265161000016000", "name": "Aarhus Universitetshospital", "region": "midtjylland"}]
        }
    )

    sor_id: SorId
    name: Line = Field(min_length=1, max_length=200)
    region: Line = Field(min_length=1, max_length=40, description="Region slug, e.g. `midtjylland`")


class AppointmentCancellationRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Terapeut syg; ny tid aftales"}]})

    reason: Note | None = None


class FreeChoiceDecision(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"


class FreeChoiceRequest(RequestBody):
    """The citizen's answer to the free choice that opens when the start guarantee is breached.

    `accept` needs the private provider (`provider_id` and `provider_name`, as KL's agreement names it);
    `decline` takes only an optional `note`.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "accept", "provider_id": "fritvalg-fysio-city", "provider_name": "Fysio City ApS"},
                {"decision": "decline", "note": "Foretrækker at vente på kommunens tilbud"},
            ],
            # The route's rules (api.routes.guarantee_commands.answer_free_choice).
            **conditions(
                when(
                    equals("decision", FreeChoiceDecision.ACCEPT.value),
                    given=["provider_id", "provider_name"],
                    left_out=["note"],
                ),
                when(equals("decision", FreeChoiceDecision.DECLINE.value), left_out=["provider_id", "provider_name"]),
            ),
        }
    )

    decision: FreeChoiceDecision
    provider_id: Line | None = Field(default=None, min_length=1, max_length=100)
    provider_name: Line | None = Field(default=None, min_length=1, max_length=200)
    note: Note | None = None


class PostponementRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "Borgeren rejser bort i to uger"}]})

    note: Note | None = None


class TransferRequest(RequestBody):
    """Hand the case to another municipality, which starts the course over."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"to_municipality_code": "751", "reason": "citizen_moved"}]}
    )

    to_municipality_code: MunicipalityCode
    reason: TransferReason = Field(description="citizen_request: the citizen asked; citizen_moved: moved there")


class RevocationRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Planen var sendt på forkert patient"}]})

    reason: Reason


class TransportAssessmentRequest(RequestBody):
    """The facts of a transport assessment; amounts and distances as JSON numbers or decimal strings."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "is_pensioner": False,
                    "condition_rules_out_public_transport": False,
                    "distance_km": "51",
                    "round_trip_cost_dkk": "150.00",
                    "assigned_site_round_trip_cost_dkk": None,
                }
            ]
        }
    )

    is_pensioner: StrictBool = Field(description="Receives folke- or førtidspension")
    condition_rules_out_public_transport: StrictBool
    distance_km: Kilometres = Field(description="From home to the training site")
    round_trip_cost_dkk: Kroner = Field(description="Cheapest safe means of transport to the chosen site")
    assigned_site_round_trip_cost_dkk: Kroner | None = Field(
        default=None, description="Cost to the assigned site, when the citizen chose another site"
    )


class TransportRequestBody(RequestBody):
    """The citizen asks for transport or a transport allowance; the assessment that decides it comes later."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"requested_on": "2026-11-20", "note": "Ringede"}]})

    requested_on: date | None = Field(default=None, description="When the citizen asked; defaults to today")
    note: Note | None = None
