"""The level of assurance a person's token must carry (AUTH_CLAIM_LOA, AUTH_MIN_LOA): who is asked, which
values count, the settings, the local issuer's tokens, and the 401 a too weak sign-in gets."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from api.auth import local_issuer
from api.auth.dependencies import PrincipalDep
from api.auth.errors import AuthenticationFailed
from api.auth.local_issuer import LocalIssuer
from api.auth.principal import Role
from api.auth.tokens import TokenVerifier
from api.http.problems import PROBLEM_JSON, install_problem_handlers
from api.settings import ApiSettings, get_api_settings
from tests.api.auth.test_support import local_settings, make_issuer
from tests.support.api_helpers import fresh_plan, post_plan, running_api, unused_municipality
from tests.support.auth_helpers import bearer

NSIS_CLAIM = "https://data.gov.dk/concept/core/nsis/loa"  # OIOSAML 3's attribute, as a broker passes it on
MISSING = object()
PASSES = "passes"
CHALLENGE = (
    'Bearer realm="genoptraening", error="insufficient_user_authentication", '
    'error_description="The sign-in\'s level of assurance is too low for this service"'
)


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    return make_issuer(tmp_path)


def signed(issuer: LocalIssuer, roles: list[str], loa: object, claim_name: str = "loa") -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "u-1", "iat": now}
    claims |= {"exp": now + 600, "roles": roles, "municipality": "101", "sor": "227871000016001"}
    if loa is not MISSING:
        claims[claim_name] = loa
    return issuer.sign(claims)


def outcome(verifier: TokenVerifier, token: str) -> str:
    try:
        verifier.verify(token)
    except AuthenticationFailed as refused:
        assert token not in str(refused)
        return refused.reason
    return PASSES


REFUSED = "insufficient_assurance"
PERSON_ROLES = [role.value for role in Role if role is not Role.HOSPITAL]


@pytest.mark.parametrize(
    ("roles", "loa", "settings", "expected"),
    [
        # The default minimum, substantial, for a caseworker.
        (["caseworker"], "substantial", {}, PASSES),
        (["caseworker"], "high", {}, PASSES),
        (["caseworker"], "Substantial", {}, PASSES),  # OIOSAML 3's attribute value
        (["caseworker"], " HIGH ", {}, PASSES),
        (["caseworker"], "https://data.gov.dk/concept/core/nsis/loa/Substantial", {}, PASSES),  # NemLog-in3 class ref
        (["caseworker"], "low", {}, REFUSED),
        (["caseworker"], "https://data.gov.dk/concept/core/nsis/loa/Low", {}, REFUSED),
        (["caseworker"], MISSING, {}, REFUSED),
        (["caseworker"], "", {}, REFUSED),
        (["caseworker"], "medium", {}, REFUSED),
        (["caseworker"], "https://example.org/loa/High", {}, REFUSED),  # only the NSIS URI names a level
        (["caseworker"], "substantial-ish", {}, REFUSED),
        # Not a string: no level, refused as such (never a 500).
        (["caseworker"], 3, {}, REFUSED),
        (["caseworker"], True, {}, REFUSED),
        (["caseworker"], None, {}, REFUSED),
        (["caseworker"], ["substantial"], {}, REFUSED),
        (["caseworker"], {"level": "high"}, {}, REFUSED),
        # A system client carries no level and is not asked; mixed with a person's role, it is a person.
        (["hospital"], MISSING, {}, PASSES),
        (["hospital"], "low", {}, PASSES),
        (["hospital", "caseworker"], MISSING, {}, REFUSED),
        (["caseworker", "hospital"], "low", {}, REFUSED),
        (["hospital", "caseworker"], "substantial", {}, PASSES),
        # No role the service knows: cannot be told from a person's, so asked too.
        (["superuser"], MISSING, {}, REFUSED),
        ([], MISSING, {}, REFUSED),
        (["superuser"], "substantial", {}, PASSES),
        # Other minimums.
        (["caseworker"], "substantial", {"auth_min_loa": "high"}, REFUSED),
        (["caseworker"], "High", {"auth_min_loa": "high"}, PASSES),
        (["caseworker"], "low", {"auth_min_loa": "low"}, PASSES),
        (["caseworker"], MISSING, {"auth_min_loa": "low"}, REFUSED),
        # Switched off: anything passes, even no level or garbage.
        (["caseworker"], MISSING, {"auth_min_loa": "none"}, PASSES),
        (["caseworker"], "low", {"auth_min_loa": ""}, PASSES),
        (["ops_decrypt"], ["x"], {"auth_min_loa": None}, PASSES),
    ],
)
def test_the_level_of_assurance(
    issuer: LocalIssuer, roles: list[str], loa: object, settings: dict[str, Any], expected: str
) -> None:
    verifier = TokenVerifier(local_settings(issuer, **settings))
    assert outcome(verifier, signed(issuer, roles, loa)) == expected


@pytest.mark.parametrize("role", PERSON_ROLES)
def test_every_person_role_is_asked(issuer: LocalIssuer, role: str) -> None:
    verifier = TokenVerifier(local_settings(issuer))
    assert outcome(verifier, signed(issuer, [role], MISSING)) == REFUSED
    assert outcome(verifier, signed(issuer, [role], "substantial")) == PASSES


@pytest.mark.parametrize(
    ("claim_name", "token_claim", "loa", "expected"),
    [
        (NSIS_CLAIM, NSIS_CLAIM, "Substantial", PASSES),  # a broker in front of Context Handler
        (NSIS_CLAIM, NSIS_CLAIM, "Low", REFUSED),
        (NSIS_CLAIM, "loa", "substantial", REFUSED),  # the default name no longer counts
        ("acr", "acr", "https://data.gov.dk/concept/core/nsis/loa/High", PASSES),
    ],
)
def test_a_configured_claim_name(
    issuer: LocalIssuer, claim_name: str, token_claim: str, loa: str, expected: str
) -> None:
    verifier = TokenVerifier(local_settings(issuer, auth_claim_loa=claim_name))
    assert outcome(verifier, signed(issuer, ["caseworker"], loa, claim_name=token_claim)) == expected


def test_a_dotted_claim_path(issuer: LocalIssuer) -> None:
    verifier = TokenVerifier(local_settings(issuer, auth_claim_loa="context.loa"))
    token = signed(issuer, ["caseworker"], {"loa": "high"}, claim_name="context")
    assert outcome(verifier, token) == PASSES


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("substantial", "substantial"),
        ("Substantial", "substantial"),
        (" HIGH ", "high"),
        ("low", "low"),
        ("https://data.gov.dk/concept/core/nsis/loa/High", "high"),
        ("none", None),
        ("None", None),
        ("", None),
        (None, None),
    ],
)
def test_the_minimum_setting(value: str | None, expected: str | None) -> None:
    assert ApiSettings(auth_min_loa=value).auth_min_loa == expected


@pytest.mark.parametrize("value", ["medium", "2", "substantial,high"])
def test_the_minimum_setting_refuses_other_values(value: str) -> None:
    with pytest.raises(ValidationError, match="AUTH_MIN_LOA must be one of low, substantial, high"):
        ApiSettings(auth_min_loa=value)


def test_the_defaults_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_MIN_LOA", raising=False)
    monkeypatch.delenv("AUTH_CLAIM_LOA", raising=False)
    assert (ApiSettings().auth_min_loa, ApiSettings().auth_claim_loa) == ("substantial", "loa")
    monkeypatch.setenv("AUTH_MIN_LOA", "")
    monkeypatch.setenv("AUTH_CLAIM_LOA", NSIS_CLAIM)
    assert (ApiSettings().auth_min_loa, ApiSettings().auth_claim_loa) == (None, NSIS_CLAIM)


def test_the_local_issuer_gives_people_substantial_and_hospitals_nothing(issuer: LocalIssuer) -> None:
    verifier = TokenVerifier(local_settings(issuer, auth_min_loa="high"))
    assert outcome(verifier, issuer.issue(Role.CASEWORKER, municipality="101")) == REFUSED
    assert outcome(verifier, issuer.issue(Role.CASEWORKER, municipality="101", loa="high")) == PASSES
    assert outcome(verifier, issuer.issue(Role.HOSPITAL, sor="227871000016001")) == PASSES
    default = TokenVerifier(local_settings(issuer))
    assert outcome(default, issuer.issue(Role.AUDITOR, municipality="101")) == PASSES
    assert outcome(default, issuer.issue(Role.OPS, loa=None)) == REFUSED
    assert outcome(default, issuer.issue(Role.HOSPITAL, sor="227871000016001", loa="low")) == PASSES


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--role", "caseworker", "--municipality", "101"], PASSES),
        (["--role", "caseworker", "--municipality", "101", "--loa", "high"], PASSES),
        (["--role", "caseworker", "--municipality", "101", "--loa", "low"], REFUSED),
        (["--role", "ops", "--loa", "none"], REFUSED),
        (["--role", "hospital", "--sor", "227871000016001"], PASSES),
    ],
)
def test_the_cli_issues_the_level_asked_for(
    argv: list[str], expected: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
    assert outcome(TokenVerifier(local_settings(issuer)), token) == expected


def test_the_cli_gives_a_hospital_no_level(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        local_issuer.main(["--role", "hospital", "--sor", "227871000016001", "--loa", "high"])
    assert stopped.value.code == 2 and "carries no --loa" in capsys.readouterr().err


async def test_a_weak_sign_in_is_a_401_with_the_rfc_9470_challenge(
    issuer: LocalIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.settings = local_settings(issuer)

    @app.get("/whoami")
    def whoami(principal: PrincipalDep) -> str:
        return principal.actor

    token = issuer.issue(Role.CASEWORKER, municipality="101", loa="low")
    caplog.set_level("INFO", logger="genoptraening.auth")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/whoami", headers={"Authorization": f"Bearer {token}"})
        hospital = issuer.issue(Role.HOSPITAL, sor="227871000016001")
        accepted = await http.get("/whoami", headers={"Authorization": f"Bearer {hospital}"})
    assert response.status_code == 401 and response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"] == CHALLENGE
    body = response.json()
    assert body["type"] == "urn:genoptraening:problem:unauthenticated"
    # The reason code only: neither the token's level nor anything else of it.
    assert body["detail"] == "The sign-in's level of assurance is too low for this service (insufficient_assurance)"
    assert token not in response.text
    assert "401 insufficient_assurance on GET /whoami" in caplog.text and token not in caplog.text
    assert accepted.status_code == 200


async def test_a_caseworker_with_a_low_level_gets_a_401_on_a_real_case(
    dev_server_env: WorkflowEnvironment, pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole app: the case exists and is the caseworker's own municipality's, yet a low sign-in reads
    nothing, and the refused attempt leaves no access-log row (no verified caller to name), only the log line."""
    async with running_api(dev_server_env, pool) as api:
        municipality = await unused_municipality(pool)
        created = await post_plan(api.http, fresh_plan(home_municipality_code=municipality))
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        caplog.set_level("INFO", logger="genoptraening.auth")
        weak = bearer(Role.CASEWORKER, municipality=municipality, subject="cw-weak", loa="low")
        refused = await api.http.get(f"/cases/{case_id}", headers=weak)
        strong = bearer(Role.CASEWORKER, municipality=municipality, subject="cw-weak", loa="high")
        read = await api.http.get(f"/cases/{case_id}", headers=strong)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == CHALLENGE
    assert refused.json()["type"] == "urn:genoptraening:problem:unauthenticated"
    assert set(refused.json()) == {"type", "title", "status", "detail", "instance", "correlation_id"}  # no case data
    assert f"401 insufficient_assurance on GET /cases/{case_id}" in caplog.text
    assert read.status_code == 200, read.text
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM access_log WHERE case_id = %s AND user_id = 'cw-weak' GROUP BY action", (case_id,)
        )
        assert [count for (count,) in await cursor.fetchall()] == [1]  # the strong read only
