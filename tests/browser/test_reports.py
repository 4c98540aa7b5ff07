"""A manager opens the reports, picks the hand-counted week and downloads a table as CSV.

With BATON_SCREENSHOTS=docs/screenshots it refreshes docs/screenshots/reports.png."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.browser.pages import sign_in
from tests.dashboard.world import FIRST_DAY, LAST_DAY, build_world

pytestmark = pytest.mark.browser


def test_manager_changes_the_range_and_downloads_a_csv(browser, baton_server, screenshots_dir):
    build_world()
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    sign_in(page, baton_server, "maria")
    page.goto(f"{baton_server}/reports/")
    # The default range is the last 7 days: nothing of March 2025 in it.
    page.wait_for_selector("table[data-table=summary] tr:has-text('Conversations created')")
    assert (
        page.text_content("table[data-table=summary] tr:has-text('created') td:nth-child(2)") == "0"
    )

    page.fill("input[name=since]", FIRST_DAY.isoformat())
    page.fill("input[name=until]", LAST_DAY.isoformat())
    page.click("button:has-text('Show')")
    page.wait_for_selector("#report-range:has-text('Mon 3 Mar 2025')")
    created = page.text_content("table[data-table=summary] tr:has-text('created') td:nth-child(2)")
    assert created == "4"
    median = "table[data-table=summary] tr:has-text('First response, median') td:nth-child(2)"
    assert page.text_content(median) == "3 min 0 s"
    assert page.locator("svg.heat").count() == 2
    page.screenshot(path=str(screenshots_dir / "reports.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("a[data-csv=agents]")
    download = download_info.value
    assert download.suggested_filename == f"baton-agents-{FIRST_DAY}-{LAST_DAY}.csv"
    path = Path(download.path())
    rows = {row[0]: row for row in csv.reader(path.read_text().splitlines())}
    assert rows["alice"][2:] == ["2", "3", "3", "60.0", "2", "2", "2"]
    assert "carl" not in rows
    context.close()
