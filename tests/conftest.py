"""Shared pytest options.

``--update-golden`` rewrites tests/golden/ from the current build instead of
comparing against it: ``python -m pytest tests/test_build.py --update-golden``,
then review the change with ``git diff tests/golden``.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current build instead of comparing (review with git diff)",
    )
