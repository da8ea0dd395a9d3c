"""The municipality's steps: classification, contact, choice of provider or hospital."""

from __future__ import annotations

from datetime import datetime

from workflows.domain.calendar import local_date
from workflows.domain.case_state import CaseState
from workflows.domain.commands import (
    AssessTransport,
    AssignTeam,
    ChooseProvider,
    ChooseTrainingHospital,
    ClassifyAlmenLevel,
    ReclassifyAlmenLevel,
    RecordCitizenContact,
    RecordContactAttempt,
    RecordProviderRefusal,
    RecordTransportRequest,
)
from workflows.domain.decisions.core import decide_rule, require, require_status, require_valid
from workflows.domain.events import (
    AlmenSubLevelClassified,
    AlmenSubLevelReclassified,
    CaseEvent,
    CitizenContacted,
    ContactAttemptRecorded,
    ProviderChosen,
    ProviderRefused,
    TeamAssigned,
    TrainingHospitalChosen,
    TransportAssessed,
    TransportRequested,
)
from workflows.domain.model import CaseStatus, Level, ProviderKind
from workflows.domain.rules import current_region, rules_for
from workflows.domain.transport import LegalBasis, decide_transport

# The municipality holds the plan from receipt (KL Gateway Rehab IG: `authoredOn` = received; local
# sundhedsaftaler count the contact deadline from receipt). The copies (MedCom; BEK §§4 ff.) are a
# separate obligation that goes on beside the municipality's steps and never holds them up.
_PLAN_HELD = (CaseStatus.RECEIVED, CaseStatus.DISTRIBUTED)
_BEFORE_CONTACT = (*_PLAN_HELD, CaseStatus.CLASSIFIED)


@decide_rule.register
def _(command: ClassifyAlmenLevel, state: CaseState, now: datetime) -> list[CaseEvent]:
    # KL Gateway Rehab IG: basal/avanceret is an optional sub-code of almen, set by the municipality.
    require(state.require_plan().level is Level.ALMEN, "only almen plans are classified basal or avanceret")
    require_status(state, _PLAN_HELD, "classify the level")
    return [AlmenSubLevelClassified(occurred_at=now, sub_level=command.sub_level, reason=command.reason)]


@decide_rule.register
def _(command: ReclassifyAlmenLevel, state: CaseState, now: datetime) -> list[CaseEvent]:
    # KL Gateway Rehab IG: basal/avanceret is the municipality's and "may change over time".
    require(state.sub_level is not None, "the case has not been classified yet")
    assert state.sub_level is not None
    require_valid(command.sub_level is not state.sub_level, f"the case is already {state.sub_level.value}", "sub_level")
    return [
        AlmenSubLevelReclassified(
            occurred_at=now, previous=state.sub_level, sub_level=command.sub_level, reason=command.reason
        )
    ]


@decide_rule.register
def _(command: AssignTeam, state: CaseState, now: datetime) -> list[CaseEvent]:
    require(state.plan is not None, "no plan yet")
    return [] if command.team == state.team else [TeamAssigned(occurred_at=now, team=command.team)]


def _ready_for_contact(state: CaseState) -> tuple[CaseStatus, ...]:
    # Almen plans are classified before contact; other levels have no municipal sub-level.
    return (CaseStatus.CLASSIFIED,) if state.require_plan().level is Level.ALMEN else _PLAN_HELD


@decide_rule.register
def _(command: RecordContactAttempt, state: CaseState, now: datetime) -> list[CaseEvent]:
    require_status(state, _BEFORE_CONTACT, "record a contact attempt")
    return [ContactAttemptRecorded(occurred_at=now, channel=command.channel, note=command.note)]


@decide_rule.register
def _(command: RecordCitizenContact, state: CaseState, now: datetime) -> list[CaseEvent]:
    require_status(state, _ready_for_contact(state), "record contact with the citizen")
    contacted_at = command.contacted_at or now
    require_valid(contacted_at <= now, "contacted_at lies in the future", "contacted_at")
    require_valid(
        state.received_at is None or contacted_at >= state.received_at,
        "contacted_at lies before the plan arrived",
        "contacted_at",
    )
    # BEK kapitel 2 (sst.dk "Frit valg"): the citizen is told of the free choice at the first contact.
    require_valid(
        command.informed_of_provider_choices,
        "the citizen must be informed of the choice of provider at the first contact",
        "informed_of_provider_choices",
    )
    return [
        CitizenContacted(
            occurred_at=now,
            contacted_at=contacted_at,
            channel=command.channel,
            informed_of_provider_choices=command.informed_of_provider_choices,
            note=command.note,
        )
    ]


