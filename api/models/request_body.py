"""The door every JSON body comes through: the input rules of `workflows.domain.inputs`, applied once per body.

`RequestBody` is the base of the API's own request models. The intake and a few application bodies are the
domain's own models (`RehabilitationPlan`, `Application`, `DecisionTerms`, ...), which are also decoded from
stored events and Temporal histories; those must go on decoding whatever was stored before these rules, so
the rules are not put on the domain models but on the door: routes take them as the `...Body` types below.
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import MaxLen
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

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

    @model_validator(mode="before")
    @classmethod
    def _lengths_before_trimming(cls, data: Any) -> Any:
        """A string longer than its field's `maxLength` is refused as the document says, naming the field, even when
        trimming would bring it within the bound (pydantic trims first, then counts)."""
        if not isinstance(data, dict):
            return data
        errors: list[Any] = []
        for name, field in cls.model_fields.items():
            value = data.get(field.alias or name)
            limit = next((rule.max_length for rule in field.metadata if isinstance(rule, MaxLen)), None)
            if isinstance(value, str) and limit is not None and len(value) > limit:
                errors.append({"type": "string_too_long", "loc": (name,), "input": value, "ctx": {"max_length": limit}})
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return data

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
