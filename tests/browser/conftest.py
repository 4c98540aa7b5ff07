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


@pytest.fixture(scope="session")
def screenshots_dir(tmp_path_factory) -> Path:
    """Where screenshots go: BATON_SCREENSHOTS when set (``make screenshots`` points it at
    docs/screenshots), else this run's pytest temporary folder (pytest keeps the last few)."""
    explicit = os.environ.get("BATON_SCREENSHOTS")
    if not explicit:
        return tmp_path_factory.mktemp("screenshots", numbered=False)
    path = Path(explicit)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def browser(monkeypatch, request, screenshots_dir):
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
            for i, context in enumerate(instance.contexts):
                for j, page in enumerate(context.pages):
                    name = f"failed-{request.node.name}-{i}-{j}.png"
                    page.screenshot(path=str(screenshots_dir / name))
        instance.close()
