"""What a client generates from the OpenAPI document, the door takes: request bodies and parameters drawn from
each operation's schema (schemathesis, as its positive phase draws them) pass that route's own validation.

Only a rule no schema can state may refuse one, and only for the fields tests/support/schemathesis_declared.py declares
for the operation (two dates compared, say). The end-to-end run (tests/api/test_schemathesis.py) asks the served
API; this asks the validation alone, without PostgreSQL or Temporal, in seconds.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from schemathesis import GenerationMode
from schemathesis.core import NotSet
from schemathesis.core.result import Ok

from api.main import create_app
from tests.support.schemathesis_declared import declared

EXAMPLES = 60  # per operation; derandomized, so every run draws the same
APP = create_app()
OPENAPI = APP.openapi()
DECLARED = declared(OPENAPI)
ROUTES = {
    f"{method} {context.path_format}": context.route
    for context in iter_route_contexts(APP.routes)
    if isinstance(context.route, APIRoute)
    for method in context.route.methods or ()
}
OPERATIONS = [
    result.ok() for result in schemathesis.openapi.from_dict(OPENAPI).get_all_operations() if isinstance(result, Ok)
]


def _parameters(dependant: Dependant, location: str) -> list[Any]:
    own = list(dependant.query_params if location == "query" else dependant.header_params)
    return own + [field for sub in dependant.dependencies for field in _parameters(sub, location)]


def _refusals(route: APIRoute, case: schemathesis.Case[Any]) -> list[str]:
    """The fields the route's own validation refuses in `case`, named as a problem names them."""
    errors: list[dict[str, Any]] = []
    for location, given in (("query", case.query or {}), ("header", {k.lower(): v for k, v in case.headers.items()})):
        for field in _parameters(route.dependant, location):
            key = field.alias if location == "query" else field.alias.lower()
            if key in given:
                errors += field.validate(given[key], {}, loc=(location, field.alias))[1] or []
    if route.body_field is not None and not isinstance(case.body, NotSet) and case.media_type == "application/json":
        errors += route.body_field.validate(case.body, {}, loc=("body",))[1] or []
    return [".".join(str(part) for part in error["loc"]).removeprefix("body.") for error in errors]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_what_the_schema_generates_the_door_takes(operation: Any) -> None:
    route = ROUTES[operation.label]
    allowed = set(DECLARED.get(operation.label, ()))
    refused: Counter[str] = Counter()

    @hypothesis.given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def draw(case: schemathesis.Case[Any]) -> None:
        refused.update(field for field in _refusals(route, case) if field not in allowed)

    draw()
    assert refused == Counter()
