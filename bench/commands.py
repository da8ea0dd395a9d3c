"""An HTTP command's latency against a bare Workflow Update on the same Temporal, and how it holds at 8 clients.

    .venv/bin/python -m bench.commands --cases 24 --commands 200 --clients 8     # a stack of its own
    .venv/bin/python -m bench.commands --api http://127.0.0.1:8000               # against `make run`
    .venv/bin/python -m bench.commands --smoke                                   # what `make test` runs

First the hospital sends `--cases` plans and the bench waits for each case to settle (`bench.ingest.settle`). The
command is a caseworker's note (`POST /cases/{id}/notes`, a fresh Idempotency-Key each): an Update on the case's
workflow that appends one event, answered once the read side has it. Timed one client at a time (`--commands`
commands, the cases in turn), then `--clients` clients at once, each on its own cases, `--commands` each.

The reference, in the same run on the same Temporal server: a Workflow Update whose handler runs one local activity
(`ReferenceWorkflow` below, a worker in this process, payloads through the same converter and encryption codec as
the service's), `--commands` times, one client, the same number of workflows in turn. Goals (issue 18): the
command's p50 at most 1.5 x and its p99 at most 2 x the reference's; at 8 clients, p50 at most 3 x the one-client
p50. Warm-up requests are not timed. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from temporalio import activity, workflow
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from bench.ingest import post_plans, settle
from bench.stack import Target, add_target_arguments, target

WARM_UP = 5


@activity.defn(name="bench_reference_touch")
async def touch(value: int) -> int:
    return value + 1


@workflow.defn(name="BenchUpdateReference", sandboxed=False)
class ReferenceWorkflow:
    """Waits until told to finish; each Update runs one local activity and answers its result."""

    def __init__(self) -> None:
        self._finished = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._finished and workflow.all_handlers_finished())

    @workflow.update
    async def touch(self, value: int) -> int:
        return await workflow.execute_local_activity(touch, value, start_to_close_timeout=timedelta(seconds=10))

    @workflow.signal
    def finish(self) -> None:
        self._finished = True


def quantiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


async def timed(count: int, one: Callable[[int], Awaitable[None]], label: str) -> list[float]:
    step = max(1, count // 5)
    latencies: list[float] = []
    for index in range(count):
        started = time.perf_counter()
        await one(index)
        latencies.append(time.perf_counter() - started)
        if (index + 1) % step == 0:
            print(
                f"  {label}: {index + 1}/{count}, p50 so far {statistics.median(latencies) * 1000:.1f} ms", flush=True
            )
    return latencies


async def note_on(http: httpx.AsyncClient, headers: dict[str, str], case_id: str) -> None:
    request_headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    response = await http.post(f"/cases/{case_id}/notes", json={"text": "Bench note."}, headers=request_headers)
    if response.status_code != 201:
        raise RuntimeError(f"POST /cases/{{id}}/notes answered {response.status_code}: {response.text[:300]}")


async def reference(client: Client, workflows: int, count: int) -> list[float]:
    task_queue = f"bench-reference-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[ReferenceWorkflow], activities=[touch]):
        handles: list[WorkflowHandle[ReferenceWorkflow, None]] = [
            await client.start_workflow(
                ReferenceWorkflow.run, id=f"bench-reference-{uuid.uuid4()}", task_queue=task_queue
            )
            for _ in range(workflows)
        ]

        async def one(index: int) -> None:
            assert await handles[index % workflows].execute_update(ReferenceWorkflow.touch, index) == index + 1

        for index in range(WARM_UP):
            await one(index)
        latencies = await timed(count, one, "reference Updates")
        for handle in handles:
            await handle.signal(ReferenceWorkflow.finish)
            await handle.result()
        return latencies


async def commands(
    http: httpx.AsyncClient, at: Target, case_ids: list[str], count: int, clients: int
) -> tuple[list[float], list[float]]:
    """One client's latencies, then those of `clients` clients at once (each its own cases and caseworker)."""
    headers = at.caseworker()

    async def one(index: int) -> None:
        await note_on(http, headers, case_ids[index % len(case_ids)])

    for index in range(WARM_UP):
        await one(index)
    single = await timed(count, one, "commands, one client")
    shares = [case_ids[client::clients] or case_ids for client in range(clients)]

    async def client_run(client: int) -> list[float]:
        own_headers = at.caseworker(subject=f"cw-bench-{client}")
        mine = shares[client]

        async def own(index: int) -> None:
            await note_on(http, own_headers, mine[index % len(mine)])

        return await timed(count, own, f"commands, client {client + 1} of {clients}")

    together = await asyncio.gather(*(client_run(client) for client in range(clients)))
    return single, [latency for latencies in together for latency in latencies]


async def run(args: argparse.Namespace) -> None:
    async with target(args) as at:
        print(f"commands: {args.cases} cases, {args.commands} commands, {args.clients} clients, API {at.api}")
        async with httpx.AsyncClient(base_url=at.api, timeout=60, limits=httpx.Limits(max_connections=64)) as http:
            _, case_ids, statuses = await post_plans(http, at, args.cases, min(args.clients, 8))
            if not case_ids:
                raise RuntimeError(f"no plan was taken: {dict(statuses)}")
            await settle(http, at, case_ids, min(args.clients, 8), 0.5)
            load_before = os.getloadavg()
            reference_latencies = await reference(await at.temporal(), len(case_ids), args.commands)
            single, together = await commands(http, at, case_ids, args.commands, args.clients)
        load_after = os.getloadavg()
        ref50, ref99 = quantiles(reference_latencies)
        one50, one99 = quantiles(single)
        many50, many99 = quantiles(together)
        print(f"reference Update with one local activity, one client: p50 {ref50:.1f} ms, p99 {ref99:.1f} ms")
        print(f"HTTP command (a note), one client:                    p50 {one50:.1f} ms, p99 {one99:.1f} ms")
        print(f"HTTP command, {args.clients} clients at once: p50 {many50:.1f} ms, p99 {many99:.1f} ms")
        print(f"command ÷ reference: p50 {one50 / ref50:.2f} (goal <= 1.5), p99 {one99 / ref99:.2f} (goal <= 2)")
        print(f"{args.clients} clients' p50 ÷ one client's p50: {many50 / one50:.2f} (goal <= 3)")
        print(f"load average before timing {load_before[0]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_target_arguments(parser)
    parser.add_argument("--cases", type=int, default=24, help="cases made first (each client works on its share)")
    parser.add_argument("--commands", type=int, default=200, help="timed commands per client, and reference Updates")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="a few commands, to show the bench still runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.cases, args.commands, args.clients = 2, 4, 2
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
