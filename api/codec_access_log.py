"""The access-log row of a codec decode: who decoded, how many payloads, and whose data they showed.

Decoding Temporal payloads for operations is "teknisk bistand" under sundhedsloven §42 a stk. 4.
[UNCERTAIN] The notes found that paragraph only in a draft: confirm the legal basis before production use.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from fastapi import Request
from temporalio.api.common.v1 import Payload

from activities.access_log_entries import AccessAction, AccessLogEntry, AccessOutcome, Purpose
from activities.payload_codec import ENCODING_KEY, ENCRYPTED_ENCODING
from api.access_logging import correlation_id
from api.auth.principal import Principal
from workflows.domain.cpr import InvalidCpr, check_cpr

DECODE_PURPOSE = Purpose.TECHNICAL_ASSISTANCE
_ENCRYPTED_IN_JSON = base64.b64encode(ENCRYPTED_ENCODING).decode()


class JsonPayload(Protocol):
    """A payload as the codec's JSON body carries it (metadata values base64)."""

    @property
    def metadata(self) -> dict[str, str]: ...


def _cprs_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "cpr" and isinstance(item, str):
                yield item
            else:
                yield from _cprs_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _cprs_in(item)


def citizens_in(payloads: Iterable[Payload]) -> set[str]:
    """The CPR numbers in decoded JSON payloads (plans, applications): whose data the decode showed."""
    found: set[str] = set()
    for payload in payloads:
        if not payload.metadata.get(ENCODING_KEY, b"").startswith(b"json/"):
            continue
        try:
            parsed = json.loads(payload.data)
        except ValueError:
            continue
        for text in _cprs_in(parsed):
            try:
                found.add(check_cpr(text).normalised)
            except InvalidCpr:
                pass
    return found


def decode_entry(
    request: Request,
    principal: Principal,
    outcome: AccessOutcome,
    asked: Sequence[JsonPayload],
    citizens: set[str],
) -> AccessLogEntry:
    """One access-log row for a decode. `search_criterion` says what was asked for, in counts only; the citizen
    is named when the decoded payloads name exactly one, so that the decode shows in that citizen's extract."""
    encrypted = sum(1 for item in asked if item.metadata.get(ENCODING_KEY) == _ENCRYPTED_IN_JSON)
    return AccessLogEntry.by(
        principal,
        action=AccessAction.DECODE,
        purpose=DECODE_PURPOSE,
        outcome=outcome,
        citizen_cpr=next(iter(citizens)) if len(citizens) == 1 else None,
        search_criterion={"payloads": len(asked), "encrypted_payloads": encrypted, "citizens": len(citizens)},
        source_address=request.client.host if request.client else None,
        correlation_id=correlation_id(request),
    )
