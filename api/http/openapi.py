"""OpenAPI helpers: problem responses documented as `application/problem+json`."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from api.http.limits import takes_json
from api.http.problems import PROBLEM_JSON, Problem
from api.http.schema_rules import state_input_rules

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_DESCRIPTIONS = {
    400: "Malformed JSON",
    401: "No valid bearer token (missing, expired, wrongly signed, another issuer or audience), or a person's "
    "sign-in below the required level of assurance (`insufficient_user_authentication`)",
    403: "The token's role may not do this (or its organisation is not the one the request names)",
    404: "Not found",
    409: "Conflicts with the case's state",
    412: "If-Match named another version than the current one; `current_version` says which is",
    422: "Validation failed; `errors` names each field",
    503: "A dependency is unavailable",
}


# RFC 6750 §3: a 401 says how to authenticate.
_CHALLENGE = {
    "WWW-Authenticate": {
        "description": 'The challenge, e.g. `Bearer realm="genoptraening", error="invalid_token"`',
        "schema": {"type": "string"},
    }
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for routes: each status answers with a Problem."""
    return {status: {"model": Problem, "description": _DESCRIPTIONS.get(status, "Problem")} for status in statuses}


# Answers of the request contract (api/http/limits.py, api/http/problems.py) to any operation taking a body.
_BODY_ANSWERS = {
    "400": "Malformed JSON: the body does not parse",
    "413": "Request body too large: over `MAX_BODY_BYTES` (1 MiB by default), or the route's own limit",
    "415": "Unsupported media type: send the body as `application/json`",
}


def _reaches(dependant: Dependant, calls: set[object]) -> bool:
    """The operation, or any dependency of it, depends on one of `calls`."""
    return dependant.call in calls or any(_reaches(sub, calls) for sub in dependant.dependencies)


def document_contract(app: FastAPI, schema: dict[str, Any], backends: Collection[object]) -> None:
    """Add what every operation may answer besides its own responses: 400/413/415 where it takes a
    body, 503 where it reaches PostgreSQL or Temporal (a dependency in `backends`), 401/403 where it takes a
    bearer token."""
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = schema.get("paths", {}).get(context.path_format or "")
        if not isinstance(route, APIRoute) or path is None:
            continue
        for method in route.methods or ():
            responses = path.get(method.lower(), {}).get("responses")
            if responses is None:
                continue
            if takes_json(route):
                for status, description in _BODY_ANSWERS.items():
                    responses.setdefault(status, {"description": description})
            if _reaches(route.dependant, set(backends)):
                responses.setdefault("503", {"description": _DESCRIPTIONS[503]})
            if path.get(method.lower(), {}).get("security"):
                responses.setdefault("401", {"description": _DESCRIPTIONS[401], "headers": _CHALLENGE})
                responses.setdefault("403", {"description": _DESCRIPTIONS[403]})


def install_openapi(app: FastAPI, backends: Collection[object]) -> None:
    """Generate the schema once, with every 4xx/5xx response as problem+json and FastAPI's own
    validation error schema replaced by Problem; `backends` are the dependencies that reach PostgreSQL or
    Temporal (`api.deps`)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        document_contract(app, schema, backends)
        state_input_rules(schema)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    if status[0] in "45":
                        response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
                        if status == "422":
                            response["description"] = _DESCRIPTIONS[422]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
