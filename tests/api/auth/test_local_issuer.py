"""LocalIssuer: its key file, its reload, its CLI's refusals, the dev tokens deploy.local writes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from api.auth import local_issuer
from api.auth.local_issuer import PRIVATE_KEY_FILE, LocalIssuer, write_dev_tokens
from api.auth.principal import Role
from api.auth.tokens import TokenVerifier
from api.settings import get_api_settings
from tests.api.auth.test_support import local_settings, make_issuer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_key_is_private_and_reloaded_with_the_same_kid(tmp_path: Path) -> None:
    first = make_issuer(tmp_path)
    key_file = tmp_path / "auth" / PRIVATE_KEY_FILE
    assert mode(key_file) == 0o600
    content = key_file.read_bytes()
    second = make_issuer(tmp_path)
    assert second.kid == first.kid and key_file.read_bytes() == content
    # A token from before the restart still verifies against the reloaded issuer's public key file.
    token = first.issue(Role.OPS)
    assert TokenVerifier(local_settings(second)).verify(token).roles == {Role.OPS}
    assert make_issuer(tmp_path, "elsewhere").kid != first.kid


def test_settings_overrides_make_a_service_trust_it(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path)
    settings = local_settings(issuer)
    assert settings.auth_algorithms == ("ES256",) and settings.auth_public_key_file == issuer.public_key_file
    assert issuer.environment()["AUTH_PUBLIC_KEY_FILE"] == str(issuer.public_key_file)


def test_dev_tokens(tmp_path: Path) -> None:
    issuer = make_issuer(tmp_path)
    path = tmp_path / "dev-tokens.json"
    tokens = write_dev_tokens(issuer, path)
    assert mode(path) == 0o600
    assert json.loads(path.read_text()) == tokens
    assert set(tokens) == {role.value for role in Role}
    verifier = TokenVerifier(local_settings(issuer))
    principals = {role: verifier.verify(token) for role, token in tokens.items()}
    assert all(principal.roles == {Role(role)} for role, principal in principals.items())
    assert principals["caseworker"].municipality_code == "101"
    assert principals["caseworker"].org_unit == "visitation"  # a claim puts the case in the caseworker's team
    assert principals["municipal_admin"].municipality_code == "101"
    assert principals["auditor"].municipality_code == "101"
    assert principals["hospital"].sor_id == "227871000016001"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--role", "hospital"], "--sor"),
        (["--role", "caseworker"], "--municipality"),
        (["--role", "municipal_admin", "--sor", "1"], "--municipality"),
        (["--role", "auditor"], "--national"),
        (["--role", "ops", "--hours", "0"], "--hours"),
        (["--role", "ops", "--hours", "10000"], "--hours"),
        (["--role", "admin"], "invalid choice"),
    ],
)
def test_the_cli_refuses_useless_tokens(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_api_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as stopped:
            local_issuer.main(argv)
    finally:
        get_api_settings.cache_clear()
    assert stopped.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert not (tmp_path / "auth").exists()  # refused before any key was made


@pytest.mark.parametrize(
    ("argv", "check"),
    [
        (["--role", "caseworker", "--municipality", "101", "--org-unit", "u7", "--name", "Kim"], "org_unit"),
        (["--role", "hospital", "--sor", "227871000016001"], "sor_id"),
        (["--role", "auditor", "--national", "--hours", "1"], "national"),
    ],
)
def test_the_cli_prints_a_token_the_service_accepts(
    argv: list[str], check: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    get_api_settings.cache_clear()
    try:
        assert local_issuer.main(argv) == 0
        settings = get_api_settings()
    finally:
        get_api_settings.cache_clear()
    token = capsys.readouterr().out.strip()
    issuer = LocalIssuer.create_or_load(tmp_path / "auth", settings.auth_issuer, settings.auth_audience)
    principal = TokenVerifier(local_settings(issuer)).verify(token)
    assert principal.roles == {Role(argv[1])}
    assert getattr(principal, check) in ("u7", "227871000016001", True)
