"""The authentication block of the settings (AUTH_*): who may call the API and how their tokens are read.

`api.auth.tokens.TokenVerifier` reads these; `api.settings.ApiSettings` adds them to the service's `Settings`
for the API and `make run` (the worker has no use for them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from api.auth.assurance import NSIS_LEVELS, SWITCHED_OFF, nsis_level
from api.auth.principal import Role

# The local development issuer (`api.auth.local_issuer`), trusted when nothing else is configured.
LOCAL_AUTH_ISSUER = "urn:genoptraening:local-issuer"
LOCAL_AUTH_AUDIENCE = "genoptraening-cases"
# Signature algorithms a token may use: public-key ones only (with HS* the verifying key could also sign).
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class AuthSettings(BaseSettings):
    auth_issuer: str = Field(
        default=LOCAL_AUTH_ISSUER,
        min_length=1,
        description="The `iss` every token must carry, compared whole (never as a prefix). The default is the "
        "local development issuer that `python -m deploy.local` runs",
    )
    auth_audience: str = Field(
        default=LOCAL_AUTH_AUDIENCE,
        min_length=1,
        description="The `aud` a token must name (the identifier the broker gives this service)",
    )
    auth_algorithms: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("RS256", "ES256"),
        description="Signature algorithms accepted, comma-separated; never read from the token. Asymmetric only "
        f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}): HS* and `none` are refused (RFC 8725 §2.1)",
    )
    auth_jwks_url: str | None = Field(
        default=None,
        description="The issuer's JWKS URL (https, or http on a loopback host). Keys are cached; a token with "
        "an unknown `kid` refetches at most once per AUTH_JWKS_COOLDOWN_SECONDS",
    )
    auth_public_key_file: Path | None = Field(
        default=None,
        description="A PEM public key (or certificate) that signs tokens, besides or instead of the JWKS. "
        "Unset together with AUTH_JWKS_URL: `python -m deploy.local` creates a local issuer and sets it",
    )
    auth_leeway_seconds: int = Field(
        default=30, ge=0, le=60, description="Clock skew tolerated on `exp`, `iat` and `nbf`, in seconds"
    )
    auth_jwks_cooldown_seconds: float = Field(
        default=60.0,
        ge=1,
        le=3600,
        description="Least time between two JWKS fetches caused by unknown `kid`s: a forged kid cannot make "
        "the service hammer the issuer",
    )
    auth_jwks_cache_seconds: float = Field(
        default=300.0, ge=10, le=86400, description="How long fetched JWKS keys are used before they are refetched"
    )
    auth_jwks_timeout_seconds: float = Field(default=5.0, gt=0, le=30, description="Timeout of one JWKS fetch")
    # Claim names. A name is looked up whole first, then as a dotted path (`realm_access.roles`), so URI
    # claim names such as `https://data.gov.dk/model/core/eid/professional/cvr` work unchanged.
    auth_claim_subject: str = Field(default="sub", description="Claim naming the person or system client")
    auth_claim_name: str = Field(default="name", description="Claim with the person's display name")
    auth_claim_roles: str = Field(
        default="roles",
        description="Claim with the caller's roles: a list of strings or one string, e.g. `realm_access.roles` "
        "for Keycloak. Values are translated by AUTH_ROLE_MAP",
    )
    auth_claim_municipality: str = Field(
        default="municipality", description="Claim with the municipality code (caseworker, municipal_admin, auditor)"
    )
    auth_claim_sor: str = Field(default="sor", description="Claim with a hospital client's SOR id")
    auth_claim_org_unit: str = Field(
        default="org_unit", description="Claim with the caseworker's organisation unit (KOMBIT orgenhed constraint)"
    )
    auth_org_unit_scope: Literal["municipality", "team"] = Field(
        default="municipality",
        description="What a caseworker whose token names an organisation unit sees: `municipality`, every case "
        "of their municipality; `team`, only its cases in the team of that unit, in no team yet, or held by the "
        "caseworker (docs/security.md, Organisation-unit scope). A token without the unit sees the municipality",
    )
    auth_claim_cvr: str = Field(default="cvr", description="Claim with the organisation's CVR number")
    auth_claim_national: str = Field(
        default="national_auditor", description="Claim that is `true` for an auditor of every municipality"
    )
    auth_claim_national_reader: str = Field(
        default="national_reader",
        description="Claim that is `true` for a report_reader of every municipality (e.g. KL or the ministry)",
    )
    auth_claim_loa: str = Field(
        default="loa",
        description="Claim with the NSIS level of assurance of the person's sign-in (`low`, `substantial`, `high`, "
        "or the NSIS URI `https://data.gov.dk/concept/core/nsis/loa/Substantial`; case-insensitive). A broker in "
        "front of KOMBIT's Context Handler passes it as `https://data.gov.dk/concept/core/nsis/loa`",
    )
    auth_min_loa: str | None = Field(
        default="substantial",
        description="The least NSIS level of assurance a person's token must carry (`low`, `substantial`, `high`); "
        "a token below it, or without it, is 401 `insufficient_user_authentication`. System clients (the `hospital` "
        "role alone) carry none and are not asked. `none` or empty switches the check off, for a broker that gives "
        "no level: a conscious risk, see docs/security.md",
    )
    auth_role_map: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object from role values in tokens (e.g. KOMBIT role URIs) to this service's roles "
        "(hospital, caseworker, municipal_admin, ops, ops_decrypt, auditor, report_reader). Empty: the service's "
        "role names map to themselves. Values not in the map are ignored",
    )

    @field_validator("auth_algorithms", mode="before")
    @classmethod
    def _split_algorithms(cls, value: object) -> object:
        return tuple(part.strip() for part in value.split(",") if part.strip()) if isinstance(value, str) else value

    @field_validator("auth_algorithms")
    @classmethod
    def _asymmetric_algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        refused = [name for name in value if name not in ASYMMETRIC_ALGORITHMS]
        if refused or not value:
            raise ValueError(
                f"AUTH_ALGORITHMS must name asymmetric algorithms only ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}); "
                f"refused: {', '.join(refused) or 'an empty list'}"
            )
        return tuple(dict.fromkeys(value))

    @field_validator("auth_min_loa", mode="before")
    @classmethod
    def _nsis_level(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and value.strip().lower() in SWITCHED_OFF):
            return None
        level = nsis_level(value)
        if level is None:
            raise ValueError(f"AUTH_MIN_LOA must be one of {', '.join(NSIS_LEVELS)}, or none to switch the check off")
        return level

    @field_validator("auth_jwks_url")
    @classmethod
    def _jwks_over_https(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
            if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
                raise ValueError("AUTH_JWKS_URL must be an https URL (http only on a loopback host)")
        return value

    @field_validator("auth_role_map")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted({role for role in value.values() if role not in Role.__members__.values()})
        if unknown:
            raise ValueError(f"AUTH_ROLE_MAP maps to unknown role(s) {', '.join(unknown)}; known: {', '.join(Role)}")
        return value

    @property
    def auth_is_local(self) -> bool:
        """True when no issuer key source is configured: `deploy.local` then runs a local issuer and sets one."""
        return self.auth_jwks_url is None and self.auth_public_key_file is None
