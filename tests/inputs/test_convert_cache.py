"""The convert cache (.sitegen/convert/): a run over what the last one left reports the same and touches
nothing, and every run says and writes exactly what a run without the cache would (sitegen convert
through the command line)."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from test_convert import SEED, Run, convert, make_project, page_files, snapshot

import sitegen.inputs.convert as convert_module
from sitegen.config import load_config
from sitegen.inputs.convert import convert as convert_function
from tests.terminal import on_a_terminal

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "hf"
CACHE = Path(".sitegen") / "convert"


def _edit_title(root: Path) -> None:
    page = page_files(root)[3]
    lines = page.read_text(encoding="utf-8").split("\n")
    lines[1] = "title: My own title"
    page.write_text("\n".join(lines), encoding="utf-8")


def _delete_page(root: Path) -> None:
    page_files(root)[5].unlink()


def _hand_written_page(root: Path) -> None:
    (root / "content" / "papers" / "my-note.md").write_text("---\ntitle: A note of mine\n---\n\nText.\n", encoding="utf-8")


def _broken_page(root: Path) -> None:
    page_files(root)[7].write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")


def _touch_page(root: Path) -> None:
    os.utime(page_files(root)[2], ns=(1, 1))


def _api_dumps(root: Path) -> None:
    for name in ("daily_papers_a.json", "daily_papers_b.json"):
        shutil.copy(FIXTURES / name, root / "seeds" / name)


def _drop_an_api_dump(root: Path) -> None:
    (root / "seeds" / "daily_papers_b.json").unlink()


def _vocabulary_changed(root: Path) -> None:
    with (root / "content" / "tags.yaml").open("a", encoding="utf-8") as stream:
        stream.write("\nlanguage-models: [language model, language models, LLM, LLMs]\n")


def _state_junk(root: Path) -> None:
    path = root / "content" / ".convert-state.json"
    state = json.loads(path.read_text(encoding="utf-8"))
    state["Not A Slug"] = {"key": "x"}
    path.write_text(json.dumps(state), encoding="utf-8")


def _state_deleted(root: Path) -> None:
    (root / "content" / ".convert-state.json").unlink()


def _nothing(root: Path) -> None:
    pass


STEPS: list[Callable[[Path], None]] = [
    _nothing, _nothing, _edit_title, _nothing, _delete_page, _nothing, _hand_written_page, _broken_page, _nothing,
    _touch_page, _nothing, _api_dumps, _nothing, _vocabulary_changed, _nothing, _drop_an_api_dump, _state_junk,
    _nothing, _state_deleted, _nothing, _nothing,
]  # fmt: skip


def _run(parent: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Run:
    monkeypatch.chdir(parent)
    return convert(parent / "project", *args)


def test_every_run_says_and_writes_what_a_run_without_the_cache_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cached, fresh = tmp_path / "cached", tmp_path / "fresh"
    for parent in (cached, fresh):
        make_project(parent / "project")
    replayed: list[object] = []
    replay = convert_module._replay
    monkeypatch.setattr(convert_module, "_replay", lambda *args: replayed.append(args) or replay(*args))
    for step in STEPS:
        step(cached / "project")
        step(fresh / "project")
        shutil.rmtree(fresh / "project" / CACHE, ignore_errors=True)
        with_cache, without = _run(cached, monkeypatch), _run(fresh, monkeypatch)
        said = (with_cache.code, with_cache.out.replace(str(cached), "<>"), with_cache.err.replace(str(cached), "<>"))
        assert said == (without.code, without.out.replace(str(fresh), "<>"), without.err.replace(str(fresh), "<>")), step.__name__
        assert snapshot(cached / "project").keys() == snapshot(fresh / "project").keys(), step.__name__
        for name, (data, _) in snapshot(cached / "project").items():
            assert data == snapshot(fresh / "project")[name][0], (step.__name__, name)
    assert len(replayed) >= STEPS.count(_nothing) - 1  # the cache was used: every run after one that changed nothing


def _trust_every_stat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages are known by their stat however recently they changed (the tests wait for a clock tick instead)."""
    monkeypatch.setattr("sitegen.inputs.cache._RACY_NS", -1)
    monkeypatch.setattr("sitegen.inputs.cache._COARSE_RACY_NS", -1)


def _files(root: Path) -> dict[Path, tuple[int, int, int]]:
    return {path: (path.stat().st_mtime_ns, path.stat().st_ino, path.stat().st_size) for path in root.rglob("*") if path.is_file()}


