"""The level of assurance (NSIS) a person's sign-in must have reached: `require_assurance`.

Health data may only be reached by a person whose identity and sign-in are at least NSIS `substantial`
(security notes §2: "loa at least substantial for people"). A system client (the `hospital` role alone) signs
in with client credentials, not as a person, so its token carries no level and none is asked of it. A token
that mixes `hospital` with a person's role is a person's; so is a token with no role this service knows (it
cannot be told apart from a person's, and the check errs on the refusing side).

The level is read from the claim AUTH_CLAIM_LOA. OIOSAML 3 gives it as the attribute
`https://data.gov.dk/concept/core/nsis/loa` with the values `Low`, `Substantial`, `High`; NemLog-in3 names the
same levels as authn context class references `https://data.gov.dk/concept/core/nsis/loa/Substantial` (a
broker may pass those on). Both forms are read, case-insensitively; anything else (another string, a list, a
number) is no level at all.
"""

from __future__ import annotations

from collections.abc import Set

from api.auth.errors import AuthenticationFailed
from api.auth.principal import Role

# Lowest first: NSIS (Digitaliseringsstyrelsen) levels, the same as eIDAS art. 8 low/substantial/high.
NSIS_LEVELS = ("low", "substantial", "high")
NSIS_LOA_URI = "https://data.gov.dk/concept/core/nsis/loa/"  # + Low | Substantial | High (NemLog-in3 AuthnContext)
SWITCHED_OFF = ("", "none")  # AUTH_MIN_LOA values that turn the check off


def nsis_level(value: object) -> str | None:
    """`low`, `substantial` or `high` for a value naming that NSIS level (plain or as its URI), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    level = text.removeprefix(NSIS_LOA_URI)
    return level if level in NSIS_LEVELS else None


def is_person(roles: Set[Role]) -> bool:
    """Everyone but a system client: a token whose only known role is `hospital`."""
    return roles != {Role.HOSPITAL}


def require_assurance(value: object, roles: Set[Role], minimum: str | None) -> None:
    """Refuse (401 `insufficient_assurance`) a person's token whose LoA claim `value` is below `minimum`,
    absent or not a level. `minimum` None: the check is off (AUTH_MIN_LOA=none)."""
    if minimum is None or not is_person(roles):
        return
    level = nsis_level(value)
    if level is None or NSIS_LEVELS.index(level) < NSIS_LEVELS.index(minimum):
        raise AuthenticationFailed("insufficient_assurance")
