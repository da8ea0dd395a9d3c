"""`make run`'s ports (`deploy.local_ports`): each a setting, on loopback by default, a taken one named by its
setting before anything starts, and the README's port table the same list as the code's."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from activities.runtime.observability_settings import ObservabilitySettings
from activities.runtime.settings import Settings
from activities.runtime.worker_health import WorkerHealthSettings
from api.settings import ApiSettings
from deploy import local
from deploy.local import Supervisor
from deploy.local_ports import LocalPort, PortPlan, PortsInUseError
from deploy.temporal_dev_server import DevServerSettings
from tests.support.paths import ROOT

# Every variable that moves or binds one of the ports: cleared, so the developer's own environment cannot
# change what these tests see.
PORT_VARIABLES = (
    "API_HOST",
    "API_PORT",
    "TEMPORAL_ADDRESS",
    "TEMPORAL_UI_ORIGIN",
    "TEMPORAL_DEV_PORT",
    "TEMPORAL_DEV_UI_PORT",
    "TEMPORAL_DEV_HTTP_PORT",
    "TEMPORAL_DEV_METRICS_PORT",
    "WORKER_HEALTH_HOST",
    "WORKER_HEALTH_PORT",
    "WORKER_METRICS_HOST",
    "WORKER_METRICS_PORT",
    "WORKER_SDK_METRICS_ADDRESS",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PORT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def listener() -> Iterator[int]:
    """A port something listens on, on loopback: taken, for the duration of the test."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield int(sock.getsockname()[1])


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return int(sock.getsockname()[1])


def by_setting(plan: PortPlan) -> dict[str, LocalPort]:
    return {port.setting: port for port in plan.ports()}


def test_by_default_every_port_is_on_loopback_with_its_documented_number() -> None:
    ports = by_setting(PortPlan.read(Settings(), services=True))
    assert {name: (port.host, port.port) for name, port in ports.items()} == {
        "API_PORT": ("127.0.0.1", 8000),
        "WORKER_HEALTH_PORT": ("127.0.0.1", 8081),  # the image's 0.0.0.0 is for a pod, not for make run
        "WORKER_METRICS_PORT": ("127.0.0.1", 9464),
        "WORKER_SDK_METRICS_ADDRESS": ("127.0.0.1", 9465),
        "TEMPORAL_DEV_PORT": ("127.0.0.1", 7233),
        "TEMPORAL_DEV_UI_PORT": ("127.0.0.1", 8233),
        "TEMPORAL_DEV_HTTP_PORT": ("127.0.0.1", 0),  # a free port the dev server picks
        "TEMPORAL_DEV_METRICS_PORT": ("127.0.0.1", 0),
    }


def test_every_port_setting_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    chosen = {
        "API_PORT": 18000,
        "WORKER_HEALTH_PORT": 18081,
        "WORKER_METRICS_PORT": 19464,
        "TEMPORAL_DEV_PORT": 17233,
        "TEMPORAL_DEV_UI_PORT": 18233,
        "TEMPORAL_DEV_HTTP_PORT": 17243,
        "TEMPORAL_DEV_METRICS_PORT": 17244,
    }
    for name, port in chosen.items():
        monkeypatch.setenv(name, str(port))
    monkeypatch.setenv("WORKER_SDK_METRICS_ADDRESS", "127.0.0.1:19465")
    plan = PortPlan.read(Settings(), services=True)
    assert {name: port.port for name, port in by_setting(plan).items()} == chosen | {
        "WORKER_SDK_METRICS_ADDRESS": 19465
    }
    # What the children read: they bind and connect where the plan says.
    for name, value in plan.children_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TEMPORAL_ADDRESS", plan.dev.address if plan.dev else "")
    child = Settings()
    assert child.temporal_address == "127.0.0.1:17233"
    assert child.temporal_ui_origins == ["http://127.0.0.1:18233"]  # the codec answers the UI on its own port
    assert WorkerHealthSettings().host == ObservabilitySettings().worker_metrics_host == "127.0.0.1"


def test_an_address_the_environment_sets_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_HEALTH_HOST", "0.0.0.0")
    monkeypatch.setenv("TEMPORAL_UI_ORIGIN", "https://temporal.example.dk")
    plan = PortPlan.read(Settings(), services=True)
    assert plan.children_env() == {"WORKER_HEALTH_HOST": "0.0.0.0", "WORKER_METRICS_HOST": "127.0.0.1"}


def test_an_external_temporal_and_infra_only_open_fewer_ports() -> None:
    external = PortPlan.read(Settings(temporal_address="temporal.example.dk:7233"), services=True)
    assert external.dev is None and not any(name.startswith("TEMPORAL_DEV_") for name in by_setting(external))
    assert "TEMPORAL_UI_ORIGIN" not in external.children_env()
    infra = PortPlan.read(Settings(), services=False)
    assert {name.removeprefix("TEMPORAL_DEV_") for name in by_setting(infra)} == {
        "PORT", "UI_PORT", "HTTP_PORT", "METRICS_PORT"
    }  # fmt: skip


