"""Vocabulary of a genoptræning case: levels, statuses and reasons as the law and KL name them."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    """The level the hospital states in the plan (BEK om genoptræningsplaner §2, bilag 1)."""

    ALMEN = "almen"
    SPECIALISERET = "specialiseret"
    REHABILITERING_SPECIALISERET = "rehabilitering_specialiseret"


class AlmenSubLevel(StrEnum):
    """Basal or avanceret: set by the municipality for almen plans (KL Gateway Rehab IG)."""

    BASAL = "basal"
    AVANCERET = "avanceret"


class DischargeKind(StrEnum):
    """Where the patient was discharged from; all of them count as "udskrivning" (vejledning kap. 3.2)."""

    WARD = "ward"
    OUTPATIENT = "outpatient"
    DAY_UNIT = "day_unit"
    EMERGENCY = "emergency"


class Recipient(StrEnum):
    """Who receives the plan: patient, GP and home municipality (MedCom; BEK §§4 ff.), and for
    specialiseret genoptræning also the hospital the citizen chooses (medcom.dk, Genoptræningsområdet)."""

    PATIENT = "patient"
    GP = "gp"
    MUNICIPALITY = "municipality"
    TRAINING_HOSPITAL = "training_hospital"


# The copies every plan gets at discharge; the training hospital's copy follows the citizen's choice.
DISCHARGE_RECIPIENTS: tuple[Recipient, ...] = (Recipient.PATIENT, Recipient.GP, Recipient.MUNICIPALITY)


class CaseStatus(StrEnum):
    NEW = "new"  # before the plan is recorded; never stored
    RECEIVED = "received"
    DISTRIBUTED = "distributed"
    CLASSIFIED = "classified"
    CITIZEN_CONTACTED = "citizen_contacted"
    PROVIDER_CHOSEN = "provider_chosen"
    TRAINING_STARTED = "training_started"
    COMPLETED = "completed"
    CLOSED = "closed"

    @property
    def is_terminal(self) -> bool:
        return self in (CaseStatus.COMPLETED, CaseStatus.CLOSED)


class ContactChannel(StrEnum):
    PHONE = "phone"
    LETTER = "letter"
    DIGITAL_POST = "digital_post"
    IN_PERSON = "in_person"


class ProviderKind(StrEnum):
    """Whose provider it is (BEK kapitel 2; sst.dk "Frit valg af genoptræningstilbud")."""

    OWN = "own"
    CONTRACTED = "contracted"
    OTHER_MUNICIPALITY = "other_municipality"
    KL_FREE_CHOICE = "kl_free_choice"  # a private provider KL has contracted (SUL §140 stk. 5)


class CloseReason(StrEnum):
    """KL's reasons for ending a §140 course (KL Gateway Rehab IG), plus death."""

    NO_FURTHER_NEED_CITIZEN = "no_further_need_citizen_assessed"
    NO_FURTHER_NEED_PROFESSIONAL = "no_further_need_professional_assessed"
    ACTIVE_OPT_OUT = "active_opt_out"
    EVENT_ENDS_COURSE = "event_ends_course"
    CITIZEN_DID_NOT_SHOW = "citizen_did_not_show"
    DECEASED = "deceased"
    PLAN_SENT_IN_ERROR = "plan_sent_in_error"


class OptOutReason(StrEnum):
    """Sub-reasons of an active opt-out (KL Gateway Rehab IG, "Aktivt fravalg")."""

    OTHER_ILLNESS = "other_illness"
    TRANSPORT_ECONOMY = "transport_economy"
    TRANSPORT_LOGISTICS = "transport_logistics"
    OTHER_TRAINING = "other_training"
    OTHER = "other"


class GuaranteeStatusReason(StrEnum):
    """KL's reasons for no start within the 7-day guarantee (KL Gateway Rehab IG, statusReason)."""

    ANDEN_KOMMUNE = "anden_kommune"  # handed to another municipality at the citizen's request
    UDSKUDT = "udskudt"  # the plan requires a later start
    FRIT_VALG = "frit_valg"  # moved to a free-choice provider
    FRIT_VALG_AFSLAAET = "frit_valg_afslaaet"  # offered free choice, prefers to wait
    FEJL = "fejl"  # plan sent in error


class TransferReason(StrEnum):
    CITIZEN_REQUEST = "citizen_request"  # handed to another municipality at the citizen's request
    CITIZEN_MOVED = "citizen_moved"  # the citizen moved: the plan follows with its history


class PlanRelation(StrEnum):
    """How a new plan after re-admission relates to an earlier one (KL Gateway Rehab IG, `replaces`)."""

    REPLACES = "replaces"  # the old plan is revoked; the case continues with the new plan
    PARALLEL = "parallel"  # both stay active, e.g. another body region


class ResponsibleAuthority(StrEnum):
    MUNICIPALITY = "municipality"
    REGION = "region"


class DeadlineKind(StrEnum):
    START_GUARANTEE = "start_guarantee"
    CONTACT = "contact"
    CONTACT_REMINDER = "contact_reminder"
    # Warnings to whoever holds the case, a municipality's lead time before the deadline (docs/casework.md).
    CONTACT_WARNING = "contact_warning"
    START_GUARANTEE_WARNING = "start_guarantee_warning"
