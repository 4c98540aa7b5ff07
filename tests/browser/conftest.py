"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("BATON_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    return report


@pytest.fixture
def browser(monkeypatch, request):
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: run 'make browsers' (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; our ORM calls in the test
    # body are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        if getattr(request.node, "browser_failed", False):
            # Artifacts for a failed run: what every open page showed at the end.
            shots = Path(os.environ.get("BATON_SCREENSHOTS", "var/screenshots"))
            shots.mkdir(parents=True, exist_ok=True)
            for i, context in enumerate(instance.contexts):
                for j, page in enumerate(context.pages):
                    page.screenshot(path=str(shots / f"failed-{request.node.name}-{i}-{j}.png"))
        instance.close()
