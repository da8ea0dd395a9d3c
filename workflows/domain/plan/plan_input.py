"""The plan as it comes in, through any door (`POST /plans`'s JSON, a MedCom GGOP message mapped to a plan): the
domain's `RehabilitationPlan` with the input rules of `workflows.domain.inputs` (no control characters, no dates
outside the calendar). The rules sit on the input, not on the model: a stored plan decodes whatever it holds."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, WrapValidator

from workflows.domain.inputs import name_dates_outside_calendar, refuse_control_characters
from workflows.domain.plan.plan import RehabilitationPlan

TEXT_RULES = BeforeValidator(refuse_control_characters)
DATE_RULES = WrapValidator(name_dates_outside_calendar)
PlanInput = Annotated[RehabilitationPlan, TEXT_RULES, DATE_RULES]
