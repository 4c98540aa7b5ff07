"""Screenshots of a test run go to pytest's temporary folder; docs/ only when asked."""

from __future__ import annotations

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def test_screenshots_go_to_the_runs_temporary_folder_unless_asked(
    screenshots_dir, tmp_path_factory
):
    explicit = os.environ.get("BATON_SCREENSHOTS")
    if explicit:  # make screenshots: BATON_SCREENSHOTS=docs/screenshots
        assert screenshots_dir == Path(explicit)
        return
    assert screenshots_dir.resolve().is_relative_to(tmp_path_factory.getbasetemp().resolve())
    assert not screenshots_dir.resolve().is_relative_to(CHECKOUT)
