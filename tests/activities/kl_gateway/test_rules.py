"""Each rule a report must pass, broken on purpose: the guide's four invariants by name, then the profile rules
(one case per rule, named by it). A valid report passes all of them (test_kl_gateway_bundle)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from activities.kl_gateway import codes
from activities.kl_gateway.bundle import delivery_report
from activities.kl_gateway.resources import BuiltResource
from activities.kl_gateway.rules import RULES, check
from tests.activities.kl_gateway.test_bundle import build
from tests.support import kl_gateway_scenarios as s

Edit = Callable[[dict[str, Any]], None]


def problems_after(kind: str | None, edit: Edit, scenario: list[s.Step] | None = None) -> set[tuple[str, str | None]]:
    resources = [copy.deepcopy(r) for r in build(scenario or s.opted_out())]
    edited: list[BuiltResource] = []
    for built in resources:
        body = copy.deepcopy(built.body)
        if built.resource_type == kind:
            edit(body)
        edited.append(BuiltResource(built.resource_type, built.resource_id, built.case_id, body))
    bundle = delivery_report("r", edited, datetime(2027, 1, 1, tzinfo=UTC))
    if kind is None:
        edit(bundle)
    return {(problem.rule, problem.case_id) for problem in check(bundle, edited)}


def test_gateway_140_report_1_every_condition_is_a_kl_condition() -> None:
    found = problems_after("Condition", lambda body: body["meta"].update(profile=["http://example.org/other"]))
    assert ("gateway-140-report-1", None) in found


def test_gateway_140_report_2_every_care_plan_is_a_kl_care_plan() -> None:
    found = problems_after("CarePlan", lambda body: body.pop("meta"))
    assert ("gateway-140-report-2", None) in found


def test_gateway_140_service_request_1_one_category_is_almen_specialiseret_or_rehabilitering() -> None:
    def basal_only(body: dict[str, Any]) -> None:
        body["category"] = body["category"][1:]

    assert problems_after("ServiceRequest", basal_only) == {("gateway-140-service-request-1", "case-1")}


def test_klgateway_140_care_plan_1_a_cancellation_reason_exactly_when_cancelled_or_stopped() -> None:
    def reason_dropped(body: dict[str, Any]) -> None:
        del body["activity"][0]["detail"]["statusReason"]

    def reason_while_active(body: dict[str, Any]) -> None:
        body["activity"][0]["detail"]["statusReason"] = {"coding": [{"code": "4bbf6d6a-a1c6-41c2-b8c1-7352b7378adf"}]}

    assert problems_after("CarePlan", reason_dropped) == {("klgateway-140-care-plan-1", "case-1")}
    assert ("klgateway-140-care-plan-1", "case-1") in problems_after("CarePlan", reason_while_active, s.on_time())


def _set(path: str, value: object) -> Edit:
    def edit(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = body
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DROP:
            del node[last]
        else:
            node[last] = value

    return edit


_DROP = object()
_STATUS_REASON = {"url": codes.EXT_STATUS_REASON, "valueCodeableConcept": {"coding": [{"code": "not-a-kl-code"}]}}

PROFILE_CASES: dict[str, tuple[str | None, Edit]] = {
    "report-collection": (None, _set("type", "transaction")),
    "report-one-citizen": (None, lambda bundle: bundle.__setitem__("entry", bundle["entry"][1:])),
    "report-references-bundled": ("CarePlan", _set("subject", {"reference": "urn:uuid:elsewhere"})),
    "citizen-cpr": ("Patient", _set("identifier.0.value", "25094799")),
    "citizen-cpr-valid": ("Patient", _set("identifier.0.value", "3213479989")),
    "citizen-deceased": ("Patient", _set("deceasedBoolean", _DROP)),
    "citizen-managing-organization": ("Patient", _set("managingOrganization", {"identifier": {"system": "x"}})),
    "organization-identifier": ("Organization", _set("identifier", _DROP)),
    "servicerequest-status": ("ServiceRequest", _set("status", "cancelled")),
    "servicerequest-requester": ("ServiceRequest", _set("requester", _DROP)),
    "servicerequest-code": ("ServiceRequest", _set("code", {"coding": [{"code": "other"}]})),
    "servicerequest-category": ("ServiceRequest", lambda body: body["category"].append({"coding": [{"code": "x"}]})),
    "servicerequest-authored-on": ("ServiceRequest", _set("authoredOn", _DROP)),
    "servicerequest-discharge-date": ("ServiceRequest", _set("extension", [])),
    "servicerequest-status-reason": ("ServiceRequest", lambda body: body["extension"].append(_STATUS_REASON)),
    "servicerequest-occurrence": ("ServiceRequest", _set("occurrencePeriod.end", "2027-01-01")),
    "careplan-status": ("CarePlan", _set("intent", "order")),
    "careplan-category": ("CarePlan", _set("category.0.coding.0.code", "other")),
    "careplan-granted": ("CarePlan", _set("period", {"end": "2027-01-01"})),
    "careplan-performer": ("CarePlan", _set("activity.0.detail.performer", [])),
    "careplan-cancellation-reason": ("CarePlan", _set("activity.0.detail.statusReason.coding.0.code", "x")),
    "focus-condition": ("Condition", _set("clinicalStatus", _DROP)),
}
GUIDE_INVARIANTS = {
    "gateway-140-report-1",
    "gateway-140-report-2",
    "gateway-140-service-request-1",
    "klgateway-140-care-plan-1",
}


@pytest.mark.parametrize("rule", sorted(PROFILE_CASES))
def test_profile_rule(rule: str) -> None:
    kind, edit = PROFILE_CASES[rule]
    assert rule in {name for name, _ in problems_after(kind, edit)}


def test_a_refused_resource_names_its_case() -> None:
    found = problems_after("CarePlan", _set("activity.0.detail.performer", []))
    assert ("careplan-performer", "case-1") in found


def test_every_rule_has_a_test_that_breaks_it() -> None:
    assert {rule.name for rule in RULES} | {"citizen-cpr-valid", "report-references-bundled"} == (
        set(PROFILE_CASES) | GUIDE_INVARIANTS
    )


def test_the_r4b_models_carry_every_r4_element_the_guide_uses_with_r4_shapes() -> None:
    """fhir.resources has R4B (4.3.0), not R4 (4.0.1), models: these elements are the same in both (R5 moved
    several of them, e.g. CarePlan.activity.detail and Encounter.class), so a library upgrade that changes them
    fails here."""
    import fhir.resources.R4B as R4B
    from fhir.resources.R4B import careplan, encounter, servicerequest

    assert R4B.__fhir_version__ == "4.3.0"
    assert {"status", "statusReason", "performer"} <= set(careplan.CarePlanActivityDetail.model_fields)
    assert {"occurrencePeriod", "replaces", "reasonReference", "authoredOn", "requester", "category"} <= set(
        servicerequest.ServiceRequest.model_fields
    )
    assert "class_fhir" in encounter.Encounter.model_fields  # one Coding in R4/R4B (a list of concepts in R5)
