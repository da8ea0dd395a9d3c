"""Schemathesis against the application's own OpenAPI document, end to end.

The API and the worker run as production runs them (`uvicorn api.main:app`, `python -m workflows.worker`,
settings from the environment) against a database of the test's own and the Temporal dev server. Before the
run, a municipality with providers, cases and an application are created through the API; schemathesis uses
their ids for most path parameters, so it exercises existing resources and not only 404s.

Every phase runs (examples, coverage, fuzzing, stateful), with every check that applies to the API. The run is
bounded and repeatable: a fixed seed, derandomized generation and a fixed number of examples per operation.
The test expects zero findings: no 5xx, no undocumented status, no response outside its schema or media
type, every invalid request refused and every valid one accepted. A valid-looking request refused by a rule
the schema cannot express (a 422 such as "the case is already basal") passes only if the operation's
description states it: it says **422** and names each refused field in backticks (`sub_level`,
`patient.cpr`, `cursor`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.schemathesis_run import config_for, run
from tests.schemathesis_stack import seed, serving_stack

SEED = 20_260_406
MAX_EXAMPLES = 50  # per operation and phase


@pytest.mark.timeout(420)
def test_the_api_conforms_to_its_own_openapi_document(
    fresh_database_url: str, dev_server_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    temporal_address = dev_server_env.client.service_client.config.target_host
    log = tmp_path / "stack.log"
    with serving_stack(fresh_database_url, temporal_address, log) as base_url:
        seeded = seed(base_url)
        parameters = {
            "path.case_id": seeded.case_ids,
            "path.application_id": seeded.application_ids,
            "path.code": seeded.municipality_codes,
            "body.provider_id": seeded.provider_ids,
        }
        config = config_for(base_url, seed=SEED, max_examples=MAX_EXAMPLES, parameters=parameters)
        outcome = run(f"{base_url}/openapi.json", config)

    assert not outcome.untested, f"no request reached {outcome.untested}"
    if outcome.findings:
        summary = (
            f"{outcome.requests} requests in {outcome.seconds:.0f} s, phases {', '.join(outcome.phases)}; "
            f"{outcome.documented_refusals} refusals were documented in their operation's description"
        )
        report = "\n\n".join(str(finding) for finding in outcome.findings)
        message = f"schemathesis ({summary}) found {len(outcome.findings)} distinct failures:\n\n{report}"
        if any(finding.status and finding.status >= 500 for finding in outcome.findings):
            message += f"\n\nEnd of the API and worker log:\n{log.read_text(errors='replace')[-4000:]}"
        pytest.fail(message, pytrace=False)