@decide_rule.register
def _(command: ChooseProvider, state: CaseState, now: datetime) -> list[CaseEvent]:
    plan = state.require_plan()
    # BEK om genoptræningsplaner bilag 1: specialiseret genoptræning needs a hospital, not a municipal provider.
    require(plan.level is not Level.SPECIALISERET, "specialiseret genoptræning takes place at a hospital")
    require_status(state, (CaseStatus.CITIZEN_CONTACTED, CaseStatus.PROVIDER_CHOSEN), "choose a provider")
    provider = command.provider
    home = state.responsible_municipality_code
    # BEK kapitel 2 (sst.dk "Frit valg"): the home municipality's own and contracted providers, or an
    # institution run by another municipality; never another municipality's private providers.
    at_home = provider.municipality_code == home and provider.kind in (ProviderKind.OWN, ProviderKind.CONTRACTED)
    elsewhere = provider.municipality_code != home and provider.kind is ProviderKind.OWN
    require_valid(
        at_home or elsewhere,
        "the citizen may choose the municipality's own or contracted providers, or another municipality's own "
        "institution; never another municipality's private provider",
        "provider_id",
    )
    return [ProviderChosen(occurred_at=now, provider=provider)]


@decide_rule.register
def _(command: RecordProviderRefusal, state: CaseState, now: datetime) -> list[CaseEvent]:
    require_status(state, (CaseStatus.PROVIDER_CHOSEN,), "record a refusal")
    provider = state.provider
    # BEK kapitel 2: only another municipality's institution may refuse, for capacity reasons.
    require(
        provider is not None and provider.municipality_code != state.responsible_municipality_code,
        "only another municipality's institution can refuse the citizen",
    )
    assert provider is not None
    return [ProviderRefused(occurred_at=now, provider=provider, reason=command.reason)]


@decide_rule.register
def _(command: ChooseTrainingHospital, state: CaseState, now: datetime) -> list[CaseEvent]:
    plan = state.require_plan()
    require(plan.level is Level.SPECIALISERET, "only specialiseret genoptræning takes place at a hospital")
    require_status(state, (*_PLAN_HELD, CaseStatus.CITIZEN_CONTACTED, CaseStatus.PROVIDER_CHOSEN), "choose a hospital")
    require(state.first_appointment_on is None, "training has been offered at the chosen hospital already")
    # SUL §86 (frit sygehusvalg) covers specialised training; the regions are those in force today.
    rules = rules_for(local_date(now))
    require_valid(
        command.hospital.region in rules.regions,
        f"region must be one of {', '.join(sorted(rules.regions))}",
        "hospital.region",
    )
    # The citizen chooses among the hospitals of their region (sundhed.dk: "hvilket hospital i regionen").
    if command.citizen_region is not None:
        home_region = current_region(command.citizen_region, rules)
        require_valid(
            command.hospital.region == home_region,
            f"the citizen chooses a hospital in their own region ({home_region})",
            "hospital.region",
        )
    return [TrainingHospitalChosen(occurred_at=now, hospital=command.hospital)]


@decide_rule.register
def _(command: AssessTransport, state: CaseState, now: datetime) -> list[CaseEvent]:
    require(state.is_open and state.plan is not None, "transport is decided for an open case")
    assessment = command.assessment
    # A hospital plan's training is SUL §140 training; §86 applications decide transport on their own.
    require_valid(
        assessment.legal_basis is LegalBasis.SUNDHEDSLOVEN_140,
        "a hospital plan's training falls under Sundhedsloven §140",
        "assessment.legal_basis",
    )
    decision = decide_transport(assessment, local_date(now))
    return [TransportAssessed(occurred_at=now, assessment=assessment, decision=decision)]


@decide_rule.register
def _(command: RecordTransportRequest, state: CaseState, now: datetime) -> list[CaseEvent]:
    # BEK 816/2018 (SUL §§171-172): a citizen may apply for transport to training; the municipality decides it.
    require(state.is_open and state.plan is not None, "transport is requested for an open case")
    today = local_date(now)
    requested_on = command.requested_on or today
    require_valid(requested_on <= today, "the request cannot lie in the future", "requested_on")
    if state.transport_requested_on is not None:
        return []  # already waiting for its decision
    return [TransportRequested(occurred_at=now, requested_on=requested_on, note=command.note)]
