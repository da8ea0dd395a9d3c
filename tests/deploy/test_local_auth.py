"""`make run`'s auth hook: a local issuer under DATA_DIR/auth, its AUTH_* environment, dev-tokens.json."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from api.auth.principal import Role
from api.auth.tokens import TokenVerifier, require_token_keys
from api.settings import ApiSettings
from deploy.local import Supervisor


def test_local_mode_makes_an_issuer_the_children_trust(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    supervisor = Supervisor(ApiSettings(data_dir=tmp_path), infra_only=True)
    env = supervisor._local_auth()
    assert env["AUTH_PUBLIC_KEY_FILE"] == str(tmp_path.resolve() / "auth" / "signing-key.pub.pem")
    tokens_file = tmp_path / "dev-tokens.json"
    assert stat.S_IMODE(tokens_file.stat().st_mode) == 0o600
    tokens = json.loads(tokens_file.read_text())
    assert set(tokens) == {role.value for role in Role}
    # The next start keeps the key (same environment), and writes fresh tokens.
    again = Supervisor(ApiSettings(data_dir=tmp_path), infra_only=False)
    assert again._local_auth() == env and again.dev_tokens != tokens
    # A child process reads exactly this environment, and accepts the tokens of both starts.
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    child_settings = ApiSettings(data_dir=tmp_path)
    assert not child_settings.auth_is_local
    require_token_keys(child_settings)  # the API started by `make run` has its key source: it starts
    verifier = TokenVerifier(child_settings)
    assert verifier.verify(tokens["hospital"]).sor_id == "227871000016001"
    assert verifier.verify(tokens["caseworker"]).municipality_code == "101"
    assert verifier.verify(again.dev_tokens["auditor"]).roles == {Role.AUDITOR}
    lines = "\n".join(supervisor._auth_lines())
    assert str(tokens_file.resolve()) in lines and tokens["ops_decrypt"] in lines
    assert "genoptraening issue-token" in lines and "AUTH_PUBLIC_KEY_FILE=" in lines


def test_a_configured_issuer_is_left_alone(tmp_path: Path) -> None:
    settings = ApiSettings(data_dir=tmp_path, auth_jwks_url="https://broker.example/realms/k/certs")
    supervisor = Supervisor(settings, infra_only=False)
    assert supervisor._local_auth() == {}
    assert not (tmp_path / "dev-tokens.json").exists() and not (tmp_path / "auth").exists()
    assert supervisor._auth_lines() == ["  Tokens       from https://broker.example/realms/k/certs"]
