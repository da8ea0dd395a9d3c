"""The HTTP API of the genoptræning case service (`uvicorn api.main:app`).

`create_app` builds the application; in production its lifespan opens the PostgreSQL pool and connects to
Temporal, while tests pass their own pool and client. `app`, the process's application, is built when uvicorn
first asks for it, not when the module is imported: a process of its own checks every setting it needs first
and refuses to start, in one line naming each bad one (`activities.runtime.startup_settings`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from temporalio.client import Client

from activities.platform.db import Pool, open_pool
from activities.platform.startup_checks import StartupError
from activities.runtime.observability_settings import ObservabilitySettings
from activities.runtime.process_observability import start_observability
from activities.runtime.startup_settings import (
    CITIZEN_KEYS,
    CODEC_AUTH,
    DATABASE_URL,
    PAYLOAD_KEYS,
    TEMPORAL_TLS,
    Requirement,
    refuse_to_start,
    startup_settings,
)
from activities.runtime.temporal_connection import connect_temporal, payload_codec_for
from activities.sealing.citizen_cipher import configure_citizen_keys
from api.auth.tokens import require_token_keys
from api.codec.routes import install_codec
from api.deps import get_pool, get_temporal
from api.http.answer_bound import AnswerBound
from api.http.limits import RequestContract
from api.http.observability import install_observability
from api.http.openapi import install_openapi
from api.http.operation_ids import operation_id
from api.http.problems import install_problem_handlers
from api.http.unavailable import install_unavailable_handlers
from api.routes import (
    access_log,
    erasure_requests,
    health,
    kl_gateway,
    medcom,
    plans,
    registers,
    retention,
    staff_register,
    start_guarantee,
)
from api.routes.applications import applications
from api.routes.cases import assignment_commands, bulk_assignment, cases, commands, inbox, notes, warnings
from api.settings import ApiSettings, get_api_settings

logger = logging.getLogger("genoptraening.api")

DESCRIPTION = """
Case service for Danish rehabilitation referrals (*genoptræning*, Sundhedsloven §140).

**Hospitals** send a rehabilitation plan (*genoptræningsplan*, GOP) to `POST /plans`. Each plan starts one
case, identified by the sending hospital's SOR id and its plan id, so a plan can be resent safely.

**Municipal caseworkers** drive each case with commands on `/cases/{case_id}/…`: classify an almen plan as
basal or avanceret, record contact with the citizen, choose a provider, offer the start of training, and
complete or close the case. A command may carry an `Idempotency-Key` header (resending the same key applies
the command once) and an `If-Match` with the case's `ETag`. A command the case's current status does not
allow is answered **409**.

**Every route** but the probes (`/livez`, `/readyz`, `/health`), `/metrics` and the docs takes
`Authorization: Bearer <JWT>`; who acts comes from the token. Every answer carries `X-Correlation-Id`, the
request's trace id (also `correlation_id` in a problem): quote it when reporting an error.
Hospitals send their own plans, caseworkers act on their municipality's cases and applications (another
municipality's answer **404**), municipal administrators keep their registers, ops sees metadata, auditors
read the access log; a role that may not do an operation gets **403**. Every use of a citizen's data is
recorded in the access log.

The case list, each case and its event timeline are read from PostgreSQL read models. The municipality
register holds each municipality's contact deadline; the provider register holds the providers a citizen may
choose.

Errors are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details (`application/problem+json`);
validation problems list each offending field in `errors`, as a dotted path from the body root
(`patient.cpr`).

