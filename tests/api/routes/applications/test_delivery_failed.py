"""GET /applications?delivery_failed=…: the applications whose decision letter could not be delivered, and the
others; anything but a boolean is 422 naming the field. HTTP -> Temporal dev server -> PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.messaging.settings import TransportSettings
from activities.messaging.setup import embedded_transports
from activities.messaging.transports.base import Transport
from activities.platform.db import Pool
from tests.support.api_helpers import PROBLEM_JSON, Api, danish_today, unused_municipality
from tests.support.application_api_helpers import command, post_application, running_application_api
from tests.support.application_factories import application_payload
from tests.support.refusing_transport import RefusingTransport
from workflows.domain.messaging.model import Channel

Running = tuple[Api, RefusingTransport]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def running(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Running]:
    refusing: list[RefusingTransport] = []

    def transports(data_dir: Path) -> dict[Channel, Transport]:
        chosen = embedded_transports(TransportSettings(), data_dir)
        refusing.append(RefusingTransport(chosen[Channel.DIGITAL_POST]))
        chosen[Channel.DIGITAL_POST] = refusing[0]
        return chosen

    async with running_application_api(dev_server_env, pool, transports=transports) as api:
        yield api, refusing[0]


async def _refused(running: Running, municipality: str, *, letter_fails: bool) -> str:
    """An application refused today whose decision letter went out, or (`letter_fails`) could not be delivered."""
    api, digital_post = running
    body = application_payload(application_date=danish_today(), municipality_code=municipality)
    created = await post_application(api.http, body)
    assert created.status_code == 201, created.text
    application_id: str = created.json()["application_id"]
    if letter_fails:
        digital_post.refused.add(application_id)
    refusal = {"outcome": "refused", "reason": "Du kan træne på egen hånd.", "notified_on": str(danish_today())}
    assert (await command(api.http, application_id, "decision", refusal)).status_code == 200
    expected = "failed" if letter_fails else "sent"
    view: dict[str, Any] = {}
    for _ in range(300):
        view = (await api.http.get(f"/applications/{application_id}")).json()
        if [message["status"] for message in view.get("messages", {}).values()] == [expected]:
            return application_id
        await asyncio.sleep(0.05)
    raise AssertionError(f"the decision letter never became {expected}: {view.get('messages')}")


async def _listed(api: Api, municipality: str, delivery_failed: str) -> list[dict[str, Any]]:
    params = {"municipality": municipality, "delivery_failed": delivery_failed}
    response = await api.http.get("/applications", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_list_splits_applications_by_failed_delivery(running: Running) -> None:
    api, _ = running
    municipality = await unused_municipality(api.pool)
    failed = await _refused(running, municipality, letter_fails=True)
    delivered = await _refused(running, municipality, letter_fails=False)

    with_failure = await _listed(api, municipality, "true")
    without = await _listed(api, municipality, "false")
    assert [(item["application_id"], item["delivery_failed"]) for item in with_failure] == [(failed, True)]
    assert [(item["application_id"], item["delivery_failed"]) for item in without] == [(delivered, False)]
    everything = (await api.http.get("/applications", params={"municipality": municipality})).json()["items"]
    assert [item["application_id"] for item in everything] == [delivered, failed]  # newest first


async def test_a_delivery_failed_that_is_not_a_boolean_is_422(running: Running) -> None:
    api, _ = running
    response = await api.http.get("/applications", params={"delivery_failed": "perhaps"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM_JSON
    assert [error["field"] for error in response.json()["errors"]] == ["query.delivery_failed"]


async def test_a_caseworker_resends_a_failed_letter_and_the_application_leaves_the_list(running: Running) -> None:
    api, digital_post = running
    municipality = await unused_municipality(api.pool)
    failed = await _refused(running, municipality, letter_fails=True)
    view = (await api.http.get(f"/applications/{failed}")).json()
    (message_id,) = view["messages"]

    unknown = await api.http.post(f"/applications/{failed}/messages/00000000-0000-4000-8000-000000000000/resend")
    assert unknown.status_code == 404
    digital_post.refused.discard(failed)  # the mailbox takes it now
    resent = await api.http.post(f"/applications/{failed}/messages/{message_id}/resend")
    assert resent.status_code == 200, resent.text
    for _ in range(300):
        view = (await api.http.get(f"/applications/{failed}")).json()
        if view["messages"][message_id]["status"] == "sent":
            break
        await asyncio.sleep(0.05)
    assert view["messages"][message_id] | {"status": "sent"} == view["messages"][message_id]
    assert view["messages"][message_id]["resends"] == 1
    assert await _listed(api, municipality, "true") == []
    again = await api.http.post(f"/applications/{failed}/messages/{message_id}/resend")
    assert again.status_code == 409  # it has not failed (any more)
