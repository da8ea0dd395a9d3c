"""Reads for the API (case list, case, timeline) and the municipality and provider registers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import sql
from psycopg.errors import ForeignKeyViolation
from psycopg.rows import dict_row

from activities.platform.db import Pool
from activities.platform.keyset_pages import newest_first_page
from activities.queries.case_scope import TeamScope, scope_conditions, scope_params
from activities.sealing.erased_models import load_opened
from activities.sealing.personal_data import open_state
from activities.sealing.personal_fields import CASE_CITIZEN, CASE_STATE, BodyFields
from activities.store.eventstore import EventStore, StoredEvent
from activities.store.read_models.cases import CASES
from workflows.domain.model import ProviderKind
from workflows.domain.state import CaseState

_LIST_COLUMNS = sql.SQL(
    "case_id, municipality_code, status, level, sub_level, discharge_date, next_deadline_at, next_deadline_kind,"
    " overdue, start_guarantee_due_on, contact_due_on, received_at, updated_at, version, last_global_position,"
    " responsible_municipality_code, team, contact_reminder_sent, contact_overdue, guarantee_status_reason,"
    " delivery_failed, assignee, is_open, inbox_due_at, free_choice_open, unseen_warnings"
)

_MUNICIPALITY_COLUMNS = sql.SQL(
    "code, name, contact_working_days, region, warning_working_days, intake_team, updated_at"
)


class UnknownIntakeTeam(Exception):
    """The intake team named for a municipality is not in its register of teams."""


class ProviderConflict(Exception):
    """The provider id is already registered with other details."""


async def list_cases(
    pool: Pool,
    municipality: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    limit: int = 50,
    *,
    delivery_failed: bool | None = None,
    cursor: str | None = None,
    team_scope: TeamScope | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of cases, newest first, and the cursor of the next page (None on the last page); `team_scope`
    narrows it to a caseworker's organisation unit (activities/queries/case_scope.py).

    Only cases that hold a plan are listed; every stream starts with one, so that is all of them.
    """
    conditions: list[sql.Composable] = scope_conditions(team_scope)
    params: dict[str, Any] = scope_params(team_scope)
    if municipality is not None:
        # The municipality now responsible: the home municipality, or the one the case was transferred to.
        conditions.append(sql.SQL("responsible_municipality_code = %(municipality)s"))
        params["municipality"] = municipality
    if status is not None:
        conditions.append(sql.SQL("status = %(status)s"))
        params["status"] = status
    if overdue is not None:
        # Literal predicates, not a parameter, so the planner can use the partial index on overdue.
        conditions.append(sql.SQL("overdue") if overdue else sql.SQL("NOT overdue"))
    if delivery_failed is not None:
        # Literal predicates again: the partial index cases_delivery_failed_idx (migration 0011).
        conditions.append(sql.SQL("delivery_failed") if delivery_failed else sql.SQL("NOT delivery_failed"))
    return await newest_first_page(
        pool,
        table="cases",
        id_column="case_id",
        columns=_LIST_COLUMNS,
        conditions=conditions,
        params=params,
        limit=limit,
        cursor=cursor,
    )


async def _case_row(pool: Pool, case_id: str, state: sql.Composable, fields: BodyFields) -> dict[str, Any] | None:
    """The case's list columns and `state` as the SQL `state` selects it, its `fields` opened (in clear, or
    `[slettet]` once erased)."""
    async with pool.connection() as conn:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                sql.SQL("SELECT {}, {} FROM cases WHERE case_id = %s").format(_LIST_COLUMNS, state), (case_id,)
            )
            row = await cur.fetchone()
        if row is not None:
            await open_state(conn, row["state"], fields)
        return row


async def get_case(pool: Pool, case_id: str) -> dict[str, Any] | None:
    """The case's row: the list columns plus `state`, the whole folded CaseState as JSON."""
    return await _case_row(pool, case_id, sql.SQL("state"), CASE_STATE)


# Of the state, what deciding who may act on the case needs: the plan's sender (a hospital's scope) and the citizen
# (the access-log row names them). The other sealed fields are neither read nor opened.
_SCOPE_STATE = sql.SQL(
    "jsonb_build_object('plan', jsonb_build_object("
    "'patient', jsonb_build_object('cpr', state #> '{plan,patient,cpr}'),"
    " 'sending_hospital_sor_id', state #> '{plan,sending_hospital_sor_id}')) AS state"
)


async def get_case_scope(pool: Pool, case_id: str) -> dict[str, Any] | None:
    """The case's row as a command's scope check needs it: the list columns and, as `state`, only the plan's sender
    and the citizen's CPR (opened alone, or `[slettet]`), not the whole state `get_case` opens."""
    return await _case_row(pool, case_id, _SCOPE_STATE, CASE_CITIZEN)


def case_state(row: dict[str, Any]) -> CaseState:
    """The CaseState of a `get_case` row (an erased field reads `[slettet]`, though its validator would refuse it)."""
    return load_opened(CASES.load, row["state"], CASE_STATE)  # loaded as the read model loads it


