"""The dev server's command line (`deploy.temporal_dev_server.dev_server_argv`): its ports are the settings'."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.temporal_dev_server import DEFAULT_PORTS, HOST, DevServerSettings, dev_server_argv


def flag(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def argv_for(ports: DevServerSettings) -> list[str]:
    return dev_server_argv(Path("temporal"), Path("t.sqlite"), "default", ports=ports)


def test_by_default_the_frontend_is_7233_and_the_ui_8233_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "UI_PORT", "HTTP_PORT", "METRICS_PORT"):
        monkeypatch.delenv(f"TEMPORAL_DEV_{name}", raising=False)
    for argv in (argv_for(DevServerSettings()), dev_server_argv(Path("temporal"), Path("t.sqlite"), "default")):
        assert (flag(argv, "--port"), flag(argv, "--ui-port")) == ("7233", "8233")
        assert flag(argv, "--ip") == flag(argv, "--ui-ip") == HOST == "127.0.0.1"  # --ip binds every other port too
        assert "--http-port" not in argv and "--metrics-port" not in argv  # free ports the server picks
    assert DevServerSettings().address == DEFAULT_PORTS.address == "127.0.0.1:7233"


def test_every_port_setting_reaches_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = {"PORT": "17233", "UI_PORT": "18233", "HTTP_PORT": "17243", "METRICS_PORT": "17244"}
    for name, value in chosen.items():
        monkeypatch.setenv(f"TEMPORAL_DEV_{name}", value)
    ports = DevServerSettings()
    argv = argv_for(ports)
    flags = {name: flag(argv, f"--{name.lower().replace('_', '-')}") for name in chosen}
    assert flags == chosen
    assert (ports.address, ports.ui_url) == ("127.0.0.1:17233", "http://127.0.0.1:18233")


def test_a_port_outside_the_range_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_DEV_UI_PORT", "0")  # the UI must have a port the announcement can name
    with pytest.raises(ValueError, match="ui_port"):
        DevServerSettings()
