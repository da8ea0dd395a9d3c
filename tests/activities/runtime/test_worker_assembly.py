"""The worker's parts as `run_worker` builds them: MAX_CACHED_WORKFLOWS reaches both workers, which run their
workflows without the SDK's sandbox (the tests keep it)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.messaging.settings import TransportSettings
from activities.platform.db import Pool
from activities.runtime.settings import DEFAULT_MAX_CACHED_WORKFLOWS, Settings
from activities.runtime.worker_assembly import service_workers
from workflows.cases.workflow import CaseWorkflow


def _settings(data_dir: Path) -> Settings:
    # A task queue per test: the SDK refuses a second worker of the same client on the same queue.
    return Settings(data_dir=data_dir, temporal_task_queue=f"assembly-{uuid.uuid4().hex[:8]}")


async def test_max_cached_workflows_from_the_environment_reaches_both_workers(
    time_skipping_env: WorkflowEnvironment, pool: Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAX_CACHED_WORKFLOWS", "7")
    workers = service_workers(time_skipping_env.client, pool, _settings(tmp_path), TransportSettings())
    assert [worker.config()["max_cached_workflows"] for worker in workers] == [7, 7]


async def test_without_the_setting_the_workers_cache_the_default(
    time_skipping_env: WorkflowEnvironment, pool: Pool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MAX_CACHED_WORKFLOWS", raising=False)
    workers = service_workers(time_skipping_env.client, pool, _settings(tmp_path), TransportSettings())
    assert [worker.config()["max_cached_workflows"] for worker in workers] == [DEFAULT_MAX_CACHED_WORKFLOWS] * 2


async def test_the_service_runs_its_workflows_unsandboxed_and_the_tests_sandboxed(
    time_skipping_env: WorkflowEnvironment, pool: Pool, tmp_path: Path
) -> None:
    workers = service_workers(time_skipping_env.client, pool, _settings(tmp_path), TransportSettings())
    assert all(isinstance(worker.config()["workflow_runner"], UnsandboxedWorkflowRunner) for worker in workers)
    # What every test's worker and replayer runs, so the sandbox's checks still catch a workflow's clock or I/O.
    test_worker = Worker(
        time_skipping_env.client, task_queue=f"assembly-{uuid.uuid4().hex[:8]}", workflows=[CaseWorkflow]
    )
    assert isinstance(test_worker.config()["workflow_runner"], SandboxedWorkflowRunner)


def test_a_negative_cache_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_CACHED_WORKFLOWS", "-1")
    with pytest.raises(ValueError, match="max_cached_workflows"):
        Settings()
