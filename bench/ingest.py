"""Plans taken in per second through the API, against empty workflows on the same Temporal server.

    .venv/bin/python -m bench.ingest --plans 200 --concurrency 8                               # a stack of its own
    .venv/bin/python -m bench.ingest --plans 200 --concurrency 8 --api http://127.0.0.1:8000   # against `make run`
    .venv/bin/python -m bench.ingest --smoke                                                    # what `make test` runs

It POSTs synthetic plans (MedCom's test CPR, fresh plan ids) to /plans as the sending hospital (a token from the
local issuer: `bench.stack`), `--concurrency` at a time, counting the 503s (an intake that hit its bound), and
times until every POST has answered (the plan is then in PostgreSQL). Then it waits for every case to settle:
distributed, and its version unchanged for `--settle` seconds (the copies and letters a plan sends are queued and
recorded), so no work of the plans is left running when the reference starts. The reference: as many empty
workflows with the same concurrency on the same Temporal server (a worker in this process, a task queue of its
own). The ratio of the two rates shows the project's own cost over Temporal's. It prints as it goes; figures go to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import httpx
from temporalio import workflow
from temporalio.worker import Worker

from bench.stack import Target, add_target_arguments, target
from tests.support.factories import plan_payload


@workflow.defn(name="BenchEmptyWorkflow", sandboxed=False)
class EmptyWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


@dataclass
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        return f"{self.count} in {self.seconds:.2f} s = {self.per_second:.2f}/s"


def progress(label: str, total: int) -> Callable[[], None]:
    """A counter that prints about ten lines over `total` steps."""
    step = max(1, total // 10)
    done = 0
    started = time.perf_counter()

    def tick() -> None:
        nonlocal done
        done += 1
        if done % step == 0 or done == total:
            print(f"  {label}: {done}/{total} after {time.perf_counter() - started:.1f} s", flush=True)

    return tick


async def bounded(concurrency: int, jobs: list[Callable[[], Awaitable[None]]]) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def run(job: Callable[[], Awaitable[None]]) -> None:
        async with semaphore:
            await job()

    await asyncio.gather(*(run(job) for job in jobs))


async def post_plans(
    http: httpx.AsyncClient, at: Target, plans: int, concurrency: int
) -> tuple[Rate, list[str], Counter[int]]:
    """POST the plans; the case ids of those taken, and how many answers of each status."""
    case_ids: list[str] = []
    statuses: Counter[int] = Counter()
    tick = progress("plans answered", plans)
    headers = at.hospital()

    async def post_one() -> None:
        plan = plan_payload(plan_id=f"BENCH-{uuid.uuid4().hex}")
        response = await http.post("/plans", json=plan, headers=headers)
        statuses[response.status_code] += 1
        if response.status_code in (200, 201):
            case_ids.append(response.json()["case_id"])
        elif response.status_code != 503:  # 503 is the intake's bound, counted; anything else is a broken bench
            raise RuntimeError(f"POST /plans answered {response.status_code}: {response.text[:300]}")
        tick()

    started = time.perf_counter()
    await bounded(concurrency, [post_one for _ in range(plans)])
    return Rate(len(case_ids), time.perf_counter() - started), case_ids, statuses


async def settle(http: httpx.AsyncClient, at: Target, case_ids: list[str], concurrency: int, quiet: float) -> None:
    """Until every case is distributed and its version has not moved for `quiet` seconds."""
    tick = progress("cases settled", len(case_ids))
    headers = at.caseworker()

    async def until_settled(case_id: str) -> None:
        deadline = time.monotonic() + 300
        last: tuple[str, int] | None = None
        while time.monotonic() < deadline:
            response = await http.get(f"/cases/{case_id}", headers=headers)
            response.raise_for_status()
            body = response.json()
            seen = (body["status"], body["version"])
            if seen == last and body["status"] != "received":
                tick()
                return
            last = seen
            await asyncio.sleep(quiet)
        raise TimeoutError(f"case {case_id} did not settle in 300 s")

    await bounded(concurrency, [lambda case_id=case_id: until_settled(case_id) for case_id in case_ids])


async def empty_workflows(at: Target, count: int, concurrency: int) -> Rate:
    client = await at.temporal()
    task_queue = f"bench-empty-{uuid.uuid4().hex[:8]}"
    tick = progress("empty workflows", count)
    async with Worker(client, task_queue=task_queue, workflows=[EmptyWorkflow]):

        async def one() -> None:
            await client.execute_workflow(
                EmptyWorkflow.run,
                id=f"bench-empty-{uuid.uuid4()}",
                task_queue=task_queue,
                execution_timeout=timedelta(minutes=1),
            )
            tick()

        started = time.perf_counter()
        await bounded(concurrency, [one for _ in range(count)])
        return Rate(count, time.perf_counter() - started)


async def run(args: argparse.Namespace) -> None:
    async with target(args) as at:
        print(
            f"ingest: {args.plans} plans, concurrency {args.concurrency}, API {at.api}, Temporal {at.temporal_address}"
        )
        print(f"  load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}", flush=True)
        async with httpx.AsyncClient(base_url=at.api, timeout=60) as http:
            started = time.perf_counter()
            accepted, case_ids, statuses = await post_plans(http, at, args.plans, args.concurrency)
            await settle(http, at, case_ids, args.concurrency, args.settle)
            settled = Rate(len(case_ids), time.perf_counter() - started)
        empty = await empty_workflows(at, args.plans, args.concurrency)
        load = os.getloadavg()
        print(f"plans taken (POST /plans answered 201):        {accepted}")
        print(f"answers by status:                             {dict(sorted(statuses.items()))}")
        print(f"503s at concurrency {args.concurrency}:                         {statuses[503]}")
        print(f"plans settled (distributed, version quiet):    {settled}")
        print(f"empty workflows, same Temporal, same concurrency: {empty}")
        ratio = accepted.per_second / empty.per_second if empty.per_second else 0.0
        print(f"ratio plans taken / empty workflows:           {ratio:.3f}")
        print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_target_arguments(parser)
    parser.add_argument("--plans", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--settle", type=float, default=0.5, help="seconds a case's version must stay unchanged")
    parser.add_argument("--smoke", action="store_true", help="a few plans, to show the bench still runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.plans, args.concurrency = 4, 2
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
