"""Commands on an application: what the citizen's application, a caseworker or its clock asks of it.

Each command is one pydantic model and the single input of its Workflow Update. Rules that need no
state (a grant has a period, a refusal a reason) are checked here, field by field, so a 422 names the
field; rules that need the application's facts live in the decider.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import ConfigDict, Field, StrictBool, ValidationInfo, field_validator

from workflows.domain.applications.model import (
    AnkestyrelsenOutcome,
    ApplicationDeadlineKind,
    CaseworkerCloseReason,
    DecisionOutcome,
    LegalBasis,
    ReassessmentOutcome,
)
from workflows.domain.commands import Command, Note
from workflows.domain.cpr import CPR_SHAPE, InvalidCpr, check_cpr
from workflows.domain.inputs import RULES_IN_FORCE_DATE_PATTERN, NulFree
from workflows.domain.plan.plan import MunicipalityCode
from workflows.domain.schema_conditions import conditions, equals, when

NeedText = Annotated[str, Field(min_length=1, max_length=4000)]
Grounds = Annotated[str, Field(min_length=1, max_length=2000)]


class _Strict(NulFree):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Citizen(_Strict):
    cpr: str = Field(
        examples=["2509479989"],
        description="10 digits, with or without the hyphen; the first six a birth date (DDMMYY)",
        json_schema_extra={"pattern": CPR_SHAPE},  # for clients; `check_cpr` is the rule (and checks the date)
    )
    name: Annotated[str, Field(min_length=1, max_length=200)]

    @field_validator("cpr")
    @classmethod
    def _valid_cpr(cls, value: str) -> str:
        try:
            return check_cpr(value).normalised
        except InvalidCpr as exc:
            raise ValueError(str(exc)) from exc


class Application(_Strict):
    """What the citizen applies for, as the municipality records it at intake."""

    citizen: Citizen
    municipality_code: MunicipalityCode
    legal_basis: LegalBasis
    covered_by_aeldreloven: StrictBool = Field(
        description="The caseworker's statement: the citizen has reached folkepensionsalder or has comparable "
        "needs (Ældreloven §2). Only applications dated from 1 July 2025 rest on the Ældrelov."
    )
    application_date: date = Field(
        json_schema_extra={"pattern": RULES_IN_FORCE_DATE_PATTERN}, description="Not after today (Danish time)"
    )
    description_of_need: NeedText


class DecisionTerms(_Strict):
    """An afgørelse: granted for a period, or refused with a reason; appealable from `notified_on`."""

    model_config = ConfigDict(
        json_schema_extra=conditions(
            when(equals("outcome", DecisionOutcome.GRANTED.value), given=["period_from", "period_to"]),
            when(
                equals("outcome", DecisionOutcome.REFUSED.value), text=["reason"], left_out=["period_from", "period_to"]
            ),
        )
    )

    outcome: DecisionOutcome
    notified_on: date = Field(description="The day the citizen received the decision; the appeal period runs from it")
    period_from: date | None = Field(default=None, validate_default=True, description="First day (grants only)")
    period_to: date | None = Field(default=None, validate_default=True, description="Last day (grants only)")
    reason: Note | None = Field(default=None, validate_default=True, description="Why it is refused (refusals only)")

    @field_validator("period_from", "period_to")
    @classmethod
    def _period_only_with_a_grant(cls, value: date | None, info: ValidationInfo) -> date | None:
        outcome = info.data.get("outcome")
        if outcome is DecisionOutcome.GRANTED and value is None:
            raise ValueError("a grant needs its period: period_from and period_to")
        if outcome is DecisionOutcome.REFUSED and value is not None:
            raise ValueError("a refusal has no period")
        period_from = info.data.get("period_from")
        if info.field_name == "period_to" and value and period_from and value < period_from:
            raise ValueError("period_to lies before period_from")
        return value

    @field_validator("reason")
    @classmethod
    def _reason_only_with_a_refusal(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("outcome") is DecisionOutcome.REFUSED and not value:
            raise ValueError("a refusal needs its reason")
        return value


class ReceiveApplication(Command):
    application: Application


class RequestGpInformation(Command):
    reply_by: date = Field(description="The GP's reply deadline (falls due at the end of the day, Danish time)")
    note: Note | None = None


class RecordGpReply(Command):
    received_on: date | None = Field(default=None, description="Defaults to the day of recording")
    note: Note | None = None


class MakeDecision(Command):
    decision: DecisionTerms


class RecordAppeal(Command):
    received_on: date = Field(description="The day the municipality received the complaint")
    note: Note | None = None


class ReassessmentTerms(_Strict):
    """The municipality's reassessment (genvurdering) after an appeal: upheld, or changed into a new decision."""

    model_config = ConfigDict(
        json_schema_extra=conditions(
            when(equals("outcome", ReassessmentOutcome.CHANGED.value), given=["decision"]),
            when(equals("outcome", ReassessmentOutcome.UPHELD.value), left_out=["decision"]),
        )
    )

    outcome: ReassessmentOutcome
    decision: DecisionTerms | None = Field(
        default=None, validate_default=True, description="The changed decision (outcome `changed` only)"
    )
    note: Note | None = None

    @field_validator("decision")
    @classmethod
    def _decision_only_when_changed(cls, value: DecisionTerms | None, info: ValidationInfo) -> DecisionTerms | None:
        outcome = info.data.get("outcome")
        if outcome is ReassessmentOutcome.CHANGED and value is None:
            raise ValueError("a changed decision needs its new terms")
        if outcome is ReassessmentOutcome.UPHELD and value is not None:
            raise ValueError("an upheld decision keeps its terms; send no decision")
        return value


class ReassessDecision(ReassessmentTerms, Command):
    pass


class RecordForwarding(Command):
    forwarded_on: date


class RecordAnkestyrelsenOutcome(Command):
    outcome: AnkestyrelsenOutcome
    decided_on: date
    note: Note | None = None


class AssessTransport(Command):
    granted: bool
    grounds: Grounds = Field(description="The individual assessment behind the answer")


class ClosureTerms(_Strict):
    model_config = ConfigDict(
        json_schema_extra=conditions(when(equals("reason", CaseworkerCloseReason.OTHER.value), text=["note"]))
    )

    reason: CaseworkerCloseReason
    note: Note | None = Field(default=None, validate_default=True, description="Required with reason `other`")

    @field_validator("note")
    @classmethod
    def _note_with_other(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("reason") is CaseworkerCloseReason.OTHER and not value:
            raise ValueError("closing for another reason needs a note saying which")
        return value


class CloseApplication(ClosureTerms, Command):
    pass


class MarkApplicationDeadlinePassed(Command):
    deadline: ApplicationDeadlineKind


# Imported here, not at the top: a cycle through workflows.domain.commands is avoided this way.
from workflows.domain.messaging.commands import RecordMessageOutcome, RecordMessageQueued, ResendMessage  # noqa: E402

ApplicationCommand = (
    ReceiveApplication
    | RequestGpInformation
    | RecordGpReply
    | MakeDecision
    | RecordAppeal
    | ReassessDecision
    | RecordForwarding
    | RecordAnkestyrelsenOutcome
    | AssessTransport
    | CloseApplication
    | MarkApplicationDeadlinePassed
    | RecordMessageQueued
    | RecordMessageOutcome
    | ResendMessage
)
