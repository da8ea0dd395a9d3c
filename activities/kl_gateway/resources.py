"""Facts to FHIR resources of the KL Gateway Rehab profiles, built with `fhir.resources` (R4B models; the guide
is R4 4.0.1, and the elements used here are the same in both: docs/reports.md, "R4 and R4B").

Ids are stable (UUID 5 of what the resource is about), so a corrected fact goes out under the id it was first
reported with, as the guide asks. The citizen's id is derived from a keyed hash, never from the CPR itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest

from activities.kl_gateway import codes
from activities.kl_gateway.facts import CaseFacts, CourseFacts, GopFacts

_NAMESPACE = uuid.UUID("7c1f6a0e-2f4b-5d4e-9a51-6b0e3c9d4f10")  # this service's namespace for report ids


@dataclass(frozen=True)
class BuiltResource:
    """One resource of a report: its type and id, the case it came from (None: the citizen or an organisation),
    and its FHIR JSON."""

    resource_type: str
    resource_id: str
    case_id: str | None
    body: dict[str, Any]

    @property
    def reference(self) -> str:
        return f"urn:uuid:{self.resource_id}"


@dataclass(frozen=True)
class Identity:
    """Who the report is about and who keeps the record: the citizen's keyed-hash reference (never the CPR),
    the municipality, its SOR code (None when not configured) and the SOR codes of register providers."""

    citizen_ref: str
    municipality_code: str
    municipality_sor_id: str | None
    provider_sor_ids: Mapping[str, str]


def resource_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def _json(model: Resource) -> dict[str, Any]:
    body: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return body


def _coding(system: str, code_display: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code_display[0], "display": code_display[1]}]}


def _ref(target: BuiltResource) -> dict[str, str]:
    return {"reference": target.reference}


def citizen(identity: Identity, cpr: str, deceased: bool) -> BuiltResource:
    rid = resource_id(identity.municipality_code, "citizen", identity.citizen_ref)
    managing = {"use": "official", "system": codes.SOR_SYSTEM, "value": identity.municipality_sor_id}
    patient = Patient(
        id=rid,
        meta={"profile": [codes.PROFILE_CITIZEN]},
        identifier=[{"use": "official", "system": codes.CPR_SYSTEM, "value": cpr}],
        deceasedBoolean=deceased,
        managingOrganization={"identifier": {k: v for k, v in managing.items() if v is not None}},
    )
    return BuiltResource("Patient", rid, None, _json(patient))


def organization(sor_id: str | None, key: str, case_id: str | None = None) -> BuiltResource:
    """An organisation by SOR id; `key` names it when the SOR id is unknown (the rules then refuse it, naming
    `case_id`)."""
    rid = resource_id("organization", sor_id or f"unknown:{key}")
    identifiers = [{"use": "official", "system": codes.SOR_SYSTEM, "value": sor_id}] if sor_id else None
    body = _json(Organization(id=rid, meta={"profile": [codes.PROFILE_ORGANIZATION]}, identifier=identifiers))
    return BuiltResource("Organization", rid, None if sor_id else case_id, body)


def focus_condition(gop: GopFacts, patient: BuiltResource, code: str, text: str | None) -> BuiltResource:
    rid = resource_id(gop.municipality_code, "focus-condition", gop.case_id, str(gop.plan_seq), code)
    coding = {"system": codes.SKS_DIAGNOSIS_SYSTEM, "code": code, "display": text}
    condition = Condition(
        id=rid,
        meta={"profile": [codes.PROFILE_FOCUS_CONDITION]},
        clinicalStatus={"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
        code={"coding": [{k: v for k, v in coding.items() if v is not None}]},
        subject=_ref(patient),
    )
    return BuiltResource("Condition", rid, gop.case_id, _json(condition))


def service_request_id(gop: GopFacts, plan_seq: int) -> str:
    return resource_id(gop.municipality_code, "service-request", gop.case_id, str(plan_seq))


def service_request(
    gop: GopFacts, patient: BuiltResource, requester: BuiltResource, reasons: list[BuiltResource]
) -> BuiltResource:
    rid = service_request_id(gop, gop.plan_seq)
    extensions: list[dict[str, Any]] = [{"url": codes.EXT_DISCHARGE_DATE, "valueDate": gop.discharge_date.isoformat()}]
    if gop.status_reason is not None:
        reason = _coding(codes.KL_CODES, codes.STATUS_REASON[gop.status_reason])
        extensions.append({"url": codes.EXT_STATUS_REASON, "valueCodeableConcept": reason})
    categories = [_coding(codes.KL_CODES, codes.LEVEL_CATEGORY[gop.level])]
    if gop.sub_level is not None:
        categories.append(_coding(codes.KL_CODES, codes.SUB_LEVEL_CATEGORY[gop.sub_level]))
    request = ServiceRequest(
        id=rid,
        meta={"profile": [codes.PROFILE_SERVICE_REQUEST]},
        extension=extensions,
        status=gop.status.value,
        intent="plan",
        category=categories,
        code={"coding": [{"system": codes.KL_CODES, "code": codes.SERVICE_TYPE_TRAINING}]},
        subject=_ref(patient),
        authoredOn=gop.received_on.isoformat(),
        requester=_ref(requester),
        occurrencePeriod={"start": gop.first_offered_on.isoformat()} if gop.first_offered_on else None,
        replaces=[{"reference": f"urn:uuid:{service_request_id(gop, gop.replaces_seq)}"}]
        if gop.replaces_seq is not None
        else None,
        reasonReference=[_ref(reason) for reason in reasons] or None,
    )
    return BuiltResource("ServiceRequest", rid, gop.case_id, _json(request))


def _course_statuses(course: CourseFacts) -> tuple[str, str, tuple[str, str] | None]:
    """CarePlan.status, activity.detail.status and the cancellation reason (guide: the reason exactly when
    cancelled or stopped)."""
    if course.close_reason is not None:
        reason = codes.cancellation(course.close_reason, course.opt_out_reason)
        return "revoked", "stopped" if course.started else "cancelled", reason
    if course.completed:
        return "completed", "completed", None
    return "active", "scheduled" if course.started else "not-started", None


def care_plan(
    gop: GopFacts, course: CourseFacts, patient: BuiltResource, request: BuiltResource, performer: BuiltResource
) -> BuiltResource:
    key = course.performer.provider_id or f"sor:{course.performer.sor_id}"
    rid = resource_id(gop.municipality_code, "care-plan", gop.case_id, str(gop.plan_seq), key)
    status, detail_status, reason = _course_statuses(course)
    detail: dict[str, Any] = {"status": detail_status, "performer": [_ref(performer)]}
    if reason is not None:
        detail["statusReason"] = _coding(codes.KL_CODES, reason)
    period = {"start": course.granted_on.isoformat()}
    if course.ended_on is not None:
        period["end"] = course.ended_on.isoformat()
    plan = CarePlan(
        id=rid,
        meta={"profile": [codes.PROFILE_CARE_PLAN]},
        extension=[{"url": codes.EXT_BASED_ON_SERVICE_REQUEST, "valueReference": _ref(request)}],
        status=status,
        intent="plan",
        category=[_coding(codes.KL_CODES, codes.CARE_PLAN_INTERVENTION)],
        subject=_ref(patient),
        period=period,
        activity=[{"detail": detail}],
    )
    return BuiltResource("CarePlan", rid, gop.case_id, _json(plan))


def citizen_resources(identity: Identity, cases: list[CaseFacts]) -> list[BuiltResource]:
    """Every resource the citizen's cases give for the identity's municipality, the citizen first."""
    mine = [(case, gop) for case in cases for gop in case.gops if gop.municipality_code == identity.municipality_code]
    if not mine:
        return []
    patient = citizen(identity, cases[0].cpr, any(case.deceased for case in cases))
    built: dict[str, BuiltResource] = {patient.resource_id: patient}
    for _, gop in mine:
        requester = organization(gop.requester_sor_id, "requester")
        reasons = [focus_condition(gop, patient, code, text) for code, text in gop.diagnoses]
        request = service_request(gop, patient, requester, reasons)
        parts = [requester, *reasons, request]
        if gop.course is not None:
            performer_id = gop.course.performer.provider_id
            sor = gop.course.performer.sor_id or identity.provider_sor_ids.get(performer_id or "")
            performer = organization(sor, f"provider:{performer_id}", gop.case_id)
            parts += [performer, care_plan(gop, gop.course, patient, request, performer)]
        built |= {part.resource_id: part for part in parts}
    return list(built.values())
