"""A schema-checked GGOP message -> the domain's `RehabilitationPlan`, through the same door type as the
JSON intake (`workflows.domain.plan.plan_input.PlanInput`: its text and calendar rules apply here too).

The element-by-element mapping, with what is kept, ignored and why, is in docs/medcom.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from pydantic import TypeAdapter, ValidationError

from activities.messaging.medcom import ggop_read as read
from activities.messaging.medcom import ggop_sections as sections
from activities.messaging.medcom.ggop_schema import SchemaProblem
from activities.messaging.medcom.settings import MedComSettings
from workflows.domain.model import Level
from workflows.domain.plan.details import EpisodeOfCareId
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.plan.plan_input import PlanInput

Json = dict[str, Any]
_PLAN = TypeAdapter(PlanInput)
# The GGOP element a plan field came from, to name it in a negative receipt.
_ELEMENT_OF_FIELD = {
    "plan_id": "Letter/Identifier",
    "patient": "Patient",
    "home_municipality_code": "Receiver/Identifier",
    "general_practitioner": "GPCCReceiver/CCReceiver",
    "discharge_date": "CurrentHospitalContact/ExpectedEnd/Date",
    "level": "TypeOfRehabilitationPlan",
    "diagnoses": "ICD10Diagnoses/ICD10Diagnose",
    "function_at_discharge": "AbilityAtDischargeSummary",
    "training_need": "RehabilitationNeedAndPotential",
    "rehabilitation_deadline_text": "RehabilitationDeadline",
    "medcom_letter": "Letter",
    "sender": "Sender",
    "patient_contact": "Patient",
    "relatives": "Relatives",
    "current_hospital_contact": "CurrentHospitalContact",
    "hospital_ambulatory_control": "HospitalAmbulatoryControl",
    "icf_classifications": "ICFClassifications",
    "contact_region": "ContactCounty",
    "contact_municipality": "ContactMunicipality",
}
_ELEMENT_OF_PATIENT_FIELD = {"cpr": "CivilRegistrationNumber", "name": "PersonSurnameName"}


class GgopNotMapped(Exception):
    """The message conforms to the schema but cannot become a plan; the problems name GGOP elements."""

    def __init__(self, problems: list[SchemaProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class GgopPlan:
    plan: RehabilitationPlan
    episode_of_care_id: EpisodeOfCareId | None


def _level(plan_type: str | None, statistical_code: str | None, settings: MedComSettings) -> Level:
    by_type = settings.ggop_plan_type_levels.get((plan_type or "").strip().lower())
    level = by_type or settings.ggop_statistical_code_levels.get((statistical_code or "").strip().upper())
    if level is None:
        raise GgopNotMapped(
            [
                SchemaProblem(
                    "RehabilitationPlan/TypeOfRehabilitationPlan",
                    "neither the plan type nor Letter/StatisticalCode names a known level",
                )
            ]
        )
    return level


def _municipality_code(receiver: etree._Element | None) -> str:
    code = read.text(receiver, "g:IdentifierCode")
    if (code or "").lower() != "kommunenummer":
        raise GgopNotMapped([SchemaProblem("RehabilitationPlan/Receiver/IdentifierCode", "must be kommunenummer")])
    return read.text(receiver, "m:Identifier") or ""


def _problem_path(location: tuple[int | str, ...]) -> str:
    head = str(location[0]) if location else ""
    if head == "patient" and len(location) > 1:
        return f"RehabilitationPlan/Patient/{_ELEMENT_OF_PATIENT_FIELD.get(str(location[1]), str(location[1]))}"
    return f"RehabilitationPlan/{_ELEMENT_OF_FIELD.get(head, head)}"


def plan_from_ggop(
    root: etree._Element,
    *,
    sending_hospital_sor_id: str,
    settings: MedComSettings,
    replaces_plan_id: str | None = None,
) -> GgopPlan:
    """The plan a schema-checked GGOP carries, or `GgopNotMapped` naming the elements that cannot be used."""
    plan = read.find(root, "g:RehabilitationPlan")
    assert plan is not None  # the schema requires it
    patient = read.find(plan, "g:Patient")
    letter = sections.letter(plan)
    gp, deselected = sections.gp(plan)
    discharged, kind, stay = sections.discharge(plan)
    texts = {**sections.texts(plan), "summary": read.formatted(plan, "g:AbilityAtDischargeSummary")}
    relatives = sections.relatives(plan)
    municipality = read.organisation(read.find(plan, "g:ContactMunicipality"))
    contact = sections.patient_contact(patient)
    consent = read.text(plan, "g:ConsentInformed")
    control = read.find(plan, "g:HospitalAmbulatoryControl")
    body: Json = {
        "plan_id": letter["letter_id"],
        "sending_hospital_sor_id": sending_hospital_sor_id,
        "patient": {"cpr": read.text(patient, "m:CivilRegistrationNumber"), "name": read.person_name(patient)},
        "home_municipality_code": _municipality_code(read.find(plan, "g:Receiver")),
        "gp_copy_deselected": True if deselected else None,
        "general_practitioner": gp,
        # Forwarded to the GP only on an explicit "ja" and a GP copy that was not deselected.
        "consent_to_share_with_gp": consent == "ja" and not deselected,
        "discharge_date": discharged,
        "discharge_kind": kind,
        "level": _level(letter["plan_type"], letter["statistical_code"], settings),
        "rehabilitation_deadline_text": read.formatted(plan, "g:RehabilitationDeadline"),
        "diagnoses": sections.diagnoses(plan),
        "function_at_discharge": sections.required_text(texts["summary"]),
        "training_need": sections.required_text(texts["rehabilitation_need_and_potential"]),
        "contents": sections.contents(texts, relatives, municipality, contact["occupation"]),
        "previous_plan": {"plan_id": replaces_plan_id, "relation": "replaces"} if replaces_plan_id else None,
        "sender": sections.sender(plan),
        "medcom_letter": letter,
        "patient_contact": contact,
        "relatives": relatives or None,
        "consent_informed": None if consent is None else consent == "ja",
        "current_hospital_contact": stay,
        "hospital_ambulatory_control": {
            "expected_start_date": read.day(control, "g:ExpectedStart/g:Date"),
            "expected_start_time": read.clock(control, "g:ExpectedStart/g:Time"),
            "expected_start_text": read.formatted(control, "g:ExpectedStartText"),
            "location": read.organisation(read.find(control, "g:Location")),
        }
        if control is not None
        else None,
        "icf_classifications": [
            {
                "code": sections.coded(read.find(icf, "g:ICFCode")),
                "gradient": sections.coded(read.find(icf, "g:ICFGradient")),
            }
            for icf in read.find_all(plan, "g:ICFClassifications/g:ICFClassification")
        ]
        or None,
        "hospital_texts": {key: value for key, value in texts.items() if key != "summary"},
        "contact_region": read.organisation(read.find(plan, "g:ContactCounty")),
        "contact_municipality": municipality,
    }
    try:
        parsed = _PLAN.validate_python(body)
    except ValidationError as error:
        # Only where, and pydantic's message (which never quotes the input here: `hide_input` is not
        # needed because the message is built from the rule, e.g. "must be an SKS/ICD-10 diagnosis code").
        problems = [SchemaProblem(_problem_path(tuple(e["loc"])), str(e["msg"])) for e in error.errors()]
        raise GgopNotMapped(problems[:10]) from None
    episode = parsed.medcom_letter.episode_of_care_id if parsed.medcom_letter else None
    return GgopPlan(plan=parsed, episode_of_care_id=episode)
