"""`python -m deploy.healthcheck [URL]`: the image's HEALTHCHECK. Exit 0 when URL answers 2xx within 4 s, else 1.

One image runs the worker (probes on WORKER_HEALTH_PORT, default 8081) and the API (port 8000), so the URL comes
from HEALTHCHECK_URL, set per role (the image's default is the worker's liveness; compose sets the API's). The
image has no curl; the standard library's client is enough for one GET on loopback.
"""

from __future__ import annotations

import logging
import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8081/livez"
TIMEOUT_SECONDS = 4.0

logger = logging.getLogger("genoptraening.healthcheck")


def probe(url: str) -> bool:
    if not url.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        logger.error("healthcheck probes loopback only, not %s", url)
        return False
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # loopback http only (checked above)
            return 200 <= int(answer.status) < 300
    except (urllib.error.URLError, OSError) as error:
        logger.error("healthcheck %s failed: %s", url, error)
        return False


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s", stream=sys.stderr)
    args = sys.argv[1:] if argv is None else argv
    url = args[0] if args else os.environ.get("HEALTHCHECK_URL", DEFAULT_URL)
    return 0 if probe(url) else 1


if __name__ == "__main__":
    sys.exit(main())
