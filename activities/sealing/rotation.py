"""`python -m activities.sealing.rotation`: rewrap every live citizen key with the current KEK.

After putting a new KEK first in CITIZEN_KEK_KEYS (old one still listed) and restarting, run this once; then the
old KEK can leave the list. Reads DATABASE_URL (the application role suffices: it rewraps through the database's
rewrap_citizen_key(), which records each rewrap in citizen_key_transitions, migration 0023).
"""

from __future__ import annotations

import asyncio
import logging
import sys

from activities.platform.db import open_pool
from activities.platform.settings import PlatformSettings
from activities.platform.startup_checks import StartupError, read_settings
from activities.sealing.citizen_keys import rewrap_keys
from activities.sealing.settings import CitizenKeySettings

logger = logging.getLogger("activities.sealing.rotation")


async def _rewrap() -> int:
    config = read_settings(CitizenKeySettings).require_citizen_keys()
    database_url = read_settings(PlatformSettings).require_database_url()
    pool = await open_pool(database_url, max_size=1, application_name="genoptraening-kek-rotation")
    try:
        async with pool.connection() as conn, conn.transaction():
            return await rewrap_keys(conn, config)
    finally:
        await pool.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        count = asyncio.run(_rewrap())
    except StartupError as err:
        logger.error("cannot rewrap: %s", err)
        return 2
    logger.info("rewrapped %d citizen key(s) with the current KEK", count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
