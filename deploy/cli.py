"""`genoptraening`: the operator's one command line (installed by `pip install`, `[project.scripts]`).

Each subcommand delegates to the module that has always done the chore, whose `python -m ...` entry point keeps
working; both read the same environment (DATABASE_URL, MIGRATION_DATABASE_URL, TEMPORAL_*, the keys: see
deploy/README.md). Exit codes are the modules' own: 0 done, 2 a setting is missing or invalid, 1 a failure.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable

import click

from activities.platform.logging_setup import configure_logging
from activities.platform.startup_checks import StartupError
from activities.runtime.observability_settings import ObservabilitySettings

logger = logging.getLogger("genoptraening.cli")

# Subcommands whose options the delegated module parses itself (argparse): its --help is shown.
PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []}


def _exit(code: int | None) -> None:
    if code:
        sys.exit(code)


def _logging() -> None:
    # The one log format of every process (docs/observability.md); the modules' own basicConfig is then a no-op.
    configure_logging("genoptraening-cli", logging.INFO, log_format=ObservabilitySettings().log_format_choice)


def _summary(chore: Callable[[], str]) -> None:
    """Run a chore, then its one-line summary on stdout (progress went to the log on stderr)."""
    try:
        line = chore()
    except StartupError as err:
        logger.error("cannot run: %s", err)
        sys.exit(2)
    click.echo(line)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Operate the genoptræning case service: its database, Temporal namespace, keys and local run."""


@main.command()
@click.option("--infra-only", is_flag=True, help="PostgreSQL, Temporal and migrations only; no worker or API.")
def run(infra_only: bool) -> None:
    """Run the service on this machine (what `make run` calls): embedded PostgreSQL and Temporal unless set."""
    from deploy.local import main as local_main

    _exit(local_main(["--infra-only"] if infra_only else []))


@main.command()
def worker() -> None:
    """Run the worker (the image's default command, as `python -m activities.runtime.worker`)."""
    from activities.runtime.worker import run_as_process as worker_main

    worker_main()


@main.command()
def migrate() -> None:
    """Apply the database migrations, as the owner (MIGRATION_DATABASE_URL, else DATABASE_URL)."""
    from activities.store.migrate import main as migrate_main

    _exit(migrate_main())


@main.command("rebuild-read-models")
def rebuild_read_models() -> None:
    """Rebuild the cases, applications and start-guarantee read models from the events (blue/green swap)."""
    import os

    from deploy.chores import rebuild_read_models as rebuild

    _logging()
    conninfo = os.environ.get("MIGRATION_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not conninfo:
        logger.error("MIGRATION_DATABASE_URL (or DATABASE_URL) is not set")
        sys.exit(2)
    _summary(lambda: asyncio.run(rebuild(conninfo)))


@main.command("register-search-attributes")
def register_search_attributes() -> None:
    """Register the case workflows' search attributes on TEMPORAL_NAMESPACE (idempotent; no payload key needed)."""
    from activities.runtime.search_attribute_registration import run_as_process as register_main

    register_main()


@main.command("new-payload-key")
@click.argument("key_id", required=False)
def new_payload_key(key_id: str | None) -> None:
    """Print a new `keyid:base64` entry for PAYLOAD_ENCRYPTION_KEYS or CITIZEN_KEK_KEYS (default id k<today>)."""
    from activities.sealing.payload_codec import main as codec_main

    _exit(codec_main([key_id] if key_id else []))


@main.command("issue-token", context_settings=PASS_THROUGH)
@click.pass_context
def issue_token(ctx: click.Context) -> None:
    """Issue a bearer token from the local issuer (options: `genoptraening issue-token --help`)."""
    from api.auth.local_issuer import main as issuer_main

    _exit(issuer_main(ctx.args))


@main.command("retention-sweep")
@click.option("--batch-size", type=click.IntRange(1, 10_000), help="default RETENTION_SWEEP_BATCH_SIZE")
def retention_sweep(batch_size: int | None) -> None:
    """Run the retention sweep now: destroy the keys of citizens whose every case is past retention."""
    from deploy.chores import sweep_retention_now

    _logging()
    _summary(lambda: asyncio.run(sweep_retention_now(batch_size)))


@main.command("purge-access-log")
def purge_access_log() -> None:
    """Purge access-log rows older than ACCESS_LOG_RETENTION_DAYS, as the owner (the nightly CronJob)."""
    from activities.access_log.retention import main as purge_main

    _exit(purge_main())


@main.command("rotate-citizen-keys")
def rotate_citizen_keys() -> None:
    """Rewrap every live citizen key with the first key of CITIZEN_KEK_KEYS (after a KEK rotation)."""
    from activities.sealing.rotation import main as rotation_main

    _exit(rotation_main())


@main.command("kl-report", context_settings=PASS_THROUGH)
@click.pass_context
def kl_report(ctx: click.Context) -> None:
    """KL Gateway reports: `kl-report report --municipality 101` or `kl-report status` (`kl-report --help`)."""
    from activities.kl_gateway.__main__ import main as kl_main

    _exit(kl_main(ctx.args))


@main.command()
@click.option("--terminate", is_flag=True, help="End the orphans found (default: only list them).")
@click.option("--min-age-minutes", type=click.FloatRange(min=0), default=10.0, show_default=True)
def orphans(terminate: bool, min_age_minutes: float) -> None:
    """List (and with --terminate end) running workflows whose case or application has no stored event."""
    from activities.runtime.orphan_workflows import main as orphans_main

    _exit(orphans_main([*(["--terminate"] if terminate else []), "--min-age-minutes", str(min_age_minutes)]))


if __name__ == "__main__":
    main()
