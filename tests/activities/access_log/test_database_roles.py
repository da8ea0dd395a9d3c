"""The application role (migrations 0009, 0010): what the running service may and may not do in the database.

Each test connects AS a login member of genoptraening_app in a database of its own (tests/support/app_role.py).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import sql

from activities.access_log import records as access_log
from activities.access_log.records import AccessAction, AccessLogEntry, AccessOutcome
from activities.access_log.retention import purge_older_than
from activities.queries import cases as case_queries
from activities.store.activities import StoreActivities
from activities.store.eventstore import EventStore
from deploy.embedded_postgres import service_url
from tests.activities.store.test_application_streams import append_application
from tests.support.app_role import APPLICATION_ROLE, INSUFFICIENT_PRIVILEGE, RAISED_BY_TRIGGER, AppDatabase, refused
from tests.support.factories import lifecycle_batches, new_case_id
from tests.support.store_helpers import append_all
from workflows.contracts.store import PlanDelivery
from workflows.domain.model import ProviderKind, Recipient

# What 0009 and 0010 intend, table by table; a new table fails this test until its migration grants
# explicitly (there are no default privileges).
EXPECTED_GRANTS = {
    "access_log": {"SELECT"},  # INSERT is granted on columns: see test_the_application_cannot_choose_the_time
    "applications": {"SELECT", "INSERT", "UPDATE"},
    "cases": {"SELECT", "INSERT", "UPDATE"},
    # INSERT on four columns only; rewrapped and destroyed through functions that record it (0023), never
    # updated directly, never deleted (a trigger). See tests/activities/sealing/test_citizen_key_transitions.py.
    "citizen_keys": {"SELECT"},
    "citizen_key_transitions": set(),  # written only by those functions
    "citizen_streams": {"SELECT", "INSERT"},
    "caseworkers": {"SELECT", "INSERT", "UPDATE"},  # the municipality's register (0017)
    "retention_status": {"SELECT", "INSERT", "UPDATE"},
    "events": {"SELECT", "INSERT", "MAINTAIN"},  # MAINTAIN: LOCK TABLE events (TRUNCATE before PostgreSQL 17)
    "inbound_messages": {"SELECT", "INSERT"},  # received once, never changed (erasure destroys the key)
    "kl_report_problems": {"SELECT", "INSERT"},  # what was reported, and why not, is history (0016)
    "kl_report_runs": {"SELECT", "INSERT", "UPDATE"},  # a run is started, then finished
    "kl_reported_resources": {"SELECT", "INSERT"},
    "kl_reports": {"SELECT", "INSERT"},
    "municipalities": {"SELECT", "INSERT", "UPDATE"},
    "outbox": {"SELECT", "INSERT", "UPDATE"},
    "plan_index": {"SELECT", "INSERT"},
    "projection_checkpoints": {"SELECT", "INSERT", "UPDATE"},
    "providers": {"SELECT", "INSERT", "UPDATE"},
    "schema_migrations": set(),
    "start_guarantee_facts": {"SELECT", "INSERT", "UPDATE"},  # versions inserted, then superseded (0015)
    "teams": {"SELECT", "INSERT", "UPDATE"},  # the municipality's register (0017)
}


def entry(**fields: object) -> AccessLogEntry:
    values: dict[str, object] = {
        "user_id": "cw-1",
        "user_role": "caseworker",
        "municipality_code": "101",
        "citizen_cpr": "2509479989",
        "action": AccessAction.READ,
        "purpose": "behandling",
        "outcome": AccessOutcome.ALLOWED,
    }
    return AccessLogEntry.model_validate(values | fields)


async def test_the_application_appends_and_searches_the_access_log(app_database: AppDatabase) -> None:
    await access_log.record(app_database.app_pool, entry(case_id="C-1"))

    rows, _ = await access_log.search(app_database.app_pool, case_id="C-1", limit=10)

    assert [(row.case_id, row.user_id, row.citizen_cpr) for row in rows] == [("C-1", "cw-1", "2509479989")]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_log SET purpose = 'x'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
        "SELECT purge_access_log(now())",
    ],
)
async def test_the_application_cannot_change_or_remove_log_rows(app_database: AppDatabase, statement: str) -> None:
    await access_log.record(app_database.app_pool, entry())

    assert await refused(app_database.app_url, statement) == INSUFFICIENT_PRIVILEGE

    async with await psycopg.AsyncConnection.connect(app_database.owner_url) as owner:
        cursor = await owner.execute("SELECT count(*), min(purpose) FROM access_log")
        assert await cursor.fetchone() == (1, "behandling")


async def test_the_application_cannot_choose_the_time(app_database: AppDatabase) -> None:
    state = await refused(
        app_database.app_url,
        "INSERT INTO access_log (occurred_at, user_id, user_role, action, purpose, outcome)"
        " VALUES ('2001-01-01', 'u', 'caseworker', 'read', 'behandling', 'allowed')",
    )
    assert state == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize(
    ("statement", "states"),
    [
        ("UPDATE events SET event_type = event_type", {INSUFFICIENT_PRIVILEGE}),
        ("DELETE FROM events", {INSUFFICIENT_PRIVILEGE}),
        # Refused by the events_no_truncate trigger where TRUNCATE is granted for the lock (PostgreSQL < 17).
        ("TRUNCATE events", {INSUFFICIENT_PRIVILEGE, RAISED_BY_TRIGGER}),
        ("DROP TABLE cases", {INSUFFICIENT_PRIVILEGE}),
        ("CREATE TABLE events_copy (id int)", {INSUFFICIENT_PRIVILEGE}),
        ("DELETE FROM cases", {INSUFFICIENT_PRIVILEGE}),
    ],
)
async def test_the_application_cannot_rewrite_history_or_the_schema(
    app_database: AppDatabase, statement: str, states: set[str]
) -> None:
    case_id = new_case_id()
    await append_all(EventStore(app_database.app_pool), case_id, lifecycle_batches(case_id))

    assert await refused(app_database.app_url, statement) in states


async def test_the_application_still_does_its_ordinary_writes(app_database: AppDatabase) -> None:
    pool, case_id = app_database.app_pool, new_case_id()
    store = EventStore(pool)

    # Appends (with the events lock), the case and application read models and the plan index.
    results = await append_all(store, case_id, lifecycle_batches(case_id))
    await append_application(store, f"A-{case_id}")
    # The outbox, the municipal registers and a projection's checkpoint.
    receipt = await StoreActivities(pool).deliver_plan(
        PlanDelivery(case_id=case_id, recipient=Recipient.GP, plan_id="GOP-1", address="227871000016001")
    )
    await case_queries.upsert_municipality(pool, "101", "København", 5)
    await case_queries.upsert_municipality(pool, "101", "Københavns Kommune", 4)
    await case_queries.add_provider(pool, "kbh-nord", "101", "Sundhedshus Nord", ProviderKind.OWN)
    deactivated = await case_queries.set_provider_active(pool, "kbh-nord", False)
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO projection_checkpoints (name, position) VALUES ('test', 1)"
            " ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position"
        )
        await conn.execute("UPDATE projection_checkpoints SET position = 2 WHERE name = 'test'")

    case = await case_queries.get_case(pool, case_id)
    assert case is not None and case["version"] == results[-1].case_version
    assert receipt.message_id
    assert deactivated is not None and deactivated["active"] is False


async def test_the_owner_purges_only_rows_past_the_cutoff(app_database: AppDatabase) -> None:
    async with await psycopg.AsyncConnection.connect(app_database.owner_url, autocommit=True) as owner:
        # The owner may set the time (the application may not): rows as if written long ago.
        for day in ("2020-01-15", "2020-02-15", "2020-03-15"):
            await owner.execute(
                "INSERT INTO access_log (occurred_at, user_id, user_role, citizen_cpr, action, purpose, outcome)"
                " VALUES (%s, 'cw-1', 'caseworker', '2509479989', 'read', 'behandling', 'allowed')",
                (f"{day}T12:00:00Z",),
            )
        await access_log.record(app_database.app_pool, entry())
        removed = await purge_older_than(owner, datetime(2020, 2, 1, tzinfo=UTC))

        cursor = await owner.execute(
            "SELECT (occurred_at AT TIME ZONE 'UTC')::date::text FROM access_log ORDER BY occurred_at"
        )
        left = [row[0] for row in await cursor.fetchall()]
    assert removed == 1
    assert left[:2] == ["2020-02-15", "2020-03-15"] and len(left) == 3


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_log SET purpose = 'x'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
        # The purge's own setting does not let a recent row go.
        "SELECT set_config('genoptraening.access_log_purge_before', '2020-01-01', false);"
        " DELETE FROM access_log WHERE occurred_at > '2020-01-01'",
    ],
)
async def test_even_the_owner_cannot_change_log_rows_outside_the_purge(
    app_database: AppDatabase, statement: str
) -> None:
    await access_log.record(app_database.app_pool, entry())

    assert await refused(app_database.owner_url, statement) == RAISED_BY_TRIGGER


async def test_the_purge_refuses_a_cutoff_in_the_future(app_database: AppDatabase) -> None:
    assert (
        await refused(app_database.owner_url, "SELECT purge_access_log(now() + interval '1 day')") == RAISED_BY_TRIGGER
    )


async def test_every_table_grants_the_application_exactly_what_it_needs(app_database: AppDatabase) -> None:
    async with await psycopg.AsyncConnection.connect(app_database.owner_url) as owner:
        cursor = await owner.execute(
            "SELECT c.relname, coalesce(array_agg(g.privilege_type) FILTER (WHERE g.privilege_type IS NOT NULL), '{}')"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()"
            " LEFT JOIN LATERAL aclexplode(c.relacl) g ON g.grantee = to_regrole(%s)"
            " WHERE c.relkind IN ('r', 'p', 'v', 'm') GROUP BY c.relname",
            (APPLICATION_ROLE,),
        )
        grants = {name: set(privileges) for name, privileges in await cursor.fetchall()}
        version = int((await (await owner.execute("SHOW server_version_num")).fetchone() or ("0",))[0])
    expected = dict(EXPECTED_GRANTS)
    if version < 170000:
        expected["events"] = {"SELECT", "INSERT", "TRUNCATE"}
    assert grants == expected


@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="the embedded server's trust authentication lets it log in"
)
async def test_the_embedded_service_role_is_a_plain_member_of_the_application_role(fresh_database_url: str) -> None:
    login = f"genop_test_service_{secrets.token_hex(6)}"
    try:
        url = await asyncio.to_thread(service_url, fresh_database_url, login_role=login)
        assert await asyncio.to_thread(service_url, fresh_database_url, login_role=login) == url  # idempotent
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            cursor = await conn.execute(
                "SELECT current_user, pg_has_role(current_user, %s, 'MEMBER')", (APPLICATION_ROLE,)
            )
            assert await cursor.fetchone() == (login, True)
        assert await refused(url, "DELETE FROM access_log") == INSUFFICIENT_PRIVILEGE
        assert await refused(url, "CREATE ROLE intruder") == INSUFFICIENT_PRIVILEGE
    finally:
        async with await psycopg.AsyncConnection.connect(fresh_database_url, autocommit=True) as owner:
            await owner.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(login)))
