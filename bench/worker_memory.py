"""The worker's memory per cached case: what MAX_CACHED_WORKFLOWS costs.

    .venv/bin/python -m bench.worker_memory --cases 300 --cache 1000 --reference-cache 10
    .venv/bin/python -m bench.worker_memory --smoke                     # what `make test` runs

Two stacks of the bench's own side by side (`bench.stack`: each worker its own process), one whose worker caches
`--cache` workflow runs and the reference, whose worker caches `--reference-cache`. On each, the hospital sends
`--warm` plans and the bench waits for them to settle, so every module is imported and every model built; the
worker's resident memory (VmRSS) is the base. Then `--cases` more plans, settled, and the worker's memory again. An
open case stays in the first worker's cache (its workflow waits for the caseworker), so its growth over the base,
per running workflow added, is what a cached case costs with what grows anyway (the allocator, the key cache);
the reference, which cannot cache them, gives the latter, and the difference is the memory per cached case.
`--cases` + `--warm` must stay within `--cache`, or evicted cases make the figure too small. Figures go to
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Growth:
    kib: int  # the worker's resident memory, grown from the base
    workflows: int  # running workflows added (an open case is one; an intake that answered 503 may still add one)
    cases: int  # plans taken

    @property
    def per_workflow(self) -> float:
        return self.kib / max(self.workflows, 1)


async def measured(args: argparse.Namespace, cache: int, label: str) -> Growth:
    """The worker's growth over `args.cases` cases on a stack of its own with MAX_CACHED_WORKFLOWS=`cache`."""
    async with target(args, {"MAX_CACHED_WORKFLOWS": str(cache)}) as at:
        if at.worker_pid is None:
            raise SystemExit("bench.worker_memory reads its own worker's memory: run it without --api")
        async with httpx.AsyncClient(base_url=at.api, timeout=60) as http:
            await cases_in(http, at, args.warm, args.concurrency)
            base, base_workflows = resident_kib(at.worker_pid), await running_workflows(at)
            print(f"  {label}: after warm-up {base / 1024:.1f} MiB, {base_workflows} workflows running", flush=True)
            cases = await cases_in(http, at, args.cases, args.concurrency)
            after, workflows = resident_kib(at.worker_pid), await running_workflows(at)
    print(f"  {label}: after {cases} more cases {after / 1024:.1f} MiB, {workflows} workflows running", flush=True)
    if cache >= args.cases + args.warm and workflows > cache:
        print(f"  {label}: warning: {workflows} running workflows exceed the cache: some were evicted")
    return Growth(after - base, workflows - base_workflows, cases)


async def run(args: argparse.Namespace) -> None:
    print(
        f"worker memory: {args.warm} cases to warm up, then {args.cases}; MAX_CACHED_WORKFLOWS={args.cache}, "
        f"and alongside, the reference at {args.reference_cache}"
    )
    # Both stacks at once, so the machine's load is the same for the figure and its reference.
    cached, reference = await asyncio.gather(
        measured(args, args.cache, f"cache {args.cache}"),
        measured(
            argparse.Namespace(**{**vars(args), "log": None}), args.reference_cache, f"cache {args.reference_cache}"
        ),
    )
    for label, growth in ((f"cache {args.cache}", cached), (f"cache {args.reference_cache}", reference)):
        print(
            f"{label}: grew {growth.kib / 1024:.1f} MiB for {growth.workflows} workflows ({growth.cases} cases taken): "
            f"{growth.per_workflow:.0f} KiB per workflow"
        )
    print(
        f"memory per cached case (one workflow each), net of what grows without the cache: "
        f"{cached.per_workflow - reference.per_workflow:.0f} KiB (goal <= 200 KB)"
    )
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_target_arguments(parser)
    parser.add_argument("--cases", type=int, default=300, help="cases measured after the warm-up")
    parser.add_argument("--warm", type=int, default=20, help="cases before the base is read")
    parser.add_argument("--cache", type=int, default=1000, help="the worker's MAX_CACHED_WORKFLOWS")
    parser.add_argument(
        "--reference-cache", type=int, default=10, help="the reference worker's, run alongside: what grows uncached"
    )
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--smoke", action="store_true", help="a few cases, to show the bench still runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.cases, args.warm, args.concurrency = 3, 2, 2
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
