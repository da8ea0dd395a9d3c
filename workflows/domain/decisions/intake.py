"""Plans arriving, being distributed, revoked, replaced, and cases moving between municipalities."""

from __future__ import annotations

import hashlib
from datetime import datetime

from workflows.domain.calendar import local_date
from workflows.domain.case_state import CaseState
from workflows.domain.commands import ReceivePlan, RecordPlanDelivery, ReplacePlan, RevokePlan, TransferCase
from workflows.domain.cpr import check_cpr
from workflows.domain.deadlines import contact_due_on, start_guarantee_due_on
from workflows.domain.decisions.core import CommandRejected, Rejection, decide_rule, require, require_valid
from workflows.domain.decisions.proposal import open_proposal_superseded, start_date_proposed
from workflows.domain.events import (
    CaseClosed,
    CaseEvent,
    CaseTransferred,
    PlanDelivered,
    PlanDeliveryWithheld,
    PlanReceived,
    PlanReplaced,
    PlanRevoked,
)
from workflows.domain.model import DISCHARGE_RECIPIENTS, CaseStatus, CloseReason, PlanRelation, Recipient
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.rules import responsible_authority, rules_for

# Fields added to the plan after plans were first stored: left out of the fingerprint while unset, so
# a plan sent before they existed keeps its fingerprint.
_LATER_PLAN_FIELDS = (
    "previous_plan",
    "rehabilitation_deadline_text",
    # MedCom GGOP details (workflows.domain.plan.details):
    "gp_copy_deselected",
    "sender",
    "medcom_letter",
    "patient_contact",
    "relatives",
    "consent_informed",
    "current_hospital_contact",
    "hospital_ambulatory_control",
    "icf_classifications",
    "hospital_texts",
    "contact_region",
    "contact_municipality",
)


def plan_fingerprint(plan: RehabilitationPlan) -> str:
    unset = {name for name in _LATER_PLAN_FIELDS if getattr(plan, name) is None}
    return hashlib.sha256(plan.model_dump_json(exclude=unset).encode()).hexdigest()


def _plan_warnings(plan: RehabilitationPlan) -> list[str]:
    # cpr.dk: numbers issued since 2007 may fail modulus 11 and are valid; flag, never reject.
    return [] if check_cpr(plan.patient.cpr).passes_modulus_11 else ["cpr_fails_modulus_11"]


@decide_rule.register
def _(command: ReceivePlan, state: CaseState, now: datetime) -> list[CaseEvent]:
    fingerprint = plan_fingerprint(command.plan)
    if state.status is not CaseStatus.NEW:
        require(
            state.plan_fingerprint == fingerprint,
            "this plan id was already received with different content",
            Rejection.PLAN_CONFLICT,
        )
        return []  # the same plan again: nothing new happened
    plan = command.plan
    rules = rules_for(plan.discharge_date)  # the law keys §140 rules by the discharge date
    return [
        PlanReceived(
            occurred_at=now,
            plan=plan,
            plan_fingerprint=fingerprint,
            rules_valid_from=rules.valid_from,
            start_guarantee_due_on=start_guarantee_due_on(plan, rules),
            contact_working_days=command.contact_working_days,
            contact_due_on=contact_due_on(local_date(now), command.contact_working_days),
            responsible_authority=responsible_authority(plan.level, rules),
            warning_working_days=command.warning_working_days,
            intake_team=command.intake_team,
            warnings=_plan_warnings(plan),
        ),
        *start_date_proposed(plan, now),  # accepting the plan proposes the later start its text names
    ]


@decide_rule.register
def _(command: ReplacePlan, state: CaseState, now: datetime) -> list[CaseEvent]:
    current = state.require_plan()
    new = command.plan
    if state.plan_fingerprint == plan_fingerprint(new):
        return []  # this replacement was already made
    link = new.previous_plan
    require_valid(
        link is not None and link.relation is PlanRelation.REPLACES and link.plan_id == current.plan_id,
        f"a replacing plan must name previous_plan {{plan_id: {current.plan_id}, relation: replaces}}",
        "previous_plan",
    )
    require_valid(
        new.patient.cpr == current.patient.cpr, "a replacing plan must be for the same citizen", "patient.cpr"
    )
    rules = rules_for(new.discharge_date)
    return [
        *open_proposal_superseded(state, new, now),
        PlanReplaced(
            occurred_at=now,
            previous_plan_id=current.plan_id,
            plan=new,
            plan_fingerprint=plan_fingerprint(new),
            rules_valid_from=rules.valid_from,
            start_guarantee_due_on=start_guarantee_due_on(new, rules),
            contact_working_days=command.contact_working_days,
            contact_due_on=contact_due_on(local_date(now), command.contact_working_days),
            responsible_authority=responsible_authority(new.level, rules),
            warning_working_days=command.warning_working_days,
        ),
        *start_date_proposed(new, now),
    ]


@decide_rule.register
def _(command: RevokePlan, state: CaseState, now: datetime) -> list[CaseEvent]:
    plan = state.require_plan()
    # KL statusReason "Fejl": a plan sent in error ends the case.
    return [
        PlanRevoked(occurred_at=now, plan_id=plan.plan_id, reason=command.reason),
        CaseClosed(occurred_at=now, reason=CloseReason.PLAN_SENT_IN_ERROR, note=command.reason),
    ]


@decide_rule.register
def _(command: TransferCase, state: CaseState, now: datetime) -> list[CaseEvent]:
    current = state.responsible_municipality_code
    require(state.plan is not None and current is not None, "no plan to transfer")
    require(state.status is not CaseStatus.TRAINING_STARTED, "training has started; close the course instead")
    require_valid(
        command.to_municipality_code != current,
        f"the case already lies with municipality {current}",
        "to_municipality_code",
    )
    return [
        CaseTransferred(
            occurred_at=now,
            from_municipality_code=str(current),
            to_municipality_code=command.to_municipality_code,
            reason=command.reason,
            contact_working_days=command.contact_working_days,
            contact_due_on=contact_due_on(local_date(now), command.contact_working_days),
            warning_working_days=command.warning_working_days,
            intake_team=command.intake_team,
        )
    ]


@decide_rule.register
def _(command: RecordPlanDelivery, state: CaseState, now: datetime) -> list[CaseEvent]:
    require(state.plan is not None, "no plan to deliver")
    if command.recipient in state.deliveries:
        return []  # each recipient is served exactly once
    if command.message_id is None:
        return [PlanDeliveryWithheld(occurred_at=now, recipient=command.recipient, reason="no_consent")]
    return [PlanDelivered(occurred_at=now, recipient=command.recipient, message_id=command.message_id)]


def recipients_to_serve(state: CaseState) -> list[tuple[Recipient, bool]]:
    """Who still needs the plan, and whether it may be sent (the GP only with consent)."""
    if not state.is_open or state.plan is None:
        return []
    wanted = list(DISCHARGE_RECIPIENTS)
    if state.training_hospital is not None:
        wanted.append(Recipient.TRAINING_HOSPITAL)  # specialiseret: the chosen hospital gets the plan too
    # MedCom / AUH: the plan goes to the GP only with the patient's consent.
    # A deselected GP copy (MedCom GGOP GPCCReceiver/Deselected) is withheld like a missing consent.
    consent = state.plan.consent_to_share_with_gp and state.plan.gp_copy_deselected is not True
    return [(r, r is not Recipient.GP or consent) for r in wanted if r not in state.deliveries]


__all__ = ["CommandRejected", "plan_fingerprint", "recipients_to_serve"]
