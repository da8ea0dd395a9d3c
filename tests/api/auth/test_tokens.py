"""TokenVerifier: the claims PyJWT must check, the algorithms it must refuse, and the mapping to a Principal."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from api.auth.errors import AuthenticationFailed
from api.auth.local_issuer import LocalIssuer
from api.auth.principal import Role
from api.auth.tokens import TokenVerifier
from api.settings import ApiSettings
from tests.api.auth.test_support import b64url, forge, local_settings, make_issuer


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    return make_issuer(tmp_path)


@pytest.fixture
def verifier(issuer: LocalIssuer) -> TokenVerifier:
    return TokenVerifier(local_settings(issuer))


class FromNow(int):
    """Seconds from the moment the token is signed: parameters are collected minutes before a test runs."""


def claims(issuer: LocalIssuer, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "cw-7", "iat": now, "exp": now + 600}
    resolved = {name: now + value if isinstance(value, FromNow) else value for name, value in changes.items()}
    return base | {"roles": ["caseworker"], "municipality": "101", "loa": "substantial"} | resolved


def refused(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthenticationFailed) as caught:
        verifier.verify(token)
    assert not token or token not in str(caught.value)
    return caught.value.reason


def test_a_valid_token_gives_the_mapped_principal(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    token = issuer.issue(Role.CASEWORKER, subject="cw-7", name="Kim Jensen", municipality="101", org_unit="team-nord")
    principal = verifier.verify(token)
    assert principal.subject == "cw-7"
    assert principal.roles == frozenset({Role.CASEWORKER})
    assert (principal.name, principal.municipality_code, principal.org_unit) == ("Kim Jensen", "101", "team-nord")
    assert principal.sor_id is None and principal.national is False
    assert principal.token_id and principal.actor == "caseworker:cw-7"


def test_hospital_and_national_auditor_claims(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    hospital = verifier.verify(issuer.issue(Role.HOSPITAL, sor="227871000016001"))
    assert hospital.sor_id == "227871000016001" and hospital.roles == {Role.HOSPITAL}
    auditor = verifier.verify(issuer.issue(Role.AUDITOR, national=True))
    assert auditor.national is True and auditor.municipality_code is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": FromNow(-31)}, "expired"),  # the default leeway is 30 s
        ({"iat": FromNow(120)}, "not_yet_valid"),
        ({"nbf": FromNow(120)}, "not_yet_valid"),
        ({"iss": "urn:test:other"}, "wrong_issuer"),
        ({"iss": "urn:test:iss"}, "wrong_issuer"),  # a prefix of the configured issuer (CVE-2024-53861)
        ({"iss": ["urn:test:issuer"]}, "wrong_issuer"),
        ({"aud": "another-service"}, "wrong_audience"),
        ({"aud": ["another-service", "genoptraening"]}, "wrong_audience"),
        ({"iat": "yesterday"}, "malformed"),
        ({"sub": ""}, "missing_claim"),
    ],
)
def test_claims_that_fail(issuer: LocalIssuer, verifier: TokenVerifier, changes: dict[str, Any], reason: str) -> None:
    assert refused(verifier, issuer.sign(claims(issuer, **changes))) == reason


@pytest.mark.parametrize("name", ["exp", "iat", "iss", "aud"])
def test_required_claims(issuer: LocalIssuer, verifier: TokenVerifier, name: str) -> None:
    without = {key: value for key, value in claims(issuer).items() if key != name}
    assert refused(verifier, issuer.sign(without)) == "missing_claim"


def test_leeway_is_honoured_and_configurable(issuer: LocalIssuer) -> None:
    token = issuer.sign(claims(issuer, exp=int(time.time()) - 10))
    assert TokenVerifier(local_settings(issuer)).verify(token).subject == "cw-7"
    assert refused(TokenVerifier(local_settings(issuer, auth_leeway_seconds=0)), token) == "expired"


def test_audience_in_a_list_is_accepted(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    token = issuer.sign(claims(issuer, aud=["account", issuer.audience]))
    assert verifier.verify(token).subject == "cw-7"


def test_bad_signatures(tmp_path: Path, issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    other = LocalIssuer.create_or_load(tmp_path / "other", issuer.issuer, issuer.audience)
    assert other.kid != issuer.kid
    assert refused(verifier, other.issue(Role.OPS)) == "bad_signature"
    head, _, signature = issuer.issue(Role.OPS).split(".")
    payload = b64url(json.dumps(claims(issuer, roles=["ops_decrypt"])).encode())
    tampered = f"{head}.{payload}.{signature}"
    assert refused(verifier, tampered) == "bad_signature"


def test_alg_none_is_refused(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    token = forge({"alg": "none", "typ": "JWT"}, claims(issuer))
    assert refused(verifier, token) == "wrong_algorithm"
    assert refused(verifier, forge({"alg": "none", "kid": issuer.kid}, claims(issuer))) == "wrong_algorithm"


def test_hs256_with_the_public_key_as_secret_is_refused(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    """Algorithm confusion: whoever has the public key could sign, were HS256 ever tried with it."""
    token = forge({"alg": "HS256", "kid": issuer.kid}, claims(issuer), issuer.public_key_file.read_bytes())
    assert refused(verifier, token) == "wrong_algorithm"


def test_an_allowed_algorithm_the_key_cannot_do_is_refused(issuer: LocalIssuer) -> None:
    # ES256 key, but only RS256 configured: refused before any verification is tried.
    verifier = TokenVerifier(local_settings(issuer, auth_algorithms=("RS256",)))
    assert refused(verifier, issuer.issue(Role.OPS)) == "wrong_algorithm"


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 20000])
def test_garbage(verifier: TokenVerifier, token: str) -> None:
    assert refused(verifier, token) in ("missing", "malformed")


@pytest.mark.parametrize("value", ["HS256", "none", "RS256,HS512", "ES256,None", "", "RSA-OAEP"])
def test_settings_refuse_non_asymmetric_algorithms(value: str) -> None:
    with pytest.raises(ValidationError, match="AUTH_ALGORITHMS must name asymmetric algorithms only"):
        ApiSettings(auth_algorithms=value)


def test_settings_bounds(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        ApiSettings(auth_leeway_seconds=61)
    with pytest.raises(ValidationError, match="https"):
        ApiSettings(auth_jwks_url="http://broker.example/jwks")
    with pytest.raises(ValidationError, match="unknown role"):
        ApiSettings(auth_role_map={"http://x/roles/1": "superuser"})
    assert ApiSettings(auth_algorithms="PS256, ES384").auth_algorithms == ("PS256", "ES384")


KOMBIT = "http://kombit.dk/roles/usersystemrole"
CVR_CLAIM = "https://data.gov.dk/model/core/eid/professional/cvr"


def broker_settings(issuer: LocalIssuer) -> ApiSettings:
    """A Keycloak in front of KOMBIT's Context Handler: roles as role URIs, CVR under its URI claim name."""
    return local_settings(
        issuer,
        auth_claim_roles="realm_access.roles",
        auth_claim_municipality="context.municipality_code",
        auth_claim_org_unit="context.organization_id",
        auth_claim_cvr=CVR_CLAIM,
        auth_claim_name="given_name_family_name",
        auth_role_map={
            f"{KOMBIT}/genoptraening-sagsbehandler/1": "caseworker",
            f"{KOMBIT}/genoptraening-revisor/1": "auditor",
        },
    )


