"""A process that cannot start says why in one line naming the setting, never its password or key, and
exits non-zero without a traceback. Each case fails at startup, before any network wait."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import psycopg
import pytest

from activities.runtime import worker, worker_assembly
from activities.runtime.settings import Settings
from activities.sealing.payload_codec import new_key_ring_entry
from tests.support.paths import ROOT

PASSWORD = "supersecret"
UNREACHABLE_URL = f"postgresql://u:{PASSWORD}@127.0.0.1:1/x"
MALFORMED_URL = f"u:{PASSWORD}@127.0.0.1/x"  # libpq quotes this whole string in its error
SHORT_KEY = "c3VwZXJzZWNyZXQ="  # base64 of "supersecret": 11 bytes, not 32
MALFORMED_KEYS = f"k1:{SHORT_KEY}"
GOOD_KEYS = new_key_ring_entry("k1")

WORKER = ["-m", "activities.runtime.worker"]
API = ["-m", "uvicorn", "api.main:app", "--port", "1"]  # never reached: the settings fail first


def run(argv: list[str], **settings: str) -> subprocess.CompletedProcess[str]:
    """The process with only these settings in its environment (none of the test run's)."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **settings}
    return subprocess.run(
        [sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_clear_line(result: subprocess.CompletedProcess[str], setting: str, *secrets: str) -> None:
    output = (result.stdout + result.stderr).strip()
    assert result.returncode != 0, output
    assert len(output.splitlines()) == 1, output
    assert setting in output and "Traceback" not in output
    for secret in (PASSWORD, SHORT_KEY, *secrets):
        assert secret not in output


@pytest.mark.parametrize(
    ("argv", "settings", "setting"),
    [
        (WORKER, {"DATABASE_URL": UNREACHABLE_URL}, "PAYLOAD_ENCRYPTION_KEYS"),
        (WORKER, {"DATABASE_URL": MALFORMED_URL, "PAYLOAD_ENCRYPTION_KEYS": GOOD_KEYS}, "DATABASE_URL"),
        (
            WORKER,
            {"DATABASE_URL": UNREACHABLE_URL, "PAYLOAD_ENCRYPTION_KEYS": MALFORMED_KEYS},
            "PAYLOAD_ENCRYPTION_KEYS",
        ),
        (API, {"DATABASE_URL": MALFORMED_URL, "PAYLOAD_ENCRYPTION_KEYS": GOOD_KEYS}, "DATABASE_URL"),
        (API, {"DATABASE_URL": UNREACHABLE_URL, "PAYLOAD_ENCRYPTION_KEYS": MALFORMED_KEYS}, "PAYLOAD_ENCRYPTION_KEYS"),
        # Personal data in PostgreSQL is sealed with citizen keys: no KEK, no start.
        (WORKER, {"DATABASE_URL": UNREACHABLE_URL, "PAYLOAD_ENCRYPTION_KEYS": GOOD_KEYS}, "CITIZEN_KEK_KEYS"),
        (API, {"DATABASE_URL": UNREACHABLE_URL, "PAYLOAD_ENCRYPTION_KEYS": GOOD_KEYS}, "CITIZEN_KEK_KEYS"),
        (
            WORKER,
            {"DATABASE_URL": UNREACHABLE_URL, "PAYLOAD_ENCRYPTION_KEYS": GOOD_KEYS, "CITIZEN_KEK_KEYS": MALFORMED_KEYS},
            "CITIZEN_KEK_KEYS",
        ),
    ],
    ids=[
        "worker-without-keys",
        "worker-malformed-url",
        "worker-malformed-keys",
        "api-malformed-url",
        "api-malformed-keys",
        "worker-without-kek",
        "api-without-kek",
        "worker-malformed-kek",
    ],
)
def test_a_process_that_cannot_start_says_so_in_one_line(
    argv: list[str], settings: dict[str, str], setting: str
) -> None:
    assert_one_clear_line(run(argv, **settings), setting, GOOD_KEYS.partition(":")[2])


def test_the_worker_names_an_unreachable_database_without_libpqs_text(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """In process: the real pool waits 30 s for a database to come up, too long for a test."""

    async def connected(settings: Settings) -> object:
        return object()

    async def refused(conninfo: str, **kwargs: object) -> object:
        raise psycopg.OperationalError(f'could not connect with "{conninfo}"')  # as if libpq quoted it

    monkeypatch.setenv("DATABASE_URL", UNREACHABLE_URL)
    monkeypatch.setenv("ALLOW_UNENCRYPTED_PAYLOADS", "true")
    monkeypatch.setattr(worker_assembly, "connect_temporal", connected)
    monkeypatch.setattr(worker_assembly, "open_pool", refused)
    with caplog.at_level(logging.DEBUG):
        assert worker.main() == 2
    lines = [record.getMessage() for record in caplog.records if record.name == "genoptraening.worker"]
    assert lines == [
        "worker cannot start: cannot connect to the database of DATABASE_URL (u@127.0.0.1:1/x): OperationalError"
    ]
    assert PASSWORD not in caplog.text
