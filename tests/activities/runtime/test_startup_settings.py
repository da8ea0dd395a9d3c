"""A process that cannot start names every bad setting at once: one line, exit code 2, no traceback, no
secret; the worker never aborts on the way out; registering search attributes needs no payload key.

Each process runs as production runs it, in a subprocess with only the given environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.sealing.payload_codec import new_key_ring_entry
from tests.support.paths import ROOT
from tests.support.temporal_fixtures import NAMESPACE

PASSWORD = "supersecret"
MALFORMED_URL = f"u:{PASSWORD}@127.0.0.1/x"  # libpq would quote this whole string in its error
SHORT_KEY = "c3VwZXJzZWNyZXQ="  # base64 of "supersecret": 11 bytes, not 32
UNREACHABLE_URL = f"postgresql://u:{PASSWORD}@127.0.0.1:1/x"
ABORTED = (-6, 134)  # SIGABRT, as the process or as a shell reports it

WORKER = ["-m", "activities.runtime.worker"]
CLI_WORKER = ["-m", "deploy.cli", "worker"]
API = ["-m", "uvicorn", "api.main:app", "--port", "1"]  # never bound: the settings fail first


def _environment(settings: dict[str, str]) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "WORKER_METRICS_PORT": "0", **settings}


def run(argv: list[str], timeout: float = 90, **settings: str) -> subprocess.CompletedProcess[str]:
    """The process with only these settings in its environment (none of the test run's)."""
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=_environment(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_at_once(argv: list[str], times: int, timeout: float = 90, **settings: str) -> list[tuple[int, str]]:
    """`times` such processes side by side (exit code, stderr each): as many tries in the time of a few."""
    started = [
        subprocess.Popen(
            [sys.executable, *argv],
            cwd=ROOT,
            env=_environment(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(times)
    ]
    ended = []
    for process in started:
        _, stderr = process.communicate(timeout=timeout)
        ended.append((process.returncode, stderr))
    return ended


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line the process said (the message of a JSON log line), after checking how it ended."""
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert "Traceback" not in output and len(output.splitlines()) == 1, output
    for secret in (PASSWORD, SHORT_KEY):
        assert secret not in output
    return str(json.loads(output)["message"]) if output.startswith("{") else output


@pytest.mark.parametrize("argv", [WORKER, CLI_WORKER], ids=["worker", "genoptraening-worker"])
def test_the_worker_names_every_bad_setting_in_one_line(argv: list[str]) -> None:
    line = refusal(
        run(
            argv,
            DATABASE_URL=MALFORMED_URL,
            PAYLOAD_ENCRYPTION_KEYS=f"k1:{SHORT_KEY}",
            LOG_LEVEL="loud",
            WORKER_METRICS_PORT="nine",
            WORKER_HEALTH_PORT="eighty",
            TEMPORAL_TLS_CERT="/nonexistent/client.pem",  # and no TEMPORAL_TLS_KEY
        )
    )
    assert line.startswith("worker cannot start: "), line
    for setting in (
        "DATABASE_URL",
        "PAYLOAD_ENCRYPTION_KEYS",
        "LOG_LEVEL",
        "WORKER_METRICS_PORT",
        "WORKER_HEALTH_PORT",
        "CITIZEN_KEK_KEYS",
        "TEMPORAL_TLS_KEY",
        "TEMPORAL_TLS_CERT cannot be read",
        "DIGITAL_POST_SENDER_ID is the placeholder",  # unset: the placeholder CVR, allowed only on make run
    ):
        assert setting in line, (setting, line)
    # PAYLOAD_ENCRYPTION_KEYS is malformed: said once, not again as "not set".
    assert "PAYLOAD_ENCRYPTION_KEYS is not set" not in line


def test_the_api_names_every_bad_setting_in_one_line() -> None:
    line = refusal(
        run(API, PAYLOAD_ENCRYPTION_KEYS=f"k1:{SHORT_KEY}", LOG_FORMAT="fancy", AUTH_ALGORITHMS="HS256", API_PORT="0")
    )
    assert line.startswith("API cannot start: "), line
    for setting in (
        "PAYLOAD_ENCRYPTION_KEYS",
        "LOG_FORMAT",
        "AUTH_ALGORITHMS",
        "API_PORT",
        "CITIZEN_KEK_KEYS",
        "neither AUTH_JWKS_URL nor AUTH_PUBLIC_KEY_FILE",
        "DATABASE_URL is not set",
    ):
        assert setting in line, (setting, line)


def test_outside_make_run_the_api_refuses_to_start_without_a_key_source() -> None:
    keys = {
        "PAYLOAD_ENCRYPTION_KEYS": new_key_ring_entry("k1"),
        "CITIZEN_KEK_KEYS": new_key_ring_entry("kek"),
        "CITIZEN_LOOKUP_SECRET": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1zZWNyZXQ=",
        "DATABASE_URL": UNREACHABLE_URL,
    }
    line = refusal(run(API, **keys, LOG_FORMAT="text"))
    assert "neither AUTH_JWKS_URL nor AUTH_PUBLIC_KEY_FILE is set" in line, line
    assert "make run" in line
    broken = refusal(run(API, **keys, AUTH_PUBLIC_KEY_FILE="/nonexistent/issuer.pem"))
    assert "AUTH_PUBLIC_KEY_FILE is not a readable public key" in broken, broken


@pytest.mark.parametrize(
    "settings",
    [
        {},  # refused before anything starts: no payload or citizen keys
        {  # refused after the SDK's runtime has started: Temporal cannot be reached
            "PAYLOAD_ENCRYPTION_KEYS": new_key_ring_entry("k1"),
            "ALLOW_EPHEMERAL_CITIZEN_KEYS": "true",
            "DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER": "true",
            "DATABASE_URL": UNREACHABLE_URL,
            "TEMPORAL_ADDRESS": "127.0.0.1:1",
        },
    ],
    ids=["before-the-runtime", "after-the-runtime"],
)
def test_a_worker_that_cannot_start_never_aborts_on_its_way_out(settings: dict[str, str]) -> None:
    """The SDK's native threads could abort the interpreter's finalization (PyGILState_Release), about one run
    in four after the runtime had started: eight runs, every one ends with exit code 2."""
    ended = run_at_once(WORKER, 8, **settings)
    for _, stderr in ended:
        assert "PyGILState_Release" not in stderr, stderr[-2000:]
    codes = [code for code, _ in ended]
    assert not set(codes) & set(ABORTED), codes
    assert set(codes) == {2}, codes


def test_registering_search_attributes_needs_no_payload_key(dev_server_env: WorkflowEnvironment) -> None:
    result = run(
        ["-m", "deploy.cli", "register-search-attributes"],
        TEMPORAL_ADDRESS=dev_server_env.client.service_client.config.target_host,
        TEMPORAL_NAMESPACE=NAMESPACE,
        LOG_FORMAT="text",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"Namespace {NAMESPACE}" in output and "Traceback" not in output
    assert "PAYLOAD_ENCRYPTION_KEYS" not in output  # neither asked for nor warned about
