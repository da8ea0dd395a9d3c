"""The whole stack as production runs it, for schemathesis: the API (`uvicorn api.main:app`) and the worker
(`python -m activities.runtime.worker`) as child processes on loopback, reading their settings from the environment,
against the test PostgreSQL and the Temporal dev server, trusting the run's token issuer
(`tests.support.auth_helpers.test_issuer`). Also the realistic records the run starts from, made through the API by
the roles that make them in production, all in one organisation (`tests.support.schemathesis_roles.SEEDED`).
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from activities.sealing.payload_codec import new_key_ring_entry
from api.auth.principal import Role
from bench.stack import start_worker_and_api
from tests.support.api_helpers import danish_today
from tests.support.application_factories import application_payload
from tests.support.auth_helpers import bearer, test_issuer
from tests.support.factories import plan_payload
from tests.support.schemathesis_roles import SEEDED

MUNICIPALITY = SEEDED.municipality  # the run has a database of its own, so any real code is free


@dataclass
class Seeded:
    """Ids of records that exist before the run, for schemathesis to use as path parameters."""

    case_ids: list[str] = field(default_factory=list)
    application_ids: list[str] = field(default_factory=list)
    municipality_codes: list[str] = field(default_factory=list)
    provider_ids: list[str] = field(default_factory=list)


@contextmanager
def serving_stack(database_url: str, temporal_address: str, log_path: Path) -> Iterator[str]:
    """Start the worker and the API on a free loopback port; yield the API's base URL once it is healthy."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_TASK_QUEUE": f"schemathesis-{uuid.uuid4().hex[:8]}",
        "LOG_LEVEL": "WARNING",
        # The worker and the API refuse to start without payload keys; production runs encrypted too.
        "PAYLOAD_ENCRYPTION_KEYS": new_key_ring_entry("schemathesis"),
        **test_issuer().environment(),  # AUTH_*: trust the run's issuer, and only it
        "CODEC_AUTH_REQUIRED": "true",  # /codec too takes a token, whatever the shell says
    }
    with ExitStack() as stack:
        base_url, worker, api = start_worker_and_api(stack, env, log_path)
        _wait_until_healthy(base_url, api, worker, log_path)
        yield base_url


def _wait_until_healthy(
    base_url: str, api: subprocess.Popen[bytes], worker: subprocess.Popen[bytes], log_path: Path
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if api.poll() is not None or worker.poll() is not None:
            break
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the API did not become healthy:\n{log_path.read_text(errors='replace')[-3000:]}")


def _wait_for(http: httpx.Client, path: str, status: str, headers: dict[str, str]) -> None:
    body: dict[str, Any] = {}
    for _ in range(300):
        response = http.get(path, headers=headers)
        if response.status_code == 200:
            body = response.json()
            if body["status"] == status:
                return
        time.sleep(0.05)
    raise AssertionError(f"{path} never reached {status}; last: {body}")


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


def seed(base_url: str) -> Seeded:
    """A municipality with providers, cases in a few states and an application, made through the API: the
    registers by its administrator, the plans by the hospital that sends them, the rest by its caseworker."""
    seeded = Seeded(municipality_codes=[MUNICIPALITY])
    admin = bearer(Role.MUNICIPAL_ADMIN, municipality=MUNICIPALITY)
    hospital = bearer(Role.HOSPITAL, sor=SEEDED.sor)
    caseworker = bearer(Role.CASEWORKER, municipality=MUNICIPALITY, subject="cw-schemathesis")
    with httpx.Client(base_url=base_url, timeout=30) as http:
        register = {"name": "Frederiksberg", "contact_working_days": 5}
        _created(http.put(f"/municipalities/{MUNICIPALITY}", json=register, headers=admin))
        # The first is the id the schema's examples use, so the examples name a registered provider.
        for provider_id, kind in (("kbh-sundhedshus-nord", "own"), ("prov-contracted-1", "contracted")):
            registration = {"provider_id": provider_id, "name": f"Genoptræning {provider_id}", "kind": kind}
            _created(http.post(f"/municipalities/{MUNICIPALITY}/providers", json=registration, headers=admin))
            seeded.provider_ids.append(provider_id)
        for _ in range(3):
            plan = plan_payload(discharge_date=danish_today().isoformat(), home_municipality_code=MUNICIPALITY)
            assert plan["sending_hospital_sor_id"] == SEEDED.sor
            case_id = _created(http.post("/plans", json=plan, headers=hospital))["case_id"]
            _wait_for(http, f"/cases/{case_id}", "distributed", caseworker)
            seeded.case_ids.append(case_id)
        # One case a step further on (classified, citizen contacted), so later commands meet a case they fit.
        further = seeded.case_ids[0]
        _created(http.post(f"/cases/{further}/classification", json={"sub_level": "basal"}, headers=caseworker))
        contact = {"channel": "phone", "informed_of_provider_choices": True}
        _created(http.post(f"/cases/{further}/contact", json=contact, headers=caseworker))
        application = application_payload(municipality_code=MUNICIPALITY, application_date=danish_today())
        seeded.application_ids.append(
            _created(http.post("/applications", json=application, headers=caseworker))["application_id"]
        )
    return seeded
