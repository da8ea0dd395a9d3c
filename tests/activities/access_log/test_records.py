"""The access log: recording entries, auditors' keyset-paged searches and a citizen's art. 15 extract."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import psycopg
import pytest
from pydantic import ValidationError

from activities.access_log import records as access_log
from activities.access_log.records import AccessAction, AccessLogEntry, AccessLogRow, AccessOutcome, Purpose
from activities.platform.db import Pool
from activities.platform.keyset_pages import InvalidCursor
from workflows.domain.cpr import InvalidCpr


def new_cpr() -> str:
    """A CPR number no other test uses (a real date; the serial's first digit 0-3 means the 1900s)."""
    day, month, year = secrets.randbelow(28) + 1, secrets.randbelow(12) + 1, secrets.randbelow(100)
    return f"{day:02d}{month:02d}{year:02d}{secrets.randbelow(4000):04d}"


def entry(**fields: object) -> AccessLogEntry:
    values: dict[str, object] = {
        "user_id": f"user-{uuid.uuid4()}",
        "user_name": "Karen Jensen",
        "user_role": "caseworker",
        "municipality_code": "101",
        "cvr": "64942212",
        "action": AccessAction.READ,
        "purpose": Purpose.CASEWORK,
        "outcome": AccessOutcome.ALLOWED,
        "source_address": "10.0.0.7",
        "correlation_id": str(uuid.uuid4()),
    }
    return AccessLogEntry.model_validate(values | fields)


async def record_all(pool: Pool, entries: list[AccessLogEntry]) -> None:
    for one in entries:  # one at a time: their order is the log's order
        await access_log.record(pool, one)


async def all_pages(pool: Pool, limit: int, **criteria: object) -> list[list[AccessLogRow]]:
    pages: list[list[AccessLogRow]] = []
    cursor: str | None = None
    while True:
        page, cursor = await access_log.search(pool, limit=limit, cursor=cursor, **criteria)  # type: ignore[arg-type]
        pages.append(page)
        if cursor is None:
            return pages


@pytest.mark.parametrize("criterion", ["citizen_cpr", "user_id", "case_id", "application_id"])
async def test_search_by_each_criterion_pages_newest_first(pool: Pool, criterion: str) -> None:
    value = new_cpr() if criterion == "citizen_cpr" else f"{criterion}-{uuid.uuid4()}"
    mine = [entry(**{criterion: value, "purpose": f"step {step}"}) for step in range(5)]
    await record_all(pool, [mine[0], entry(), mine[1], mine[2], entry(), mine[3], mine[4]])

    pages = await all_pages(pool, 2, **{criterion: value})

    assert [len(page) for page in pages] == [2, 2, 1]
    rows = [row for page in pages for row in page]
    assert [row.purpose for row in rows] == [f"step {step}" for step in (4, 3, 2, 1, 0)]
    assert [(row.occurred_at, row.id) for row in rows] == sorted(((r.occurred_at, r.id) for r in rows), reverse=True)
    assert rows[0].model_dump(exclude={"id", "occurred_at"}) == mine[4].model_dump()


async def test_search_by_period_is_from_inclusive_to_exclusive(pool: Pool) -> None:
    user = f"user-{uuid.uuid4()}"
    await record_all(pool, [entry(user_id=user, purpose=f"step {step}") for step in range(4)])
    rows, _ = await access_log.search(pool, user_id=user, limit=10)
    oldest_first = rows[::-1]

    between, _ = await access_log.search(
        pool, user_id=user, occurred_from=oldest_first[1].occurred_at, occurred_to=oldest_first[3].occurred_at
    )

    assert [row.id for row in between] == [oldest_first[2].id, oldest_first[1].id]


async def test_a_municipal_auditor_sees_only_its_municipality(pool: Pool) -> None:
    cpr = new_cpr()
    await record_all(pool, [entry(citizen_cpr=cpr, municipality_code=code) for code in ("101", "147", "101")])

    municipal, _ = await access_log.search(pool, citizen_cpr=cpr, municipality_code="101")
    national, _ = await access_log.search(pool, citizen_cpr=cpr)

    assert [row.municipality_code for row in municipal] == ["101", "101"]
    assert sorted(row.municipality_code or "" for row in national) == ["101", "101", "147"]


async def test_a_municipal_auditor_sees_the_rows_about_its_cases_by_users_outside_it(pool: Pool) -> None:
    cpr = new_cpr()
    hospital = entry(citizen_cpr=cpr, municipality_code=None, sor_id="6008010", responsible_municipality_code="147")
    operator = entry(citizen_cpr=cpr, municipality_code=None, user_role="ops_decrypt", action=AccessAction.DECODE)
    await record_all(pool, [hospital, operator])

    municipal, _ = await access_log.search(pool, citizen_cpr=cpr, municipality_code="147")
    extract = await access_log.citizen_extract(pool, cpr, include_employee=False, municipality_code="147")
    elsewhere, _ = await access_log.search(pool, citizen_cpr=cpr, municipality_code="101")

    assert [(row.sor_id, row.responsible_municipality_code) for row in municipal] == [("6008010", "147")]
    assert [(row.sor_id, row.responsible_municipality_code) for row in extract] == [("6008010", "147")]
    assert elsewhere == []  # the operator's row names no municipality: a national auditor's only


async def test_unless_within_writes_one_row_for_concurrent_repeats(pool: Pool) -> None:
    cpr, user = new_cpr(), f"user-{uuid.uuid4()}"
    decode = entry(user_id=user, citizen_cpr=cpr, action=AccessAction.DECODE, responsible_municipality_code="101")
    within = timedelta(minutes=5)

    written = await asyncio.gather(*(access_log.record(pool, decode, unless_within=within) for _ in range(8)))
    others = [
        decode.model_copy(update={"outcome": AccessOutcome.FAILED}),
        decode.model_copy(update={"responsible_municipality_code": "147"}),
        decode.model_copy(update={"citizen_cpr": None}),
    ]
    for other in others:
        assert await access_log.record(pool, other, unless_within=within)
    assert not await access_log.record(pool, decode, unless_within=within)
    assert await access_log.record(pool, decode)  # without a window every call is a row

    assert sorted(written) == [False] * 7 + [True]
    rows, _ = await access_log.search(pool, user_id=user)
    assert len(rows) == 5


async def test_a_cpr_is_found_with_or_without_its_dash(pool: Pool) -> None:
    cpr = new_cpr()
    await access_log.record(pool, entry(citizen_cpr=f"{cpr[:6]}-{cpr[6:]}"))

    rows, _ = await access_log.search(pool, citizen_cpr=cpr)

    assert [row.citizen_cpr for row in rows] == [cpr]


async def test_a_search_rejects_a_foreign_cursor_and_a_malformed_cpr(pool: Pool) -> None:
    with pytest.raises(InvalidCursor):
        await access_log.search(pool, user_id="x", cursor="bm90LWEtY3Vyc29y")
    with pytest.raises(InvalidCpr):
        await access_log.search(pool, citizen_cpr="12345")
    with pytest.raises(ValueError, match="limit"):
        await access_log.search(pool, user_id="x", limit=0)


async def test_the_extract_names_the_employee_only_when_asked(pool: Pool) -> None:
    cpr = new_cpr()
    read = entry(citizen_cpr=cpr, case_id="C-7", purpose=Purpose.TREATMENT)
    searched = entry(citizen_cpr=cpr, action=AccessAction.SEARCH, search_criterion={"status": "open"})
    other_municipality = entry(citizen_cpr=cpr, municipality_code="147", sor_id="6008010")
    await record_all(pool, [read, searched, other_municipality, entry(citizen_cpr=new_cpr())])

    plain = await access_log.citizen_extract(pool, cpr, include_employee=False)
    named = await access_log.citizen_extract(pool, f"{cpr[:6]}-{cpr[6:]}", include_employee=True)
    scoped = await access_log.citizen_extract(pool, cpr, include_employee=False, municipality_code="147")

    assert [(row.action, row.purpose, row.case_id) for row in plain] == [
        (AccessAction.READ, "behandling", "C-7"),
        (AccessAction.SEARCH, "sagsbehandling", None),
        (AccessAction.READ, "sagsbehandling", None),
    ]
    assert plain[0].municipality_code == "101" and plain[0].cvr == "64942212"
    assert all(row.user_id is None and row.user_name is None and row.user_role is None for row in plain)
    assert [(row.user_id, row.user_name, row.user_role) for row in named] == [
        (one.user_id, "Karen Jensen", "caseworker") for one in (read, searched, other_municipality)
    ]
    assert [(row.municipality_code, row.sor_id) for row in scoped] == [("147", "6008010")]


@dataclass(frozen=True)
class Caller:
    """The shape of `api.auth.principal.Principal` that `AccessLogEntry.by` reads."""

    subject: str
    primary_role: str
    name: str | None = None
    municipality_code: str | None = None
    sor_id: str | None = None
    org_unit: str | None = None
    cvr: str | None = None


def test_an_entry_takes_the_caller_from_the_principal() -> None:
    caller = Caller("u-1", "caseworker", "Karen Jensen", "101", org_unit="team-nord", cvr="64942212")

    made = AccessLogEntry.by(
        caller, action=AccessAction.EXPORT, purpose=Purpose.CASEWORK, outcome=AccessOutcome.DENIED, case_id="C-1"
    )

    assert (made.user_id, made.user_name, made.user_role, made.municipality_code) == (
        "u-1",
        "Karen Jensen",
        "caseworker",
        "101",
    )
    assert (made.org_unit, made.cvr, made.action, made.outcome) == ("team-nord", "64942212", "export", "denied")


def test_an_entry_keeps_the_cpr_out_of_its_repr_errors_and_criterion() -> None:
    cpr = "2509479989"
    assert cpr not in repr(entry(citizen_cpr=cpr))
    with pytest.raises(ValidationError) as bad_cpr:
        entry(citizen_cpr="3213479989")  # day 32
    assert "3213479989" not in str(bad_cpr.value)
    with pytest.raises(ValidationError, match="citizen_cpr") as in_criterion:
        entry(action=AccessAction.SEARCH, search_criterion={"query": {"patient": "250947-9989"}})
    assert "250947-9989" not in str(in_criterion.value)
    with pytest.raises(ValidationError):
        entry(action="look")


async def test_a_search_row_must_name_its_criterion(pool: Pool) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        await access_log.record(pool, entry(action=AccessAction.SEARCH))
