"""Seal and open the personal fields of stored bodies (event payloads, read-model states) with citizen keys.

`activities.sealing.personal_fields` says which fields are personal; this module does the work for the store:

- `seal_body` replaces each personal value by `{"$sealed": "<base64 of sealed bytes>"}` (citizen_cipher's
  format: the key id and version travel with it). The key is the citizen's whose CPR the body carries, or,
  for a body without one (a note on a case), the citizen the stream belongs to (`citizen_streams`). A body
  with personal data but no known citizen is refused, never stored in clear.
- `open_body` puts the plaintext back. Values stored before sealing existed are plain JSON and are read as
  they are. A value whose key was destroyed reads as erased (`[slettet]` or null, per the table).
- `activities.sealing.erased_models` loads an opened body into its model although erased fields would fail their
  validators (a CPR number, a diagnosis code).
"""

from __future__ import annotations

import json
import uuid
from base64 import b64decode, b64encode
from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection

from activities.sealing.citizen_cipher import (
    SealedDataError,
    citizen_key_config,
    open_with_key,
    seal_with_key,
    sealed_key_id,
)
from activities.sealing.citizen_keys import CitizenKeyConfig, CitizenKeyRow, key_by_id, key_for, key_row
from activities.sealing.field_paths import ErasedField, locations, segments, value_at
from activities.sealing.personal_fields import ERASED_TEXT, BodyFields, Erased

SEALED = "$sealed"


class PersonalDataError(RuntimeError):
    """Personal data that cannot be sealed (no citizen to seal it for). Names the stream, never the data."""


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {SEALED}


class CitizenKeys:
    """The keys one store operation needs, looked up once each (one per operation: never cached across them)."""

    def __init__(self, conn: AsyncConnection[Any], config: CitizenKeyConfig | None = None) -> None:
        self.conn = conn
        self.config = config or citizen_key_config()
        self._by_cpr: dict[str, CitizenKeyRow] = {}
        self._by_id: dict[uuid.UUID, CitizenKeyRow | None] = {}
        self._linked: set[tuple[str, uuid.UUID]] = set()
        self._stream_keys: dict[str, uuid.UUID] = {}  # linked in this operation: the stream's latest link

    async def for_cpr(self, cpr: str) -> CitizenKeyRow:
        digits = cpr.replace("-", "")
        if digits not in self._by_cpr:
            found = await key_for(self.conn, self.config, digits)
            self._by_cpr[digits] = self._by_id[found.key_id] = found
        return self._by_cpr[digits]

    async def hold_for_cprs(self, cprs: Sequence[str]) -> None:
        """`for_cpr` for many citizens in one statement (a rebuild's batch): each live key found is held for
        sealing and remembered; a citizen without one is left to `for_cpr`, which makes it."""
        digits = list({cpr.replace("-", "") for cpr in cprs} - set(self._by_cpr))
        if not digits:
            return
        cursor = await self.conn.execute(
            "SELECT x.digits, key.key_id, key.key_version, key.kek_id, key.wrapped_key"
            " FROM unnest(%s::text[], %s::bytea[]) AS x(digits, lookup_hash),"
            " LATERAL hold_citizen_key_for_sealing(x.lookup_hash) AS key WHERE key.key_id IS NOT NULL",
            (digits, [self.config.lookup_hash(one) for one in digits]),
        )
        for row in await cursor.fetchall():
            found = key_row(row[1:])
            self._by_cpr[row[0]] = self._by_id[found.key_id] = found

    async def of_streams(self, stream_ids: Sequence[str]) -> None:
        """Look up the keys the streams are linked to in one statement (a batch), so opening their events asks
        no more per key, and sealing for them links nothing already linked."""
        cursor = await self.conn.execute(
            "SELECT link.stream_id, key.key_id, key.key_version, key.kek_id, key.wrapped_key"
            " FROM citizen_streams AS link JOIN citizen_keys AS key USING (key_id) WHERE link.stream_id = ANY(%s)",
            (list(stream_ids),),
        )
        for row in await cursor.fetchall():
            found = key_row(row[1:])
            self._by_id[found.key_id] = found
            self._linked.add((row[0], found.key_id))

    async def by_id(self, key_id: uuid.UUID) -> CitizenKeyRow | None:
        if key_id not in self._by_id:
            self._by_id[key_id] = await key_by_id(self.conn, key_id)
        return self._by_id[key_id]

    async def of_stream(self, stream_id: str) -> CitizenKeyRow | None:
        """The key of the citizen the stream was last linked to (a replacing plan may name another)."""
        if stream_id in self._stream_keys:  # linked by this operation, so the latest link
            return await self.by_id(self._stream_keys[stream_id])
        cursor = await self.conn.execute(
            "SELECT key_id FROM citizen_streams WHERE stream_id = %s ORDER BY linked_at DESC, key_id LIMIT 1",
            (stream_id,),
        )
        row = await cursor.fetchone()
        return await self.by_id(row[0]) if row else None

    async def link(self, stream_id: str, stream_type: str, key_id: uuid.UUID) -> None:
        self._stream_keys[stream_id] = key_id
        if (stream_id, key_id) in self._linked:
            return
        await self.conn.execute(
            "INSERT INTO citizen_streams (stream_id, stream_type, key_id) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            (stream_id, stream_type, key_id),
        )
        self._linked.add((stream_id, key_id))


