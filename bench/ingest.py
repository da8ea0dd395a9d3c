"""Plans ingested per second through the API, against an empty workflow on the same Temporal server.

Run by hand against a running service (`make run` in another terminal):

    .venv/bin/python -m bench.ingest --plans 200 --concurrency 8

It POSTs synthetic plans (MedCom's test CPR, fresh plan ids) to /plans and measures until every POST
has returned (the plan is then in PostgreSQL) and until every case is distributed (three deliveries
recorded). Then, on the same Temporal server, it runs the same number of empty workflows with the same
concurrency, so the ratio shows the project's own overhead. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from temporalio import workflow
from temporalio.worker import Worker

from activities.runtime.settings import get_settings
from activities.runtime.temporal_connection import connect_temporal
from tests.support.factories import plan_payload


@workflow.defn(sandboxed=False)
class EmptyWorkflow:
    @workflow.run
    async def run(self) -> None:
        return None


@dataclass
class Rate:
    count: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.count} in {self.seconds:.2f} s = {self.count / self.seconds:.1f}/s"


async def _bounded(concurrency: int, jobs: list[asyncio.Future[None] | object]) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def run(job: object) -> None:
        async with semaphore:
            await job  # type: ignore[misc]

    await asyncio.gather(*(run(job) for job in jobs))


async def ingest(api: str, plans: int, concurrency: int) -> tuple[Rate, Rate]:
    case_ids: list[str] = []
    async with httpx.AsyncClient(base_url=api, timeout=60) as http:

        async def post_one() -> None:
            response = await http.post("/plans", json=plan_payload(plan_id=f"BENCH-{uuid.uuid4().hex}"))
            response.raise_for_status()
            case_ids.append(response.json()["case_id"])

        started = time.perf_counter()
        await _bounded(concurrency, [post_one() for _ in range(plans)])
        accepted = Rate(plans, time.perf_counter() - started)

        async def until_distributed(case_id: str) -> None:
            for _ in range(600):
                if (await http.get(f"/cases/{case_id}")).json()["status"] != "received":
                    return
                await asyncio.sleep(0.05)
            raise TimeoutError(case_id)

        await _bounded(concurrency, [until_distributed(case_id) for case_id in case_ids])
        distributed = Rate(plans, time.perf_counter() - started)
    return accepted, distributed


async def empty_workflows(count: int, concurrency: int) -> Rate:
    client = await connect_temporal(get_settings())
    task_queue = f"bench-empty-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[EmptyWorkflow]):

        async def one() -> None:
            await client.execute_workflow(
                EmptyWorkflow.run,
                id=f"bench-{uuid.uuid4()}",
                task_queue=task_queue,
                execution_timeout=timedelta(minutes=1),
            )

        started = time.perf_counter()
        await _bounded(concurrency, [one() for _ in range(count)])
        return Rate(count, time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", default="http://127.0.0.1:8000")
    parser.add_argument("--plans", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    accepted, distributed = await ingest(args.api, args.plans, args.concurrency)
    empty = await empty_workflows(args.plans, args.concurrency)
    print(f"plans accepted (POST /plans returned):   {accepted}")
    print(f"plans distributed (3 deliveries stored): {distributed}")
    print(f"empty workflows, same server:            {empty}")
    print(f"ratio accepted/empty: {accepted.count / accepted.seconds / (empty.count / empty.seconds):.2f}")


if __name__ == "__main__":
    asyncio.run(main())
