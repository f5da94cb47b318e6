"""`sitegen build` on a terminal: one progress line while it renders; nothing with -q or when stderr is a pipe."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from sitegen.build.build import build
from sitegen.config import load_config
from tests.terminal import on_a_terminal

REPO = Path(__file__).resolve().parents[2]


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    return root


def test_build_tells_its_progress_to_the_callback(tmp_path: Path) -> None:
    root = project(tmp_path)
    calls: list[tuple[str, int, int]] = []
    build(load_config(root), tmp_path / "out", progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == ["finding related papers", "rendering pages", "writing files"]
    assert all(0 <= done <= total for _, done, total in calls)


def test_a_terminal_shows_the_progress_line_and_quiet_or_a_pipe_shows_none(tmp_path: Path) -> None:
    root = project(tmp_path)
    out, shown = on_a_terminal(root, "-o", str(tmp_path / "out"), command="build")
    assert b"rendering pages:" in shown and b"\r" in shown.replace(b"\r\n", b"\n")
    assert b"built 4" in out and b"rendering" not in out
    _, quiet = on_a_terminal(root, "-q", "-o", str(tmp_path / "quiet"), command="build")
    assert b"rendering" not in quiet
    piped = subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "--root", str(root), "-o", str(tmp_path / "piped")],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    assert b"rendering" not in piped.stderr and b"\r" not in piped.stderr
