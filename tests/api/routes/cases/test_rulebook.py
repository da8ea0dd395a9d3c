"""The municipality's further steps over HTTP: reclassification, team, contact attempts, a refusal by another
municipality's institution, specialiseret training at a hospital, transport and closure reasons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from tests.support.api_helpers import (
    CASEWORKER,
    PROBLEM_JSON,
    Api,
    command,
    distributed_case,
    register_provider,
    running_api,
    unused_municipality,
)
from tests.support.rulebook_api_helpers import (
    contacted_case,
    field_names,
    list_items,
    of_type,
    ok,
    timeline,
    wait_for_events,
)
from tests.support.staff_helpers import register_teams


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def test_reclassification_is_recorded_in_the_timeline(api: Api) -> None:
    case_id = await distributed_case(api.http)
    unclassified = await command(api.http, case_id, "reclassification", {"sub_level": "basal", "reason": "x"})
    assert unclassified.status_code == 409 and unclassified.headers["content-type"] == PROBLEM_JSON
    assert "not been classified" in unclassified.json()["detail"]
    await ok(api.http, case_id, "classification", {"sub_level": "basal"})

    case = await ok(api.http, case_id, "reclassification", {"sub_level": "avanceret", "reason": "Faldet igen"})
    assert (case["sub_level"], case["status"]) == ("avanceret", "classified")
    (event,) = of_type(await timeline(api.http, case_id), "AlmenSubLevelReclassified")
    assert event["data"]["previous"] == "basal" and event["data"]["sub_level"] == "avanceret"
    assert event["data"]["reason"] == "Faldet igen" and event["actor"] == CASEWORKER
    assert event["command_type"] == "ReclassifyAlmenLevel" and event["command_id"].startswith("reclassification:")

    same = await command(api.http, case_id, "reclassification", {"sub_level": "avanceret", "reason": "igen"})
    assert same.status_code == 422 and field_names(same) == ["sub_level"]
    no_reason = await command(api.http, case_id, "reclassification", {"sub_level": "basal"})
    assert no_reason.status_code == 422 and field_names(no_reason) == ["reason"]


async def test_team_is_assigned_and_shown_in_the_list(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    case_id = await distributed_case(api.http, home_municipality_code=municipality)
    await register_teams(api.pool, "team-nord", "team-syd", municipality=municipality)
    case = await ok(api.http, case_id, "team", {"team": "team-nord"})
    assert case["team"] == "team-nord"
    row = (await list_items(api.http, municipality=municipality))[case_id]
    assert row["team"] == "team-nord" and row["contact_reminder_sent"] is False and row["contact_overdue"] is False
    assert row["responsible_municipality_code"] == municipality and row["guarantee_status_reason"] is None
    assert len(of_type(await timeline(api.http, case_id), "TeamAssigned")) == 1

    empty = await command(api.http, case_id, "team", {"team": ""})
    assert empty.status_code == 422 and field_names(empty) == ["team"]
    await ok(api.http, case_id, "closure", {"reason": "deceased", "confirm": True})  # past the closing check
    closed = await command(api.http, case_id, "team", {"team": "team-syd"})
    assert closed.status_code == 409 and closed.json()["type"].endswith("case-closed")


async def test_contact_attempts_are_counted_until_contact(api: Api) -> None:
    case_id = await distributed_case(api.http)
    case = await ok(api.http, case_id, "contact-attempts", {"channel": "phone", "note": "Intet svar"})
    assert case["contact_attempts"] == 1 and case["status"] == "distributed"
    assert case["next_deadline"]["kind"] == "contact"  # an attempt does not stop the contact deadline
    (attempt,) = of_type(await timeline(api.http, case_id), "ContactAttemptRecorded")
    assert attempt["data"]["channel"] == "phone" and attempt["data"]["note"] == "Intet svar"

    bad_channel = await command(api.http, case_id, "contact-attempts", {"channel": "pigeon"})
    assert bad_channel.status_code == 422 and field_names(bad_channel) == ["channel"]
    await ok(api.http, case_id, "classification", {"sub_level": "basal"})
    case = await ok(api.http, case_id, "contact", {"channel": "letter", "informed_of_provider_choices": True})
    assert case["contact_attempts"] == 2  # the successful contact counts too
    late = await command(api.http, case_id, "contact-attempts", {"channel": "phone"})
    assert late.status_code == 409 and "citizen_contacted" in late.json()["detail"]


async def test_refusal_by_another_municipality_returns_the_choice_to_the_citizen(api: Api) -> None:
    home = await unused_municipality(api.pool)
    other = await unused_municipality(api.pool)
    elsewhere = await register_provider(api.http, other, kind="own")
    at_home = await register_provider(api.http, home, kind="own")
    case_id = await contacted_case(api.http, home_municipality_code=home)
    before = await command(api.http, case_id, "provider-refusal", {"reason": "Ingen kapacitet"})
    assert before.status_code == 409  # nothing chosen yet

    await ok(api.http, case_id, "provider", {"provider_id": elsewhere})
    case = await ok(api.http, case_id, "provider-refusal", {"reason": "Ingen kapacitet i 6 uger"})
    assert case["status"] == "citizen_contacted" and case["provider"] is None
    (refusal,) = of_type(await timeline(api.http, case_id), "ProviderRefused")
    assert refusal["data"]["provider"]["provider_id"] == elsewhere
    assert refusal["data"]["reason"] == "Ingen kapacitet i 6 uger"

    case = await ok(api.http, case_id, "provider", {"provider_id": at_home})
    assert case["status"] == "provider_chosen" and case["provider"]["provider_id"] == at_home
    own_refuses = await command(api.http, case_id, "provider-refusal", {"reason": "Ingen kapacitet"})
    assert own_refuses.status_code == 409
    assert "another municipality's institution" in own_refuses.json()["detail"]
    no_reason = await command(api.http, case_id, "provider-refusal", {})
    assert no_reason.status_code == 422 and field_names(no_reason) == ["reason"]


async def test_specialiseret_training_hospital_gets_the_plan(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    case_id = await distributed_case(api.http, level="specialiseret", home_municipality_code=municipality)
    hospital = {"sor_id": "265161000016000", "name": "Aarhus Universitetshospital", "region": "midtjylland"}
    case = await ok(api.http, case_id, "training-hospital", hospital)
    assert case["training_hospital"] == hospital and case["status"] == "provider_chosen"
    assert case["start_guarantee_due_on"] is None  # training at a hospital: no 7-day guarantee

    def settled(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # A copy is settled by the message queued for it, or withheld: the hospital sends its own copy of the
        # plan, and this deployment forwards none.
        queued = [e for e in of_type(events, "MessageQueued") if e["data"]["plan_id"]]
        return queued + of_type(events, "PlanDeliveryWithheld")

    def settled_for_hospital(events: list[dict[str, Any]]) -> bool:
        return any(e["data"]["recipient"] == "training_hospital" for e in settled(events))

    events = await wait_for_events(api.http, case_id, settled_for_hospital, "the hospital's copy settled")
    recipients = [e["data"]["recipient"] for e in settled(events)]
    assert sorted(recipients) == ["gp", "municipality", "patient", "training_hospital"]

    provider_id = await register_provider(api.http, municipality)
    refused = await command(api.http, case_id, "provider", {"provider_id": provider_id})
    assert refused.status_code == 409 and "takes place at a hospital" in refused.json()["detail"]
    unknown_region = await command(api.http, case_id, "training-hospital", {**hospital, "region": "atlantis"})
    assert unknown_region.status_code == 422 and field_names(unknown_region) == ["region"]

    almen = await distributed_case(api.http)
    not_specialised = await command(api.http, almen, "training-hospital", hospital)
    assert not_specialised.status_code == 409 and "specialiseret" in not_specialised.json()["detail"]
    bad_sor = await command(api.http, almen, "training-hospital", {**hospital, "sor_id": "abc"})
    assert bad_sor.status_code == 422 and field_names(bad_sor) == ["sor_id"]


async def test_the_hospital_must_lie_in_the_region_the_register_gives(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    registered = await api.http.put(
        f"/municipalities/{municipality}", json={"name": "Syd", "contact_working_days": 5, "region": "syddanmark"}
    )
    assert registered.status_code == 200 and registered.json()["region"] == "syddanmark"
    case_id = await distributed_case(api.http, level="specialiseret", home_municipality_code=municipality)
    elsewhere = {"sor_id": "265161000016000", "name": "Aarhus Universitetshospital", "region": "midtjylland"}
    refused = await command(api.http, case_id, "training-hospital", elsewhere)
    assert refused.status_code == 422 and field_names(refused) == ["region"]
    assert "syddanmark" in refused.json()["errors"][0]["message"]
    at_home = {"sor_id": "265171000016003", "name": "Odense Universitetshospital", "region": "syddanmark"}
    assert (await ok(api.http, case_id, "training-hospital", at_home))["training_hospital"] == at_home
    bad = await api.http.put(
        f"/municipalities/{municipality}", json={"name": "S", "contact_working_days": 5, "region": "x"}
    )
    assert bad.status_code == 422 and field_names(bad) == ["region"]


def _transport(**overrides: object) -> dict[str, object]:
    return {
        "is_pensioner": False,
        "condition_rules_out_public_transport": False,
        "distance_km": 10,
        "round_trip_cost_dkk": "150.00",
        **overrides,
    }


async def test_transport_pensioner_and_the_50_km_limit(api: Api) -> None:
    case_id = await distributed_case(api.http)
    pensioner = (await ok(api.http, case_id, "transport-assessment", _transport(is_pensioner=True)))["transport"]
    assert pensioner["entitled"] is True and pensioner["grounds"] == ["pensioner"]
    assert Decimal(pensioner["allowance_per_round_trip_dkk"]) == Decimal("150.00")
    assert Decimal(pensioner["threshold_dkk"]) == Decimal("44.00")  # the pensioners' threshold in force

    at_limit = (await ok(api.http, case_id, "transport-assessment", _transport(distance_km=50)))["transport"]
    assert at_limit["entitled"] is False and at_limit["grounds"] == ["not_entitled"]
    assert at_limit["allowance_per_round_trip_dkk"] is None

    # Numbers and strings both arrive as exact decimals.
    over = await ok(api.http, case_id, "transport-assessment", _transport(distance_km="51", round_trip_cost_dkk=150.5))
    assert over["transport"]["entitled"] is True and over["transport"]["grounds"] == ["distance_over_limit"]
    assert Decimal(over["transport"]["allowance_per_round_trip_dkk"]) == Decimal("150.50")
    assessed = of_type(await timeline(api.http, case_id), "TransportAssessed")
    assert len(assessed) == 3
    stored = assessed[-1]["data"]["assessment"]
    assert stored["legal_basis"] == "sundhedsloven_140"
    assert (stored["distance_km"], stored["round_trip_cost_dkk"]) == ("51", "150.50")

    fractional_ore = await command(api.http, case_id, "transport-assessment", _transport(round_trip_cost_dkk=12.345))
    assert fractional_ore.status_code == 422 and field_names(fractional_ore) == ["round_trip_cost_dkk"]
    negative = await command(api.http, case_id, "transport-assessment", _transport(distance_km="-1"))
    assert negative.status_code == 422 and field_names(negative) == ["distance_km"]
    basis = await command(api.http, case_id, "transport-assessment", _transport(legal_basis="serviceloven_86"))
    assert basis.status_code == 422 and field_names(basis) == ["legal_basis"]  # set by the API, not the caller
    await ok(api.http, case_id, "closure", {"reason": "deceased", "confirm": True})  # past the closing check
    closed = await command(api.http, case_id, "transport-assessment", _transport())
    assert closed.status_code == 409


async def test_active_opt_out_needs_its_reason(api: Api) -> None:
    case_id = await distributed_case(api.http)
    missing = await command(api.http, case_id, "closure", {"reason": "active_opt_out"})
    assert missing.status_code == 422 and field_names(missing) == ["opt_out_reason"]
    stray = await command(api.http, case_id, "closure", {"reason": "deceased", "opt_out_reason": "other"})
    assert stray.status_code == 422 and field_names(stray) == ["opt_out_reason"]
    unknown = await command(api.http, case_id, "closure", {"reason": "active_opt_out", "opt_out_reason": "bored"})
    assert unknown.status_code == 422 and field_names(unknown) == ["opt_out_reason"]

    # Confirmed: every test plan is the same citizen's, whose other cases stay open (the closing check).
    opting_out = {"reason": "active_opt_out", "opt_out_reason": "transport_logistics", "confirm": True}
    case = await ok(api.http, case_id, "closure", opting_out)
    assert (case["status"], case["close_reason"], case["opt_out_reason"]) == (
        "closed",
        "active_opt_out",
        "transport_logistics",
    )
    (closed,) = of_type(await timeline(api.http, case_id), "CaseClosed")
    assert closed["data"]["opt_out_reason"] == "transport_logistics"


async def test_professional_cannot_end_the_need_before_training_starts(api: Api) -> None:
    case_id = await distributed_case(api.http)
    response = await command(api.http, case_id, "closure", {"reason": "no_further_need_professional_assessed"})
    assert response.status_code == 409 and response.json()["type"].endswith("not-allowed-now")
    assert "as the hospital assessed it" in response.json()["detail"]
    assert (await api.http.get(f"/cases/{case_id}")).json()["status"] == "distributed"
