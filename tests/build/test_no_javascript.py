"""Without JavaScript, search sends readers to papers/index.html and the browser's find, in a real browser (Chromium)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import rich_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("no-js")
    rich_site.build(rich_site.rich_project(folder / "project"), folder / "site")
    return folder / "site"


@pytest.mark.parametrize("query", ["", "?q=reasoning"], ids=["no-query", "query"])
def test_without_javascript_the_search_page_explains_the_find_on_every_paper(browser: Any, site: Path, query: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((site / "search" / "index.html").as_uri() + query)
        note = page.locator(".search-noscript")
        assert note.is_visible()
        text = " ".join(note.inner_text().split())
        assert "Ctrl+F" in text and "Cmd+F" in text and "JavaScript" in text
        assert page.locator("#search-results li").count() == 0
        note.get_by_role("link", name="every paper on one page").click()
        assert page.url.endswith("/papers/index.html")
        assert page.get_by_role("heading", level=1).inner_text() == "Every paper"
        assert page.get_by_role("link", name="Steady Steps Toward Verified Proofs").is_visible()
    finally:
        context.close()
