"""`python -m activities.store.migrate` that cannot start says why in one line naming the setting, never the
password, and exits non-zero without a traceback (libpq itself would quote a malformed URL whole)."""

from __future__ import annotations

import pytest

from tests.activities.runtime.test_startup_log_hygiene import MALFORMED_URL, UNREACHABLE_URL, assert_one_clear_line, run

MIGRATE = ["-m", "activities.store.migrate"]


@pytest.mark.parametrize(
    ("settings", "setting"),
    [
        ({"DATABASE_URL": UNREACHABLE_URL}, "DATABASE_URL"),
        ({"DATABASE_URL": MALFORMED_URL}, "DATABASE_URL"),
        (
            {"DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/x", "MIGRATION_DATABASE_URL": MALFORMED_URL},
            "MIGRATION_DATABASE_URL",
        ),
    ],
    ids=["unreachable", "malformed-url", "malformed-owner-url"],
)
def test_migrate_that_cannot_start_says_so_in_one_line(settings: dict[str, str], setting: str) -> None:
    assert_one_clear_line(run(MIGRATE, **settings), setting)
