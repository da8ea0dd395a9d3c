"""The custom search attributes of a case workflow (pure: no I/O, safe to import from workflow code).

They must be registered on the namespace before a workflow sets them, or its workflow task fails forever:
see `activities.search_attribute_registration` and deploy/README.md. Never put personal data (CPR numbers,
names) in them: they are stored in plaintext and bypass the payload codec.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.common import SearchAttributeKey

CASE_STATUS: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("CaseStatus")
MUNICIPALITY_CODE: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("MunicipalityCode")
CARE_LEVEL: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("CareLevel")
ALMEN_SUB_LEVEL: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("AlmenSubLevel")
NEXT_DEADLINE: SearchAttributeKey[datetime] = SearchAttributeKey.for_datetime("NextDeadline")
CASE_OVERDUE: SearchAttributeKey[bool] = SearchAttributeKey.for_bool("CaseOverdue")

ALL_SEARCH_ATTRIBUTES: tuple[SearchAttributeKey[Any], ...] = (
    CASE_STATUS,
    MUNICIPALITY_CODE,
    CARE_LEVEL,
    ALMEN_SUB_LEVEL,
    NEXT_DEADLINE,
    CASE_OVERDUE,
)
