"""Table-driven tests of transport (befordring) to genoptræning: entitlement, thresholds, capping, §86."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from workflows.domain.transport import (
    DEFAULT_TABLE,
    AllowanceBasis,
    LegalBasis,
    TransportAssessmentInput,
    TransportGround,
    TransportRuleSet,
    decide_transport,
    transport_rules_for,
)

G = TransportGround
ON_2024 = date(2024, 3, 1)


def assessment(
    *,
    pensioner: bool = False,
    condition: bool = False,
    km: str = "10",
    cost: str = "200.00",
    assigned: str | None = None,
    basis: LegalBasis = LegalBasis.SUNDHEDSLOVEN_140,
) -> TransportAssessmentInput:
    return TransportAssessmentInput(
        is_pensioner=pensioner,
        condition_rules_out_public_transport=condition,
        distance_km=Decimal(km),
        round_trip_cost_dkk=Decimal(cost),
        assigned_site_round_trip_cost_dkk=None if assigned is None else Decimal(assigned),
        legal_basis=basis,
    )


@pytest.mark.parametrize(
    ("pensioner", "condition", "km", "entitled", "grounds"),
    [
        (True, False, "0", True, (G.PENSIONER,)),  # pensioner: always, even next door
        (False, True, "5", True, (G.CONDITION,)),
        (False, False, "50", False, (G.NOT_ENTITLED,)),  # exactly 50 km does not exceed 50
        (False, False, "50.0", False, (G.NOT_ENTITLED,)),
        (False, False, "50.1", True, (G.DISTANCE_OVER_LIMIT,)),
        (False, False, "51", True, (G.DISTANCE_OVER_LIMIT,)),
        (False, False, "49.9", False, (G.NOT_ENTITLED,)),
        (False, True, "51", True, (G.CONDITION, G.DISTANCE_OVER_LIMIT)),
        (True, True, "60", True, (G.PENSIONER, G.CONDITION, G.DISTANCE_OVER_LIMIT)),
    ],
)
def test_entitlement(pensioner: bool, condition: bool, km: str, entitled: bool, grounds: tuple[G, ...]) -> None:
    decision = decide_transport(assessment(pensioner=pensioner, condition=condition, km=km), ON_2024)
    assert decision.entitled is entitled
    assert decision.grounds == grounds
    assert decision.requires_individual_assessment is False
    if entitled:
        assert decision.allowance_per_round_trip_dkk == Decimal("200.00")
        assert decision.threshold_dkk == (Decimal("44.00") if pensioner else Decimal("104.00"))
    else:
        assert decision.allowance_per_round_trip_dkk is None
        assert decision.threshold_dkk is None


@pytest.mark.parametrize(
    ("on", "pensioner", "cost", "threshold", "allowance", "below"),
    [
        # 2018 row (from 2018-07-01): 42 / 100
        (date(2018, 7, 1), True, "42.00", "42.00", "0.00", True),  # equal does not exceed
        (date(2018, 7, 1), True, "42.01", "42.00", "42.01", False),  # one øre above
        (date(2018, 12, 31), False, "100.00", "100.00", "0.00", True),
        (date(2018, 12, 31), False, "100.01", "100.00", "100.01", False),
        # 2019 row: 43 / 102
        (date(2019, 1, 1), True, "43.00", "43.00", "0.00", True),
        (date(2019, 1, 1), True, "43.01", "43.00", "43.01", False),
        (date(2019, 1, 1), False, "102.00", "102.00", "0.00", True),
        (date(2019, 1, 1), False, "102.01", "102.00", "102.01", False),
        # the years between are not sourced: the 2019 row stays in force until the 2023 row
        (date(2022, 12, 31), False, "103.00", "102.00", "103.00", False),
        (date(2022, 12, 31), True, "43.50", "43.00", "43.50", False),
        # 2023 row: 44 / 104
        (date(2023, 1, 1), False, "103.00", "104.00", "0.00", True),
        (date(2023, 1, 1), True, "43.50", "44.00", "0.00", True),
        (date(2023, 1, 1), True, "44.01", "44.00", "44.01", False),
        (date(2023, 1, 1), False, "104.00", "104.00", "0.00", True),
        (date(2023, 1, 1), False, "104.01", "104.00", "104.01", False),
        # a cost between the thresholds: paid to a pensioner, not to others
        (ON_2024, True, "80.00", "44.00", "80.00", False),
        (ON_2024, False, "80.00", "104.00", "0.00", True),
    ],
)
def test_threshold_by_date_and_pension(
    on: date, pensioner: bool, cost: str, threshold: str, allowance: str, below: bool
) -> None:
    decision = decide_transport(assessment(pensioner=pensioner, condition=True, cost=cost), on)
    assert decision.entitled is True
    assert decision.threshold_dkk == Decimal(threshold)
    assert decision.allowance_per_round_trip_dkk == Decimal(allowance)
    assert (G.BELOW_THRESHOLD in decision.grounds) is below


@pytest.mark.parametrize(
    ("on", "valid_from"),
    [
        (date(2018, 7, 1), date(2018, 7, 1)),
        (date(2018, 12, 31), date(2018, 7, 1)),
        (date(2019, 1, 1), date(2019, 1, 1)),
        (date(2022, 12, 31), date(2019, 1, 1)),
        (date(2023, 1, 1), date(2023, 1, 1)),
        (date(2030, 6, 1), date(2023, 1, 1)),
    ],
)
def test_rows_switch_on_their_valid_from(on: date, valid_from: date) -> None:
    assert transport_rules_for(on).valid_from == valid_from
    assert decide_transport(assessment(pensioner=True), on).rules_valid_from == valid_from


@pytest.mark.parametrize("basis", list(LegalBasis))
def test_before_the_first_row_there_are_no_rules(basis: LegalBasis) -> None:
    with pytest.raises(LookupError):
        transport_rules_for(date(2018, 6, 30))
    with pytest.raises(LookupError):
        decide_transport(assessment(pensioner=True, basis=basis), date(2018, 6, 30))


@pytest.mark.parametrize(
    ("pensioner", "cost", "assigned", "allowance", "grounds"),
    [
        (True, "300.00", "120.00", "120.00", (G.PENSIONER, G.CAPPED_AT_ASSIGNED_SITE)),
        (True, "300.00", "300.00", "300.00", (G.PENSIONER,)),  # equal cost: nothing to cap
        (True, "100.00", "300.00", "100.00", (G.PENSIONER,)),  # cheaper chosen site: the cap is only a maximum
        (True, "300.00", None, "300.00", (G.PENSIONER,)),
        # the capped cost is what is compared with the threshold
        (False, "300.00", "104.00", "0.00", (G.CONDITION, G.CAPPED_AT_ASSIGNED_SITE, G.BELOW_THRESHOLD)),
        (False, "300.00", "104.01", "104.01", (G.CONDITION, G.CAPPED_AT_ASSIGNED_SITE)),
    ],
)
def test_other_site_is_capped_at_the_assigned_site(
    pensioner: bool, cost: str, assigned: str | None, allowance: str, grounds: tuple[G, ...]
) -> None:
    decision = decide_transport(
        assessment(pensioner=pensioner, condition=not pensioner, cost=cost, assigned=assigned), ON_2024
    )
    assert decision.allowance_per_round_trip_dkk == Decimal(allowance)
    assert decision.grounds == grounds


@pytest.mark.parametrize(
    ("pensioner", "condition", "km"),
    [(True, False, "0"), (False, True, "0"), (False, False, "200"), (False, False, "1")],
)
def test_serviceloven_86_gives_only_an_individual_assessment(pensioner: bool, condition: bool, km: str) -> None:
    decision = decide_transport(
        assessment(pensioner=pensioner, condition=condition, km=km, basis=LegalBasis.SERVICELOVEN_86), ON_2024
    )
    assert decision.requires_individual_assessment is True
    assert decision.entitled is False
    assert decision.grounds == (G.INDIVIDUAL_ASSESSMENT_REQUIRED,)
    assert decision.allowance_per_round_trip_dkk is None
    assert decision.threshold_dkk is None


def test_distance_limit_and_allowance_basis_are_configuration() -> None:
    table = (
        *DEFAULT_TABLE,
        TransportRuleSet(
            valid_from=date(2030, 1, 1),
            distance_limit_km=Decimal(30),
            pensioner_threshold_dkk=Decimal("50.00"),
            other_threshold_dkk=Decimal("110.00"),
            allowance_basis=AllowanceBasis.EXCESS_OVER_THRESHOLD,
        ),
    )
    before, after = date(2029, 12, 31), date(2030, 1, 1)
    assert decide_transport(assessment(km="31"), before, table).entitled is False
    excess = decide_transport(assessment(km="31", cost="150.00"), after, table)
    assert excess.grounds == (G.DISTANCE_OVER_LIMIT,)
    assert excess.allowance_per_round_trip_dkk == Decimal("40.00")  # only the part above 110
    assert decide_transport(assessment(km="30"), after, table).entitled is False
    assert DEFAULT_TABLE[0].allowance_basis is AllowanceBasis.FULL_COST
    assert all(row.distance_limit_km == Decimal(50) for row in DEFAULT_TABLE)


@pytest.mark.parametrize(
    "changes",
    [
        {"distance_km": Decimal("-0.1")},
        {"round_trip_cost_dkk": Decimal("-1")},
        {"round_trip_cost_dkk": 12.5},  # float money is refused
        {"distance_km": 51.0},
        {"round_trip_cost_dkk": Decimal("10.001")},  # finer than an øre
        {"legal_basis": "serviceloven_85"},
    ],
)
def test_invalid_input_is_rejected(changes: dict[str, object]) -> None:
    fields = assessment().model_dump() | changes
    with pytest.raises(ValidationError):
        TransportAssessmentInput.model_validate(fields)


def test_models_are_frozen() -> None:
    decision = decide_transport(assessment(pensioner=True), ON_2024)
    with pytest.raises(ValidationError):
        decision.entitled = False  # type: ignore[misc]
