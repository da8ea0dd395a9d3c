"""`python -m deploy.local` (what `make run` runs): the whole service on one machine.

Without DATABASE_URL it starts an embedded PostgreSQL; without TEMPORAL_ADDRESS a Temporal dev server. Both
keep their state in DATA_DIR, so a restart finds the same cases and pending timers. Then it applies the
migrations, starts the worker and the API, restarts any of those children that dies (`deploy.supervision`),
and stops everything in reverse order on Ctrl-C or SIGTERM, or when a child crash-loops.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import os
import secrets
import signal
import sys
import tempfile
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

from activities.messaging.settings import TransportSettings
from activities.messaging.transports.vans_file_drop import VansFileDrop
from activities.runtime.process_observability import start_observability, worker_metrics_url
from activities.runtime.search_attribute_registration import ensure_search_attributes
from activities.runtime.temporal_connection import connect_temporal
from activities.runtime.worker_health import worker_probes_url
from activities.sealing.payload_codec import KeyRingError, new_key_ring_entry, parse_key_ring
from api.auth.local_issuer import DEV_TOKEN_SCOPES
from api.auth.principal import Role
from api.settings import ApiSettings, get_api_settings
from deploy import temporal_dev_server
from deploy.binaries import temporal_cli
from deploy.embedded_postgres import EmbeddedPostgres, service_url, start_embedded_postgres
from deploy.local_citizen_keys import local_citizen_key_env
from deploy.local_ports import PortPlan
from deploy.processes import Child, ChildSpec, wait_for_port
from deploy.supervision import ChildGroup, StopRequested, unless_stopped

# The sender EAN of the GGOP fixtures (tests/fixtures/ggop/): on make run it is the dev hospital token's mailbox,
# so a fixture posted with that token is taken (docs/medcom.md, "Trying it with make run").
DEV_HOSPITAL_EAN = "5790000000017"

logger = logging.getLogger("deploy.local")
T = TypeVar("T")

DATABASE_NAME = "genoptraening"
API_START_TIMEOUT_SECONDS = 60.0
# Ctrl-C stops the children one after another (API, worker, dev server), each SIGTERM then SIGKILL after its
# stop timeout: a few seconds in all. uvicorn cancels requests still running after its graceful timeout, so a
# hung request does not hold the stop up; the worker's in-flight activities (idempotent appends) are retried by
# Temporal if it has to be killed.
API_GRACEFUL_SHUTDOWN_SECONDS = 3
API_STOP_TIMEOUT_SECONDS = 5.0
WORKER_STOP_TIMEOUT_SECONDS = 5.0
DEV_SERVER_STOP_TIMEOUT_SECONDS = 5.0
CHILD_MODULES = {"worker": "activities.runtime.worker", "API": "api.main"}
# Dropped from the children's environment when they talk to the local dev server (plain gRPC, no API key).
_NOT_INHERITED = tuple(f"TEMPORAL_{name}" for name in ("TLS_CA", "TLS_CERT", "TLS_KEY", "TLS_SERVER_NAME", "API_KEY"))
PAYLOAD_KEYS_FILE = "payload-keys"


class StartupError(RuntimeError):
    pass


def local_payload_keys(data_dir: Path) -> str:
    """The payload key ring kept in DATA_DIR/payload-keys (PAYLOAD_ENCRYPTION_KEYS format), created on first use
    with one random key, mode 0600. Every case in DATA_DIR/temporal.sqlite is encrypted with it: losing the file
    makes them unreadable. Add a new key in front of the old one to rotate; the key material is never logged."""
    path = data_dir / PAYLOAD_KEYS_FILE
    if not path.exists():
        # Written beside it and linked into place: a crash never leaves a half-written key file behind.
        descriptor, temporary = tempfile.mkstemp(dir=data_dir, prefix=f".{PAYLOAD_KEYS_FILE}-")  # mode 0600
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(new_key_ring_entry(f"local-{secrets.token_hex(4)}") + "\n")
                file.flush()
                os.fsync(file.fileno())
            os.link(temporary, path)  # fails if another start created it meanwhile: then that one is used
            logger.info("Created the payload encryption key %s: keep it, the cases in Temporal need it", path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        logger.warning("%s is accessible to other users (mode %03o): run chmod 600 on it", path, mode)
    value = path.read_text(encoding="ascii").strip()
    try:
        parse_key_ring(value)
    except KeyRingError as err:
        raise StartupError(f"{path}: {err}") from None
    return value


def codec_endpoint(settings: ApiSettings) -> str:
    """Where the Temporal UI (in the browser) reaches the API's codec: `http://<API_HOST>:<API_PORT>/codec`."""
    host = settings.api_host
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.api_port}/codec"


