"""OpenAPI helpers: problem responses documented as `application/problem+json`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.problems import PROBLEM_JSON, Problem

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_DESCRIPTIONS = {
    400: "Malformed JSON",
    404: "Not found",
    409: "Conflicts with the case's state",
    422: "Validation failed; `errors` names each field",
    503: "A dependency is unavailable",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for routes: each status answers with a Problem."""
    return {status: {"model": Problem, "description": _DESCRIPTIONS.get(status, "Problem")} for status in statuses}


def install_openapi(app: FastAPI) -> None:
    """Generate the schema once, with every 4xx/5xx response as problem+json and FastAPI's own
    validation error schema replaced by Problem."""

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
