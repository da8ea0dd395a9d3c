"""The access log's entries: what a route records (`AccessLogEntry`), what auditors read back (`AccessLogRow`)
and what a citizen's extract shows (`ExtractRow`). The queries are in `activities.access_log.records`.

An entry holds a CPR number: it leaves it out of its repr and its validation errors.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

from activities.platform.identity import Identity
from workflows.domain.cpr import check_cpr

SYSTEM_NAME = "genoptraening-cases"
# A CPR number inside a search criterion would hide the search from the citizen's extract.
_CPR_IN_TEXT = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


class AccessAction(StrEnum):
    READ = "read"
    SEARCH = "search"
    CREATE = "create"
    CHANGE = "change"
    EXPORT = "export"
    DECODE = "decode"  # a Temporal payload decoded through the codec endpoint
    ERASE = "erase"


class AccessOutcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class Purpose(StrEnum):
    """Common purposes (MinLog2 `Reason`); `AccessLogEntry.purpose` takes any short text."""

    TREATMENT = "behandling"  # sundhedsloven §42 a stk. 1: current treatment
    CASEWORK = "sagsbehandling"
    TECHNICAL_ASSISTANCE = "teknisk bistand"  # §42 a stk. 4 [UNCERTAIN: seen only in a draft]
    SUPERVISION = "tilsyn"  # an auditor's review of this log


def looks_like_cpr(text: str) -> bool:
    """Whether `text` is a CPR number's shape (ten digits, the dash optional), not ten digits inside an id (a UUID
    has them one time in ninety)."""
    return _CPR_IN_TEXT.fullmatch(text.strip()) is not None


def _cpr_in(value: JsonValue) -> bool:
    if isinstance(value, str):
        return looks_like_cpr(value)
    if isinstance(value, dict):
        return any(_cpr_in(key) or _cpr_in(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_cpr_in(item) for item in value)
    return False


class AccessLogEntry(BaseModel):
    """One use of a citizen's data, as the route that served it records it."""

    # hide_input_in_errors: a rejected CPR is never echoed in the error (which may be logged).
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    user_id: str = Field(min_length=1, max_length=200)
    user_name: str | None = Field(default=None, max_length=200)
    user_role: str = Field(min_length=1, max_length=50)
    municipality_code: str | None = Field(default=None, pattern=r"^[0-9]{3}$")
    # The municipality responsible for the case or application used (migration 0024), named where the user is not
    # of it (a hospital, an operator), so that its auditor reads the row too.
    responsible_municipality_code: str | None = Field(default=None, pattern=r"^[0-9]{3}$")
    sor_id: str | None = Field(default=None, max_length=50)
    cvr: str | None = Field(default=None, pattern=r"^[0-9]{8}$")
    org_unit: str | None = Field(default=None, max_length=200)
    citizen_cpr: str | None = Field(default=None, repr=False)
    search_criterion: dict[str, JsonValue] | None = None
    case_id: str | None = Field(default=None, max_length=200)
    application_id: str | None = Field(default=None, max_length=200)
    action: AccessAction
    purpose: str = Field(min_length=1, max_length=200)
    outcome: AccessOutcome
    source_address: str | None = Field(default=None, max_length=100)
    correlation_id: str | None = Field(default=None, max_length=200)
    system_name: str = Field(default=SYSTEM_NAME, min_length=1, max_length=100)

    @field_validator("citizen_cpr")
    @classmethod
    def _normalised_cpr(cls, value: str | None) -> str | None:
        # Stored as ten digits, so "DDMMYY-SSSS" and "DDMMYYSSSS" find the same rows.
        return None if value is None else check_cpr(value).normalised

    @field_validator("search_criterion")
    @classmethod
    def _no_cpr_in_criterion(cls, value: dict[str, JsonValue] | None) -> dict[str, JsonValue] | None:
        if value is not None and _cpr_in(value):
            raise ValueError("a search by citizen puts the CPR in citizen_cpr, not in search_criterion")
        return value

    @classmethod
    def by(cls, actor: Identity, **fields: Any) -> AccessLogEntry:
        """An entry for what `actor` (a verified `Principal`) did; `fields` give action, purpose, outcome, ..."""
        who = {
            "user_id": actor.subject,
            "user_name": actor.name,
            "user_role": str(actor.primary_role),
            "municipality_code": actor.municipality_code,
            "sor_id": actor.sor_id,
            "org_unit": actor.org_unit,
            "cvr": actor.cvr,
        }
        return cls.model_validate(who | fields)


class AccessLogRow(AccessLogEntry):
    """A stored entry: the entry with its id and the server's time."""

    id: int
    occurred_at: datetime


class ExtractRow(BaseModel):
    """One line of a citizen's extract (GDPR art. 15 after CJEU C-579/21: when, which organisation, what
    purpose; the employee only when asked for)."""

    model_config = ConfigDict(frozen=True)

    occurred_at: datetime
    action: AccessAction
    purpose: str
    outcome: AccessOutcome
    municipality_code: str | None
    responsible_municipality_code: str | None = None
    sor_id: str | None
    cvr: str | None
    org_unit: str | None
    system_name: str
    case_id: str | None
    application_id: str | None
    user_id: str | None = None
    user_name: str | None = None
    user_role: str | None = None
