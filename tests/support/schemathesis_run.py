"""Run schemathesis' engine (what `st run` does) in-process against a served API, and gather every distinct
failure as one readable finding: operation, check, status, what went wrong, the request and the answer.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import schemathesis
from schemathesis import engine
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
from schemathesis.engine import Status, events
from schemathesis.engine.recorder import ScenarioRecorder

from tests.support import schemathesis_roles as roles
from tests.support.schemathesis_declared import declared_refusals_only, operations_config

# Every built-in check that applies to this API. Left out: max_response_time (no budget is promised) and
# object_level_authorization (it needs identities configured in schemathesis; the refusal pass of
# tests/support/schemathesis_refusals.py asks every other role and organisation itself).
CHECKS = (
    "ignored_auth",
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
    declared_refusals_only.__name__,  # what a 422 the declared operations may answer must name
)
# A well-formed If-Match naming another version is refused with 412, for the same reason as a command the
# case's state does not allow (409, which schemathesis already expects from valid requests).
ACCEPTED_REFUSALS = [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "412"]


@dataclass(frozen=True, order=True)
class Finding:
    operation: str
    check: str
    status: int | None
    title: str
    message: str
    request: str = ""
    response: str = ""
    refused_fields: tuple[str, ...] = ()  # what a problem response's `errors` named (a 422's, say)

    def __str__(self) -> str:
        status = f" → {self.status}" if self.status is not None else ""
        lines = [f"{self.operation} [{self.check}]{status}: {self.title}"]
        lines += [f"    {line}" for line in self.message.strip().splitlines()[:6] if line.strip()]
        if self.request:
            lines.append(f"    e.g. {self.request}")
        if self.response:
            lines.append(f"    answered: {self.response}")
        return "\n".join(lines)


@dataclass
class Outcome:
    findings: list[Finding]
    requests: int
    seconds: float
    phases: list[str]  # the phases that ran, e.g. examples, coverage, fuzzing, stateful
    untested: list[str]  # operations of the schema that no request reached
    requests_by_phase: dict[str, int] = field(default_factory=dict)  # what each phase cost


def config_for(
    base_url: str,
    *,
    seed: int,
    max_examples: int,
    parameters: dict[str, list[str]],
    operation_parameters: dict[str, dict[str, list[str]]] | None = None,
    negative_coverage: bool = True,
) -> dict[str, Any]:
    """A schemathesis.toml as a dict. `parameters` maps a parameter (`path.case_id`) to the real values it
    mostly takes; `operation_parameters` does so for one operation's (`{"POST /cases/{case_id}/provider":
    {"body.provider_id": [...]}}`): a field of that name may follow other rules elsewhere (a free choice's
    provider is none of the register's, and only goes with `accept`). Without `negative_coverage`, the coverage
    phase generates valid data only (its invalid data is most of the run's requests; the fuzzing phase still
    generates invalid data): `make test`'s everyday depth."""
    dictionaries = {name: {"values": values} for name, values in parameters.items()}
    operations = []
    for label, bound in (operation_parameters or {}).items():
        dictionaries |= {f"{label} {name}": {"values": values} for name, values in bound.items()}
        bindings = {name: {"dictionary": f"{label} {name}", "probability": 0.9} for name in bound}
        operations.append({"include-name": label, "parameters": bindings})
    return {
        "seed": seed,
        "base-url": base_url,
        "workers": 1,  # one operation at a time: the same order, so the same case states, on every run
        "request-timeout": 30,
        "cache": {"enabled": False},  # nothing learnt in one run steers the next
        "output": {"sanitization": {"enabled": False}},  # synthetic data only; keep the requests reproducible
        "generation": {"mode": "all", "max-examples": max_examples, "deterministic": True, "database": "none"},
        "checks": {
            "enabled": False,
            **{name: {"enabled": True} for name in CHECKS},
            "positive_data_acceptance": {"enabled": True, "expected-statuses": ACCEPTED_REFUSALS},
        },
        "dictionaries": dictionaries,
        "parameters": {name: {"dictionary": name, "probability": 0.9} for name in parameters},
        "operations": operations,
        "phases": {"coverage": {"generation": {"mode": "all" if negative_coverage else "positive"}}},
    }


def run(openapi_url: str, config: dict[str, Any], database_url: str) -> Outcome:
    """Every request carries a token of a role that may make it (`tests.support.schemathesis_roles.RoleAuth`). The
    operations that may refuse a schema-valid request, by a rule no schema can state, are declared per operation
    (`tests.support.schemathesis_declared`)."""
    document = httpx.get(openapi_url, timeout=30).json()
    config = {**config, "operations": [*config.get("operations", []), *operations_config(document, ACCEPTED_REFUSALS)]}
    schema = schemathesis.openapi.from_url(openapi_url, config=schemathesis.Config.from_dict(config))
    roles.register(schema, database_url)
    labels = {f"{method.upper()} {path}" for path, methods in document["paths"].items() for method in methods}
    findings: set[Finding] = set()
    requests = 0
    tested: set[str] = set()
    phases: list[str] = []
    by_phase: dict[str, int] = {}
    seconds = 0.0
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.PhaseFinished) and event.status != Status.SKIP:
            phases.append(event.phase.name.value)
        elif isinstance(event, events.ScenarioFinished):
            requests += len(event.recorder.interactions)
            by_phase[event.phase.value] = by_phase.get(event.phase.value, 0) + len(event.recorder.interactions)
            if event.recorder.interactions:
                tested.add(event.recorder.label)
            findings.update(_failures(event.recorder))
        elif isinstance(event, events.NonFatalError):
            findings.add(Finding(event.label, "(schemathesis error)", None, event.info.title, event.info.message))
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            seconds = event.running_time
            findings.update(Finding(f.operation or "", "(after run)", None, f.title, f.message) for f in event.failures)
    return Outcome(
        findings=_one_per_kind(findings),
        requests=requests,
        seconds=seconds,
        phases=phases,
        untested=sorted(labels - tested),
        requests_by_phase=by_phase,
    )


def _failures(recorder: ScenarioRecorder) -> Iterable[Finding]:
    for case_id, checks in recorder.checks.items():
        for check in checks:
            info = check.failure_info
            if info is None:
                continue
            interaction = recorder.interactions.get(case_id)
            response = interaction.response if interaction else None
            status = response.status_code if response else None
            failure = info.failure
            body = response.content.decode("utf-8", "replace") if response else ""
            yield Finding(
                operation=failure.operation or recorder.label,
                check=check.name,
                status=status,
                title=failure.title,
                message=failure.message,
                # A server error is worth its whole request; for the rest, the start identifies it.
                request=_short(_tokens_named(str(info.code_sample)), 3000 if status and status >= 500 else 400),
                response=_short(body),
                refused_fields=_refused_fields(body),
            )


def _tokens_named(text: str) -> str:
    """Each bearer token replaced by whom it names (`Bearer <caseworker municipality=147>`): the token itself
    is long and says nothing to a reader."""

    def named(found: re.Match[str]) -> str:
        try:
            payload = found.group(1).split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            return found.group(0)
        scope = " ".join(f"{key}={claims[key]}" for key in ("municipality", "sor") if key in claims)
        return f"Bearer <{' '.join(claims.get('roles', []))}{' ' + scope if scope else ''}>"

    return re.sub(r"Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)", named, text)


def _refused_fields(body: str) -> tuple[str, ...]:
    try:
        return tuple(str(error["field"]) for error in json.loads(body)["errors"])
    except (ValueError, KeyError, TypeError):
        return ()


def _short(text: str, limit: int = 400) -> str:
    flat = re.sub(r"\s+", " ", text).strip()
    return flat if len(flat) <= limit else flat[:limit] + " …"


def _one_per_kind(findings: set[Finding]) -> list[Finding]:
    """One example of each (operation, check, status, title, refused fields): the same fault met by many
    inputs is one."""
    kept: dict[tuple[str, str, int | None, str, tuple[str, ...]], Finding] = {}
    for finding in sorted(findings, key=lambda f: (len(f.request), f)):
        key = (finding.operation, finding.check, finding.status, finding.title, finding.refused_fields)
        kept.setdefault(key, finding)
    return sorted(kept.values())
