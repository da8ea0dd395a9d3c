"""Every bad setting at once: what a process reads and checks before it starts anything.

A process (the worker, the API, an operator's command) calls `startup_settings` first: it reads `Settings`
and the process's other settings blocks (observability, transports, probes), then checks its requirements (a
key that must be set, a file that must load). Each problem names its setting, never its value (the blocks
hide input in their errors, `activities.platform.startup_checks`); all of them are joined into one line, so a
deployment with three mistakes learns of all three from one failed start, not one a restart. The process then
logs that line and exits with SETTINGS_EXIT_CODE, without a traceback (`refuse_to_start`).

It runs before logging threads, the Temporal runtime or any connection exist: a process that has started the
SDK's native runtime cannot rely on a normal interpreter exit (`activities.runtime.process_exit`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from activities.messaging.settings import TransportSettings
from activities.platform.logging_setup import configure_logging
from activities.platform.startup_checks import SETTINGS_EXIT_CODE, StartupError, describe_validation_errors
from activities.runtime.settings import Settings

__all__ = ["SENDER_CVR", "SETTINGS_EXIT_CODE", "Requirement", "refuse_to_start", "startup_settings"]

logger = logging.getLogger("genoptraening.startup")

S = TypeVar("S", bound=Settings)


@dataclass(frozen=True)
class Requirement:
    """A check beyond one setting's own form; `check` raises StartupError. `reads` names the fields it uses: it
    is skipped when one of them is already reported malformed, so one mistake is not reported twice."""

    reads: tuple[str, ...]
    check: Callable[[Any], object]  # takes the process's settings (`Settings`, or the API's `ApiSettings`)


PAYLOAD_KEYS = Requirement(("payload_encryption_keys", "allow_unencrypted_payloads"), Settings.require_payload_keys)


def _citizen_keys(settings: Settings) -> None:
    # Without keys but allowed to make ephemeral ones: nothing to say here (the process warns when it makes them).
    if not (settings.allow_ephemeral_citizen_keys or settings.allow_unencrypted_payloads):
        settings.require_citizen_keys()


CITIZEN_KEYS = Requirement(
    ("citizen_kek_keys", "citizen_lookup_secret", "allow_ephemeral_citizen_keys", "allow_unencrypted_payloads"),
    _citizen_keys,
)
DATABASE_URL = Requirement(("database_url",), Settings.require_database_url)


def _sender_cvr(_: object) -> None:
    # The letters' sender lives in the transports block, which the worker reads beside its `Settings`.
    try:
        transports = TransportSettings()
    except ValidationError:
        return  # the block's own errors name DIGITAL_POST_SENDER_ID when its form (8 digits) is wrong
    transports.require_real_sender()


SENDER_CVR = Requirement((), _sender_cvr)
CODEC_AUTH = Requirement(("codec_auth_required", "api_host"), Settings.require_codec_auth)
TEMPORAL_TLS = Requirement(
    ("temporal_tls_ca", "temporal_tls_cert", "temporal_tls_key", "temporal_tls_server_name", "temporal_api_key"),
    Settings.require_temporal_tls,
)


def startup_settings(
    requirements: Iterable[Requirement] = (),
    *,
    model: type[S],
    blocks: Iterable[type[BaseSettings]] = (),
    settings: S | None = None,
) -> S:
    """The process's settings of class `model` (read from the environment unless given), or StartupError naming
    every malformed setting of `model` and `blocks` and every requirement not met, in one line."""
    problems: list[str] = []
    malformed: set[str] = set()
    if settings is None:
        settings, malformed = _read_settings(model, problems)
    for block in blocks:
        try:
            block()
        except ValidationError as err:
            problems.append(describe_validation_errors(err.errors(), str(block.model_config.get("env_prefix") or "")))
    if settings is not None:
        for requirement in requirements:
            if malformed.intersection(requirement.reads):
                continue
            try:
                requirement.check(settings)
            except StartupError as err:
                problems.append(str(err))
    if problems or settings is None:
        raise StartupError("; ".join(problems))
    return settings


def _read_settings(model: type[S], problems: list[str]) -> tuple[S | None, set[str]]:
    try:
        return model(), set()
    except ValidationError as err:
        problems.append(describe_validation_errors(err.errors()))
        malformed = {str(error["loc"][0]) for error in err.errors() if error.get("loc")}
    # The requirements are still checked, with each malformed setting at its default (and skipped where read).
    fields = model.model_fields
    defaults = {name: fields[name].get_default(call_default_factory=True) for name in malformed if name in fields}
    try:
        return model(**defaults), malformed
    except ValidationError:  # not one field's fault: what was said must do
        return None, malformed


def refuse_to_start(service: str, what: str, error: StartupError) -> int:
    """Log `<what>: <every problem>` as one line in the one log format (set up here if the process has not yet)
    and return SETTINGS_EXIT_CODE for the process to exit with."""
    if not logging.getLogger().handlers:
        configure_logging(service)  # LOG_FORMAT if it is valid, else the terminal decides
    logger.critical("%s: %s", what, error)
    return SETTINGS_EXIT_CODE
