"""`make run` lets its worker send letters as the placeholder sender CVR (they reach only the local spool): it
says so explicitly in the children's environment, and a worker reading that environment may start."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.messaging.settings import TransportSettings
from activities.platform.startup_checks import StartupError
from api.settings import ApiSettings
from deploy.local import Supervisor


def test_make_run_allows_the_placeholder_sender_for_its_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER", raising=False)
    monkeypatch.delenv("DIGITAL_POST_SENDER_ID", raising=False)
    with pytest.raises(StartupError, match="DIGITAL_POST_SENDER_ID is the placeholder"):
        TransportSettings().require_real_sender()  # as a deployment's worker sees it
    env = Supervisor(ApiSettings(data_dir=tmp_path), infra_only=True)._mailboxes()
    assert env["DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER"] == "true"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    TransportSettings().require_real_sender()  # the worker `make run` starts


def test_an_operator_s_own_choice_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER", "false")
    env = Supervisor(ApiSettings(data_dir=tmp_path), infra_only=True)._mailboxes()
    assert "DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER" not in env  # inherited from the environment as set
