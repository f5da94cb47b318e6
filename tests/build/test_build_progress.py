"""A long build's progress: what build() tells its callback (in one process, spread over two, with nothing
to do), and `sitegen build` on a terminal: one progress line while it renders; nothing with -q or when
stderr is a pipe."""

from __future__ import annotations

import importlib
import io
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_build import copy_seed

from sitegen.build.build import build
from sitegen.cli import _progress_line
from sitegen.config import load_config
from tests.terminal import on_a_terminal

REPO = Path(__file__).resolve().parents[2]
building = importlib.import_module("sitegen.build.rendering")
loading = importlib.import_module("sitegen.build.load")


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    return root


@pytest.mark.parametrize("parallel", [False, True])
def test_build_tells_its_stages_and_how_far_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel: bool) -> None:
    if parallel:  # pages parsed and rendered in two processes: the counts are still of all pages
        monkeypatch.setattr(building, "PARALLEL_RENDER_FROM", 1)
        monkeypatch.setattr(loading, "PARALLEL_PARSE_FROM", 1)
    root = copy_seed(tmp_path / "project")
    told: list[tuple[str, int, int]] = []
    report = build(load_config(root), tmp_path / "out", progress=lambda stage, done, total: told.append((stage, done, total)))
    stages = list(dict.fromkeys(stage for stage, _, _ in told))
    assert stages == ["reading pages", "finding related papers", "rendering pages", "writing files"]
    for stage in stages:
        counts = [(done, total) for name, done, total in told if name == stage]
        assert all(0 <= done <= total for done, total in counts), (stage, counts)
        assert [done for done, _ in counts] == sorted(done for done, _ in counts), (stage, counts)
        assert len({total for _, total in counts}) == 1
    reading = [(done, total) for name, done, total in told if name == "reading pages"]
    rendering = [(done, total) for name, done, total in told if name == "rendering pages"]
    assert reading[-1] == (46, 46)
    assert rendering[-1][0] == rendering[-1][1] > len(report.result.written) / 2


def test_a_build_with_nothing_to_do_tells_nothing(tmp_path: Path) -> None:
    root = copy_seed(tmp_path / "project")
    build(load_config(root), tmp_path / "out")
    told: list[str] = []
    build(load_config(root), tmp_path / "out", progress=lambda stage, done, total: told.append(stage))
    assert told == []


def test_the_progress_line_starts_no_thread() -> None:
    """tqdm's monitor thread would stop the build from forking (only a single-threaded process forks),
    so a build on a terminal would use one core."""
    before = threading.active_count()
    line = _progress_line(io.StringIO())
    try:
        line("rendering pages", 1, 10)
        assert threading.active_count() == before
    finally:
        line.close()


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
