"""The start-guarantee page in a real browser: the service serves it over HTTP, Debian's chromium (headless, driven
by Playwright through its executable_path) opens it with a report reader's token, and the screenshot must show
the chart: the kept bars' green, the missed bars' orange and the share line's blue. The README's copy in docs/ is
refreshed only with UPDATE_SCREENSHOTS=1, so a test run never changes the checkout. Where no chromium is found
the test is skipped, saying so (`make test` prints skips)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn

from activities.store.eventstore import EventStore
from api.auth.principal import Role
from api.main import create_app
from api.pages.start_guarantee_chart import KEPT_COLOUR, MISSED_COLOUR, SHARE_COLOUR
from tests.support.api_helpers import settings_for
from tests.support.auth_helpers import token
from tests.support.guarantee_scenario import correct_error, play
from tests.support.paths import ROOT

README_SCREENSHOT = ROOT / "docs" / "start-guarantee-chart.png"


def _browser() -> str | None:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return found


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest_asyncio.fixture(loop_scope="session")
async def served_report(postgres_server_url: str) -> AsyncIterator[str]:
    from tests.support.databases import temporary_pool

    async with temporary_pool(postgres_server_url, max_size=4) as pool:
        # Two municipalities, so the national reader's page shows them side by side.
        await correct_error(await play(EventStore(pool), "147", "851"))
        await play(EventStore(pool), "851", "147")
        app = create_app(pool=pool, settings=settings_for("browser-tests"))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        serving = asyncio.create_task(server.serve())
        for _ in range(200):  # uvicorn offers no event for this: poll its flag, at most 10 s
            if server.started:
                break
            await asyncio.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}/reports/start-guarantee?from=2026-01-01&to=2026-03-31"
        finally:
            server.should_exit = True
            await serving


@pytest.mark.timeout(120)
async def test_the_chart_page_shows_its_chart_in_chromium(served_report: str, tmp_path: Path) -> None:
    screenshot = tmp_path / "start-guarantee-chart.png"
    browser_path = _browser()
    if browser_path is None:
        pytest.skip("no chromium found (apt-get install chromium, or set CHROMIUM): the chart page was not opened")
    from PIL import Image
    from playwright.async_api import async_playwright

    reader = token(Role.REPORT_READER, national=True)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
        try:
            page = await browser.new_page(
                viewport={"width": 1600, "height": 1000}, extra_http_headers={"Authorization": f"Bearer {reader}"}
            )
            answer = await page.goto(served_report)  # a browser asks for text/html: the page, not JSON
            assert answer is not None and answer.status == 200
            assert answer.headers["content-type"].startswith("text/html")
            assert await page.title() == "Startgaranti for genoptræning"
            headings = await page.locator("h2").all_inner_texts()
            assert {"Kommune 147", "Kommune 851", "Alle kommuner, hele perioden"} <= set(headings)
            await page.screenshot(path=str(screenshot), full_page=True)
        finally:
            await browser.close()
    image = Image.open(screenshot).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    for name, colour in (("kept bars", KEPT_COLOUR), ("missed bars", MISSED_COLOUR), ("share line", SHARE_COLOUR)):
        assert _rgb(colour) in colours, f"the screenshot shows no {name} ({colour})"
    kept_pixels = sum(
        count for count, colour in image.getcolors(maxcolors=1 << 20) or [] if colour == _rgb(KEPT_COLOUR)
    )
    assert kept_pixels > 2000  # whole bars, not only the legend's swatch
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(screenshot, README_SCREENSHOT)
