"""The package layout: one folder per stage, imports only downward, each folder saying its job."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sitegen"
SHARED = {"model", "errors", "config", "fsutil", "text", "__init__", "__main__"}
ALLOWED: dict[str, set[str]] = {
    "shared": set(),
    "content": set(),
    "inputs": {"content"},
    "site": {"content"},
    "search": {"content", "site"},
    "build": {"content", "site", "search"},
    "serve": {"content", "inputs", "site", "search", "build"},
}
"""Which stages each may import, besides the shared modules; the entry points (cli.py, __main__.py) may import any."""


def stage_of(module: str) -> str:
    """``sitegen.build.cache`` -> ``build``; shared modules -> ``shared``."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in SHARED:
        return "shared"
    return parts[1]


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sitegen"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("sitegen"))
    return found


MODULES = sorted(path for path in PACKAGE.rglob("*.py") if path.name not in ("cli.py", "__main__.py"))


@pytest.mark.parametrize("path", MODULES, ids=[path.relative_to(PACKAGE).as_posix() for path in MODULES])
def test_imports_run_only_downward(path: Path) -> None:
    module = ".".join(("sitegen", *path.relative_to(PACKAGE).with_suffix("").parts))
    stage = stage_of(module)
    for imported in imports_of(path):
        target = stage_of(imported)
        assert target == "shared" or target == stage or target in ALLOWED[stage], f"{module} imports {imported}"


def test_the_top_level_holds_the_stages_and_only_the_shared_modules() -> None:
    folders = {path.name for path in PACKAGE.iterdir() if path.is_dir() and path.name != "__pycache__"}
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert folders == set(ALLOWED) - {"shared"} | {"theme"}
    assert not list((PACKAGE / "theme").rglob("*.py")), "the theme is data: templates and static files"
    assert modules == SHARED | {"cli"}


@pytest.mark.parametrize("stage", sorted(set(ALLOWED) - {"shared"}))
def test_every_stage_folder_says_its_job(stage: str) -> None:
    docstring = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")))
    assert docstring and len(docstring.split()) >= 10