async def find_plan(pool: Pool, sending_hospital_sor_id: str, plan_id: str) -> dict[str, Any] | None:
    """The case a plan belongs to (`case_id`, `plan_fingerprint`), from the plan index; None if unknown.

    A plan belongs to the case it started, or to the case whose plan it replaced.
    """
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            "SELECT case_id, plan_fingerprint FROM plan_index WHERE sending_hospital_sor_id = %s AND plan_id = %s",
            (sending_hospital_sor_id, plan_id),
        )
        return await cur.fetchone()


async def case_timeline(pool: Pool, case_id: str) -> list[StoredEvent]:
    return await EventStore(pool).read_stream(case_id)


async def case_events_of(pool: Pool, case_id: str, event_types: Sequence[str]) -> list[StoredEvent]:
    """The case's events of these types only (e.g. its notes), without reading and opening the rest."""
    return await EventStore(pool).read_stream_events_of(case_id, event_types)


async def case_events_naming(
    pool: Pool, case_id: str, event_type: str, fields: Sequence[str], value: str
) -> list[StoredEvent]:
    """The case's events of `event_type` that name `value` in one of `fields` (e.g. a note and its corrections)."""
    return await EventStore(pool).read_stream_events_naming(case_id, event_type, fields, value)


async def upsert_municipality(
    pool: Pool,
    code: str,
    name: str,
    contact_working_days: int,
    region: str | None = None,
    warning_working_days: int | None = None,
    intake_team: str | None = None,
) -> dict[str, Any]:
    """Register or update a municipality; `UnknownIntakeTeam` for an intake team its register lacks."""
    try:
        return await _upsert_municipality(
            pool, (code, name, contact_working_days, region, warning_working_days, intake_team)
        )
    except ForeignKeyViolation:
        raise UnknownIntakeTeam(f"team {intake_team} is not in the register of municipality {code}") from None


async def _upsert_municipality(pool: Pool, values: tuple[object, ...]) -> dict[str, Any]:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            sql.SQL(
                "INSERT INTO municipalities (code, name, contact_working_days, region, warning_working_days,"
                " intake_team) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,"
                " contact_working_days = EXCLUDED.contact_working_days, region = EXCLUDED.region,"
                " warning_working_days = EXCLUDED.warning_working_days, intake_team = EXCLUDED.intake_team,"
                " updated_at = now()"
                " RETURNING {}"
            ).format(_MUNICIPALITY_COLUMNS),
            values,
        )
        row = await cur.fetchone()
    assert row is not None
    return row


async def get_municipality(pool: Pool, code: str) -> dict[str, Any] | None:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            sql.SQL("SELECT {} FROM municipalities WHERE code = %s").format(_MUNICIPALITY_COLUMNS), (code,)
        )
        return await cur.fetchone()


_INSERT_PROVIDER = """
INSERT INTO providers (provider_id, municipality_code, name, kind) VALUES (%s, %s, %s, %s)
ON CONFLICT (provider_id) DO NOTHING
RETURNING provider_id, municipality_code, name, kind, active, created_at
"""
_PROVIDER_BY_ID = """
SELECT provider_id, municipality_code, name, kind, active, created_at FROM providers WHERE provider_id = %s
"""
_SET_PROVIDER_ACTIVE = """
UPDATE providers SET active = %s WHERE provider_id = %s
RETURNING provider_id, municipality_code, name, kind, active, created_at
"""
_PROVIDERS_OF = """
SELECT provider_id, municipality_code, name, kind, active, created_at FROM providers
WHERE municipality_code = %s AND (active OR %s) ORDER BY name, provider_id
"""


async def add_provider(
    pool: Pool, provider_id: str, municipality_code: str, name: str, kind: ProviderKind
) -> dict[str, Any]:
    """Register a provider. Adding the same provider again returns it; other details raise ProviderConflict."""
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_INSERT_PROVIDER, (provider_id, municipality_code, name, kind.value))
        row = await cur.fetchone()
        if row is None:
            await cur.execute(_PROVIDER_BY_ID, (provider_id,))
            row = await cur.fetchone()
    assert row is not None
    if (row["municipality_code"], row["name"], row["kind"]) != (municipality_code, name, kind.value):
        raise ProviderConflict(f"provider {provider_id} is already registered with other details")
    return row


async def set_provider_active(pool: Pool, provider_id: str, active: bool) -> dict[str, Any] | None:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_SET_PROVIDER_ACTIVE, (active, provider_id))
        return await cur.fetchone()


async def get_provider(pool: Pool, provider_id: str) -> dict[str, Any] | None:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_PROVIDER_BY_ID, (provider_id,))
        return await cur.fetchone()


async def list_providers(pool: Pool, municipality_code: str, include_inactive: bool = False) -> list[dict[str, Any]]:
    """The municipality's providers by name; inactive ones only when asked for."""
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_PROVIDERS_OF, (municipality_code, include_inactive))
        return await cur.fetchall()