def test_ports_in_use_are_named_by_the_setting_that_moves_them(listener: int) -> None:
    dev = DevServerSettings(port=free_port(), ui_port=listener)
    plan = PortPlan(
        Settings(api_port=listener),
        dev,
        WorkerHealthSettings(host="127.0.0.1", port=0),  # off: nothing to check
        ObservabilitySettings(worker_metrics_host="127.0.0.1", worker_metrics_port=0),
    )
    with pytest.raises(PortsInUseError) as caught:
        plan.require_free()
    message = str(caught.value)
    assert f"API port 127.0.0.1:{listener} is in use (set API_PORT)" in message
    assert f"Temporal UI port 127.0.0.1:{listener} is in use (set TEMPORAL_DEV_UI_PORT)" in message
    assert "TEMPORAL_DEV_PORT)" not in message and "WORKER_" not in message
    hint = f"Is another Temporal dev server running? TEMPORAL_ADDRESS=127.0.0.1:{dev.port} would use it"
    assert message.endswith(f". {hint}") and message.count(hint) == 1


def test_free_ports_pass_the_check() -> None:
    plan = PortPlan(
        Settings(api_port=free_port()),
        DevServerSettings(port=free_port(), ui_port=free_port()),
        WorkerHealthSettings(host="127.0.0.1", port=free_port()),
        ObservabilitySettings(
            worker_metrics_host="127.0.0.1",
            worker_metrics_port=free_port(),
            worker_sdk_metrics_address=f"127.0.0.1:{free_port()}",
        ),
    )
    plan.require_free()


async def test_make_run_stops_before_starting_anything_when_a_port_is_taken(tmp_path: Path, listener: int) -> None:
    supervisor = Supervisor(ApiSettings(data_dir=tmp_path, api_port=listener), infra_only=False)
    with pytest.raises(PortsInUseError, match=r"\(set API_PORT\)"):
        await supervisor._start()
    assert supervisor.postgres is None and supervisor.group.children == []


# The README's port table: | what | port setting | default | address, under `make run` |
README = ROOT / "README.md"
SETTING = re.compile(r"`([A-Z][A-Z0-9_]*[A-Z0-9])`")


def readme_port_rows() -> list[list[str]]:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| what | port setting | default |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_readme_port_table_is_the_code_s_list_of_ports() -> None:
    code = by_setting(PortPlan.read(Settings(), services=True))
    table = {}
    for row in readme_port_rows():
        setting = SETTING.fullmatch(row[1])
        assert setting is not None, f"one setting in backticks per row: {row}"
        table[setting.group(1)] = row
    assert set(table) == set(code)  # every port the code opens is in the table, and nothing else
    assert set(code) <= settings_fields()  # and each is a variable a settings class reads
    for name, (_, _, default, address) in table.items():
        port = code[name]
        shown = re.match(r"`([^`]*)`", default)
        assert shown is not None, name
        if ":" in shown.group(1):  # host and port in one setting
            assert shown.group(1) == f"{port.host}:{port.port}", name
        else:
            assert shown.group(1) == str(port.port), name
            assert f"`{port.host}`" in address, name  # the address it binds under make run


def test_every_setting_the_readme_names_for_ports_and_recipes_exists() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Run it your way")
    recipes = text[start : text.index("\n## ", start)]
    table = "\n".join(" | ".join(row) for row in readme_port_rows())
    named = set(SETTING.findall(table)) | set(re.findall(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b", recipes))
    assert {"TEMPORAL_ADDRESS", "DATABASE_URL", "MIGRATION_DATABASE_URL", "TEMPORAL_DEV_PORT"} <= named
    assert named - settings_fields() - read_from_environ() == set()


def settings_fields() -> set[str]:
    """Every environment variable a settings class of `make run`'s processes reads."""
    names: set[str] = set()
    for model in (ApiSettings, DevServerSettings, WorkerHealthSettings, ObservabilitySettings):
        prefix = str(model.model_config.get("env_prefix", ""))
        names |= {(prefix + field).upper() for field in model.model_fields}
    return names


def read_from_environ() -> set[str]:
    """The few variables the code reads from os.environ itself, e.g. MIGRATION_DATABASE_URL."""
    code = " ".join(path.read_text(encoding="utf-8") for path in (ROOT / "activities").rglob("*.py"))
    return set(re.findall(r'os\.environ\.get\("([A-Z][A-Z0-9_]+)"\)', code))


async def test_the_worker_and_api_connect_to_the_dev_server_s_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEMPORAL_DEV_PORT", "17300")
    monkeypatch.setenv("TEMPORAL_DEV_UI_PORT", "18300")
    started: list[tuple[str, DevServerSettings]] = []
    connected: list[str] = []

    async def start_dev_server(_: Supervisor, temporal: ApiSettings, ports: DevServerSettings, env: object) -> None:
        started.append((temporal.temporal_address, ports))  # no real server: the argv has its own tests

    async def connect(settings: Settings) -> object:
        connected.append(settings.temporal_address)
        return object()

    async def register(client: object, namespace: str) -> None:
        pass

    monkeypatch.setattr(Supervisor, "_start_dev_server", start_dev_server)
    monkeypatch.setattr(local, "connect_temporal", connect)
    monkeypatch.setattr(local, "ensure_search_attributes", register)
    supervisor = Supervisor(ApiSettings(data_dir=tmp_path), infra_only=True)
    supervisor.ports = PortPlan.read(supervisor.settings, services=False)
    env: dict[str, str] = {}
    temporal = await supervisor._start_temporal(env)
    assert temporal.temporal_address == "127.0.0.1:17300"  # what `_start` hands the children as TEMPORAL_ADDRESS
    [(address, ports)] = started
    assert address == "127.0.0.1:17300" and (ports.port, ports.ui_port) == (17300, 18300)
    assert connected == ["127.0.0.1:17300"]
