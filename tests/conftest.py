"""Shared pytest options and fixtures.

The ``browser`` fixture drives Debian's Chromium through Playwright; ``static_server``
serves a built site over real HTTP on 127.0.0.1, as a static host would.
``--update-golden`` rewrites tests/golden/ from the current build instead of
comparing against it: ``python -m pytest tests/build/test_build.py --update-golden``,
then review the change with ``git diff tests/golden``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def _state_folders() -> set[Path]:
    """Build state in the checkout: the repository's own and any under tests/ (fixtures are read-only)."""
    found = {path for path in (REPO / "tests").rglob(".sitegen") if path.is_dir()}
    builds = REPO / ".sitegen" / "builds"
    return found | (set(builds.iterdir()) if builds.is_dir() else set())


@pytest.fixture(scope="session", autouse=True)
def no_state_left_in_the_checkout() -> Iterator[None]:
    """Tests build copies of the seed and the fixtures, never the checkout itself, so they leave no state in it."""
    before = _state_folders()
    yield
    left = sorted(str(path.relative_to(REPO)) for path in _state_folders() - before)
    assert not left, f"tests left build state in the checkout: {left}"


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


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def static_server() -> Iterator[Callable[[Path], str]]:
    """``static_server(folder)`` serves ``folder`` on an ephemeral port and returns its base URL."""
    running: list[tuple[http.server.ThreadingHTTPServer, threading.Thread]] = []

    def serve(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        running.append((httpd, thread))
        return f"http://127.0.0.1:{httpd.server_address[1]}/"

    yield serve
    for httpd, thread in running:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
