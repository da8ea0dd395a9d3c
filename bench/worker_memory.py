"""The worker's memory per cached case: what MAX_CACHED_WORKFLOWS costs.

    .venv/bin/python -m bench.worker_memory --cases 300 --cache 1000
    .venv/bin/python -m bench.worker_memory --smoke                     # what `make test` runs

On a stack of its own (`bench.stack`: the worker as its own process, with MAX_CACHED_WORKFLOWS=`--cache`), the
hospital sends `--warm` plans and the bench waits for them to settle, so every module is imported and every model
built; the worker's resident memory (VmRSS of its process) is the base. Then `--cases` more plans, settled, and
the worker's memory again. Each open case stays in the worker's cache (its workflow waits for the caseworker), with
whatever workflows its messages left running; the growth over the base, divided by the cases, is the memory per
cached case, and divided by the running workflows Temporal counts, per cached workflow. `--cases` + `--warm` must
stay within `--cache`, or evicted cases make the figure too small. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

import httpx

from bench.ingest import post_plans, settle
from bench.stack import Target, add_target_arguments, target


def resident_kib(pid: int) -> int:
    """VmRSS of the process, in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


async def running_workflows(at: Target) -> int:
    client = await at.temporal()
    return (await client.count_workflows("ExecutionStatus = 'Running'")).count


async def cases_in(http: httpx.AsyncClient, at: Target, count: int, concurrency: int) -> int:
    """Send `count` plans and let their cases settle; how many were taken (an intake may answer 503 under load)."""
    _, case_ids, statuses = await post_plans(http, at, count, concurrency)
    if statuses[503]:
        print(f"  {statuses[503]} plans answered 503 (not counted)")
    await settle(http, at, case_ids, concurrency, 0.5)
    await asyncio.sleep(1)  # the last workflow tasks' garbage, before the memory is read
    return len(case_ids)


async def run(args: argparse.Namespace) -> None:
    environment = {"MAX_CACHED_WORKFLOWS": str(args.cache)}
    async with target(args, environment) as at:
        if at.worker_pid is None:
            raise SystemExit("bench.worker_memory reads its own worker's memory: run it without --api")
        print(f"worker memory: {args.warm} cases to warm up, then {args.cases}; MAX_CACHED_WORKFLOWS={args.cache}")
        async with httpx.AsyncClient(base_url=at.api, timeout=60) as http:
            await cases_in(http, at, args.warm, args.concurrency)
            base, base_workflows = resident_kib(at.worker_pid), await running_workflows(at)
            print(f"  after warm-up: {base / 1024:.1f} MiB, {base_workflows} workflows running", flush=True)
            cases = await cases_in(http, at, args.cases, args.concurrency)
            after, workflows = resident_kib(at.worker_pid), await running_workflows(at)
        grown = after - base
        added = workflows - base_workflows
        print(f"  after {cases} more cases: {after / 1024:.1f} MiB, {workflows} workflows running")
        if workflows > args.cache:
            print(f"  warning: {workflows} running workflows exceed the cache of {args.cache}: some were evicted")
        print(f"memory per cached case:     {grown / cases:.0f} KiB ({grown / 1024:.1f} MiB for {cases})")
        if added:
            print(f"memory per cached workflow: {grown / added:.0f} KiB ({added} workflows added)")
        load = os.getloadavg()
        print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_target_arguments(parser)
    parser.add_argument("--cases", type=int, default=300, help="cases measured after the warm-up")
    parser.add_argument("--warm", type=int, default=20, help="cases before the base is read")
    parser.add_argument("--cache", type=int, default=1000, help="the worker's MAX_CACHED_WORKFLOWS")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--smoke", action="store_true", help="a few cases, to show the bench still runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.cases, args.warm, args.concurrency = 3, 2, 2
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
