"""What a process says when it cannot start: one line that names the setting, never its value.

A DATABASE_URL carries a password and PAYLOAD_ENCRYPTION_KEYS carries keys, and the messages of the libraries
that read them quote what they were given (libpq: `missing "=" after "u:secret@host/x" in connection info
string`). So nothing here passes such a message on: a malformed setting is described by its name and the
expected form, a database by user, host, port and database name only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import ValidationError
from pydantic_settings import BaseSettings

# 0 done, 1 a failure, 2 a setting is missing or invalid (deploy/cli.py): every entry point alike.
SETTINGS_EXIT_CODE = 2

DATABASE_URL_FORM = "postgresql://user:password@host:5432/dbname, or libpq key=value pairs"


class StartupError(RuntimeError):
    """A process cannot start. The message is one line, names the setting, and quotes no secret."""


def check_database_url(url: str, setting: str = "DATABASE_URL") -> None:
    """Raise ValueError (without the URL or libpq's message, both of which may hold the password) when `url`
    is not a libpq connection string; checks the form only, without connecting."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        raise ValueError(f"{setting} is not a valid connection string; expected {DATABASE_URL_FORM}") from None
    for port in str(params.get("port", "")).split(","):
        if port and not port.isdigit():
            raise ValueError(f"{setting} has a port that is not a number")


def database_target(url: str) -> str:
    """`user@host:port/dbname` of a connection string: enough to tell which database, without the password."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error:
        return "(malformed DATABASE_URL)"
    user = f"{params['user']}@" if params.get("user") else ""
    return f"{user}{params.get('host', 'localhost')}:{params.get('port', 5432)}/{params.get('dbname', '')}"


def database_unreachable(url: str, error: BaseException, setting: str = "DATABASE_URL") -> StartupError:
    """The startup error for a database that could not be reached or refused us; names the error's type only
    (libpq's text may quote the connection string)."""
    return StartupError(f"cannot connect to the database of {setting} ({database_target(url)}): {type(error).__name__}")


def describe_validation_errors(errors: Sequence[Any], env_prefix: str = "") -> str:
    """One line from pydantic's errors of `Settings` (`hide_input_in_errors`: they never hold the value), naming
    each setting as its environment variable (`env_prefix` and the field's name)."""
    parts = []
    for error in errors:
        location = ".".join(str(part) for part in error.get("loc", ())) or "settings"
        message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        name = f"{env_prefix}{location}".upper()
        parts.append(message if message.startswith(name) else f"{name}: {message}")
    return "; ".join(parts)


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def read_settings(model: type[SettingsT]) -> SettingsT:
    """A settings block (or a composition of blocks), read from the environment; an invalid setting ends the
    process with one line naming each (logged, or on stderr before logging is set up) and exit code 2, without a
    traceback."""
    try:
        return model()
    except ValidationError as err:
        logging.getLogger("genoptraening.startup").critical(
            "invalid setting: %s",
            describe_validation_errors(err.errors(), str(model.model_config.get("env_prefix") or "")),
        )
        raise SystemExit(SETTINGS_EXIT_CODE) from None
