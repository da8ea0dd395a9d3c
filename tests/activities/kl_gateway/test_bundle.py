"""KL Gateway Rehab 2.2.0: the resources a citizen's cases give, scenario by scenario (built by the real
`decide`), and the incremental rules (only what changed, corrections, entered-in-error). Pure: no database."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from activities.kl_gateway import codes
from activities.kl_gateway.bundle import delivery_report
from activities.kl_gateway.delta import Reported, canonical, delta
from activities.kl_gateway.facts import case_facts
from activities.kl_gateway.resources import BuiltResource, Identity, citizen_resources
from activities.kl_gateway.rules import check
from tests.support import kl_gateway_scenarios as s
from tests.support.factories import HOSPITAL_SOR_ID, SYNTHETIC_CPR, make_command, make_plan
from workflows.domain.commands import ReclassifyAlmenLevel
from workflows.domain.model import AlmenSubLevel

IDENTITY = Identity(
    "ref-1", "101", s.MUNICIPALITY_SOR, {s.PROVIDER_ID: s.PROVIDER_SOR, s.FREE_CHOICE_ID: s.FREE_CHOICE_SOR}
)
NOW = datetime(2027, 1, 1, tzinfo=UTC)


def build(steps: list[s.Step], identity: Identity = IDENTITY, case_id: str = "case-1") -> list[BuiltResource]:
    facts = case_facts(case_id, s.play(case_id, steps))
    assert facts is not None
    return citizen_resources(identity, [facts])


def one(resources: list[BuiltResource], kind: str) -> dict[str, Any]:
    (body,) = s.resource_of(resources, kind)
    return body


def status_reason(request: dict[str, Any]) -> str | None:
    found = [e for e in request.get("extension", []) if e["url"] == codes.EXT_STATUS_REASON]
    return found[0]["valueCodeableConcept"]["coding"][0]["code"] if found else None


def categories(request: dict[str, Any]) -> list[str]:
    return [category["coding"][0]["code"] for category in request["category"]]


def test_a_plan_started_on_time_gives_the_citizen_the_gop_and_the_course() -> None:
    resources = build(s.on_time())
    assert check(delivery_report("r", resources, NOW), resources) == []
    patient = one(resources, "Patient")
    assert patient["identifier"] == [{"use": "official", "system": codes.CPR_SYSTEM, "value": SYNTHETIC_CPR}]
    assert patient["deceasedBoolean"] is False
    assert patient["managingOrganization"]["identifier"]["value"] == s.MUNICIPALITY_SOR
    request = one(resources, "ServiceRequest")
    assert request["status"] == "active" and request["intent"] == "plan"
    assert categories(request) == [codes.LEVEL_CATEGORY[make_plan().level][0], "8b962281-2ab6-4b10-9c91-4bac592d6d49"]
    assert request["authoredOn"] == "2026-11-17"
    assert {"url": codes.EXT_DISCHARGE_DATE, "valueDate": "2026-11-16"} in request["extension"]
    assert request["occurrencePeriod"] == {"start": "2026-11-21"}
    assert status_reason(request) is None
    organizations = {o["id"]: o["identifier"][0]["value"] for o in s.resource_of(resources, "Organization")}
    assert organizations[request["requester"]["reference"].removeprefix("urn:uuid:")] == HOSPITAL_SOR_ID
    plan = one(resources, "CarePlan")
    assert plan["status"] == "active" and plan["period"] == {"start": "2026-11-18"}
    assert plan["category"][0]["coding"][0]["code"] == codes.CARE_PLAN_INTERVENTION[0]
    assert plan["activity"][0]["detail"]["status"] == "scheduled"
    assert "statusReason" not in plan["activity"][0]["detail"]
    performer = plan["activity"][0]["detail"]["performer"][0]["reference"].removeprefix("urn:uuid:")
    assert organizations[performer] == s.PROVIDER_SOR
    assert plan["extension"][0]["valueReference"]["reference"] == f"urn:uuid:{request['id']}"
    assert one(resources, "Condition")["code"]["coding"][0]["system"] == codes.SKS_DIAGNOSIS_SYSTEM


@pytest.mark.parametrize(
    ("scenario", "status", "reason"),
    [
        (s.later_start, "active", "a8632e22-bf0c-4f5a-92a7-70977ba104d5"),  # Udskudt
        (s.free_choice_declined, "on-hold", "46a6bc1f-bfe8-4390-a71f-44ad4a384b9d"),  # FritValg afslået
        (s.free_choice_accepted, "active", "3796fa11-305f-47d6-b164-45b05489afb2"),  # FritValg
        (s.transferred, "on-hold", "f64b8f5e-8ced-4a8b-ab73-8994fb524915"),  # Anden kommune
        (s.sent_in_error, "revoked", "8ac7be88-5d16-4dbd-a61a-ab02673f4b34"),  # Fejl
    ],
)
def test_a_late_start_carries_its_kl_status_reason(scenario: Any, status: str, reason: str) -> None:
    resources = build(scenario())
    request = one(resources, "ServiceRequest")
    assert (request["status"], status_reason(request)) == (status, reason)
    assert check(delivery_report("r", resources, NOW), resources) == []


def test_free_choice_makes_the_private_provider_the_course_performer() -> None:
    resources = build(s.free_choice_accepted())
    organizations = {o["id"]: o["identifier"][0]["value"] for o in s.resource_of(resources, "Organization")}
    performer = one(resources, "CarePlan")["activity"][0]["detail"]["performer"][0]["reference"]
    assert organizations[performer.removeprefix("urn:uuid:")] == s.FREE_CHOICE_SOR


def test_the_transferring_municipality_and_the_receiving_one_each_report_their_part() -> None:
    received = build(s.transferred(), Identity("ref-1", "147", "451000016011", {}))
    assert one(received, "ServiceRequest")["authoredOn"] == "2026-11-18"  # the day it reached 147
    assert check(delivery_report("r", received, NOW), received) == []


def test_the_receiving_municipality_of_a_replaced_plan_reports_no_replaces_of_its_own() -> None:
    first = make_plan()
    transfer = s.transferred()[-1][1]
    steps = [*s.intake(first), s.replaced(first)[-1], (s.day(22), transfer)]
    received = build(steps, Identity("ref-1", "147", "451000016011", {}))
    request = one(received, "ServiceRequest")
    assert "replaces" not in request and request["authoredOn"] == "2026-12-08"
    assert check(delivery_report("r", received, NOW), received) == []


def test_a_cancelled_first_appointment_still_counts_as_the_first_date_offered() -> None:
    request = one(build(s.cancelled_first_appointment()), "ServiceRequest")
    assert request["occurrencePeriod"]["start"] == "2026-11-21"


def test_a_replacing_plan_revokes_the_old_gop_and_ends_its_course() -> None:
    resources = build(s.replaced(make_plan()))
    requests = {r["status"]: r for r in s.resource_of(resources, "ServiceRequest")}
    assert requests["active"]["replaces"] == [{"reference": f"urn:uuid:{requests['revoked']['id']}"}]
    (plan,) = s.resource_of(resources, "CarePlan")
    assert plan["status"] == "revoked" and plan["activity"][0]["detail"]["status"] == "stopped"
    assert plan["activity"][0]["detail"]["statusReason"]["coding"][0]["code"] == codes.REPLACED_PLAN_CANCELLATION[0]
    assert check(delivery_report("r", resources, NOW), resources) == []


def test_a_course_ended_by_the_citizen_carries_the_finer_opt_out_code() -> None:
    resources = build(s.opted_out())
    detail = one(resources, "CarePlan")["activity"][0]["detail"]
    assert detail["status"] == "stopped"
    assert detail["statusReason"]["coding"][0]["code"] == "a3f2bd01-078b-486e-81be-797d192ad7bd"
    assert one(resources, "CarePlan")["period"]["end"] == "2026-11-28"


# Incremental and correctable


def _hash(data: bytes) -> str:
    return data.hex()[:64] + str(len(data))


def accepted(resources: list[BuiltResource]) -> dict[str, Reported]:
    return {r.resource_id: Reported(_hash(canonical(r.body)), r.body, r.case_id, False) for r in resources}


def test_nothing_changed_gives_no_report_and_a_correction_goes_out_again_with_what_it_references() -> None:
    first = build(s.on_time())
    assert delta(first, accepted(first), _hash, {"case-1"}) is None
    reclassify = make_command(ReclassifyAlmenLevel, sub_level=AlmenSubLevel.AVANCERET, reason="x")
    corrected = build([*s.on_time(), (s.day(3), reclassify)])
    change = delta(corrected, accepted(first), _hash, {"case-1"})
    assert change is not None
    kinds = sorted(r.resource_type for r in change.resources)
    # The GOP changed; the citizen, the requester and the diagnosis it references go with it; the course not.
    assert kinds == ["Condition", "Organization", "Patient", "ServiceRequest"]
    assert [r.resource_type for r in change.resources if r.resource_id in change.changed] == ["ServiceRequest"]


def test_a_resource_no_longer_true_is_re_reported_as_entered_in_error() -> None:
    first = build(s.on_time())
    without_course = [r for r in first if r.resource_type != "CarePlan"]
    change = delta(without_course, accepted(first), _hash, {"case-1"})
    assert change is not None
    (withdrawn,) = [r for r in change.resources if r.resource_id in change.withdrawn]
    assert withdrawn.resource_type == "CarePlan" and withdrawn.body["status"] == "entered-in-error"
    bundle = delivery_report("r", change.resources, NOW)
    assert check(bundle, change.resources) == []
    # ...once: after it was accepted as withdrawn, nothing more goes out.
    again = accepted(change.resources) | {
        withdrawn.resource_id: Reported(_hash(canonical(withdrawn.body)), withdrawn.body, "case-1", True)
    }
    assert delta(without_course, {**accepted(first), **again}, _hash, {"case-1"}) is None


def test_resources_of_cases_not_looked_at_are_never_withdrawn() -> None:
    first = build(s.on_time())
    assert delta([r for r in first if r.resource_type == "Patient"], accepted(first), _hash, {"other"}) is None
