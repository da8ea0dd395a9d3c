"""The VANS mailbox end to end: a GGOP message dropped into inbound/<sender EAN>/ becomes a case, its receipt is
written to outbound/<sender EAN>/ by the outbox sweep, and the case records the receipt as queued and sent;
files without a vouched sender or unknown receipts go to failed/, never deleted; a file that cannot be moved
on goes back to its mailbox and is taken again at the next poll, without a second case."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import stat
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prometheus_client import REGISTRY
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.intake.vans_door import vans_ggop_door
from activities.messaging.mailroom import Mailroom, medcom_receipt_reader
from activities.messaging.medcom.receipts import parse_receipt
from activities.messaging.outbox import load_message
from activities.messaging.setup import message_task_queue
from activities.platform.db import Pool
from tests.support.api_helpers import Api, danish_today, running_api
from tests.support.auth_helpers import DEFAULT_SOR
from tests.support.ggop_fixtures import fresh, ggop, on_day

SENDER_EAN = "5790000000017"
EHR_EAN = "5790000000062"

Stack = tuple[Api, Mailroom, Path]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Stack]:
    data_dir = Path(tempfile.mkdtemp(prefix="genop-vans-"))
    async with running_api(
        dev_server_env,
        pool,
        data_dir=data_dir,
        medcom_sender_sor_by_ean={SENDER_EAN: DEFAULT_SOR},
        medcom_plan_forward_eans={"101": EHR_EAN},  # the fixtures' receiving municipality forwards to its EHR
    ) as api:
        mailroom = Mailroom(
            pool=pool,
            client=dev_server_env.client,
            vans_root=data_dir / "vans",
            message_task_queue=message_task_queue(api.settings.temporal_task_queue),
            give_up_after=timedelta(hours=24),
            read_receipt=medcom_receipt_reader(),
            take_ggop=vans_ggop_door(pool, dev_server_env.client, api.settings),
            sweep_grace_seconds=0,
        )
        yield api, mailroom, data_dir / "vans"


def _today(raw: bytes) -> bytes:
    return on_day(raw, danish_today().isoformat()).replace(b"2026-11-27", danish_today().isoformat().encode())


async def _rows(pool: Pool, query: str, *params: Any) -> list[tuple[Any, ...]]:
    async with pool.connection() as conn:
        cursor = await conn.execute(query.encode(), params)
        return list(await cursor.fetchall())


async def test_a_dropped_ggop_becomes_a_case_and_its_receipt_goes_out(stack: Stack) -> None:
    api, mailroom, vans = stack
    inbound = vans / "inbound" / SENDER_EAN
    inbound.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:6].upper()
    (inbound / "ggop-1.xml").write_bytes(fresh(_today(ggop("almen.xml")), suffix=tag))
    assert await ActivityEnvironment().run(mailroom.poll_inbox) == 1
    assert [p.name.endswith(f"-{SENDER_EAN}-ggop-1.xml") for p in (vans / "processed").iterdir()] == [True]

    # This message's receipt: other modules queue receipts for the same sender in the shared database.
    ((receipt_id, case_id),) = await _rows(
        api.pool,
        "SELECT o.message_id::text, o.case_id FROM outbox o JOIN inbound_messages m ON m.case_id = o.case_id"
        " WHERE o.kind = 'receipt' AND o.address = %s AND m.envelope_id = %s",
        SENDER_EAN,
        f"E{tag}0000001",
    )
    assert case_id is not None
    assert await ActivityEnvironment().run(mailroom.start_undispatched_deliveries) >= 1
    written = vans / "outbound" / SENDER_EAN / f"{receipt_id}.xml"
    for _ in range(200):
        if written.exists():
            break
        await asyncio.sleep(0.05)
    assert parse_receipt(written.read_bytes()).positive

    for _ in range(200):
        events = (await api.http.get(f"/cases/{case_id}/events")).json()["events"]
        about = [e["type"] for e in events if e["data"].get("message_id") == receipt_id]
        if about == ["MessageQueued", "MessageSent"]:
            break
        await asyncio.sleep(0.05)
    assert about == ["MessageQueued", "MessageSent"]


async def test_unvouched_and_unknown_files_go_to_failed(stack: Stack) -> None:
    _, mailroom, vans = stack
    (vans / "inbound").mkdir(parents=True, exist_ok=True)
    (vans / "inbound" / "loose-ggop.xml").write_bytes(fresh(_today(ggop("almen.xml"))))  # no sender directory
    before = set((vans / "failed").iterdir()) if (vans / "failed").exists() else set()
    assert await ActivityEnvironment().run(mailroom.poll_inbox) == 1
    failed = set((vans / "failed").iterdir()) - before
    assert [p.name.endswith("-unknown-loose-ggop.xml") for p in failed] == [True]
    assert not list((vans / "inbound").glob("*.xml"))


async def test_two_pollers_take_a_file_once(stack: Stack) -> None:
    _, mailroom, vans = stack
    inbound = vans / "inbound" / SENDER_EAN
    inbound.mkdir(parents=True, exist_ok=True)
    (inbound / "ggop-twice.xml").write_bytes(fresh(_today(ggop("almen.xml"))))
    taken = await asyncio.gather(
        ActivityEnvironment().run(mailroom.poll_inbox), ActivityEnvironment().run(mailroom.poll_inbox)
    )
    assert sorted(taken) == [0, 1]  # the claim is an atomic rename: one poller hands it to the intake
    assert len([p for p in (vans / "processed").iterdir() if p.name.endswith("-ggop-twice.xml")]) == 1
    assert not list(inbound.iterdir()) and not list((vans / "inbound" / ".claimed").iterdir())


async def test_the_municipality_ehr_gets_the_hospitals_own_ggop(stack: Stack) -> None:
    api, mailroom, vans = stack
    tag = uuid.uuid4().hex[:6].upper()
    raw = fresh(_today(ggop("almen.xml")), suffix=tag)
    (vans / "inbound" / SENDER_EAN).mkdir(parents=True, exist_ok=True)
    (vans / "inbound" / SENDER_EAN / f"ggop-{tag}.xml").write_bytes(raw)
    assert await ActivityEnvironment().run(mailroom.poll_inbox) == 1
    ((case_id,),) = await _rows(
        api.pool, "SELECT case_id FROM inbound_messages WHERE envelope_id = %s", f"E{tag}0000001"
    )
    for _ in range(200):  # the case queues its copies once it has the plan
        found = await _rows(
            api.pool, "SELECT message_id::text FROM outbox WHERE case_id = %s AND kind = 'plan_forward'", case_id
        )
        if found:
            break
        await asyncio.sleep(0.05)
    events = (await api.http.get(f"/cases/{case_id}/events")).json()["events"]
    assert found, [(e["type"], e["data"].get("recipient"), e["data"].get("reason")) for e in events]
    ((message_id,),) = found
    async with api.pool.connection() as conn:
        queued = await load_message(conn, message_id)
    assert queued is not None and queued.address == EHR_EAN
    assert (queued.content, queued.content_type) == (raw, "application/xml")  # the letter as the hospital wrote it


def _move_failures(destination: str, error: str) -> float:
    labels = {"destination": destination, "error": error}
    return REGISTRY.get_sample_value("genoptraening_vans_inbound_move_failures_total", labels) or 0.0


async def test_a_ggop_that_cannot_be_moved_is_taken_again_at_the_next_poll_without_a_second_case(
    stack: Stack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api, shared, _ = stack
    mailroom = dataclasses.replace(shared, vans_root=tmp_path)  # its own mailbox: processed/ is broken below
    tag = uuid.uuid4().hex[:6].upper()
    raw = fresh(_today(ggop("almen.xml")), suffix=tag)
    cpr = "0101459992"  # almen.xml's citizen; the sender named the file by it
    (tmp_path / "inbound" / SENDER_EAN).mkdir(parents=True)
    dropped = tmp_path / "inbound" / SENDER_EAN / f"{cpr}.xml"
    dropped.write_bytes(raw)
    dropped.chmod(0o644)
    (tmp_path / "processed").write_bytes(b"")  # a file where the directory should be: no move, even as root
    before = _move_failures("processed", "EEXIST")

    with caplog.at_level(logging.INFO):
        assert await ActivityEnvironment().run(mailroom.poll_inbox) == 0
    assert dropped.exists() and not list((tmp_path / "inbound" / ".claimed").iterdir())  # back, not stranded
    assert stat.S_IMODE(dropped.stat().st_mode) == 0o600  # its clear copy for the service's user alone
    assert _move_failures("processed", "EEXIST") == before + 1
    (line,) = [r.getMessage() for r in caplog.records if r.name == "activities.messaging.mailroom"]
    assert f"sha256:{hashlib.sha256(raw).hexdigest()[:16]}" in line and "EEXIST" in line and "mailbox" in line
    assert cpr not in caplog.text and "Testesen" not in caplog.text

    (tmp_path / "processed").unlink()  # the archive can be written again
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert await ActivityEnvironment().run(mailroom.poll_inbox) == 1
    assert [p.name.endswith(f"-{SENDER_EAN}-{cpr}.xml") for p in (tmp_path / "processed").iterdir()] == [True]
    assert not dropped.exists() and _move_failures("processed", "EEXIST") == before + 1
    assert any("GGOP duplicate" in r.getMessage() for r in caplog.records)  # the intake knew it: answered again

    envelope = f"E{tag}0000001"
    ((case_id,),) = await _rows(api.pool, "SELECT case_id FROM inbound_messages WHERE envelope_id = %s", envelope)
    receipts = await _rows(
        api.pool, "SELECT 1 FROM outbox WHERE kind = 'receipt' AND details->>'original_envelope_id' = %s", envelope
    )
    events = (await api.http.get(f"/cases/{case_id}/events")).json()["events"]
    assert len(receipts) == 1 and [e["type"] for e in events].count("PlanReceived") == 1


async def test_a_file_whose_handling_breaks_off_goes_back_to_its_mailbox_at_once(stack: Stack, tmp_path: Path) -> None:
    async def cut_off(raw: bytes, sender_ean: str) -> bool:
        raise asyncio.CancelledError  # the worker shutting down, or the activity's heartbeat timing out

    mailroom = dataclasses.replace(stack[1], vans_root=tmp_path, take_ggop=cut_off)
    (tmp_path / "inbound" / SENDER_EAN).mkdir(parents=True)
    dropped = tmp_path / "inbound" / SENDER_EAN / "ggop-cut.xml"
    dropped.write_bytes(fresh(_today(ggop("almen.xml"))))
    with pytest.raises(asyncio.CancelledError):
        await ActivityEnvironment().run(mailroom.poll_inbox)
    assert dropped.exists() and not list((tmp_path / "inbound" / ".claimed").iterdir())
