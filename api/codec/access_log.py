"""The access-log rows of a codec decode: who decoded, how many payloads, whose data they showed, and which
municipality holds that data (its auditor reads the row; the operator belongs to none).

Decoding Temporal payloads for operations is "teknisk bistand" under sundhedsloven §42 a stk. 4.
[UNCERTAIN] The notes found that paragraph only in a draft: confirm the legal basis before production use.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Request
from temporalio.api.common.v1 import Payload

from activities.access_log.citizen_municipalities import municipalities_of_citizen
from activities.access_log.entries import AccessAction, AccessLogEntry, AccessOutcome, Purpose
from activities.platform.db import Pool
from activities.sealing.payload_codec import ENCODING_KEY, ENCRYPTED_ENCODING
from api.access_logging import correlation_id
from api.auth.principal import Principal
from workflows.domain.cpr import InvalidCpr, check_cpr

DECODE_PURPOSE = Purpose.TECHNICAL_ASSISTANCE
_ENCRYPTED_IN_JSON = base64.b64encode(ENCRYPTED_ENCODING).decode()
# Where the service's payloads (states, commands, events) name their case or application, and its municipality: a
# plan's home municipality, a case's responsible one (after a transfer, the receiving one), an application's
# `municipality_code` beside its `citizen` (elsewhere that key is a provider's or a caseworker's).
_STREAM_KEYS = frozenset({"case_id", "application_id"})
_MUNICIPALITY_KEYS = frozenset({"home_municipality_code", "responsible_municipality_code"})
_MUNICIPALITY_CODE = re.compile(r"[0-9]{3}")


class JsonPayload(Protocol):
    """A payload as the codec's JSON body carries it (metadata values base64)."""

    @property
    def metadata(self) -> dict[str, str]: ...


@dataclass
class SeenCitizen:
    """What the decoded payloads that name one citizen name beside them: case and application ids, and the
    municipalities they are addressed to."""

    streams: set[str] = field(default_factory=set)
    municipalities: set[str] = field(default_factory=set)

    def concerns(self, held: Mapping[str, str]) -> set[str]:
        """The municipalities whose data the decode showed, given those that hold the citizen's cases and
        applications (`held`, by id): those of the cases the payloads name; else those the payloads are addressed
        to (a plan names its home municipality, not its case; a case whose first append is stuck is in no read
        model yet); else every municipality holding one of the citizen's cases."""
        named = {code for stream_id, code in held.items() if stream_id in self.streams}
        return named or self.municipalities or set(held.values())


def _strings(value: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (key, text, the object holding it) in a parsed JSON value, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                yield key, item, value
            else:
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _cpr(text: str) -> str | None:
    try:
        return check_cpr(text).normalised
    except InvalidCpr:
        return None


def _is_municipality(key: str, text: str, owner: dict[str, Any]) -> bool:
    named = key in _MUNICIPALITY_KEYS or (key == "municipality_code" and "citizen" in owner)
    return named and _MUNICIPALITY_CODE.fullmatch(text) is not None


def citizens_in(payloads: Iterable[Payload]) -> dict[str, SeenCitizen]:
    """The CPR numbers in decoded JSON payloads (plans, applications, states): whose data the decode showed, each
    with the ids and municipalities the payloads naming them hold (a payload is one case's or application's)."""
    found: dict[str, SeenCitizen] = {}
    for payload in payloads:
        if not payload.metadata.get(ENCODING_KEY, b"").startswith(b"json/"):
            continue
        try:
            strings = list(_strings(json.loads(payload.data)))
        except ValueError:
            continue
        for cpr in {cpr for key, text, _ in strings if key == "cpr" and (cpr := _cpr(text)) is not None}:
            seen = found.setdefault(cpr, SeenCitizen())
            seen.streams |= {text for key, text, _ in strings if key in _STREAM_KEYS}
            seen.municipalities |= {text for key, text, owner in strings if _is_municipality(key, text, owner)}
    return found


async def decode_entries(
    request: Request,
    pool: Pool,
    principal: Principal,
    outcome: AccessOutcome,
    asked: Sequence[JsonPayload],
    citizens: Mapping[str, SeenCitizen] | None = None,
) -> list[AccessLogEntry]:
    """The access-log rows of one decode: a row per citizen the decoded payloads name and municipality concerned
    (`SeenCitizen.concerns`, usually one), so that the decode shows in the citizen's extract and to that
    municipality's auditor; a single row naming nobody when they name no citizen (so for a refused or failed
    decode). `search_criterion` says what was asked for, in counts only."""
    encrypted = sum(1 for item in asked if item.metadata.get(ENCODING_KEY) == _ENCRYPTED_IN_JSON)
    common = {
        "action": AccessAction.DECODE,
        "purpose": DECODE_PURPOSE,
        "outcome": outcome,
        "search_criterion": {"payloads": len(asked), "encrypted_payloads": encrypted, "citizens": len(citizens or {})},
        "source_address": request.client.host if request.client else None,
        "correlation_id": correlation_id(request),
    }
    if not citizens:
        return [AccessLogEntry.by(principal, **common)]
    entries = []
    for cpr, seen in sorted(citizens.items()):
        codes: list[str | None] = [*sorted(seen.concerns(await municipalities_of_citizen(pool, cpr)))]
        for code in codes or [None]:
            entries.append(AccessLogEntry.by(principal, citizen_cpr=cpr, responsible_municipality_code=code, **common))
    return entries
