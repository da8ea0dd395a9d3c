"""The rehabilitation plan (genoptræningsplan, GOP) as a hospital sends it.

Field set: BEK om genoptræningsplaner §§2-3 (level, function and need at discharge, start deadline),
the eight contents a plan describes to the patient (sundhed.dk/cancer.dk), and MedCom GGOP elements.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import ConfigDict, Field, StrictBool, ValidationInfo, field_validator

from workflows.domain.cpr import CPR_SHAPE, InvalidCpr, check_cpr
from workflows.domain.inputs import RULES_IN_FORCE_DATE_PATTERN, NulFree
from workflows.domain.model import DischargeKind, Level, PlanRelation
from workflows.domain.plan.details import (
    AmbulatoryControl,
    HospitalContact,
    HospitalTexts,
    IcfClassification,
    MedComLetter,
    Organisation,
    PatientContact,
    PlanSender,
    Relative,
)
from workflows.domain.rules import RULE_SETS
from workflows.domain.schema_conditions import conditions, differs, when

_SKS_DIAGNOSIS = re.compile(r"^D?([A-Z]\d{2}[0-9A-Z]{0,4})$")

NonEmptyText = Annotated[str, Field(min_length=1, max_length=4000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
# SOR ids are SNOMED-style numbers in namespace 1000016 (Sundhedsdatastyrelsen); length varies.
SorId = Annotated[str, Field(pattern=r"^\d{6,18}$", examples=["227871000016001"])]
# Danish municipality codes are three digits, 101 (København) to 860 (Hjørring).
MunicipalityCode = Annotated[str, Field(pattern=r"^[1-8]\d{2}$", examples=["101"])]


# The first day with rules in force: a plan discharged earlier has no start guarantee to compute.
FIRST_DISCHARGE_DATE = min(rules.valid_from for rules in RULE_SETS)


class _Strict(NulFree):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Patient(_Strict):
    cpr: str = Field(
        examples=["2509479989"],
        description="10 digits, with or without the hyphen; the first six a birth date (DDMMYY)",
        json_schema_extra={"pattern": CPR_SHAPE},  # for clients; `check_cpr` is the rule (and checks the date)
    )
    name: ShortText

    @field_validator("cpr")
    @classmethod
    def _valid_cpr(cls, value: str) -> str:
        try:
            return check_cpr(value).normalised
        except InvalidCpr as exc:
            raise ValueError(str(exc)) from exc


class GeneralPractitioner(_Strict):
    name: ShortText = Field(description="Practice or doctor")
    sor_id: SorId | None = None
    provider_number: Annotated[str, Field(pattern=r"^\d{6}$")] | None = Field(default=None, description="Ydernummer")


class Diagnosis(_Strict):
    code: str = Field(
        examples=["DS720"],
        description="SKS diagnosis code (ICD-10 with the D prefix, which may be left out; a dot is allowed)",
        # What `_sks_code` accepts, stated for clients (the validator stays the rule: it also normalises).
        json_schema_extra={"pattern": "^[Dd]?[A-Za-z][0-9]{2}(\\.?[0-9A-Za-z]{1,4})?$"},
    )
    text: Annotated[str, Field(max_length=400)] | None = None
    primary: StrictBool = False

    @field_validator("code")
    @classmethod
    def _sks_code(cls, value: str) -> str:
        match = _SKS_DIAGNOSIS.match(value.upper().replace(".", ""))
        if match is None:
            raise ValueError("must be an SKS/ICD-10 diagnosis code such as DS720 or S72.0")
        return "D" + match.group(1)


class PlanContents(_Strict):
    """The eight things a plan describes (sundhed.dk / Kræftens Bekæmpelse: "Indhold i planen")."""

    daily_life_before_admission: NonEmptyText
    # The three yes/no answers are null when the sender's format has no such field (a MedCom GGOP plan):
    # unknown, never guessed.
    needs_aids: StrictBool | None
    aids_description: Annotated[str, Field(max_length=4000)] | None = None
    social_network: NonEmptyText
    manages_at_discharge: NonEmptyText
    manages_daily_life_without_help: StrictBool | None
    walks_and_stands_without_aids: StrictBool | None
    training_need_at_discharge: NonEmptyText
    municipality_contact_information: NonEmptyText = Field(
        description="When the municipality makes contact, and how the patient reaches the municipality"
    )


class PreviousPlan(_Strict):
    """An earlier plan from the same hospital that this one replaces or runs beside (re-admission)."""

    plan_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")]
    relation: PlanRelation


class RehabilitationPlan(_Strict):
    model_config = ConfigDict(
        json_schema_extra=conditions(when(differs("gp_copy_deselected", True), given=["general_practitioner"]))
    )

    plan_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")] = Field(
        description="The sender's own id of the plan; resending it returns the same case"
    )
    sending_hospital_sor_id: SorId
    patient: Patient
    home_municipality_code: MunicipalityCode
    gp_copy_deselected: StrictBool | None = Field(
        default=None,
        description="The hospital deselected the copy to the GP (GGOP GPCCReceiver/Deselected); "
        "`general_practitioner` may then be null",
    )
    general_practitioner: GeneralPractitioner | None
    consent_to_share_with_gp: StrictBool = Field(
        default=True, description="The plan goes to the GP only with the patient's consent"
    )
    discharge_date: date = Field(json_schema_extra={"pattern": RULES_IN_FORCE_DATE_PATTERN})
    discharge_kind: DischargeKind
    level: Level
    start_date_for_health_reasons: date | None = Field(
        default=None, description="Later start the plan requires for health reasons (BEK §3)"
    )
    rehabilitation_deadline_text: Annotated[str, Field(max_length=1000)] | None = Field(
        default=None,
        description=(
            "The hospital's free text on when rehabilitation should start (GGOP RehabilitationDeadline), "
            "kept verbatim; a date or delay it names is only proposed to the caseworker (BEK §3)"
        ),
    )
    diagnoses: list[Diagnosis] = Field(min_length=1, max_length=20)
    function_at_discharge: NonEmptyText
    training_need: NonEmptyText
    contents: PlanContents
    previous_plan: PreviousPlan | None = Field(
        default=None, description="Set on a new plan after re-admission: which plan it replaces or runs beside"
    )
    # What a MedCom GGOP plan carries beyond the fields above (workflows.domain.plan.details; docs/medcom.md).
    sender: PlanSender | None = Field(default=None, description="The sending department: EAN, number, SOR id")
    medcom_letter: MedComLetter | None = Field(default=None, description="The GGOP letter: codes, episode of care")
    patient_contact: PatientContact | None = None
    relatives: list[Relative] | None = Field(default=None, max_length=20)
    consent_informed: StrictBool | None = Field(
        default=None, description="GGOP ConsentInformed: the patient gave informed consent (ja/nej)"
    )
    current_hospital_contact: HospitalContact | None = None
    hospital_ambulatory_control: AmbulatoryControl | None = None
    icf_classifications: list[IcfClassification] | None = Field(default=None, max_length=50)
    hospital_texts: HospitalTexts | None = None
    contact_region: Organisation | None = Field(default=None, description="Questions to the region (ContactCounty)")
    contact_municipality: Organisation | None = Field(default=None, description="GGOP ContactMunicipality")

    @field_validator("general_practitioner")
    @classmethod
    def _gp_unless_deselected(cls, gp: GeneralPractitioner | None, info: ValidationInfo) -> GeneralPractitioner | None:
        if gp is None and info.data.get("gp_copy_deselected") is not True:
            raise ValueError("general_practitioner is required unless gp_copy_deselected is true")
        return gp

    @field_validator("discharge_date")
    @classmethod
    def _rules_in_force(cls, value: date) -> date:
        # Every stored plan was discharged on or after this day: an earlier one failed in the decider.
        if value < FIRST_DISCHARGE_DATE:
            raise ValueError(f"must lie on or after {FIRST_DISCHARGE_DATE.isoformat()}, when the rules began")
        return value

    # Field validators rather than one model validator, so a refusal names the field (422 `errors[].field`).
    @field_validator("start_date_for_health_reasons")
    @classmethod
    def _start_not_before_discharge(cls, later: date | None, info: ValidationInfo) -> date | None:
        discharged = info.data.get("discharge_date")
        if later is not None and discharged is not None and later < discharged:
            raise ValueError("start_date_for_health_reasons cannot lie before discharge_date")
        return later

    @field_validator("previous_plan")
    @classmethod
    def _not_itself(cls, previous: PreviousPlan | None, info: ValidationInfo) -> PreviousPlan | None:
        if previous is not None and previous.plan_id == info.data.get("plan_id"):
            raise ValueError("previous_plan cannot name the plan itself")
        return previous
