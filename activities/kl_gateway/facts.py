"""What KL Gateway Rehab asks about a case, folded from its events with the domain's own `evolve`.

A case yields one `GopFacts` per plan (a replacing plan starts a new one) and per municipality that was
responsible for it (a transfer ends the first municipality's part). Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from workflows.domain import events as ev
from workflows.domain.model import AlmenSubLevel, CaseStatus, CloseReason, GuaranteeStatusReason, Level, OptOutReason
from workflows.domain.state import CaseState, evolve

DANISH_TIME = ZoneInfo("Europe/Copenhagen")
# SUL §140 stk. 4 and KL Gateway Rehab 2.2.0 (the 7-day rule): a start offered within 7 days of discharge.
SEVEN_DAYS = timedelta(days=7)


class GopStatus(StrEnum):
    """ServiceRequest.status (FHIR R4 request-status) as the guide uses it."""

    ACTIVE = "active"
    ON_HOLD = "on-hold"  # the municipality does not act (yet): with a status reason
    REVOKED = "revoked"  # replaced by a new GOP, or ended without a course
    COMPLETED = "completed"


@dataclass(frozen=True)
class Performer:
    """Who carries out the course: a register provider (no SOR id in the register) or a training hospital."""

    provider_id: str | None
    sor_id: str | None


@dataclass(frozen=True)
class CourseFacts:
    """The course (CarePlan): granted when the municipality chose its provider."""

    performer: Performer
    granted_on: date
    started: bool  # a first appointment was offered
    ended_on: date | None
    completed: bool
    close_reason: CloseReason | None  # set when the course was cancelled or stopped
    opt_out_reason: OptOutReason | None
    replaced: bool  # ended because a new GOP replaced its GOP


@dataclass(frozen=True)
class GopFacts:
    case_id: str
    plan_seq: int  # 0 for the first plan of the case, 1 for the plan that replaced it, ...
    municipality_code: str
    requester_sor_id: str
    level: Level
    sub_level: AlmenSubLevel | None
    received_on: date  # the day this municipality received the GOP (or the case, after a transfer)
    discharge_date: date
    first_offered_on: date | None
    status: GopStatus
    status_reason: GuaranteeStatusReason | None
    replaces_seq: int | None
    diagnoses: tuple[tuple[str, str | None], ...]
    course: CourseFacts | None


@dataclass(frozen=True)
class CaseFacts:
    case_id: str
    cpr: str
    deceased: bool
    gops: tuple[GopFacts, ...]


def danish_date(moment: datetime) -> date:
    return moment.astimezone(DANISH_TIME).date()


@dataclass
class _Part:
    """One plan of a case as one municipality had it, while it is being folded."""

    plan_seq: int
    municipality_code: str
    received_on: date
    replaces_seq: int | None
    state: CaseState
    granted_on: date | None = None
    ended_on: date | None = None  # the day the case completed or closed


def case_facts(case_id: str, events: Iterable[ev.CaseEvent], *, until: datetime | None = None) -> CaseFacts | None:
    """The case's facts from its events (those before `until` only); None for a case without a plan."""
    state = CaseState(case_id=case_id)
    parts: list[tuple[_Part, CaseState, GopStatus, date]] = []  # finished parts: state before the end, status, day
    current: _Part | None = None
    for event in events:
        if until is not None and event.occurred_at >= until:
            break
        before = state
        state = evolve(state, event)
        day = danish_date(event.occurred_at)
        if isinstance(event, ev.PlanReceived):
            current = _Part(0, event.plan.home_municipality_code, day, None, state)
        elif current is None:
            continue
        elif isinstance(event, ev.PlanReplaced):
            parts.append((current, before, GopStatus.REVOKED, day))
            current = _Part(current.plan_seq + 1, event.plan.home_municipality_code, day, current.plan_seq, state)
        elif isinstance(event, ev.CaseTransferred):
            reason_state = before.model_copy(update={"guarantee_status_reason": state.guarantee_status_reason})
            parts.append((current, reason_state, GopStatus.ON_HOLD, day))
            # The receiving municipality never had the replaced plan: its GOP replaces nothing of its own.
            current = _Part(current.plan_seq, event.to_municipality_code, day, None, state)
        else:
            if _performer(state) != _performer(current.state) or current.granted_on is None:
                current.granted_on = day if _performer(state) is not None else None
            if state.status.is_terminal and not before.status.is_terminal:
                current.ended_on = day
            current.state = state
    if current is None or state.plan is None:
        return None
    deceased = state.close_reason is CloseReason.DECEASED
    gops = [_gop(part, end_state, status, day) for part, end_state, status, day in parts]
    gops.append(_gop(current, current.state, None, None))
    return CaseFacts(case_id=case_id, cpr=state.plan.patient.cpr, deceased=deceased, gops=tuple(gops))


def _performer(state: CaseState) -> Performer | None:
    if state.provider is not None:
        return Performer(provider_id=state.provider.provider_id, sor_id=None)
    if state.training_hospital is not None:
        return Performer(provider_id=None, sor_id=state.training_hospital.sor_id)
    return None


def _missed_seven_days(state: CaseState) -> bool:
    plan = state.require_plan()
    return state.first_appointment_on is None or state.first_appointment_on > plan.discharge_date + SEVEN_DAYS


def _status(state: CaseState) -> GopStatus:
    if state.close_reason is CloseReason.PLAN_SENT_IN_ERROR or state.status is CaseStatus.CLOSED:
        return GopStatus.REVOKED
    if state.status is CaseStatus.COMPLETED:
        return GopStatus.COMPLETED
    if state.guarantee_status_reason is not None and state.first_appointment_on is None:
        return GopStatus.ON_HOLD
    return GopStatus.ACTIVE


def _gop(part: _Part, state: CaseState, ended_as: GopStatus | None, ended_on: date | None) -> GopFacts:
    plan = state.require_plan()
    reason = state.guarantee_status_reason if _missed_seven_days(state) else None
    return GopFacts(
        case_id=state.case_id,
        plan_seq=part.plan_seq,
        municipality_code=part.municipality_code,
        requester_sor_id=plan.sending_hospital_sor_id,
        level=plan.level,
        sub_level=state.sub_level if plan.level is Level.ALMEN else None,
        received_on=part.received_on,
        discharge_date=plan.discharge_date,
        first_offered_on=state.first_appointment_on,
        status=ended_as or _status(state),
        status_reason=reason,
        replaces_seq=part.replaces_seq,
        diagnoses=tuple((d.code, d.text) for d in plan.diagnoses),
        course=_course(part, state, ended_as, ended_on),
    )


def _course(part: _Part, state: CaseState, ended_as: GopStatus | None, ended_on: date | None) -> CourseFacts | None:
    performer = _performer(state)
    if performer is None or part.granted_on is None:
        return None
    ended_by_other = ended_as is not None  # replaced, or handed to another municipality
    close_reason = state.close_reason if state.status is CaseStatus.CLOSED else None
    if ended_by_other and close_reason is None:
        close_reason = CloseReason.EVENT_ENDS_COURSE
    if ended_on is None and state.status.is_terminal:
        ended_on = part.ended_on
    return CourseFacts(
        performer=performer,
        granted_on=part.granted_on,
        started=state.first_appointment_on is not None,
        ended_on=ended_on,
        completed=state.status is CaseStatus.COMPLETED and not ended_by_other,
        close_reason=close_reason,
        opt_out_reason=state.opt_out_reason if close_reason is CloseReason.ACTIVE_OPT_OUT else None,
        replaced=ended_as is GopStatus.REVOKED,
    )
