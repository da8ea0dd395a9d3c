"""The image's HEALTHCHECK command (`python -m deploy.healthcheck`): 0 only for a 2xx from a loopback URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deploy.healthcheck import main


class _Probes(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/livez" else 503)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return


@pytest.fixture
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Probes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def test_healthy_is_exit_0_and_anything_else_exit_1(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main([f"{base_url}/livez"]) == 0
    assert main([f"{base_url}/readyz"]) == 1  # 503
    assert main(["http://127.0.0.1:9/livez"]) == 1  # nothing listens
    assert main(["http://example.org/livez"]) == 1  # loopback only
    monkeypatch.setenv("HEALTHCHECK_URL", f"{base_url}/livez")
    assert main([]) == 0  # the URL from the environment, as the image sets it per role