class Supervisor:
    def __init__(self, settings: ApiSettings, *, infra_only: bool) -> None:
        self.settings = settings
        self.infra_only = infra_only
        self.data_dir = settings.data_dir.resolve()
        self.stop_requested = asyncio.Event()
        self.group = ChildGroup(self.stop_requested)
        self.postgres: EmbeddedPostgres | None = None
        self.keys_file: Path | None = None  # DATA_DIR/payload-keys, when it supplies the payload keys
        # The local issuer's tokens (role -> token), file and AUTH_* environment, when no issuer is configured.
        self.dev_tokens_file: Path | None = None
        self.dev_tokens: dict[str, str] = {}
        self.auth_env: dict[str, str] = {}
        self.codec_env: dict[str, str] = {}  # codec local mode for the dev UI (`codec_local_mode_env`)
        self.vans_dir: Path | None = None  # the embedded transports' directories (`_mailboxes`)
        self.spool_dir: Path | None = None
        self.ports: PortPlan | None = None  # read at start, where a bad setting ends in "Startup failed"

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.stop_requested.is_set():
            logger.info("Already stopping (%s ignored)", sig.name)
            return
        logger.info("%s received: stopping", sig.name)
        self.stop_requested.set()

    async def _unless_stopped(self, awaitable: Awaitable[T]) -> T:
        return await unless_stopped(self.stop_requested, awaitable)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            await self._start()
            return await self.group.watch()
        except StopRequested:
            return 0
        except Exception as err:
            logger.error("Startup failed: %s", err, exc_info=self.settings.log_level.upper() == "DEBUG")
            return 1
        finally:
            await self._shutdown()

    async def _start(self) -> None:
        if not self.infra_only:
            missing = [module for module in CHILD_MODULES.values() if importlib.util.find_spec(module) is None]
            if missing:
                raise StartupError(f"module(s) {', '.join(missing)} not found (use --infra-only to run without)")
        self.ports = PortPlan.read(self.settings, services=not self.infra_only)
        self.ports.require_free()  # before anything starts: one message naming each setting to change
        env = dict(os.environ, PYTHONUNBUFFERED="1") | self.ports.children_env()
        database_url = self.settings.database_url
        if database_url is None:
            self.postgres = await asyncio.to_thread(start_embedded_postgres, self.data_dir, DATABASE_NAME)
            database_url = self.postgres.url
        if self.stop_requested.is_set():
            raise StopRequested
        temporal = await self._start_temporal(env)
        database_url = await self._unless_stopped(_prepare_database(database_url, self.postgres, env))
        env |= {"DATABASE_URL": database_url, "TEMPORAL_ADDRESS": temporal.temporal_address}
        env |= self._local_auth()
        env |= self._mailboxes()  # the embedded transports' directories, absolute, for the worker
        env |= local_citizen_key_env(self.settings, self.data_dir)  # worker and API seal personal data with them
        if not self.settings.temporal_address_is_set:  # the dev server's UI has no login: codec local mode
            self.codec_env = temporal_dev_server.codec_local_mode_env(self.settings)
            env |= self.codec_env
        if not self.infra_only:
            await self._start_services(env)
        self._announce(database_url, temporal)

    async def _start_temporal(self, env: dict[str, str]) -> ApiSettings:
        """Start the dev server unless TEMPORAL_ADDRESS is set; register the search attributes either way."""
        temporal, dev = self.settings, self.ports.dev if self.ports is not None else None
        if dev is not None:
            for key in _NOT_INHERITED:
                env.pop(key, None)
            local: dict[str, object] = {key.lower(): None for key in _NOT_INHERITED}
            local["temporal_address"] = dev.address
            if self.settings.payload_encryption_keys is None:
                keys = local_payload_keys(self.data_dir)
                env["PAYLOAD_ENCRYPTION_KEYS"] = keys
                local["payload_encryption_keys"] = SecretStr(keys)
                self.keys_file = self.data_dir / PAYLOAD_KEYS_FILE
            temporal = self.settings.model_copy(update=local)
            await self._start_dev_server(temporal, dev, env)
        client = await self._unless_stopped(connect_temporal(temporal))
        try:
            await self._unless_stopped(ensure_search_attributes(client, temporal.temporal_namespace))
        except StopRequested:
            raise
        except Exception as err:  # e.g. no operator permission on a managed cluster
            logger.warning("Could not check/register search attributes (%s); see deploy/README.md", err)
        return temporal

    async def _start_dev_server(
        self, temporal: ApiSettings, ports: temporal_dev_server.DevServerSettings, env: dict[str, str]
    ) -> None:
        """Started by `start_dev_server` (its ports checked by `_start`); restarted, if it dies, from the same argv:
        its state is in DATA_DIR/temporal.sqlite, and worker and API reconnect to it."""
        database, codec = self.data_dir / "temporal.sqlite", codec_endpoint(self.settings)
        server = await temporal_dev_server.start_dev_server(database, temporal, env, ports=ports, codec_endpoint=codec)

        async def answers(child: Child) -> bool:
            await temporal_dev_server.wait_until_ready(child, temporal)  # raises if it exits or takes too long
            return True

        namespace = temporal.temporal_namespace
        argv = temporal_dev_server.dev_server_argv(temporal_cli(), database, namespace, codec, ports=ports)
        spec = ChildSpec(
            server.name,
            argv,
            dict(env),
            DEV_SERVER_STOP_TIMEOUT_SECONDS,
            ready=answers,
            ready_timeout=temporal_dev_server.READY_TIMEOUT_SECONDS + 5.0,  # its own timeout, clearer, comes first
        )
        await self.group.start(spec, server)

    async def _start_services(self, env: dict[str, str]) -> None:
        python, host, port = sys.executable, self.settings.api_host, self.settings.api_port
        worker = ChildSpec("worker", [python, "-m", CHILD_MODULES["worker"]], dict(env), WORKER_STOP_TIMEOUT_SECONDS)
        await self.group.start(worker)
        api_argv = [python, "-m", "uvicorn", f"{CHILD_MODULES['API']}:app", "--host", host, "--port", str(port)]
        api_argv += ["--timeout-graceful-shutdown", str(API_GRACEFUL_SHUTDOWN_SECONDS)]

        async def listening(child: Child) -> bool:
            return await wait_for_port(child, host, port)

        api = ChildSpec(
            "API", api_argv, dict(env), API_STOP_TIMEOUT_SECONDS, listening, ready_timeout=API_START_TIMEOUT_SECONDS
        )
        await self.group.start(api)

    def _local_auth(self) -> dict[str, str]:
        """Without AUTH_JWKS_URL and AUTH_PUBLIC_KEY_FILE: the local issuer (key in DATA_DIR/auth/) signs the
        tokens, worker and API trust it through the AUTH_* environment this returns, and one token per role
        goes to DATA_DIR/dev-tokens.json (mode 0600). A configured issuer is left alone: returns nothing."""
        if not self.settings.auth_is_local:
            return {}
        from api.auth.local_issuer import DEV_TOKENS_FILE, LocalIssuer, write_dev_tokens  # late, as migrations

        issuer = LocalIssuer.create_or_load(
            self.data_dir / "auth", self.settings.auth_issuer, self.settings.auth_audience
        )
        self.dev_tokens_file = self.data_dir / DEV_TOKENS_FILE
        self.dev_tokens = write_dev_tokens(issuer, self.dev_tokens_file)
        self.auth_env = issuer.environment()
        return self.auth_env

    def _auth_lines(self) -> list[str]:
        """Whole tokens on the terminal only from the local issuer (the set-up asks for them); never a real one."""
        if self.dev_tokens_file is None:
            return [f"  Tokens       from {self.settings.auth_jwks_url or self.settings.auth_public_key_file}"]
        lines = [f"  Tokens       local issuer; one per role in {self.dev_tokens_file}:"]
        lines += [f"               {role:<16} {token}" for role, token in self.dev_tokens.items()]
        lines.append("               more: .venv/bin/genoptraening issue-token --role caseworker --municipality 101")
        if self.infra_only:
            lines.append("               the API needs " + " ".join(f"{k}={v}" for k, v in self.auth_env.items()))
        return lines

    def _announce(self, database_url: str, temporal: ApiSettings) -> None:
        api = f"http://{self.settings.api_host}:{self.settings.api_port}"
        lines = ["", "Genoptræning case service is running:"]
        if not self.infra_only:
            lines += [f"  API          {api}", f"  API docs     {api}/docs", f"  Metrics      {api}/metrics"]
            lines += [f"               worker {worker_metrics_url()} (docs/observability.md)"]
            lines += [f"  Probes       {api}/livez, /readyz; {worker_probes_url()} (deploy/README.md)"]
        if self.settings.temporal_address_is_set:
            lines.append(f"  Temporal     {temporal.temporal_address} (namespace {temporal.temporal_namespace})")
        elif self.ports is not None and self.ports.dev is not None:
            lines.append(f"  Temporal UI  {self.ports.dev.ui_url}  (dev server at {self.ports.dev.address})")
            lines.append(f"               state in {self.data_dir / 'temporal.sqlite'}")
            lines.append(f"               decrypts payloads through {codec_endpoint(self.settings)}")
            if self.codec_env or not self.settings.codec_auth_required:
                lines.append("               codec local mode on loopback: no token; each decode access-logged")
                if self.infra_only and self.codec_env:
                    lines.append(
                        "               the API needs " + " ".join(f"{k}={v}" for k, v in self.codec_env.items())
                    )
            else:
                lines.append("               codec requires an ops_decrypt token, which this UI cannot send")
        if self.keys_file is not None:
            lines.append(f"  Payload key  {self.keys_file} (keep it: the cases in Temporal are encrypted with it)")
            if self.infra_only:
                lines.append(f'               worker and API need PAYLOAD_ENCRYPTION_KEYS="$(cat {self.keys_file})"')
        elif self.settings.payload_encryption_keys is None:
            lines.append("  Payloads     NOT encrypted (PAYLOAD_ENCRYPTION_KEYS is unset)")
        if self.postgres is not None:
            lines.append(
                f"  PostgreSQL   embedded, database {DATABASE_NAME}, data and socket in {self.postgres.pgdata}"
            )
        else:
            db = conninfo_to_dict(database_url)  # no password in the log
            lines.append(f"  PostgreSQL   {db.get('host')}:{db.get('port', 5432)}/{db.get('dbname')} (DATABASE_URL)")
        lines += self._auth_lines()
        lines += self._mailbox_lines()
        lines += ["  Stop with Ctrl-C" + ("; the next start finds the same data." if self.embedded else "."), ""]
        logger.info("\n".join(lines))

    def _mailboxes(self) -> dict[str, str]:
        """The VANS mailbox and the Digital Post spool under DATA_DIR unless set (docs/medcom.md, "Transports")."""
        transports = TransportSettings()
        self.vans_dir = transports.vans_root(self.data_dir).resolve()
        self.spool_dir = transports.spool_root(self.data_dir).resolve()
        VansFileDrop(self.vans_dir).ensure_directories()
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        env = {"VANS_DIR": str(self.vans_dir), "DIGITAL_POST_SPOOL_DIR": str(self.spool_dir)}
        # Letters on make run only reach the local spool: they may name the placeholder sender CVR (a deployment may
        # not: the worker refuses to start with it elsewhere).
        if "DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER" not in os.environ:
            env["DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER"] = "true"
        if "MEDCOM_SENDER_SOR_BY_EAN" not in os.environ:  # a deployment names its hospitals' mailboxes itself
            env["MEDCOM_SENDER_SOR_BY_EAN"] = json.dumps({DEV_HOSPITAL_EAN: DEV_TOKEN_SCOPES[Role.HOSPITAL]["sor"]})
        return env

    def _mailbox_lines(self) -> list[str]:
        if self.vans_dir is None or self.spool_dir is None:
            return []
        return [
            f"  MedCom       VANS mailbox {self.vans_dir} (outbound/<EAN>/ written, inbound/<EAN>/ read)",
            f"  Digital Post letters spooled in {self.spool_dir} (PDF + MeMo)",
        ]

    @property
    def embedded(self) -> bool:
        return self.postgres is not None or not self.settings.temporal_address_is_set

    async def _shutdown(self) -> None:
        await self.group.stop_all()
        if self.postgres is not None:
            await asyncio.to_thread(self.postgres.stop)
        logger.info("All stopped")