def test_a_run_over_what_the_last_one_left_reads_no_page_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _trust_every_stat(monkeypatch)
    root = make_project(tmp_path / "project")
    first = convert(root)
    assert first.counts()["created"] == 46
    before = _files(root)

    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("read, parsed or wrote a page")

    for name in ("parse_listing", "parse_page", "render_page", "_current_page", "_apply", "write_run"):
        monkeypatch.setattr(convert_module, name, refused)
    monkeypatch.setattr("sitegen.inputs.cache.read_bytes", refused)
    second = convert(root)
    assert second.counts() == {"created": 0, "updated": 0, "unchanged": 46, "kept": 0}
    assert second.err == first.err  # the seed's two warnings, said again
    assert _files(root) == before


def test_an_edit_that_keeps_size_and_modification_time_is_still_seen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _trust_every_stat(monkeypatch)
    root = make_project(tmp_path / "project")
    convert(root)
    time.sleep(0.05)  # a clock tick after the stat the run kept
    page = page_files(root)[0]
    data, status = page.read_bytes(), page.stat()
    edited = data[:-2] + (b"!" if data[-2:-1] != b"!" else b"?") + data[-1:]  # the abstract's last character
    assert len(edited) == len(data)
    page.write_bytes(edited)
    os.utime(page, ns=(status.st_atime_ns, status.st_mtime_ns))  # what a careless copy tool may do
    run = convert(root)
    assert run.counts()["kept"] == 1
    assert "edited by hand: kept your abstract" in run.err


def test_a_page_changed_right_after_a_run_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = make_project(tmp_path / "project")
    convert(root)
    page = page_files(root)[0]
    status = page.stat()
    data = page.read_bytes()
    page.write_bytes(data[:-2] + (b"!" if data[-2:-1] != b"!" else b"?") + data[-1:])
    os.utime(page, ns=(status.st_atime_ns, status.st_mtime_ns))  # in the same clock tick or not: read again
    assert convert(root).counts()["kept"] == 1


def test_a_damaged_cache_is_a_warning_and_the_run_is_a_fresh_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = make_project(tmp_path / "project")
    convert(root)
    good = convert(root)
    for name in ("run.json", "tags.json"):
        path = root / CACHE / name
        path.write_bytes(path.read_bytes()[:-5] + b"xxxxx")
    run = convert(root)
    assert run.out == good.out
    assert "project/.sitegen/convert/run.json: warning: ignored the convert cache: it is damaged" in run.err
    assert [line for line in run.err_lines if "convert cache" not in line] == good.err_lines
    assert convert(root).err == good.err


def test_the_cache_lives_in_the_state_folder_only(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    convert(root)
    assert sorted(path.name for path in (root / CACHE).iterdir()) == ["run.json", "tags.json"]
    assert (root / ".sitegen" / "CACHEDIR.TAG").is_file()
    assert not [path for path in (root / "content").rglob("*") if "cache" in path.name]


def test_force_is_never_replayed(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    convert(root)
    _edit_title(root)
    convert(root)
    forced = convert(root, "--force")
    assert forced.counts()["updated"] == 1
    assert "--force overwrote it" in forced.out
    assert convert(root).counts() == {"created": 0, "updated": 0, "unchanged": 46, "kept": 0}


# --- progress -----------------------------------------------------------------------------------


def test_convert_tells_its_progress_to_the_callback(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    calls: list[tuple[str, int, int]] = []
    convert_function(load_config(root), progress=lambda stage, done, total: calls.append((stage, done, total)))
    stages = list(dict.fromkeys(stage for stage, _, _ in calls))
    assert stages == ["reading listings", "parsing listings", "converting papers", "writing files"]
    assert ("converting papers", 46, 46) in calls
    assert all(0 <= done <= total for _, done, total in calls)
    calls.clear()
    convert_function(load_config(root), progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert [stage for stage, _, _ in calls] == ["reading listings", "reading listings"]  # nothing else to do


def test_seed_is_one_listing() -> None:
    assert SEED.is_file()


def test_a_terminal_shows_one_progress_line_and_quiet_or_a_pipe_shows_none(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    out, shown = on_a_terminal(root)
    assert b"converting papers:" in shown and b"/46 [" in shown and b"\r" in shown.replace(b"\r\n", b"\n")
    assert b"pages: 46 created" in out and b"converting" not in out
    shutil.rmtree(root / "content" / "papers")
    (root / "content" / ".convert-state.json").unlink()
    shutil.rmtree(root / ".sitegen")
    quiet_out, quiet = on_a_terminal(root, "-q")
    assert b"converting" not in quiet and b"\r" not in quiet.replace(b"\r\n", b"\n")
    assert quiet_out == out
    piped = convert(root)  # stderr is not a terminal: the warnings only, as always
    assert "converting" not in piped.err and "\r" not in piped.err
