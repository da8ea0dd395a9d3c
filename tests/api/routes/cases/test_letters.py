"""The letters of a case over HTTP: listed with their delivery state, fetched as the PDF the citizen got (an
access-logged export), the free-choice notice after a breach; a resend of a message that has not failed is 409."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pypdf
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from tests.support.api_helpers import Api, danish_today, distributed_case, running_api, wait_for_messages_settled
from tests.support.store_helpers import scalar


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def _letters(api: Api, case_id: str, kinds: set[str]) -> list[dict[str, Any]]:
    """Poll the letter list until letters of `kinds` are sent."""
    letters: list[dict[str, Any]] = []
    for _ in range(300):
        response = await api.http.get(f"/cases/{case_id}/letters")
        assert response.status_code == 200, response.text
        letters = response.json()["letters"]
        if kinds <= {letter["kind"] for letter in letters if letter["status"] == "sent"}:
            return letters
        await asyncio.sleep(0.05)
    raise AssertionError(f"letters never sent: {letters}")


async def test_a_breached_case_has_both_letters_as_pdfs(api: Api) -> None:
    # Discharged 20 days ago with no start: the guarantee is breached at once and free choice opens.
    case_id = await distributed_case(api.http, discharge_date=danish_today() - timedelta(days=20))
    letters = await _letters(api, case_id, {"letter_first_contact", "letter_free_choice"})
    titles = {letter["kind"]: letter["title"] for letter in letters}
    assert titles["letter_free_choice"] == "Du kan nu vælge en privat genoptræning"

    free_choice = next(letter for letter in letters if letter["kind"] == "letter_free_choice")
    response = await api.http.get(f"/cases/{case_id}/letters/{free_choice['letter_id']}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "privat leverandør af genoptræning" in text and "§ 140, stk. 4" in text
    exports = await scalar(
        api.pool, "SELECT count(*) FROM access_log WHERE case_id = %s AND action = 'export'", case_id
    )
    assert exports == 1

    # The letter list reads the outbox; the case records MessageSent when the sender reports back to it.
    case = await wait_for_messages_settled(api.http, case_id)
    assert {m["status"] for m in case["messages"].values()} == {"sent"}


async def test_unknown_letters_and_messages_are_404_and_bad_ids_422(api: Api) -> None:
    case_id = await distributed_case(api.http)
    other = uuid.uuid4()
    assert (await api.http.get(f"/cases/{case_id}/letters/{other}")).status_code == 404
    assert (await api.http.get(f"/cases/{case_id}/letters/not-a-uuid")).status_code == 422
    assert (await api.http.post(f"/cases/{case_id}/messages/{other}/resend")).status_code == 404


async def test_a_message_that_has_not_failed_is_not_resent(api: Api) -> None:
    case_id = await distributed_case(api.http)
    letters = await _letters(api, case_id, {"letter_first_contact"})
    response = await api.http.post(f"/cases/{case_id}/messages/{letters[0]['letter_id']}/resend")
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_the_case_list_filters_on_failed_deliveries(api: Api) -> None:
    case_id = await distributed_case(api.http)
    await _letters(api, case_id, {"letter_first_contact"})
    municipality = (await api.http.get(f"/cases/{case_id}")).json()["responsible_municipality_code"]
    failed = await api.http.get("/cases", params={"delivery_failed": "true", "municipality": municipality})
    fine = await api.http.get("/cases", params={"delivery_failed": "false", "municipality": municipality})
    assert failed.status_code == fine.status_code == 200
    assert case_id not in [item["case_id"] for item in failed.json()["items"]]
    assert case_id in [item["case_id"] for item in fine.json()["items"]]
    assert next(item for item in fine.json()["items"] if item["case_id"] == case_id)["delivery_failed"] is False
    assert (await api.http.get("/cases", params={"delivery_failed": "perhaps"})).status_code == 422
