"""The one table that maps the service's own codes to the code systems KL Gateway Rehab 2.2.0 uses.

Every code here is copied from the guide's `input/fsh/140CodeSystem.fsh` (value sets ServiceRequestTypes140,
ServiceRequestStatusReasons140, CancellationTypes, CarePlanCategories140, ServiceTypes140) and the profiles'
fixed values; docs/reports.md prints the same table for a reader.
"""

from __future__ import annotations

from typing import Final

from workflows.domain.model import AlmenSubLevel, CloseReason, GuaranteeStatusReason, Level, OptOutReason

# Code systems and identifier systems (guide `aliases.fsh`; dk-core 3.2.0 for CPR and SOR).
KL_CODES: Final = "http://fhir.kl.dk/term/CodeSystem/CareSocialCodes"
CPR_SYSTEM: Final = "urn:oid:1.2.208.176.1.2"
SOR_SYSTEM: Final = "urn:oid:1.2.208.176.1.1"
SKS_DIAGNOSIS_SYSTEM: Final = "urn:oid:1.2.208.176.2.4.12"
CONDITION_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

# Profiles and extensions (canonical http://fhir.kl.dk/rehab; SUSHI gives an extension its name as id).
_BASE: Final = "http://fhir.kl.dk/rehab/StructureDefinition/"
PROFILE_REPORT: Final = _BASE + "klgateway-140-delivery-report"
PROFILE_CITIZEN: Final = _BASE + "klgateway-140-citizen"
PROFILE_SERVICE_REQUEST: Final = _BASE + "klgateway-140-servicerequest"
PROFILE_CARE_PLAN: Final = _BASE + "klgateway-140-care-plan"
PROFILE_ORGANIZATION: Final = _BASE + "klgateway-140-organization"
PROFILE_FOCUS_CONDITION: Final = _BASE + "klgateway-140-focus-condition"
EXT_DISCHARGE_DATE: Final = _BASE + "PreconditionDate"
EXT_BASED_ON_SERVICE_REQUEST: Final = _BASE + "BasedOnServiceRequestExtension"
EXT_STATUS_REASON: Final = "http://hl7.org/fhir/StructureDefinition/request-statusReason"

# ServiceRequest.code: always "Kommunal genoptræning efter sygehusophold" (ServiceTypes140).
SERVICE_TYPE_TRAINING: Final = "7fc66c15-0cb3-4c89-9e18-f3a01e6a6592"

# ServiceRequest.category: the GOP's level (MedCom's codes as copied into KL-term), ServiceRequestTypes140.
LEVEL_CATEGORY: Final[dict[Level, tuple[str, str]]] = {
    Level.ALMEN: ("ffd81f78-352e-4589-a195-5350dd1df2a4", "almen"),
    Level.SPECIALISERET: ("0c8e2bfc-1350-45d1-90da-c07e2645d073", "specialiseret"),
    Level.REHABILITERING_SPECIALISERET: ("83c89857-8fb8-4163-97b1-eb1a56345c29", "rehabilitering"),
}
# The second category of an almen GOP: the municipality's basal/avanceret (correctable, guide).
SUB_LEVEL_CATEGORY: Final[dict[AlmenSubLevel, tuple[str, str]]] = {
    AlmenSubLevel.BASAL: ("8b962281-2ab6-4b10-9c91-4bac592d6d49", "basal"),
    AlmenSubLevel.AVANCERET: ("b679c454-2da2-46dd-9425-0e52d4aa2bf3", "avanceret"),
}
# The guide's invariant gateway-140-service-request-1: one category is one of these three.
LEVEL_CODES: Final = frozenset(code for code, _ in LEVEL_CATEGORY.values())

# ServiceRequest.extension[statusReason]: why no start within the 7 days (ServiceRequestStatusReasons140).
STATUS_REASON: Final[dict[GuaranteeStatusReason, tuple[str, str]]] = {
    GuaranteeStatusReason.ANDEN_KOMMUNE: ("f64b8f5e-8ced-4a8b-ab73-8994fb524915", "Anden kommune"),
    GuaranteeStatusReason.UDSKUDT: ("a8632e22-bf0c-4f5a-92a7-70977ba104d5", "Udskudt"),
    GuaranteeStatusReason.FRIT_VALG: ("3796fa11-305f-47d6-b164-45b05489afb2", "FritValg"),
    GuaranteeStatusReason.FEJL: ("8ac7be88-5d16-4dbd-a61a-ab02673f4b34", "Fejl"),
    GuaranteeStatusReason.FRIT_VALG_AFSLAAET: ("46a6bc1f-bfe8-4390-a71f-44ad4a384b9d", "FritValg afslået"),
}

