"""A schema-checked GGOP message -> the domain's `RehabilitationPlan`, through the same door type as the
JSON intake (`api.models.request_body.PlanBody`: its text and calendar rules apply here too).

The element-by-element mapping, with what is kept, ignored and why, is in docs/medcom.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from pydantic import TypeAdapter, ValidationError

from activities.medcom import ggop_read as read
from activities.medcom.ggop_schema import SchemaProblem
from activities.medcom_settings import MedComSettings
from api.models.request_body import PlanBody
from workflows.domain.model import DischargeKind, Level
from workflows.domain.plan import RehabilitationPlan
from workflows.domain.plan_details import EpisodeOfCareId

Json = dict[str, Any]
# Said where a required text of the JSON plan has no GGOP source (docs/medcom.md, "contents").
NOT_IN_GGOP = "Ikke angivet i genoptræningsplanen (MedCom GGOP)"
_MAX_TEXT = 4000
_CUT = " […] (afkortet; hele teksten står i den modtagne GGOP)"
_PLAN = TypeAdapter(PlanBody)
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


def _required_text(value: str | None) -> str:
    if not value:
        return NOT_IN_GGOP
    return value if len(value) <= _MAX_TEXT else value[: _MAX_TEXT - len(_CUT)] + _CUT


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


def _diagnoses(plan: etree._Element) -> list[Json]:
    found = []
    for group in read.find_all(plan, "g:ICD10Diagnoses/g:ICD10Diagnose"):
        for element, primary in [(read.find(group, "g:PrimaryDiagnosis"), True)] + [
            (secondary, False) for secondary in read.find_all(group, "g:SecondaryDiagnosis")
        ]:
            if element is not None:
                found.append(
                    {"code": read.text(element, "g:Code"), "text": read.text(element, "g:Text"), "primary": primary}
                )
    return found


def _coded(element: etree._Element | None) -> Json | None:
    if element is None:
        return None
    return {
        "code": read.text(element, "g:Code"),
        "type_code": read.text(element, "g:TypeCode"),
        "text": read.text(element, "g:Text"),
    }


def _gp(plan: etree._Element) -> tuple[Json | None, bool]:
    """The GP (from GPCCReceiver/CCReceiver) and whether the GP copy was deselected."""
    holder = read.find(plan, "g:GPCCReceiver")
    if read.find(holder, "g:Deselected") is not None:
        return None, True
    practice = read.organisation(read.find(holder, "g:CCReceiver"))
    if practice is None:
        return None, False
    number = practice["identifier"] if (practice["identifier_code"] or "").lower() == "ydernummer" else None
    name = practice["name"] or practice["department"] or (f"Ydernummer {number}" if number else None)
    return {"name": name, "provider_number": number}, False


def _discharge(plan: etree._Element) -> tuple[Any, DischargeKind, Json]:
    stay = read.find(plan, "g:CurrentHospitalContact")
    contact = {
        "start_date": read.day(stay, "g:Start/g:Date"),
        "start_time": read.clock(stay, "g:Start/g:Time"),
        "expected_end_date": read.day(stay, "g:ExpectedEnd/g:Date"),
        "expected_end_time": read.clock(stay, "g:ExpectedEnd/g:Time"),
        "expected_end_text": read.formatted(stay, "g:ExpectedEndText"),
    }
    # Without an expected end date, the plan's authorisation stands for the discharge (a GOP is written at
    # discharge: BEK om genoptræningsplaner §1); the caseworker sees ExpectedEndText and may correct.
    discharged = contact["expected_end_date"] or read.day(plan, "g:Letter/g:Authorisation/m:Date")
    started = contact["start_date"]
    # A stay that ends the day it began is taken as outpatient, any longer one as a ward stay [GGOP carries
    # no kind of contact; docs/medcom.md].
    kind = DischargeKind.OUTPATIENT if started is not None and started == discharged else DischargeKind.WARD
    return discharged, kind, contact


def _relatives(plan: etree._Element) -> list[Json]:
    return [
        {
            "relation": read.text(relative, "m:RelationCode"),
            "name": read.person_name(relative),
            "address": read.address(relative),
            "phones": read.phones(relative),
            "email": read.text(relative, "g:EmailAddressIdentifier"),
        }
        for relative in read.find_all(plan, "g:Relatives/g:Relative")
    ]


def _patient_contact(patient: etree._Element | None) -> Json:
    co = read.find(patient, "g:CoAddress")
    co_line = ", ".join(
        part for part in [read.person_name(co), read.organisation_line({"address": read.address(co)})] if part
    )
    return {
        "address": read.address(patient),
        "phones": read.phones(patient),
        "no_phone_reason": read.text(patient, "g:NoTelephoneReason"),
        "email": read.text(patient, "g:EmailAddressIdentifier"),
        "occupation": read.text(patient, "m:Occupation"),
        "co_address": co_line or None,
    }


def _letter(plan: etree._Element) -> Json:
    letter = read.find(plan, "g:Letter")
    episode = read.text(letter, "g:EpisodeOfCareIdentifier")
    return {
        "letter_id": read.text(letter, "g:Identifier"),
        "version_code": read.text(letter, "g:VersionCode"),
        "statistical_code": read.text(letter, "g:StatisticalCode"),
        "plan_type": read.text(plan, "g:TypeOfRehabilitationPlan"),
        "authorised_on": read.day(letter, "g:Authorisation/m:Date"),
        "authorised_at": read.clock(letter, "g:Authorisation/m:Time"),
        "episode_of_care_id": EpisodeOfCareId.of(episode).model_dump() if episode else None,
    }


def _sender(plan: etree._Element) -> Json:
    sender = read.organisation(read.find(plan, "g:Sender")) or {}
    code = (sender.get("identifier_code") or "").lower()
    return {
        "ean": sender.get("ean"),
        "department_number": sender.get("identifier") if code == "sygehusafdelingsnummer" else None,
        "sor_id": sender.get("identifier") if code in SOR_IDENTIFIER_CODES else None,
        "organisation": sender,
    }


# Sender/IdentifierCode values that mean the identifier is a SOR id [UNCERTAIN: GGOP 1.0's example uses
# sygehusafdelingsnummer; these are the spellings a newer sender may use].
SOR_IDENTIFIER_CODES = frozenset({"sor", "sorkode", "sor-kode", "sor_kode"})


def message_sor_id(root: etree._Element) -> str | None:
    """The SOR id the message itself gives for its sender, if any."""
    plan = read.find(root, "g:RehabilitationPlan")
    return _sender(plan)["sor_id"] if plan is not None else None


def _texts(plan: etree._Element) -> Json:
    return {
        "patient_health_summary": read.formatted(plan, "m:PatientHealthSummary"),
        "ability_at_discharge_extended": read.formatted(plan, "g:AbilityAtDischargeExtended"),
        "rehabilitation_need_and_potential": read.formatted(plan, "g:RehabilitationNeedAndPotential"),
        "information_for_patient_and_relatives": read.formatted(plan, "g:InformationForPatientAndRelatives"),
        "practical_information": read.formatted(plan, "g:PracticalInformation"),
        "patient_safety_aspects": read.formatted(plan, "g:PatientSafetyAspects"),
    }


def _contents(texts: Json, relatives: list[Json], municipality: Json | None, occupation: str | None) -> Json:
    """The JSON plan's eight contents from their nearest GGOP texts (docs/medcom.md); its three yes/no
    answers have no GGOP field and stay unknown (null)."""
    network = "; ".join(
        " ".join(part for part in (r["name"], f"({r['relation']})" if r["relation"] else None) if part)
        for r in relatives
    )
    daily_life = texts["patient_health_summary"] or (f"Beskæftigelse: {occupation}" if occupation else None)
    return {
        "daily_life_before_admission": _required_text(daily_life),
        "needs_aids": None,
        "aids_description": None,
        "social_network": _required_text(f"Pårørende: {network}" if network else None),
        "manages_at_discharge": _required_text(texts["summary"]),
        "manages_daily_life_without_help": None,
        "walks_and_stands_without_aids": None,
        "training_need_at_discharge": _required_text(texts["rehabilitation_need_and_potential"]),
        "municipality_contact_information": _required_text(
            read.organisation_line(municipality) or texts["practical_information"]
        ),
    }


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
    letter = _letter(plan)
    gp, deselected = _gp(plan)
    discharged, kind, stay = _discharge(plan)
    texts = {**_texts(plan), "summary": read.formatted(plan, "g:AbilityAtDischargeSummary")}
    relatives = _relatives(plan)
    municipality = read.organisation(read.find(plan, "g:ContactMunicipality"))
    contact = _patient_contact(patient)
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
        "diagnoses": _diagnoses(plan),
        "function_at_discharge": _required_text(texts["summary"]),
        "training_need": _required_text(texts["rehabilitation_need_and_potential"]),
        "contents": _contents(texts, relatives, municipality, contact["occupation"]),
        "previous_plan": {"plan_id": replaces_plan_id, "relation": "replaces"} if replaces_plan_id else None,
        "sender": _sender(plan),
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
            {"code": _coded(read.find(icf, "g:ICFCode")), "gradient": _coded(read.find(icf, "g:ICFGradient"))}
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
