"""Outside `make run` the worker refuses to send letters as the placeholder sender CVR 00000000, or as anything
that is not 8 digits, or without the municipality's address; the refusal names the setting. `make run` allows the
placeholder explicitly."""

from __future__ import annotations

import json

import pytest

from activities.platform.startup_checks import StartupError
from activities.runtime.settings import Settings
from activities.runtime.startup_settings import SENDER_CVR, startup_settings
from activities.runtime.worker import REQUIREMENTS, SETTINGS_BLOCKS


def _check(monkeypatch: pytest.MonkeyPatch, **env: str) -> str | None:
    """The refusal of the worker's sender check and transport block for this environment, None if it may start."""
    monkeypatch.delenv("DIGITAL_POST_SENDER_ID", raising=False)
    monkeypatch.delenv("DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER", raising=False)
    monkeypatch.delenv("LETTER_SENDER_CONTACTS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        startup_settings([SENDER_CVR], model=Settings, blocks=SETTINGS_BLOCKS, settings=Settings())
    except StartupError as err:
        return str(err)
    return None


def test_the_worker_checks_the_sender_cvr() -> None:
    assert SENDER_CVR in REQUIREMENTS


def test_the_placeholder_cvr_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in ({}, {"DIGITAL_POST_SENDER_ID": "00000000"}):
        line = _check(monkeypatch, **env)
        assert line is not None and "DIGITAL_POST_SENDER_ID is the placeholder" in line, line


@pytest.mark.parametrize("cvr", ["1234567", "123456789", "1234567a", ""])
def test_a_cvr_that_is_not_8_digits_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, cvr: str) -> None:
    line = _check(monkeypatch, DIGITAL_POST_SENDER_ID=cvr, DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER="true")
    assert line is not None and "DIGITAL_POST_SENDER_ID" in line, line
    assert "placeholder" not in line  # the form is wrong; said once, by the block


CONTACTS = json.dumps({"147": {"name": "Frederiksberg Kommune", "address": "Smallegade 1, 2000 Frederiksberg",
                            "phone": "38 21 21 21"}})  # fmt: skip


def test_a_real_cvr_with_the_municipality_s_address_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _check(monkeypatch, DIGITAL_POST_SENDER_ID="29189846", LETTER_SENDER_CONTACTS=CONTACTS) is None


def test_letters_without_an_address_are_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    line = _check(monkeypatch, DIGITAL_POST_SENDER_ID="29189846")
    assert line is not None and "LETTER_SENDER_CONTACTS is not set" in line, line
    assert "DIGITAL_POST_SENDER_ID" not in line
    wrong = _check(monkeypatch, DIGITAL_POST_SENDER_ID="29189846", LETTER_SENDER_CONTACTS='{"147": {"name": "X"}}')
    assert wrong is not None and "LETTER_SENDER_CONTACTS" in wrong, wrong


def test_make_run_allows_the_placeholder_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _check(monkeypatch, DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER="true") is None
    assert _check(monkeypatch, DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER="false") is not None
