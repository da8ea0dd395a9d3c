"""A decision on an application without a hospital stay is written to the citizen: the letter names the
outcome, its legal basis and the klagevejledning, and a caseworker fetches it as the PDF the citizen got."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from typing import Any

import pypdf
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from tests.support.api_helpers import Api, danish_today, unused_municipality
from tests.support.application_api_helpers import (
    command,
    post_application,
    running_application_api,
    wait_for_application,
)
from tests.support.application_factories import application_payload


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_application_api(dev_server_env, pool) as running:
        yield running


async def _sent_letters(api: Api, application_id: str, count: int) -> list[dict[str, Any]]:
    letters: list[dict[str, Any]] = []
    for _ in range(300):
        response = await api.http.get(f"/applications/{application_id}/letters")
        assert response.status_code == 200, response.text
        letters = response.json()["letters"]
        if len([letter for letter in letters if letter["status"] == "sent"]) == count:
            return letters
        await asyncio.sleep(0.05)
    raise AssertionError(f"the decision letters never went out: {letters}")


async def test_a_refusal_is_written_with_its_klagevejledning(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    body = application_payload(application_date=danish_today(), municipality_code=municipality)
    created = await post_application(api.http, body)
    assert created.status_code == 201, created.text
    application_id = created.json()["application_id"]
    refusal = {"outcome": "refused", "reason": "Du kan træne på egen hånd.", "notified_on": str(danish_today())}
    assert (await command(api.http, application_id, "decision", refusal)).status_code == 200
    await wait_for_application(api.http, application_id, "refused")

    (letter,) = await _sent_letters(api, application_id, 1)
    assert (letter["kind"], letter["title"]) == ("letter_decision", "Afgørelse: Du får ikke bevilget genoptræning")
    response = await api.http.get(f"/applications/{application_id}/letters/{letter['letter_id']}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "Du får ikke bevilget genoptræning" in text and "Du kan træne på egen hånd." in text
    assert "Serviceloven § 86, stk. 1" in text or "Ældreloven" in text  # the legal basis
    assert "Sådan klager du" in text and "Ankestyrelsen" in text  # the klagevejledning
    other_id = letter["letter_id"][:-1] + ("1" if letter["letter_id"].endswith("0") else "0")  # never the same
    missing = await api.http.get(f"/applications/{application_id}/letters/{other_id}")
    assert missing.status_code in (404, 422)
