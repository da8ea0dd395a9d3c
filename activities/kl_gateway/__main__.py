"""`python -m activities.kl_gateway`: build and send KL Gateway reports now, or show the runs' status.

    python -m activities.kl_gateway report --municipality 101 [--from 2026-01-01T00:00Z] [--to ...]
    python -m activities.kl_gateway status

`report` runs in this process with the embedded transport (KL_GATEWAY_DIR, default DATA_DIR/kl-gateway), like a
scheduled run but recorded with trigger `cli`: only what changed since each citizen's last accepted report goes
out. Reads DATABASE_URL and the citizen keys' settings. Prints counts only, never a CPR number.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import uuid
from datetime import UTC, datetime

from activities.kl_gateway import queries, store
from activities.kl_gateway.reporting import ReportConfig, report_batch
from activities.kl_gateway.settings import KlGatewaySettings
from activities.kl_gateway.transport import DirectoryTransport, KlTransportError
from activities.platform.db import open_pool
from activities.platform.settings import PlatformSettings
from activities.platform.startup_checks import StartupError, read_settings
from activities.sealing.citizen_cipher import configure_citizen_keys
from activities.sealing.settings import CitizenKeySettings
from workflows.contracts.kl_gateway import BatchRequest, RunPlan

logger = logging.getLogger("activities.kl_gateway")


class _ReportSettings(PlatformSettings, CitizenKeySettings, KlGatewaySettings):
    """What the report command reads: the database, the citizen keys (names are sealed) and KL Gateway's own."""


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2026-01-01T00:00+00:00")
    return moment


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m activities.kl_gateway", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    report = commands.add_parser("report", help="build and send one municipality's reports now")
    report.add_argument("--municipality", required=True, help="the municipality's code, e.g. 101")
    report.add_argument("--from", dest="period_from", type=_instant, help="cases changed since (default: all)")
    report.add_argument("--to", dest="period_to", type=_instant, help="facts as they stood then (default: now)")
    commands.add_parser("status", help="every municipality's latest run (counts)")
    return parser.parse_args(argv)


async def _report(arguments: argparse.Namespace) -> str:
    settings = read_settings(_ReportSettings)
    configure_citizen_keys(settings.require_citizen_keys())
    config = ReportConfig(settings.kl_gateway_municipality_sor_ids, settings.kl_gateway_provider_sor_ids)
    transport = DirectoryTransport(settings.kl_gateway_root(settings.data_dir))
    code, to = arguments.municipality, arguments.period_to or datetime.now(UTC)
    run = RunPlan(run_id=f"kl-gateway-cli-{uuid.uuid4()}:{code}", municipality_code=code,
                  period_from=arguments.period_from, period_to=to)  # fmt: skip
    pool = await open_pool(settings.require_database_url(), max_size=2, application_name="genoptraening-kl-report")
    try:
        async with pool.connection() as conn:
            await store.start_run(conn, run.run_id, code, "cli", run.period_from, to)
        totals, after, failure = store.RunCounts(), "", None
        try:
            while True:
                result = await report_batch(pool, transport, config, BatchRequest(run=run, after_case_id=after))
                totals = totals + store.RunCounts(result.sent, result.unchanged, result.refused, result.erased)
                if result.next_after_case_id is None:
                    break
                after = result.next_after_case_id
        except KlTransportError as err:
            failure = type(err).__name__
        async with pool.connection() as conn:
            await store.finish_run(conn, run.run_id, failure)
    finally:
        await pool.close()
    outcome = f"failed ({failure})" if failure else "done"
    return (
        f"run {run.run_id} {outcome}: {totals.sent} sent, {totals.unchanged} unchanged, "
        f"{totals.refused} refused, {totals.erased} erased"
    )


async def _status() -> str:
    settings = read_settings(_ReportSettings)
    pool = await open_pool(settings.require_database_url(), max_size=1, application_name="genoptraening-kl-status")
    try:
        rows = await queries.status(pool)
    finally:
        await pool.close()
    lines = [
        f"{row['municipality_code']} {row['status']} {row['started_at']:%Y-%m-%d %H:%M} sent={row['citizens_sent']} "
        f"refused={row['citizens_refused']} failed_runs={row['failed_runs']} {row['failure'] or ''}".rstrip()
        for row in rows
    ]
    return "\n".join(lines) or "no runs yet"


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    arguments = _arguments(argv)
    try:
        text = asyncio.run(_report(arguments) if arguments.command == "report" else _status())
    except StartupError as err:
        logger.error("cannot run: %s", err)
        return 2
    logger.info("%s", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
