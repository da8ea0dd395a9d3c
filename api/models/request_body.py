"""The door every JSON body comes through: the input rules of `workflows.domain.inputs`, applied once per body.

`RequestBody` is the base of the API's own request models. The intake and a few application bodies are the
domain's own models (`RehabilitationPlan`, `Application`, `DecisionTerms`, ...), which are also decoded from
stored events and Temporal histories; those must go on decoding whatever was stored before these rules, so
the rules are not put on the domain models but on the door: routes take them as the `...Body` types below.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, model_validator

from workflows.domain.applications.commands import Application, ClosureTerms, DecisionTerms, ReassessmentTerms
from workflows.domain.inputs import (
    refuse_control_characters,
    refuse_dates_outside_calendar,
)
from workflows.domain.plan.plan_input import DATE_RULES, TEXT_RULES, PlanInput


class RequestBody(BaseModel):
    """Unknown fields are refused, strings trimmed; no control characters, no dates outside the calendar."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        return refuse_control_characters(data)

    @model_validator(mode="after")
    def _dates_in_calendar(self) -> RequestBody:
        return refuse_dates_outside_calendar(self)


# The domain models as request bodies, with the same rules as `RequestBody` (the plan's is the input every plan
# door maps onto, `workflows.domain.plan.plan_input`).
_TEXT, _DATES = TEXT_RULES, DATE_RULES
PlanBody = PlanInput
ApplicationBody = Annotated[Application, _TEXT, _DATES]
DecisionBody = Annotated[DecisionTerms, _TEXT, _DATES]
ReassessmentBody = Annotated[ReassessmentTerms, _TEXT, _DATES]
ClosureBody = Annotated[ClosureTerms, _TEXT, _DATES]
