"""The API's settings: the service's `Settings` and the authentication block (AUTH_*), which only the API (and
`make run`, which may run the API's local token issuer) reads."""

from __future__ import annotations

import logging
from functools import lru_cache

from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from activities.platform.startup_checks import SETTINGS_EXIT_CODE, describe_validation_errors
from activities.runtime.settings import Settings
from api.auth.settings import AuthSettings


class ApiSettings(Settings, AuthSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True, hide_input_in_errors=True)


@lru_cache(maxsize=1)
def get_api_settings() -> ApiSettings:
    """The API process's settings, read from the environment once; an invalid setting ends the process as
    `activities.runtime.settings.get_settings` does (one line, exit code 2). Tests build `ApiSettings()`."""
    try:
        return ApiSettings()
    except ValidationError as err:
        logging.getLogger("genoptraening.startup").critical(
            "invalid setting: %s", describe_validation_errors(err.errors())
        )
        raise SystemExit(SETTINGS_EXIT_CODE) from None
