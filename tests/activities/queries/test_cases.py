"""A command's scope row: the list columns, the plan's sender and the citizen, without opening the whole state."""

from __future__ import annotations

from activities.platform.db import Pool
from activities.queries.cases import get_case, get_case_scope
from activities.sealing.citizen_keys import destroy_key
from activities.sealing.personal_fields import ERASED_TEXT
from activities.store.eventstore import EventStore
from tests.support.factories import make_append, make_plan, new_case_id, plan_received
from tests.support.retention_helpers import new_cpr, new_name


async def test_a_commands_scope_row_holds_the_citizen_and_the_sender_only(pool: Pool) -> None:
    case_id, received = new_case_id(), plan_received()
    await EventStore(pool).append(make_append(case_id, [received]))
    plan = received.plan

    whole, scope = await get_case(pool, case_id), await get_case_scope(pool, case_id)

    assert whole is not None and scope is not None
    assert scope["state"] == {
        "plan": {"patient": {"cpr": plan.patient.cpr}, "sending_hospital_sor_id": plan.sending_hospital_sor_id}
    }
    assert {column: value for column, value in scope.items() if column != "state"} == {
        column: value for column, value in whole.items() if column != "state"
    }
    assert await get_case_scope(pool, new_case_id()) is None


async def test_an_erased_citizen_reads_as_erased_in_the_scope_row(pool: Pool) -> None:
    case_id, citizen = new_case_id(), {"cpr": new_cpr(), "name": new_name()}  # a citizen of this test's own
    await EventStore(pool).append(make_append(case_id, [plan_received(make_plan(patient=citizen))]))
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT key_id FROM citizen_streams WHERE stream_id = %s", (case_id,))
        (key_id,) = [row[0] for row in await cursor.fetchall()]
        assert await destroy_key(conn, key_id, "retention")

    scope = await get_case_scope(pool, case_id)

    assert scope is not None and scope["state"]["plan"]["patient"]["cpr"] == ERASED_TEXT
