"""The sections of a schema-checked GGOP plan, read into the plain data the domain's plan is validated from
(`activities.messaging.medcom.ggop_mapping` puts them together; docs/medcom.md maps them element by element)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from activities.messaging.medcom import ggop_read as read
from workflows.domain.model import DischargeKind
from workflows.domain.plan.details import EpisodeOfCareId

Json = dict[str, Any]
# Said where a required text of the JSON plan has no GGOP source (docs/medcom.md, "contents").
NOT_IN_GGOP = "Ikke angivet i genoptræningsplanen (MedCom GGOP)"
_MAX_TEXT = 4000
_CUT = " […] (afkortet; hele teksten står i den modtagne GGOP)"


# Sender/IdentifierCode values that mean the identifier is a SOR id [UNCERTAIN: GGOP 1.0's example uses
# sygehusafdelingsnummer; these are the spellings a newer sender may use].
SOR_IDENTIFIER_CODES = frozenset({"sor", "sorkode", "sor-kode", "sor_kode"})


def required_text(value: str | None) -> str:
    if not value:
        return NOT_IN_GGOP
    return value if len(value) <= _MAX_TEXT else value[: _MAX_TEXT - len(_CUT)] + _CUT


def diagnoses(plan: etree._Element) -> list[Json]:
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


def coded(element: etree._Element | None) -> Json | None:
    if element is None:
        return None
    return {
        "code": read.text(element, "g:Code"),
        "type_code": read.text(element, "g:TypeCode"),
        "text": read.text(element, "g:Text"),
    }


def gp(plan: etree._Element) -> tuple[Json | None, bool]:
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


def discharge(plan: etree._Element) -> tuple[Any, DischargeKind, Json]:
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


def relatives(plan: etree._Element) -> list[Json]:
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


def patient_contact(patient: etree._Element | None) -> Json:
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


def letter(plan: etree._Element) -> Json:
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


def sender(plan: etree._Element) -> Json:
    sender = read.organisation(read.find(plan, "g:Sender")) or {}
    code = (sender.get("identifier_code") or "").lower()
    return {
        "ean": sender.get("ean"),
        "department_number": sender.get("identifier") if code == "sygehusafdelingsnummer" else None,
        "sor_id": sender.get("identifier") if code in SOR_IDENTIFIER_CODES else None,
        "organisation": sender,
    }


def texts(plan: etree._Element) -> Json:
    return {
        "patient_health_summary": read.formatted(plan, "m:PatientHealthSummary"),
        "ability_at_discharge_extended": read.formatted(plan, "g:AbilityAtDischargeExtended"),
        "rehabilitation_need_and_potential": read.formatted(plan, "g:RehabilitationNeedAndPotential"),
        "information_for_patient_and_relatives": read.formatted(plan, "g:InformationForPatientAndRelatives"),
        "practical_information": read.formatted(plan, "g:PracticalInformation"),
        "patient_safety_aspects": read.formatted(plan, "g:PatientSafetyAspects"),
    }


def contents(texts: Json, relatives: list[Json], municipality: Json | None, occupation: str | None) -> Json:
    """The JSON plan's eight contents from their nearest GGOP texts (docs/medcom.md); its three yes/no
    answers have no GGOP field and stay unknown (null)."""
    network = "; ".join(
        " ".join(part for part in (r["name"], f"({r['relation']})" if r["relation"] else None) if part)
        for r in relatives
    )
    daily_life = texts["patient_health_summary"] or (f"Beskæftigelse: {occupation}" if occupation else None)
    return {
        "daily_life_before_admission": required_text(daily_life),
        "needs_aids": None,
        "aids_description": None,
        "social_network": required_text(f"Pårørende: {network}" if network else None),
        "manages_at_discharge": required_text(texts["summary"]),
        "manages_daily_life_without_help": None,
        "walks_and_stands_without_aids": None,
        "training_need_at_discharge": required_text(texts["rehabilitation_need_and_potential"]),
        "municipality_contact_information": required_text(
            read.organisation_line(municipality) or texts["practical_information"]
        ),
    }


def message_sor_id(root: etree._Element) -> str | None:
    """The SOR id the message itself gives for its sender, if any."""
    plan = read.find(root, "g:RehabilitationPlan")
    return sender(plan)["sor_id"] if plan is not None else None
