"""The door's rules for every JSON body (api/models/request_body.py): a string is measured as it came, before it is
trimmed, so a body the OpenAPI document calls too long is refused naming its field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.models.course_commands import ProviderRefusalRequest


@pytest.mark.parametrize(
    ("reason", "accepted"),
    [
        ("x" * 2000, True),
        ("  " + "x" * 1998, True),  # within the bound as it came; trimmed afterwards
        ("\n" + "x" * 2000, False),  # trimming would bring it to 2,000: still too long as sent
        ("x" * 2001, False),
    ],
    ids=["at-bound", "padded-within", "padded-over", "over"],
)
def test_a_string_is_measured_before_it_is_trimmed(reason: str, accepted: bool) -> None:
    if accepted:
        assert ProviderRefusalRequest.model_validate({"reason": reason}).reason == reason.strip()
        return
    with pytest.raises(ValidationError) as refused:
        ProviderRefusalRequest.model_validate({"reason": reason})
    assert [(error["loc"], error["type"]) for error in refused.value.errors()] == [(("reason",), "string_too_long")]