# CarePlan.category (CarePlanCategories140): the service's course is the §140 training itself.
CARE_PLAN_INTERVENTION: Final = ("f15b2663-94d9-4d0c-a5de-d8bd8e1e4ebb", "Interventionsforløb efter §140")

# CarePlan.activity.detail.statusReason (CancellationTypes), by the reason the case was closed.
_EVENT_ENDS_COURSE: Final = ("82e99421-31da-4915-96ed-168ccfa1d20c", "Hændelse medfører ophør")
CLOSE_REASON_CANCELLATION: Final[dict[CloseReason, tuple[str, str]]] = {
    CloseReason.NO_FURTHER_NEED_CITIZEN: (
        "4bbf6d6a-a1c6-41c2-b8c1-7352b7378adf",
        "Ikke yderligere behov (borger-vurderet)",
    ),
    CloseReason.NO_FURTHER_NEED_PROFESSIONAL: (
        "a63b6aa6-7d56-4e67-a5b3-d73f6d262af5",
        "Ikke yderligere behov (fagperson-vurderet)",
    ),
    CloseReason.ACTIVE_OPT_OUT: ("3a5a72b7-addf-4857-b80c-04e4246e3072", "Aktivt fravalg"),
    CloseReason.EVENT_ENDS_COURSE: _EVENT_ENDS_COURSE,
    CloseReason.CITIZEN_DID_NOT_SHOW: (
        "ef491570-7884-4acd-bcf7-43d6b2c64762",
        "Borger har ikke henvendt sig eller er udeblevet",
    ),
    # KL's list has no "death": it is an event that ends the course (and the citizen is reported deceased).
    CloseReason.DECEASED: _EVENT_ENDS_COURSE,
    # A GOP sent in error ends a course already granted; the GOP itself carries the status reason "Fejl".
    CloseReason.PLAN_SENT_IN_ERROR: _EVENT_ENDS_COURSE,
}
# The finer kinds of "Aktivt fravalg"; OptOutReason.OTHER keeps the plain code.
OPT_OUT_CANCELLATION: Final[dict[OptOutReason, tuple[str, str]]] = {
    OptOutReason.OTHER_ILLNESS: ("0cd5734d-b663-47c6-a3da-6b14a937d144", "Aktivt fravalg pga. anden sygdom"),
    OptOutReason.TRANSPORT_ECONOMY: (
        "f8436c2e-af1c-44fe-939d-473b518dd01d",
        "Aktivt fravalg pga. økonomi ifm. transport",
    ),
    OptOutReason.TRANSPORT_LOGISTICS: (
        "8371b769-4bfb-4ac8-b130-d91c54784a56",
        "Aktivt fravalg pga. logistik ifm. transport",
    ),
    OptOutReason.OTHER_TRAINING: ("a3f2bd01-078b-486e-81be-797d192ad7bd", "Aktivt fravalg pga. anden træning"),
    OptOutReason.OTHER: CLOSE_REASON_CANCELLATION[CloseReason.ACTIVE_OPT_OUT],
}
# A course that ends because a new GOP replaced its GOP (re-admission): the service starts the course over.
REPLACED_PLAN_CANCELLATION: Final = _EVENT_ENDS_COURSE

CANCELLATION_CODES: Final = frozenset(
    code for code, _ in (*CLOSE_REASON_CANCELLATION.values(), *OPT_OUT_CANCELLATION.values())
)
STATUS_REASON_CODES: Final = frozenset(code for code, _ in STATUS_REASON.values())
SERVICE_REQUEST_CATEGORY_CODES: Final = frozenset(
    code for code, _ in (*LEVEL_CATEGORY.values(), *SUB_LEVEL_CATEGORY.values())
)


def cancellation(reason: CloseReason, opt_out: OptOutReason | None) -> tuple[str, str]:
    """The KL cancellation code for a closed case (the finer opt-out code where the caseworker gave one)."""
    if reason is CloseReason.ACTIVE_OPT_OUT and opt_out is not None:
        return OPT_OUT_CANCELLATION[opt_out]
    return CLOSE_REASON_CANCELLATION[reason]