def _personal_values(body: Any, fields: BodyFields) -> list[tuple[Any, str | int, str]]:
    return [
        (container, key, pattern)
        for pattern in fields.personal
        for container, key, _ in locations(body, segments(pattern))
        if container[key] is not None and not is_sealed(container[key])
    ]


def _erase_in_place(values: list[tuple[Any, str | int, str]], fields: BodyFields) -> None:
    for container, key, pattern in values:
        container[key] = ERASED_TEXT if fields.personal[pattern] is Erased.TEXT else None


async def seal_body(
    keys: CitizenKeys, body: dict[str, Any], fields: BodyFields, stream_id: str, stream_type: str
) -> dict[str, Any]:
    """`body` (a fresh JSON dict, changed in place and returned) with every personal value sealed.

    `stream_id`/`stream_type` name the case or application whose citizen the data belongs to."""
    values = _personal_values(body, fields)
    if not values:
        return body
    cpr = value_at(body, fields.citizen) if fields.citizen else None
    if cpr == ERASED_TEXT:
        _erase_in_place(values, fields)  # a state folded from erased events: nothing personal is left to seal
        return body
    if isinstance(cpr, str):
        key = await keys.for_cpr(cpr)
        await keys.link(stream_id, stream_type, key.key_id)
    else:
        found = await keys.of_stream(stream_id)
        if found is None:
            found = await _legacy_citizen_key(keys, stream_id, stream_type)
        if found is None:
            raise PersonalDataError(f"{stream_type} {stream_id} has personal data but no citizen to seal it for")
        if found.destroyed:
            _erase_in_place(values, fields)  # the citizen was erased: their data is not stored again
            return body
        key = found
    for container, slot, _ in values:
        plaintext = json.dumps(container[slot], ensure_ascii=False, separators=(",", ":")).encode()
        sealed = await seal_with_key(keys.config, key, plaintext)
        container[slot] = {SEALED: b64encode(sealed).decode("ascii")}
    return body


_LEGACY_CPR = {
    "case": "SELECT state #>> '{plan,patient,cpr}' FROM cases WHERE case_id = %s",
    "application": "SELECT state #>> '{application,citizen,cpr}' FROM applications WHERE application_id = %s",
}


async def _legacy_citizen_key(keys: CitizenKeys, stream_id: str, stream_type: str) -> CitizenKeyRow | None:
    """A stream stored before sealing has no citizen link, but its read model holds the CPR in clear: its new
    events are sealed with that citizen's key, and the stream is linked to it from now on."""
    query = _LEGACY_CPR.get(stream_type)
    if query is None:
        return None
    cursor = await keys.conn.execute(query.encode(), (stream_id,))
    row = await cursor.fetchone()
    cpr = row[0] if row else None
    if not (isinstance(cpr, str) and len(cpr) == 10 and cpr.isascii() and cpr.isdigit()):
        return None
    key = await keys.for_cpr(cpr)
    await keys.link(stream_id, stream_type, key.key_id)
    return key


async def open_body(keys: CitizenKeys, body: dict[str, Any], fields: BodyFields) -> list[ErasedField]:
    """Open every sealed personal value of `body` in place; returns the fields that read as erased."""
    erased: list[ErasedField] = []
    for pattern, kind in fields.personal.items():
        for container, slot, path in locations(body, segments(pattern)):
            value = container[slot]
            if value == ERASED_TEXT:
                erased.append(ErasedField(path, pattern, kind))  # stored erased (a state folded after erasure)
                continue
            if not is_sealed(value):
                continue  # stored before sealing existed, or null
            try:
                sealed = b64decode(value[SEALED], validate=True)
            except ValueError:
                raise SealedDataError("a sealed field is not base64") from None
            key = await keys.by_id(sealed_key_id(sealed))
            if key is None:
                raise SealedDataError("sealed under a citizen key this database does not hold")
            plaintext = await open_with_key(keys.config, key, sealed)
            if plaintext is None:
                container[slot] = ERASED_TEXT if kind is Erased.TEXT else None
                erased.append(ErasedField(path, pattern, kind))
            else:
                container[slot] = json.loads(plaintext)
    return erased


async def open_state(conn: AsyncConnection[Any], body: dict[str, Any], fields: BodyFields) -> dict[str, Any]:
    """Open a read-model state in place (erased fields read `[slettet]` or null) and return it."""
    await open_body(CitizenKeys(conn), body, fields)
    return body
