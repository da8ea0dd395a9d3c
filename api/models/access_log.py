"""Request and response bodies of the auditors' access-log endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field, StrictBool, field_validator

from activities.access_log.entries import AccessLogRow, ExtractRow
from activities.access_log.records import ACCESS_LOG_CURSOR_PATTERN
from activities.platform.keyset_pages import MAX_PAGE
from api.http.timestamps import UtcTimestamps
from api.models.request_body import RequestBody
from workflows.domain.cpr import CPR_SHAPE, InvalidCpr, check_cpr


def _valid_cpr(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_cpr(value).normalised
    except InvalidCpr as error:
        raise ValueError(str(error)) from None


class AccessLogSearch(RequestBody):
    """Every given criterion must match. The CPR travels in this body, never in a URL (proxies log URLs)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"citizen_cpr": "2509479989", "occurred_from": "2026-11-01T00:00:00Z"}]}
    )

    citizen_cpr: str | None = Field(default=None, json_schema_extra={"pattern": CPR_SHAPE})
    user_id: str | None = Field(default=None, min_length=1, max_length=200)
    case_id: str | None = Field(default=None, min_length=1, max_length=200)
    application_id: str | None = Field(default=None, min_length=1, max_length=200)
    occurred_from: datetime | None = Field(default=None, description="Inclusive")
    occurred_to: datetime | None = Field(default=None, description="Exclusive")
    limit: int = Field(default=50, ge=1, le=MAX_PAGE)
    cursor: str | None = Field(
        default=None,
        max_length=500,
        description="`next_cursor` of the previous page",
        json_schema_extra={"pattern": ACCESS_LOG_CURSOR_PATTERN},
    )

    _cpr = field_validator("citizen_cpr")(_valid_cpr)


class CitizenExtractRequest(RequestBody):
    """A citizen's request under GDPR art. 15: who looked them up, when, and why."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"citizen_cpr": "2509479989", "include_employee": False}]}
    )

    citizen_cpr: str = Field(json_schema_extra={"pattern": CPR_SHAPE})
    include_employee: StrictBool = Field(
        default=False,
        description="Name the employees too: only where the citizen needs it to exercise their rights "
        "(CJEU C-579/21); by default the extract names the organisation and the purpose",
    )
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None

    _cpr = field_validator("citizen_cpr")(_valid_cpr)


class AccessLogItem(UtcTimestamps, AccessLogRow):
    """One access-log row as an auditor sees it."""


class AccessLogPage(UtcTimestamps):
    items: list[AccessLogItem]
    next_cursor: str | None = Field(description="Fetch the next page with this cursor; none on the last")


class CitizenExtract(UtcTimestamps):
    citizen_cpr: str
    entries: list[ExtractRow] = Field(description="Oldest first")
