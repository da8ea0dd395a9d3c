"""The checks a DeliveryReport must pass before it is sent: the guide's four invariants (their FHIRPath copied
from `input/fsh/*.fsh`) and the profiles' cardinalities and required bindings, written as FHIRPath too and
evaluated by `fhirpathpy` (FHIR R4 model). A report that fails one is not sent; each problem names the rule
and the case of the resource that broke it (never personal data).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import fhirpathpy
from fhirpathpy.models import models

from activities.kl_gateway import codes
from activities.kl_gateway.resources import BuiltResource
from workflows.domain.cpr import InvalidCpr, check_cpr


def _conforms(expression: str) -> str:
    """fhirpathpy has no conformsTo(): a resource conforms here when it claims the profile in meta.profile (every
    resource this service builds claims the one profile whose rules below it is checked against)."""
    return re.sub(r"\$this\.conformsTo\('([^']+)'\)", r"($this.meta.profile contains '\1')", expression)


def _in(values: Sequence[str]) -> str:
    return "(" + " | ".join(f"'{value}'" for value in values) + ")"


_REQUEST_STATUS = _in(["draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"])
_ACTIVITY_STATUS = _in(
    ["not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled", "stopped", "unknown",
     "entered-in-error"]
)  # fmt: skip


@dataclass(frozen=True)
class Rule:
    name: str
    resource_type: str | None  # None: the rule is about the whole bundle
    expression: str
    source: str


RULES: tuple[Rule, ...] = (
    # The guide's invariants, verbatim but for conformsTo().
    Rule(
        "gateway-140-report-1",
        None,
        _conforms(
            "entry.select(resource as Condition).all("
            "$this.conformsTo('http://fhir.kl.dk/rehab/StructureDefinition/klgateway-140-condition')"
            " or $this.conformsTo('http://fhir.kl.dk/rehab/StructureDefinition/klgateway-140-focus-condition'))"
        ),
        "140deliveryReport.fsh",
    ),
    Rule(
        "gateway-140-report-2",
        None,
        _conforms(
            "entry.select(resource as CarePlan).all("
            "$this.conformsTo('http://fhir.kl.dk/rehab/StructureDefinition/klgateway-140-care-plan')"
            " or $this.conformsTo('http://fhir.kl.dk/rehab/StructureDefinition/klgateway-140-planned-intervention'))"
        ),
        "140deliveryReport.fsh",
    ),
    Rule(
        "gateway-140-service-request-1",
        "ServiceRequest",
        "category.select(coding.code = 'ffd81f78-352e-4589-a195-5350dd1df2a4' or "
        "coding.code = '0c8e2bfc-1350-45d1-90da-c07e2645d073' or "
        "coding.code = '83c89857-8fb8-4163-97b1-eb1a56345c29').anyTrue()",
        "140serviceRequest.fsh",
    ),
    Rule(
        "klgateway-140-care-plan-1",
        "CarePlan",
        "activity.detail.all(statusReason.exists() = (status = 'cancelled' or status = 'stopped'))",
        "140carePlan.fsh",
    ),
    # The delivery report profile.
    Rule(
        "report-collection",
        None,
        f"type = 'collection' and timestamp.exists() and meta.profile contains '{codes.PROFILE_REPORT}'"
        " and identifier.empty() and total.empty() and link.empty()",
        "140deliveryReport.fsh",
    ),
    Rule("report-one-citizen", None, "entry.where(resource is Patient).count() = 1", "entry[citizen] 1..1"),
    # The citizen (dk-core-patient with CPR; deceasedBoolean 1..1; managingOrganization by SOR).
    Rule(
        "citizen-cpr",
        "Patient",
        f"identifier.count() = 1 and identifier.system = '{codes.CPR_SYSTEM}'"
        " and identifier.value.matches('^[0-9]{10}$')",
        "140citizen.fsh identifier[cpr] 1..1",
    ),
    Rule("citizen-deceased", "Patient", "deceased.exists() and (deceased is boolean)", "deceasedBoolean 1..1"),
    Rule(
        "citizen-managing-organization",
        "Patient",
        f"managingOrganization.identifier.system = '{codes.SOR_SYSTEM}'"
        " and managingOrganization.identifier.value.matches('^[0-9]{6,18}$')",
        "managingOrganization 1..1, SOR",
    ),
    Rule(
        "organization-identifier",
        "Organization",
        f"identifier.count() = 1 and identifier.system = '{codes.SOR_SYSTEM}'"
        " and identifier.value.matches('^[0-9]{6,18}$')",
        "140organisation.fsh identifier 1..1 (SOR-ID)",
    ),
    # The GOP.
    Rule(
        "servicerequest-status",
        "ServiceRequest",
        f"status in {_REQUEST_STATUS} and intent = 'plan'",
        "R4 request-status",
    ),
    Rule("servicerequest-requester", "ServiceRequest", "requester.reference.exists()", "requester 1..1"),
    Rule(
        "servicerequest-code",
        "ServiceRequest",
        f"code.coding.where(system = '{codes.KL_CODES}' and code = '{codes.SERVICE_TYPE_TRAINING}').exists()",
        "code 1..1 from ServiceTypes140",
    ),
    Rule(
        "servicerequest-category",
        "ServiceRequest",
        f"category.count() >= 1 and category.count() <= 2 and category.coding.code.all($this in "
        f"{_in(sorted(codes.SERVICE_REQUEST_CATEGORY_CODES))})",
        "category 1..2 from ServiceRequestTypes140",
    ),
    Rule("servicerequest-authored-on", "ServiceRequest", "authoredOn.exists()", "authoredOn 1..1"),
    Rule(
        "servicerequest-discharge-date",
        "ServiceRequest",
        f"extension.where(url = '{codes.EXT_DISCHARGE_DATE}').value.count() = 1",
        "extension[dischargeDate] 1..1",
    ),
    Rule(
        "servicerequest-status-reason",
        "ServiceRequest",
        f"extension.where(url = '{codes.EXT_STATUS_REASON}').value.coding.code.all($this in "
        f"{_in(sorted(codes.STATUS_REASON_CODES))})",
        "statusReason from ServiceRequestStatusReasons140 (required)",
    ),
    Rule("servicerequest-occurrence", "ServiceRequest", "occurrence.end.empty()", "occurrencePeriod.end 0..0"),
    # The course.
    Rule(
        "careplan-status",
        "CarePlan",
        f"status in {_REQUEST_STATUS} and intent = 'plan' and activity.count() = 1 and "
        f"activity.detail.status.all($this in {_ACTIVITY_STATUS})",
        "R4 CarePlan; activity 1..1",
    ),
    Rule(
        "careplan-category",
        "CarePlan",
        f"category.count() = 1 and category.coding.code.all($this in "
        f"{_in([codes.CARE_PLAN_INTERVENTION[0], '4863001e-14c7-4be8-a2da-e4f21a4b6ac4'])})",
        "category 1..1 from CarePlanCategories140 (required)",
    ),
    Rule("careplan-granted", "CarePlan", "period.start.exists()", "period.start 1..1 (bevillingsdato)"),
    Rule("careplan-performer", "CarePlan", "activity.detail.performer.count() = 1", "activity.detail.performer 1..1"),
    Rule(
        "careplan-cancellation-reason",
        "CarePlan",
        f"activity.detail.statusReason.coding.code.all($this in {_in(sorted(codes.CANCELLATION_CODES))})",
        "statusReason from CancellationTypes",
    ),
    Rule(
        "focus-condition",
        "Condition",
        f"clinicalStatus.exists() and code.coding.system.all($this = '{codes.SKS_DIAGNOSIS_SYSTEM}')",
        "140focusCondition.fsh clinicalStatus 1..1, SKS",
    ),
)


@dataclass(frozen=True)
class Problem:
    rule: str
    case_id: str | None
    resource_type: str | None

    def __str__(self) -> str:
        where = f"case {self.case_id}" if self.case_id else "the report"
        return f"{self.rule} fails for {where}" + (f" ({self.resource_type})" if self.resource_type else "")


_compiled: dict[str, Callable[..., list[Any]]] = {}


def _holds(expression: str, resource: dict[str, Any]) -> bool:
    check = _compiled.get(expression)
    if check is None:
        check = _compiled[expression] = fhirpathpy.compile(expression, models["r4"])
    return check(resource, {}) == [True]


def check(bundle: dict[str, Any], resources: Sequence[BuiltResource]) -> list[Problem]:
    """Every rule the bundle breaks (empty: it may be sent), and the references that leave the bundle."""
    problems = [
        Problem(rule.name, None, None)
        for rule in RULES
        if rule.resource_type is None and not _holds(rule.expression, bundle)
    ]
    for built in resources:
        for rule in RULES:
            if rule.resource_type == built.resource_type and not _holds(rule.expression, built.body):
                problems.append(Problem(rule.name, built.case_id, built.resource_type))
        problems += _semantic(built)
    full_urls = {entry.get("fullUrl") for entry in bundle.get("entry", [])}
    for built in resources:
        if any(ref not in full_urls for ref in references(built.body)):
            problems.append(Problem("report-references-bundled", built.case_id, built.resource_type))
    return problems


def _semantic(built: BuiltResource) -> list[Problem]:
    """What FHIRPath cannot say: the CPR is a real date and passes the service's CPR check."""
    if built.resource_type != "Patient":
        return []
    for identifier in built.body.get("identifier", []):
        try:
            check_cpr(str(identifier.get("value", "")))
        except InvalidCpr:
            return [Problem("citizen-cpr-valid", built.case_id, "Patient")]
    return []


def references(node: object) -> list[str]:
    """Every Reference.reference in a resource (all are `aggregation = bundled` in the guide)."""
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []
