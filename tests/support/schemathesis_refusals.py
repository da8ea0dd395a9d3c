"""The refusal pass of the schemathesis run: every operation that takes a token, asked once by each caller who
may not make it, with a request that would otherwise be valid, against the seeded records.

Callers: no token, a forged token (signed by another key), an expired one (all **401** with a `Bearer`
challenge); each role the operation does not allow (**403**); each allowed role bound to another
organisation (**404** where the request names a case or an application, which such a caller cannot know
exists; **403** where it names the seeded municipality or hospital). Expectations come from
`tests.support.schemathesis_roles.ALLOWED` only. Every answer must be the expected status, documented for its
operation, and never 5xx; and no refused request may change a stored row (`snapshot` before and after).
"""

from __future__ import annotations

import importlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import psycopg
import schemathesis
from schemathesis import APIOperation, GenerationMode
from schemathesis.core import NotSet
from schemathesis.core.result import Err

from api.auth.local_issuer import LocalIssuer
from api.auth.principal import Role
from tests.support.api_helpers import danish_today
from tests.support.application_factories import application_payload
from tests.support.auth_helpers import AUDIENCE, ISSUER_URL, test_issuer, token
from tests.support.factories import SYNTHETIC_CPR, plan_payload
from tests.support.ggop_fixtures import fresh, ggop
from tests.support.schemathesis_roles import OTHER, SEEDED, Organisation, allowed_roles
from tests.support.schemathesis_stack import Seeded

# Imported at collection, not lazily by the first `from_url` mid-run: pytest rewrites a plugin's modules as they
# load, and CPython 3.11 before 3.11.8 can fail that with "AST constructor recursion depth mismatch" (cpython
# gh-106905, pytest-dev/pytest#10874) when it happens deep in a running test, as it did here once.
importlib.import_module("schemathesis.specs.openapi.schemas")

TABLES = ("cases", "applications", "municipalities", "providers")  # the read models a refusal must not touch
# Operations whose request names no organisation, so an allowed role of another one is answered (an erasure request
# for a citizen that municipality holds nothing on answers `nothing_held`).
# Bulk assignment answers another municipality's caseworker per case (404 each); anyone may ask who they are.
ORGANISATION_FREE = frozenset(
    {
        "POST /erasure-requests",
        "POST /case-assignments",
        "GET /me",
        # A caseworker's own inbox and warnings: the municipality comes from the token, none is named.
        "GET /inbox",
        "GET /inbox/{view}",
        "GET /me/warnings",
    }
)


@dataclass(frozen=True)
class Caller:
    name: str
    authorization: str | None  # the header's value, or none at all
    role: Role | None = None  # the role a valid token holds; None when the token itself is refused


@dataclass
class Refusals:
    requests: int = 0
    mismatches: list[str] = field(default_factory=list)  # one readable line each
    undocumented: dict[str, set[int]] = field(default_factory=dict)  # operation → refusals its entry lacks

    def problems(self) -> list[str]:
        lines = [f"refusal pass ({self.requests} requests): {mismatch}" for mismatch in self.mismatches]
        if self.undocumented:
            each = ", ".join(
                f"{label} ({', '.join(map(str, sorted(statuses)))})" for label, statuses in self.undocumented.items()
            )
            lines.append(f"refusal pass: answered as expected, but the OpenAPI entry does not document it: {each}")
        return lines


def expected_status(caller: Caller, label: str, allowed: tuple[Role, ...]) -> int:
    if caller.role is None:
        return 401
    if caller.role not in allowed:
        return 403
    return 404 if "{case_id}" in label or "{application_id}" in label else 403  # another organisation's


def callers(allowed: tuple[Role, ...]) -> Iterator[Caller]:
    """Everyone who may not make an operation that `allowed` may make."""
    role = allowed[0]
    yield Caller("no token", None)
    yield Caller("a forged token", f"Bearer {_forger().issue(role, **SEEDED.scope(role))}")
    past = {"iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}
    expired = test_issuer().issue(role, **SEEDED.scope(role), extra_claims=past)
    yield Caller("an expired token", f"Bearer {expired}")
    for other in Role:
        if other not in allowed:
            yield Caller(_named(SEEDED, other), _bearer(other, SEEDED), other)
    for scoped in allowed:
        if scoped in (Role.HOSPITAL, Role.CASEWORKER, Role.MUNICIPAL_ADMIN):  # an auditor's scope only narrows
            yield Caller(_named(OTHER, scoped), _bearer(scoped, OTHER), scoped)


@cache
def _forger() -> LocalIssuer:
    """An issuer that names the run's issuer and audience but signs with a key of its own."""
    return LocalIssuer.create_or_load(Path(tempfile.mkdtemp(prefix="genop-forger-")), ISSUER_URL, AUDIENCE)


def _bearer(role: Role, organisation: Organisation) -> str:
    return f"Bearer {token(role, **organisation.scope(role))}"


def _named(organisation: Organisation, role: Role) -> str:
    scope = organisation.scope(role)
    if "sor" in scope:
        return f"{role.value} of SOR {scope['sor']}"
    return f"{role.value} of municipality {scope['municipality']}" if scope else role.value


def refuse_everyone(base_url: str, seeded: Seeded) -> Refusals:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    outcome = Refusals()
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                outcome.mismatches.append(f"the OpenAPI document has an invalid operation: {result.err()}")
                continue
            operation = result.ok()
            label, raw = operation.label, operation.definition.raw
            if not raw.get("security"):
                continue  # takes no token, as its OpenAPI entry says
            allowed = allowed_roles(label)
            if allowed is None:
                outcome.mismatches.append(f"{label} declares the bearer scheme but has no row in ALLOWED")
                continue
            method, path, query, body = _valid_request(operation, seeded)
            for caller in callers(allowed):
                if label in ORGANISATION_FREE and caller.role in allowed:
                    continue  # names no organisation: another municipality's administrator is answered, not refused
                headers = {"Authorization": caller.authorization} if caller.authorization else {}
                if isinstance(body, bytes):  # a MedCom message: XML, read before its sender can be checked
                    headers["Content-Type"] = "application/xml"
                    answer = http.request(method, path, params=query, content=body, headers=headers)
                else:
                    answer = http.request(method, path, params=query, json=body, headers=headers)
                outcome.requests += 1
                expected = expected_status(caller, label, allowed)
                if problem := _problem(answer, expected):
                    outcome.mismatches.append(f"{label} by {caller.name}: {problem}\n    {method} {answer.url}")
                elif str(expected) not in raw.get("responses", {}):
                    outcome.undocumented.setdefault(label, set()).add(expected)
    return outcome


def _problem(answer: httpx.Response, expected: int) -> str | None:
    said = f"answered {answer.status_code} {answer.text[:300]}"
    if answer.status_code != expected:
        return f"expected {expected}, {said}"
    if expected == 401 and not answer.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        return f"a 401 without a Bearer challenge in WWW-Authenticate, {said}"
    return None


def _valid_request(operation: APIOperation[Any, Any, Any, Any], seeded: Seeded) -> tuple[str, str, dict[str, str], Any]:
    """The method, path, query and body of a request the operation's allowed roles could make."""
    label = operation.label
    ids = {
        "case_id": seeded.case_ids[-1],
        "application_id": seeded.application_ids[0],
        "code": SEEDED.municipality,
        "hold": "complaint",
        "team_id": "visitation",  # the staff register's: refused before the register is read
        "subject": "local-caseworker",
        "view": "mine",  # an inbox view
    }
    # A letter or message of the case: any id will do, the role and the scope are checked before the id is looked up.
    ids |= {"letter_id": "00000000-0000-4000-8000-000000000001", "message_id": "00000000-0000-4000-8000-000000000002"}
    ids |= {"warning_id": "contact:2026-01-02"}  # a deadline warning: likewise
    path = operation.path.format(**{name: value for name, value in ids.items() if f"{{{name}}}" in operation.path})
    named = ("GET /cases", "GET /applications", "GET /reports/start-guarantee")  # another municipality's is refused
    query = {"municipality": SEEDED.municipality} if label in named else {}
    today = danish_today()
    known: dict[str, Any] = {
        "POST /plans": plan_payload(discharge_date=today.isoformat(), home_municipality_code=SEEDED.municipality),
        "POST /applications": application_payload(municipality_code=SEEDED.municipality, application_date=today),
        "PUT /municipalities/{code}": {"name": "Renamed by a refused request", "contact_working_days": 9},
        "POST /municipalities/{code}/providers": {"provider_id": "refused", "name": "Refused", "kind": "own"},
        "POST /access-log/citizen-extract": {"citizen_cpr": SYNTHETIC_CPR, "include_employee": True},
        "POST /erasure-requests": {"citizen_cpr": SYNTHETIC_CPR},
        "POST /medcom/ggop": fresh(ggop("almen.xml")),
    }
    body = known[label] if label in known else _generated_body(operation)
    return operation.method.upper(), path, query, body


def _generated_body(operation: APIOperation[Any, Any, Any, Any]) -> Any:
    """The body of the first valid request hypothesis derives from the operation's schema (deterministic)."""
    if operation.method.upper() == "GET":
        return None
    bodies: list[Any] = []

    @hypothesis.given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    @hypothesis.settings(
        max_examples=1,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def first(case: schemathesis.Case[Any]) -> None:
        bodies.append(None if isinstance(case.body, NotSet) else case.body)  # a body-less operation (a resend)

    first()
    return bodies[0]


def snapshot(database_url: str) -> dict[str, object]:
    """What a refused request must not change: the event store's extent and a hash of each read model."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        state: dict[str, object] = {
            "events (count, max global_position)": connection.execute(
                "SELECT count(*), max(global_position) FROM events"
            ).fetchone()
        }
        for table in TABLES:
            row = connection.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
            ).fetchone()
            state[table] = row
    return state


def settled(database_url: str, *, seconds: float = 60) -> dict[str, object]:
    """The snapshot once the seeded workflows have stopped writing (two alike a second apart)."""
    deadline = time.monotonic() + seconds
    last = snapshot(database_url)
    while time.monotonic() < deadline:
        time.sleep(1)
        now = snapshot(database_url)
        if now == last:
            return now
        last = now
    raise AssertionError(f"the seeded records kept changing for {seconds} s: {last}")