All personal data in the examples is synthetic.
"""

TAGS = [
    {"name": "plans", "description": "Intake of rehabilitation plans from hospitals"},
    {
        "name": "medcom",
        "description": "MedCom's OIOXML messages: GGOP plans from hospitals, answered with MedCom receipts "
        "(docs/medcom.md)",
    },
    {"name": "commands", "description": "Caseworker commands; each answers with the case as it now is"},
    {"name": "cases", "description": "The case list, one case, and its timeline"},
    {
        "name": "inbox",
        "description": "A caseworker's inbox: views of its municipality's open cases by next deadline, and their "
        "counts",
    },
    {
        "name": "warnings",
        "description": "A caseworker's unseen warnings that a case's contact deadline or start guarantee falls "
        "due soon (docs/casework.md)",
    },
    {
        "name": "retention",
        "description": "Holds that keep a case's records past their retention period, and citizens' erasure "
        "requests (docs/security.md)",
    },
    {
        "name": "applications",
        "description": "Applications for training without a hospital stay (Serviceloven §86 / Ældreloven): "
        "intake, reads, and the caseworker commands from GP information to closure",
    },
    {"name": "registers", "description": "Municipalities (contact deadlines) and their providers"},
    {
        "name": "access-log",
        "description": "For auditors: who used which citizen's data, when and why (sundhedsloven §42 a; GDPR art. 15)",
    },
    {
        "name": "reports",
        "description": "The 7-day start guarantee per month and municipality, as JSON, CSV or a page with a chart "
        "(docs/reports.md)",
    },
    {
        "name": "kl-gateway",
        "description": "KL Gateway Rehab delivery reports: send on demand, what was sent, a preview, ops status "
        "(docs/reports.md)",
    },
    {"name": "health", "description": "Probes: liveness (`/livez`) and readiness (`/readyz`, PostgreSQL and Temporal)"},
    {"name": "metrics", "description": "Prometheus metrics, no token, no personal data (docs/observability.md)"},
    {
        "name": "codec",
        "description": "The Temporal UI's remote codec: decrypts workflow payloads. Put it behind the UI's "
        "authentication; answers 404 without PAYLOAD_ENCRYPTION_KEYS",
    },
]


# What an app of its own needs besides well-formed settings (the order is the order of the message); the
# process (`uvicorn api.main:app`) needs the rest too: without a key source no token could be verified.
TOKEN_KEYS = Requirement(("auth_jwks_url", "auth_public_key_file"), require_token_keys)
APP_REQUIREMENTS = (PAYLOAD_KEYS, CODEC_AUTH, CITIZEN_KEYS)
PROCESS_REQUIREMENTS = (*APP_REQUIREMENTS, TOKEN_KEYS, TEMPORAL_TLS, DATABASE_URL)


def checked_settings(requirements: tuple[Requirement, ...], settings: ApiSettings | None = None) -> ApiSettings:
    """The settings (read from the environment unless given), checked whole before uvicorn serves and before any
    thread starts; ends the process with exit code 2 and one line naming every bad setting (no traceback)."""
    try:
        return startup_settings(requirements, model=ApiSettings, blocks=(ObservabilitySettings,), settings=settings)
    except StartupError as err:
        raise SystemExit(refuse_to_start("genoptraening-api", "API cannot start", err)) from None


def create_app(
    *, pool: Pool | None = None, temporal_client: Client | None = None, settings: ApiSettings | None = None
) -> FastAPI:
    """The API. Without `pool` or `temporal_client`, the lifespan opens them from the settings."""
    if temporal_client is None:  # a process of its own (tests bring their client): checked, then logs and traces
        app_settings = checked_settings(APP_REQUIREMENTS, settings)
        start_observability("genoptraening-api", app_settings.log_level)
    else:
        app_settings = settings or get_api_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_pool = None
        if pool is None:
            own_pool = await open_pool(
                app_settings.require_database_url(),
                application_name="genoptraening-api",
                checkout_seconds=app_settings.database_wait_seconds,
            )
        try:
            app.state.pool = pool or own_pool
            # Lazy: the API starts, and answers 503 for commands, while Temporal is still unreachable.
            app.state.temporal_client = temporal_client or await connect_temporal(app_settings, lazy=True)
            logger.info("API ready (task queue %s)", app_settings.temporal_task_queue)
            yield
        finally:
            if own_pool is not None:
                await own_pool.close()

    # FastAPIOffline: /docs and /redoc load Swagger UI and ReDoc from this service, not from a CDN, so
    # they work without internet access.
    app = FastAPIOffline(
        title="Genoptræning case service",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
    )
    app.state.settings = app_settings
    # Usable without the lifespan too (httpx.ASGITransport does not run it).
    app.state.pool = pool
    app.state.temporal_client = temporal_client
    # Added before the problem handlers, so ProblemOnCrash (outside it) still catches its own failures.
    app.add_middleware(RequestContract, router=app.router, max_body_bytes=app_settings.max_body_bytes)
    # Outside the body's contract: the bound starts when the request arrives (docs/api.md, "Every request is
    # answered within a bound").
    app.add_middleware(
        AnswerBound,
        bound_seconds=app_settings.command_answer_timeout_seconds,
        retry_after_seconds=app_settings.retry_after_seconds,
    )
    install_problem_handlers(app)
    install_unavailable_handlers(app)
    for module in (
        plans,
        medcom,
        commands,
        assignment_commands,
        bulk_assignment,
        cases,
        inbox,
        notes,
        applications,
        retention,
        erasure_requests,
        registers,
        staff_register,
        access_log,
        start_guarantee,
        warnings,
        health,
    ):
        app.include_router(module.router)
    app.include_router(kl_gateway.router)
    install_codec(app, payload_codec_for(app_settings), app_settings.temporal_ui_origins)
    install_observability(app, ObservabilitySettings().metrics_cache_seconds)  # last: its middleware is outermost
    install_openapi(app, backends=(get_pool, get_temporal))
    if pool is None:  # personal data is sealed with them (a process's settings were checked above)
        try:
            configure_citizen_keys(app_settings.require_citizen_keys())
        except StartupError as err:
            raise SystemExit(refuse_to_start("genoptraening-api", "API cannot start", err)) from None
    return app


_process_app: FastAPI | None = None


def __getattr__(name: str) -> FastAPI:
    """`api.main:app` for uvicorn: built on first use (PEP 562), so importing this module starts nothing."""
    global _process_app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _process_app is None:
        _process_app = create_app(settings=checked_settings(PROCESS_REQUIREMENTS))
    return _process_app
