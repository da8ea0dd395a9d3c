"""Loading stored event bodies: what PostgreSQL stored is not walked for NULs again (it cannot hold one), while a
model built from anything else still refuses a NUL."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.support.factories import plan_received
from workflows.domain.events import PlanReceived, event_from_json
from workflows.domain.plan.plan import RehabilitationPlan


def test_a_stored_body_is_loaded_without_the_nul_walk_and_anything_else_is_not() -> None:
    body = plan_received().model_dump(mode="json")
    body["plan"]["training_need"] = "træning\x00"  # only reachable here: jsonb refuses \u0000

    loaded = event_from_json(body)

    assert isinstance(loaded, PlanReceived) and loaded.plan.training_need == "træning\x00"
    with pytest.raises(ValidationError, match="training_need"):
        RehabilitationPlan.model_validate(body["plan"])
