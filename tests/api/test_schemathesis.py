"""Schemathesis against the application's own OpenAPI document, end to end.

The API and the worker run as production runs them (`uvicorn api.main:app`, `python -m activities.runtime.worker`,
settings from the environment, trusting the run's token issuer) against a database of the test's own and the
Temporal dev server. Before the run, a municipality with providers, cases and an application are created
through the API by the roles that make them; schemathesis uses their ids for most path parameters, so it
exercises existing resources and not only 404s.

First the refusal pass (tests/support/schemathesis_refusals.py): every operation that takes a token is asked with no
token, a forged one, an expired one, by each role that may not make it and by each that may but for another
organisation. Each answer must be the status `tests/support/schemathesis_roles.py` expects (401 with a challenge,
403, or 404 for a case or application out of scope), documented for the operation, never 5xx; and no
refused request may change a stored row.

Then the main run, each request with a token of a role that may make it. Every phase runs (examples, coverage,
fuzzing, stateful), with every check that applies to the API. The run is
bounded and repeatable: a fixed seed, derandomized generation and a fixed number of examples per operation.
The test expects zero findings: no 5xx, no undocumented status, no response outside its schema or media
type, every invalid request refused and every valid one accepted. The document states every rule a schema
can (patterns, bounds, `if`/`then`); a schema-valid request may be refused with 422 only where
tests/support/schemathesis_declared.py declares a rule no schema can state (data, the clock, two values compared),
and only naming the fields declared for that operation (`declared_refusals_only`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.support.schemathesis_refusals import refuse_everyone, settled, snapshot
from tests.support.schemathesis_run import config_for, run
from tests.support.schemathesis_stack import seed, serving_stack

SEED = 20_260_406
# Examples per operation and phase. `make test` runs every operation, role and phase at the everyday depth (8
# examples, the coverage phase with valid data only: about 3,100 requests, 3.5 minutes on a quiet machine);
# `make fuzz` (and CI after `make test`) at the full depth (50, the coverage phase with invalid data too: about
# 11,400 requests, 11 minutes), where every operation runs its whole budget.
FULL_DEPTH = 50
EVERYDAY_DEPTH = 8
FULL = os.environ.get("SCHEMATHESIS_DEPTH") == "full"
MAX_EXAMPLES = FULL_DEPTH if FULL else EVERYDAY_DEPTH


@pytest.mark.fuzz
@pytest.mark.timeout(1200)
def test_the_api_conforms_to_its_own_openapi_document(
    fresh_database_url: str, dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    temporal_address = dev_server_env.client.service_client.config.target_host
    log = tmp_path / "stack.log"
    with serving_stack(fresh_database_url, temporal_address, log) as base_url:
        seeded = seed(base_url)
        before = settled(fresh_database_url)
        refusals = refuse_everyone(base_url, seeded)
        after = snapshot(fresh_database_url)
        parameters = {
            "path.case_id": seeded.case_ids,
            "path.application_id": seeded.application_ids,
            "path.code": seeded.municipality_codes,
        }
        providers = {"POST /cases/{case_id}/provider": {"body.provider_id": seeded.provider_ids}}
        config = config_for(
            base_url,
            seed=SEED,
            max_examples=MAX_EXAMPLES,
            parameters=parameters,
            operation_parameters=providers,
            negative_coverage=FULL,
        )
        outcome = run(f"{base_url}/openapi.json", config, fresh_database_url)

    open("/tmp/schemathesis_phases.txt", "a").write(
        f"{MAX_EXAMPLES} {outcome.requests} {outcome.seconds:.0f} {outcome.requests_by_phase}\n"
    )  # TEMP
    problems = refusals.problems()
    changed = {what: (before[what], after[what]) for what in before if before[what] != after[what]}
    if changed:
        problems.append(f"refused requests changed stored rows (before, after): {changed}")
    if outcome.untested:
        problems.append(f"no request of the main run reached {outcome.untested}")
    if outcome.findings:
        by_phase = ", ".join(f"{phase} {count}" for phase, count in outcome.requests_by_phase.items())
        summary = f"{outcome.requests} requests in {outcome.seconds:.0f} s at depth {MAX_EXAMPLES} ({by_phase})"
        report = "\n\n".join(str(finding) for finding in outcome.findings)
        problems.append(f"schemathesis ({summary}) found {len(outcome.findings)} distinct failures:\n\n{report}")
    if problems:
        message = "\n\n".join(problems)
        if "→ 5" in message or " answered 5" in message:
            message += f"\n\nEnd of the API and worker log:\n{log.read_text(errors='replace')[-4000:]}"
        pytest.fail(message, pytrace=False)
