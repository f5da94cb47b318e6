"""Shared pytest options and fixtures.

The ``browser`` fixture drives Debian's Chromium through Playwright.
``--update-golden`` rewrites tests/golden/ from the current build instead of
comparing against it: ``python -m pytest tests/test_build.py --update-golden``,
then review the change with ``git diff tests/golden``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current build instead of comparing (review with git diff)",
    )


CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium: Playwright's own browser download is not used (it cannot be fetched everywhere)."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_executable() -> str:
    """The Chromium to drive, or a skip saying what is missing; under CI a missing browser fails the run."""
    problem = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        problem = "the Python package playwright is not installed (pip install -e '.[test]')"
    executable = os.environ.get("SITEGEN_CHROMIUM") or CHROMIUM
    if problem is None and not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        found = shutil.which("chromium") or shutil.which("chromium-browser")
        if found:
            executable = found
        else:
            problem = f"no Chromium at {executable} or on PATH (apt-get install chromium, or set SITEGEN_CHROMIUM)"
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {problem}")
        pytest.skip(problem)
    return executable


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module."""
    executable = chromium_executable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
