"""`sitegen serve` in a real browser: an open page reloads by itself when its source changes.

Drives Debian's Chromium through Playwright. Without a Chromium the test is
skipped on a workstation and fails under CI (where the environment variable CI
is set), so a broken CI image cannot pass silently.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sitegen.config import load_config
from sitegen.preview import start_preview
from sitegen.serve import Preview

REPO = Path(__file__).resolve().parent.parent
PAPER = "ai-alignment-at-your-discretion"
OLD_TITLE = "AI Alignment at Your Discretion"
NEW_TITLE = "Discretion Revisited in a Real Browser"


def make_project(folder: Path) -> Path:
    for name in ("content", "theme", "seeds"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copy2(REPO / "pyproject.toml", folder / "pyproject.toml")
    return folder


@pytest.fixture
def preview(tmp_path: Path) -> Iterator[Preview]:
    project = make_project(tmp_path)
    running = start_preview(load_config(project), project / "site", port=0)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_open_page_reloads_with_the_new_title(preview: Preview, browser: Any) -> None:
    page_file = preview.config.papers_dir / f"{PAPER}.md"
    page = browser.new_page()
    try:
        page.goto(f"{preview.url}papers/{PAPER}/", wait_until="load")
        heading = page.locator("h1")
        assert heading.inner_text() == OLD_TITLE

        text = page_file.read_text(encoding="utf-8")
        page_file.write_text(re.sub(r"(?m)^title: .*$", f"title: {NEW_TITLE}", text, count=1), encoding="utf-8")

        # No navigation from the test: only the page's own reload script can bring the new title.
        page.get_by_role("heading", level=1, name=NEW_TITLE).wait_for(timeout=15_000)
        assert page.title().startswith(NEW_TITLE)
        assert page.url == f"{preview.url}papers/{PAPER}/"
    finally:
        page.close()
