"""Operation ids named after the operation (`classifyCase`, `receivePlan`), for generated clients.

FastAPI's own ids join the function, the path and the method (`classify_cases__case_id__classification_post`);
a client generator turns them into method names nobody wants to call. Here the id is the route
function's name in camelCase, unless that name is ambiguous or says too little on its own: those few
are named below. Ids must stay unique; tests/api/http/test_contract.py checks.
"""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

# Keyed by the route function (module and name), so moving a path does not lose its id.
_NAMED = {
    "api.routes.cases.commands.classify": "classifyCase",
    "api.routes.cases.course_commands.reclassify": "reclassifyCase",
    "api.routes.cases.course_commands.assess_transport": "assessCaseTransport",
    "api.routes.applications.commands.assess_transport": "assessApplicationTransport",
    "api.routes.applications.commands.reassess": "reassessApplication",
    "api.routes.applications.commands.make_decision": "decideApplication",
    "api.routes.applications.commands.record_forwarding": "recordAnkestyrelsenForwarding",
    "api.routes.cases.cases.case_events": "getCaseTimeline",
    "api.routes.applications.applications.application_events": "getApplicationTimeline",
    "api.routes.health.health": "getHealth",
    "api.codec.routes.decode": "decodePayloads",
    "api.codec.routes.encode": "encodePayloads",
}


def camel_case(name: str) -> str:
    """`list_cases` -> `listCases`."""
    first, *rest = [part for part in re.split(r"_+", name) if part]
    return first.lower() + "".join(part[:1].upper() + part[1:] for part in rest)


def operation_id(route: APIRoute) -> str:
    """FastAPI's `generate_unique_id_function`: the operation id of `route`."""
    endpoint = route.endpoint
    named = _NAMED.get(f"{endpoint.__module__}.{endpoint.__qualname__}")
    return named or camel_case(route.name)
