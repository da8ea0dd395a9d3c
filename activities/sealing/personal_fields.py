"""Which fields of which stored bodies are personal data: the one table the store seals by.

Every field listed as personal is stored sealed with the citizen's key (`activities.sealing.personal_data`), in
`events.payload` and in the read models' `state`; every other field stays in clear, so dates, levels,
statuses, municipality codes and SOR ids still add up in statistics after a citizen's key is destroyed.

A path is dotted from the body's root; `[]` walks into every item of a list and `{}` into every value of a
dict. A path may name a whole subtree (`plan.patient_contact`): it is sealed as one value, and so is anything
added under it later. `tests/activities/sealing/test_personal_fields.py` walks every event and state model and fails
for a text field that is in neither list, so a new event or field is classified before it is stored.

How an erased field reads (the key was destroyed; docs/security.md, "What an erased case shows"):
- `TEXT`: the text `[slettet]` (a text field: the CPR number, the name, a note), so a reader can tell an erased
  note from a note that was never written;
- `NULL`: null (an optional subtree: the contact details, the relatives, the hospital's texts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType


class Erased(Enum):
    TEXT = "text"
    NULL = "null"


ERASED_TEXT = "[slettet]"


@dataclass(frozen=True)
class BodyFields:
    """The personal fields of one kind of body, and the path of the CPR number that picks the key, if the body
    carries one (otherwise the key of the stream's citizen is used)."""

    personal: Mapping[str, Erased]
    non_personal: frozenset[str] = frozenset()
    citizen: str | None = None


def _under(prefix: str, paths: Mapping[str, Erased]) -> dict[str, Erased]:
    return {f"{prefix}.{path}": erased for path, erased in paths.items()}


T, N = Erased.TEXT, Erased.NULL

# The hospital's plan (workflows.domain.plan.plan): the citizen, their contact details and relatives, and every
# free text about their health. Organisations (sender, hospital, municipality contacts), ids and codes stay.
PLAN_PERSONAL: dict[str, Erased] = {
    "patient.cpr": T,
    "patient.name": T,
    "patient_contact": N,
    "relatives": N,
    "general_practitioner.name": T,
    "diagnoses[].code": T,
    "diagnoses[].text": T,
    "function_at_discharge": T,
    "training_need": T,
    "rehabilitation_deadline_text": T,
    "contents.daily_life_before_admission": T,
    "contents.aids_description": T,
    "contents.social_network": T,
    "contents.manages_at_discharge": T,
    "contents.training_need_at_discharge": T,
    "contents.municipality_contact_information": T,
    "current_hospital_contact.expected_end_text": T,
    "hospital_ambulatory_control.expected_start_text": T,
    "icf_classifications": N,
    "hospital_texts": N,
    "medcom_letter.episode_of_care_id": N,
}
PLAN_NON_PERSONAL = frozenset(
    {
        "plan_id",
        "sending_hospital_sor_id",
        "home_municipality_code",
        "general_practitioner.sor_id",
        "general_practitioner.provider_number",
        "previous_plan.plan_id",
        "sender",
        "medcom_letter.letter_id",
        "medcom_letter.version_code",
        "medcom_letter.statistical_code",
        "medcom_letter.plan_type",
        "hospital_ambulatory_control.location",
        "contact_region",
        "contact_municipality",
    }
)

_PLAN_EVENT = BodyFields(
    personal=_under("plan", PLAN_PERSONAL),
    non_personal=frozenset(
        {f"plan.{path}" for path in PLAN_NON_PERSONAL} | {"plan_fingerprint", "warnings[]", "intake_team"}
    ),
    citizen="plan.patient.cpr",
)
_PROVIDER = frozenset({"provider.provider_id", "provider.name", "provider.municipality_code"})
_HOSPITAL = frozenset({"hospital.sor_id", "hospital.name", "hospital.region"})


def _free_text(*fields: str, non_personal: frozenset[str] = frozenset()) -> BodyFields:
    return BodyFields(personal={field: T for field in fields}, non_personal=non_personal)


_NOTHING = BodyFields(personal={})
_CONFIRMED_ATTENTION = frozenset({"confirmed_attention[].ref", "confirmed_attention[].detail"})

# Outbound messages (workflows.domain.messaging.events), in case and application streams alike: ids and codes only, the
# content stays sealed in the outbox.
_MESSAGE_EVENTS: dict[str, BodyFields] = {
    "MessageQueued": BodyFields({}, frozenset({"message_id", "plan_id"})),
    "MessageSent": BodyFields({}, frozenset({"message_id", "transport_ref", "envelope_id"})),
    "MessageAcknowledged": BodyFields({}, frozenset({"message_id"})),
    "MessageDeliveryFailed": BodyFields({}, frozenset({"message_id"})),
    "MessageResendRequested": BodyFields({}, frozenset({"message_id"})),
}

# Who holds a case (workflows.domain.casework.model): staff ids and team ids, no citizen's data; a reason is free text.
_HOLDERS = frozenset({"assignee", "team", "previous_assignee", "previous_team"})
_CASEWORK_EVENTS: dict[str, BodyFields] = {
    "CaseAssigned": _free_text("reason", non_personal=_HOLDERS),
    "CaseClaimed": BodyFields({}, _HOLDERS),
    "CaseHandedOn": _free_text("reason", non_personal=_HOLDERS),
    "CaseReleased": _free_text("reason", non_personal=_HOLDERS),
    # A caseworker's note is health data about the citizen, sealed and erased like the plan's own text.
    "NoteAdded": _free_text("text", non_personal=frozenset({"note_id", "corrects_note_id"})),
    "DeadlineWarningIssued": BodyFields({}, frozenset({"warning_id", "assignee", "team"})),
    "DeadlineWarningSeen": BodyFields({}, frozenset({"warning_id"})),
}

# Case streams (workflows.domain.events), by event type.
CASE_EVENTS: Mapping[str, BodyFields] = MappingProxyType(
    {
        "PlanReceived": _PLAN_EVENT,
        "PlanReplaced": BodyFields(
            _PLAN_EVENT.personal, _PLAN_EVENT.non_personal | {"previous_plan_id"}, _PLAN_EVENT.citizen
        ),
        "PlanDelivered": BodyFields({}, frozenset({"message_id"})),
        "PlanDeliveryWithheld": BodyFields({}, frozenset({"reason"})),  # a reason code (no_consent, ...)
        "AlmenSubLevelClassified": _free_text("reason"),
        "AlmenSubLevelReclassified": BodyFields({"reason": T}),
        "CitizenContacted": _free_text("note"),
        "ProviderChosen": BodyFields({}, _PROVIDER),
        "ProviderRefused": BodyFields({"reason": T}, _PROVIDER),
        "FreeChoiceAccepted": BodyFields({}, _PROVIDER),
        "TrainingHospitalChosen": BodyFields({}, _HOSPITAL),
        "StartOffered": _NOTHING,
        "StartGuaranteeBreached": _NOTHING,
        "ContactDeadlineMissed": _NOTHING,
        # The closing check's confirmed items: kinds, case/application/message ids and status codes only.
        "CourseCompleted": _free_text("note", non_personal=_CONFIRMED_ATTENTION),
        "CaseClosed": _free_text("note", non_personal=_CONFIRMED_ATTENTION),
        "TeamAssigned": BodyFields({}, frozenset({"team"})),
        "ContactAttemptRecorded": _free_text("note"),
        "ContactReminderDue": BodyFields({}, frozenset({"team"})),
        "AppointmentCancelled": _free_text("reason"),
        "FreeChoiceDeclined": _free_text("note"),
        "StartPostponedByCitizen": _free_text("note"),
        "CaseTransferred": BodyFields({}, frozenset({"from_municipality_code", "to_municipality_code", "intake_team"})),
        "PlanRevoked": BodyFields({"reason": T}, frozenset({"plan_id"})),
        "TransportAssessed": _NOTHING,
        "TransportRequested": _free_text("note"),
        # The plan's own words on when to start (from rehabilitation_deadline_text) and a caseworker's reason.
        "StartDateProposed": BodyFields({"source_text": T}, frozenset({"plan_id"})),
        "ProposedStartDateConfirmed": BodyFields({}, frozenset({"plan_id"})),
        "ProposedStartDateRejected": BodyFields({"reason": T}, frozenset({"plan_id"})),
        "ProposedStartDateSuperseded": BodyFields({}, frozenset({"plan_id", "by_plan_id"})),
        **_MESSAGE_EVENTS,
        **_CASEWORK_EVENTS,
    }
)

_APPLICATION_DECIDED = frozenset({"legal_reference.citation", "appeal_guidance.text"})

# Application streams (workflows.domain.applications.events), by event type.
APPLICATION_EVENTS: Mapping[str, BodyFields] = MappingProxyType(
    {
        "ApplicationReceived": BodyFields(
            personal={
                "application.citizen.cpr": T,
                "application.citizen.name": T,
                "application.description_of_need": T,
            },
            non_personal=frozenset(
                {"application.municipality_code", "application_fingerprint", "legal_reference.citation"}
            ),
            citizen="application.citizen.cpr",
        ),
        "GpInformationRequested": _free_text("note"),
        "GpInformationReceived": _free_text("note"),
        "GpInformationOverdue": _NOTHING,
        "DecisionMade": _free_text("reason", non_personal=_APPLICATION_DECIDED),
        "AppealReceived": _free_text("note"),
        "ReassessmentCompleted": _free_text("note"),
        "AnkestyrelsenForwardingOverdue": _NOTHING,
        "ForwardedToAnkestyrelsen": _NOTHING,
        "AnkestyrelsenOutcomeRecorded": _free_text("note"),
        "TransportAssessed": BodyFields({"grounds": T}),
        "GrantPeriodEnded": _NOTHING,
        "AppealPeriodEnded": _NOTHING,
        "ApplicationClosed": _free_text("note"),
        **_MESSAGE_EVENTS,
    }
)

# The read models' folded states (the `state` column of `cases` and `applications`).
CASE_STATE = BodyFields(
    personal=_under("plan", PLAN_PERSONAL) | {"start_date_proposal.source_text": T, "start_date_proposal.reason": T},
    non_personal=frozenset(
        {f"plan.{path}" for path in PLAN_NON_PERSONAL}
        | {"case_id", "deliveries{}", "plan_fingerprint", "responsible_municipality_code", "revoked_plan_ids[]"}
        | {"team", "warnings[]", "start_date_proposal.plan_id"}
        | {"assignee", "note_ids[]"}
        | {f"unseen_warnings[].{field}" for field in ("warning_id", "assignee", "team")}
        | {f"provider.{field}" for field in ("provider_id", "name", "municipality_code")}
        | {f"training_hospital.{field}" for field in ("sor_id", "name", "region")}
    ),
    citizen="plan.patient.cpr",
)
# What a command's scope check reads of a case's state (activities.queries.cases.get_case_scope): the citizen only.
CASE_CITIZEN = BodyFields(personal={"plan.patient.cpr": T}, citizen="plan.patient.cpr")
APPLICATION_STATE = BodyFields(
    personal={
        "application.citizen.cpr": T,
        "application.citizen.name": T,
        "application.description_of_need": T,
        "refusal_reason": T,
        "transport_grounds": T,
    },
    non_personal=frozenset(
        {"application_id", "application.municipality_code", "application_fingerprint"} | _APPLICATION_DECIDED
    ),
    citizen="application.citizen.cpr",
)

# Values that pass a field's validator while an erased body is loaded; the loaded model then reads
# `[slettet]` there (activities.sealing.personal_data.validated). Only fields whose validator refuses `[slettet]`.
STAND_INS: Mapping[str, str] = MappingProxyType(
    {"patient.cpr": "0101010000", "citizen.cpr": "0101010000", "diagnoses[].code": "DZ000"}
)


def case_event_fields(event_type: str) -> BodyFields:
    """The classification of a case event type; KeyError for a type nobody classified (never stored in clear)."""
    return CASE_EVENTS[event_type]


def application_event_fields(event_type: str) -> BodyFields:
    return APPLICATION_EVENTS[event_type]
