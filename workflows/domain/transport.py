"""Transport (befordring) to genoptræning after a hospital plan: who is entitled, and to what allowance.

Source: /work/shared/domain-notes.md section 5, which cites Bekendtgørelse nr. 816 af 18. juni 2018 om
befordring og befordringsgodtgørelse efter sundhedsloven (SUL §§171-172). The BEK number, and whether a
newer BEK has replaced it, has NOT been re-verified against retsinformation.dk.

The notes do not say whether the allowance is the full cheapest cost or only the part above the threshold.
The default pays the full cheapest cost once the threshold is exceeded (`AllowanceBasis.FULL_COST`). This
MUST be verified against BEK 816/2018 §31 before the amounts are used for payments.

Pure: no I/O and no clock. The caller passes the date, and the rules for that date come from a table.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]


def _reject_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("money and distances must be Decimal, int or str, never float")
    return value


class LegalBasis(StrEnum):
    SUNDHEDSLOVEN_140 = "sundhedsloven_140"
    SERVICELOVEN_86 = "serviceloven_86"


class AllowanceBasis(StrEnum):
    """What the allowance pays once the round trip costs more than the threshold (unverified, see above)."""

    FULL_COST = "full_cost"
    EXCESS_OVER_THRESHOLD = "excess_over_threshold"


class TransportGround(StrEnum):
    PENSIONER = "pensioner"
    CONDITION = "condition"
    DISTANCE_OVER_LIMIT = "distance_over_limit"
    NOT_ENTITLED = "not_entitled"
    INDIVIDUAL_ASSESSMENT_REQUIRED = "individual_assessment_required"
    BELOW_THRESHOLD = "below_threshold"
    CAPPED_AT_ASSIGNED_SITE = "capped_at_assigned_site"


class TransportRuleSet(BaseModel):
    """The transport rules in force from `valid_from` until the next row's `valid_from`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    valid_from: date
    # BEK 816/2018 (sum.dk vejledning kap. 10): a non-pensioner is entitled when the distance EXCEEDS this.
    distance_limit_km: Decimal = Field(default=Decimal(50), ge=0)
    # BEK 816/2018 §31: paid only when the round trip costs MORE than the threshold; pensioners have a lower one.
    pensioner_threshold_dkk: Money
    other_threshold_dkk: Money
    # Not stated in the notes: full cost vs. the part above the threshold. Verify against BEK 816/2018 §31.
    allowance_basis: AllowanceBasis = AllowanceBasis.FULL_COST

    def threshold_for(self, *, is_pensioner: bool) -> Decimal:
        return self.pensioner_threshold_dkk if is_pensioner else self.other_threshold_dkk


# BEK 816/2018 §31 stk. 7: thresholds are indexed yearly, so this is a dated table.
# [UNCERTAIN] Incomplete: only the 2018, 2019 and 2023 amounts are sourced (domain-notes §5); the years between
# are missing and the newest row in force is used for them. The 2023 row's exact start date is assumed to be
# 1 January (STPK applied it in 2023, decision 23SFP46). Operators must add the missing yearly rows.
DEFAULT_TABLE: tuple[TransportRuleSet, ...] = (
    TransportRuleSet(
        valid_from=date(2018, 7, 1), pensioner_threshold_dkk=Decimal("42.00"), other_threshold_dkk=Decimal("100.00")
    ),
    TransportRuleSet(
        valid_from=date(2019, 1, 1), pensioner_threshold_dkk=Decimal("43.00"), other_threshold_dkk=Decimal("102.00")
    ),
    TransportRuleSet(
        valid_from=date(2023, 1, 1), pensioner_threshold_dkk=Decimal("44.00"), other_threshold_dkk=Decimal("104.00")
    ),
)


class TransportAssessmentInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # BEK 816/2018 (sum.dk kap. 10): folke- or førtidspension.
    is_pensioner: bool
    condition_rules_out_public_transport: bool
    distance_km: Decimal = Field(ge=0, description="From home to the training site")
    round_trip_cost_dkk: Money = Field(description="Cheapest safe means of transport to the chosen site")
    assigned_site_round_trip_cost_dkk: Money | None = Field(
        default=None, description="Cost to the assigned (visitated) site, when the citizen chose another site"
    )
    legal_basis: LegalBasis

    _no_float = field_validator(
        "distance_km", "round_trip_cost_dkk", "assigned_site_round_trip_cost_dkk", mode="before"
    )(_reject_float)


class TransportDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    entitled: bool
    requires_individual_assessment: bool
    grounds: tuple[TransportGround, ...]
    allowance_per_round_trip_dkk: Decimal | None = Field(
        description="None when not entitled or assessed individually; 0 when entitled but at or below threshold"
    )
    threshold_dkk: Decimal | None
    rules_valid_from: date


def transport_rules_for(on: date, table: tuple[TransportRuleSet, ...] = DEFAULT_TABLE) -> TransportRuleSet:
    """The row in force on `on`: the newest one whose validity has begun."""
    in_force = [rules for rules in table if rules.valid_from <= on]
    if not in_force:
        raise LookupError(f"no transport rules in force on {on.isoformat()}")
    return max(in_force, key=lambda rules: rules.valid_from)


def decide_transport(
    assessment: TransportAssessmentInput, on: date, table: tuple[TransportRuleSet, ...] = DEFAULT_TABLE
) -> TransportDecision:
    rules = transport_rules_for(on, table)

    # Serviceloven §86 (domain-notes §5, viborg.dk): no statutory transport right, only an individual assessment.
    if assessment.legal_basis is LegalBasis.SERVICELOVEN_86:
        return TransportDecision(
            entitled=False,
            requires_individual_assessment=True,
            grounds=(TransportGround.INDIVIDUAL_ASSESSMENT_REQUIRED,),
            allowance_per_round_trip_dkk=None,
            threshold_dkk=None,
            rules_valid_from=rules.valid_from,
        )

    grounds: list[TransportGround] = []
    # BEK 816/2018 (sum.dk kap. 10): a pensioner (folke- or førtidspension) is always entitled.
    if assessment.is_pensioner:
        grounds.append(TransportGround.PENSIONER)
    # BEK 816/2018 (sum.dk kap. 10): a non-pensioner is entitled when the condition rules out public transport...
    if assessment.condition_rules_out_public_transport:
        grounds.append(TransportGround.CONDITION)
    # ...or when the distance from home to the training site exceeds the limit (50 km; "exceeds" = strictly more).
    if assessment.distance_km > rules.distance_limit_km:
        grounds.append(TransportGround.DISTANCE_OVER_LIMIT)

    if not grounds:
        return TransportDecision(
            entitled=False,
            requires_individual_assessment=False,
            grounds=(TransportGround.NOT_ENTITLED,),
            allowance_per_round_trip_dkk=None,
            threshold_dkk=None,
            rules_valid_from=rules.valid_from,
        )

    # BEK 816/2018: the allowance is the cost of the cheapest safe means of transport.
    cost = assessment.round_trip_cost_dkk
    # BEK §24 / §31 stk. 3-4 [UNCERTAIN exact §]: another site than the assigned one is capped at the assigned cost.
    assigned = assessment.assigned_site_round_trip_cost_dkk
    if assigned is not None and assigned < cost:
        cost = assigned
        grounds.append(TransportGround.CAPPED_AT_ASSIGNED_SITE)

    # BEK 816/2018 §31: paid only when the (capped) round-trip cost exceeds the threshold; equal is not paid.
    threshold = rules.threshold_for(is_pensioner=assessment.is_pensioner)
    if cost <= threshold:
        grounds.append(TransportGround.BELOW_THRESHOLD)
        allowance = Decimal("0.00")
    elif rules.allowance_basis is AllowanceBasis.EXCESS_OVER_THRESHOLD:
        allowance = cost - threshold
    else:
        allowance = cost

    return TransportDecision(
        entitled=True,
        requires_individual_assessment=False,
        grounds=tuple(grounds),
        allowance_per_round_trip_dkk=allowance,
        threshold_dkk=threshold,
        rules_valid_from=rules.valid_from,
    )