async def _apply_migrations(database_url: str) -> list[str]:
    from activities.store.migrate import apply_migrations  # late: deploy.local imports without the store's modules

    return await apply_migrations(database_url)


async def _prepare_database(database_url: str, postgres: EmbeddedPostgres | None, env: dict[str, str]) -> str:
    """Migrate and purge expired access log rows as the owner; returns the URL the worker and the API use.

    Embedded: the superuser owns, the children connect as the login role `service_url` creates. External:
    MIGRATION_DATABASE_URL owns (else DATABASE_URL, one role for both) and DATABASE_URL serves. The owner's
    URL is kept out of the children's environment either way."""
    from activities.access_log.retention import purge_expired  # late, as _apply_migrations

    external_owner = env.pop("MIGRATION_DATABASE_URL", "")
    owner_url = database_url if postgres is not None else external_owner or database_url
    applied = await _apply_migrations(owner_url)
    logger.info("Migrations: %s", ", ".join(applied) if applied else "database already up to date")
    try:
        await purge_expired(owner_url)
    except Exception as err:  # retention is housekeeping: the service still starts, the next start retries
        logger.warning("Could not purge the access log's expired rows: %s", err)
    if postgres is None:
        return database_url
    return await asyncio.to_thread(service_url, owner_url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local", description="Run the case service locally.")
    parser.add_argument(
        "--infra-only",
        action="store_true",
        help="start PostgreSQL and Temporal and migrate, but not the worker and API (run those yourself)",
    )
    args = parser.parse_args(argv)
    settings = get_api_settings()
    if settings.database_url is None or not settings.temporal_address_is_set:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    start_observability("genoptraening-supervisor", settings.log_level, traced=False)  # its children log alike
    logging.getLogger("deploy").setLevel(min(logging.INFO, logging.getLogger().level))
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return asyncio.run(Supervisor(settings, infra_only=args.infra_only).run())


if __name__ == "__main__":
    sys.exit(main())