def test_a_broker_token_maps_through_the_role_map(issuer: LocalIssuer) -> None:
    token = issuer.sign(
        claims(issuer, roles=None, municipality=None)
        | {
            "realm_access": {"roles": [f"{KOMBIT}/genoptraening-sagsbehandler/1", "offline_access", "caseworker"]},
            "context": {"municipality_code": 101, "organization_id": "5d3c5a3e-0000-4000-8000-000000000001"},
            CVR_CLAIM: "29189803",
            "given_name_family_name": "Kim Jensen",
        }
    )
    principal = TokenVerifier(broker_settings(issuer)).verify(token)
    # The bare "caseworker" value does not count: with a role map, only its keys do.
    assert principal.roles == {Role.CASEWORKER}
    assert principal.municipality_code == "101"
    assert principal.org_unit == "5d3c5a3e-0000-4000-8000-000000000001"
    assert (principal.cvr, principal.name) == ("29189803", "Kim Jensen")


def test_a_single_role_string_and_unknown_roles(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    assert verifier.verify(issuer.sign(claims(issuer, roles="ops"))).roles == {Role.OPS}
    # Authenticated but with no role the service knows: a Principal without rights (403 later, not 401).
    nobody = verifier.verify(issuer.sign(claims(issuer, roles=["admin", 7, {"x": 1}])))
    assert nobody.roles == frozenset() and nobody.subject == "cw-7"
    assert verifier.verify(issuer.sign(claims(issuer, roles=None))).roles == frozenset()


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"municipality": "0101", "cvr": "DK12345678", "sor": "abc"}, (None, None, None)),
        ({"municipality": 101, "cvr": "12345678", "sor": "227871000016001"}, ("101", "12345678", "227871000016001")),
    ],
)
def test_organisation_claims_without_their_shape_bind_to_nothing(
    issuer: LocalIssuer, verifier: TokenVerifier, claims: dict[str, object], expected: tuple[object, ...]
) -> None:
    principal = verifier.verify(issuer.issue(Role.CASEWORKER, extra_claims=claims))
    assert (principal.municipality_code, principal.cvr, principal.sor_id) == expected


def test_a_token_without_a_known_role_is_someone_with_no_rights(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    principal = verifier.verify(issuer.issue(Role.OPS, extra_claims={"roles": ["superuser"]}))
    assert principal.roles == frozenset() and principal.primary_role == "none"
    assert principal.actor == f"none:{principal.subject}"


def test_an_overlong_subject_is_refused(issuer: LocalIssuer, verifier: TokenVerifier) -> None:
    with pytest.raises(AuthenticationFailed):
        verifier.verify(issuer.issue(Role.OPS, subject="x" * 151))
