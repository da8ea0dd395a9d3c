"""The codec's local mode (CODEC_AUTH_REQUIRED=false): `make run`'s dev UI, which has no login, decodes on
loopback without a token, every decode still access-logged; anywhere else the API refuses to start."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from activities.access_log import records as access_log
from activities.platform.db import Pool
from activities.platform.startup_checks import StartupError
from activities.sealing.payload_codec import new_key_ring_entry
from api.auth.principal import Role
from api.main import create_app
from api.settings import ApiSettings
from deploy.temporal_dev_server import HOST, codec_local_mode_env, dev_server_argv
from tests.api.codec.test_routes import codec, codec_api, plan_payload, to_json
from tests.support.auth_helpers import auth_settings, bearer
from tests.support.encryption_helpers import encrypting_settings
from tests.support.factories import SYNTHETIC_CPR
from tests.support.paths import ROOT

LOCAL = encrypting_settings(codec_auth_required=False, api_host="127.0.0.1", **auth_settings())


async def test_local_mode_decodes_without_a_token_and_logs_the_local_operator(pool: Pool) -> None:
    encrypted = await codec().encode([plan_payload()])
    correlation = f"local-{uuid.uuid4()}"
    async with codec_api(LOCAL, pool) as http:
        response = await http.post("/codec/decode", json=to_json(encrypted), headers={"X-Correlation-Id": correlation})
        encode = await http.post("/codec/encode", json=to_json([plan_payload()]))
    assert response.status_code == 200, response.text
    assert SYNTHETIC_CPR in base64.b64decode(response.json()["payloads"][0]["data"]).decode()
    assert encode.status_code == 200
    rows, _ = await access_log.search(pool, user_id="local-operator")
    [row] = [row for row in rows if row.correlation_id == correlation]
    assert (row.action, row.purpose, row.outcome, row.user_role) == (
        "decode",
        "teknisk bistand",
        "allowed",
        "ops_decrypt",
    )
    assert row.source_address == "127.0.0.1"


async def test_local_mode_still_checks_a_token_that_is_sent(pool: Pool) -> None:
    encrypted = await codec().encode([plan_payload()])
    async with codec_api(LOCAL, pool) as http:
        forged = await http.post("/codec/decode", json=to_json(encrypted), headers={"Authorization": "Bearer x.y.z"})
        caseworker = await http.post(
            "/codec/decode", json=to_json(encrypted), headers=bearer(Role.CASEWORKER, municipality="101")
        )
    assert forged.status_code == 401
    assert caseworker.status_code == 403


async def test_local_mode_asks_a_caller_from_another_address_for_a_token(pool: Pool) -> None:
    encrypted = await codec().encode([plan_payload()])
    async with codec_api(LOCAL, pool, client=("10.1.2.3", 40000)) as http:
        response = await http.post("/codec/decode", json=to_json(encrypted))
    assert response.status_code == 401
    assert SYNTHETIC_CPR not in response.text


async def test_without_local_mode_the_loopback_is_no_exception(pool: Pool) -> None:
    encrypted = await codec().encode([plan_payload()])
    async with codec_api(encrypting_settings(api_host="127.0.0.1", **auth_settings()), pool) as http:
        response = await http.post("/codec/decode", json=to_json(encrypted))
    assert response.status_code == 401


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_local_mode_is_allowed_on_a_loopback_api_host(host: str) -> None:
    ApiSettings(codec_auth_required=False, api_host=host).require_codec_auth()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "api.example.dk", ""])
def test_local_mode_is_refused_on_any_other_api_host(host: str) -> None:
    with pytest.raises(StartupError, match="CODEC_AUTH_REQUIRED=false") as refused:
        ApiSettings(codec_auth_required=False, api_host=host).require_codec_auth()
    assert len(str(refused.value).splitlines()) == 1
    ApiSettings(api_host=host).require_codec_auth()  # with codec authentication on, any host will do


def test_local_mode_needs_api_host_set_explicitly() -> None:
    # A container runs `uvicorn --host 0.0.0.0` with API_HOST unset: its default says nothing about the bind.
    with pytest.raises(StartupError, match="API_HOST is not set"):
        ApiSettings(codec_auth_required=False).require_codec_auth()


def test_create_app_refuses_local_mode_off_loopback(caplog: pytest.LogCaptureFixture) -> None:
    settings = encrypting_settings(codec_auth_required=False, api_host="0.0.0.0")
    with pytest.raises(SystemExit) as refused:
        create_app(settings=settings)
    assert refused.value.code == 2
    [line] = [record.getMessage() for record in caplog.records if record.name == "genoptraening.startup"]
    assert line.startswith("API cannot start: CODEC_AUTH_REQUIRED=false") and len(line.splitlines()) == 1


def test_the_api_process_refuses_to_start_with_one_line() -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "PAYLOAD_ENCRYPTION_KEYS": new_key_ring_entry("k1"),
        "API_HOST": "0.0.0.0",
        "CODEC_AUTH_REQUIRED": "false",
        "LOG_FORMAT": "text",
    }
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "api.main:app", "--port", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert "API cannot start: CODEC_AUTH_REQUIRED=false" in output.splitlines()[-1], output
    assert "Traceback" not in output, output


def test_make_run_uses_local_mode_on_loopback_only() -> None:
    assert codec_local_mode_env(ApiSettings()) == {"CODEC_AUTH_REQUIRED": "false", "API_HOST": "127.0.0.1"}
    assert codec_local_mode_env(ApiSettings(api_host="::1")) == {"CODEC_AUTH_REQUIRED": "false", "API_HOST": "::1"}
    assert codec_local_mode_env(ApiSettings(api_host="0.0.0.0")) == {}  # the codec asks for a token there
    assert codec_local_mode_env(ApiSettings(codec_auth_required=True)) == {}  # an explicit choice stands
    # The environment it gives is one the API accepts.
    ApiSettings(
        codec_auth_required=False, api_host=codec_local_mode_env(ApiSettings())["API_HOST"]
    ).require_codec_auth()


def test_the_dev_ui_listens_on_loopback_only() -> None:
    argv = dev_server_argv(Path("temporal"), Path("t.sqlite"), "default", "http://127.0.0.1:8000/codec")
    assert argv[argv.index("--ui-ip") + 1] == HOST == "127.0.0.1"
