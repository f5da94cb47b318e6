"""Never lose, never leak: one test per way a build was found to lose sources, publish what it should
not, load from other hosts, write ill-formed XML or end in a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from xml.etree import ElementTree

import pytest

from sitegen.build.state import build_state
from sitegen.cli import main
from sitegen.site.render import markdown_html

REPO = Path(__file__).resolve().parents[2]
THEME = REPO / "sitegen" / "theme"
DRAFT_WORDS = "Unpublished results that must stay private"


def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    (root / "pyproject.toml").write_text(
        (REPO / "pyproject.toml").read_text(encoding="utf-8") + f"theme_dir = {str(THEME)!r}\n", encoding="utf-8"
    )
    return root


def tree(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def build(root: Path, *flags: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["build", "--root", str(root), *flags])
    return code, capsys.readouterr().err


def write_page(root: Path, name: str, text: str) -> Path:
    path = root / "content" / "papers" / name
    path.write_text(text, encoding="utf-8")
    return path


# --- 1. sources are untouchable ------------------------------------------------------------------------


def test_content_moved_into_the_output_is_never_deleted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    assert build(root, capsys=capsys)[0] == 0
    shutil.move(root / "content", root / "site" / "content")
    pages = tree(root / "site" / "content")
    code, err = build(root, "--set", "content_dir=site/content", "--set", "tags_file=site/content/tags.yaml", capsys=capsys)
    assert code == 1 and "refusing to build here" in err and "content_dir" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert tree(root / "site" / "content") == pages


@pytest.mark.parametrize("output", ["content", "content/papers", ".", "..", "theme", "seeds", ".sitegen"])
def test_an_output_folder_over_a_source_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str) -> None:
    root = project(tmp_path)
    (root / "seeds").mkdir()
    shutil.copytree(THEME, root / "theme")
    before = tree(tmp_path)
    code, err = build(root, "--set", "theme_dir=theme", "-o", str(root / output), capsys=capsys)
    assert code == 1 and err.startswith("error: ") and "Traceback" not in err, err
    assert tree(tmp_path) == before


def test_a_typo_in_the_content_folder_never_empties_the_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    assert build(root, capsys=capsys)[0] == 0
    published = tree(root / "site")
    code, err = build(root, "--set", "content_dir=contnet", capsys=capsys)
    assert code == 1 and "contnet" in err and "no content folder" in err, err
    assert tree(root / "site") == published


# --- 2. caches and drafts are never published -----------------------------------------------------------


def test_no_draft_text_and_no_cache_reaches_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    write_page(root, "secret.md", f"---\ntitle: A draft\ndraft: true\ntags: []\n---\n\n{DRAFT_WORDS}.\n")
    assert build(root, capsys=capsys)[0] == 0
    assert build(root, capsys=capsys)[0] == 0  # the second build reads the caches the first one left
    for path, data in tree(root / "site").items():
        assert DRAFT_WORDS.encode() not in data, path
        assert "cache" not in path and ".sitegen" not in path.split("/")[0] or path == ".sitegen-output", path
    state = build_state(root, root / "site").folder
    assert (root / ".sitegen" / "CACHEDIR.TAG").read_bytes().startswith(b"Signature: 8a477f597d28d172789f06886806bc55")
    assert (root / ".sitegen" / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert {"pages.json", "papers.json", "search.json"} <= {path.name for path in state.iterdir()}


def test_deleting_the_state_folder_costs_one_full_build_and_nothing_else(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    code, first_err = build(root, capsys=capsys)
    assert code == 0
    published = {path: (root / "site" / path).stat().st_mtime_ns for path in tree(root / "site")}
    shutil.rmtree(root / ".sitegen")
    code, err = build(root, "-v", capsys=capsys)
    assert code == 0 and err == first_err, err  # the pages' own warnings again, and no word of missing state
    assert {path: (root / "site" / path).stat().st_mtime_ns for path in tree(root / "site")} == published


# --- 5. the site loads nothing from other hosts ---------------------------------------------------------


@pytest.mark.parametrize("source", ["https://tracker.example/pixel.png", "//tracker.example/p.png", "HTTP://x.example/a.gif"])
def test_a_remote_image_becomes_a_link_with_its_alt_text(source: str) -> None:
    html = str(markdown_html(f"See ![the *pixel*]({source} \"a title\") here."))
    assert "<img" not in html
    assert f'<a class="remote-image" href="{source}" rel="noopener" title="a title">the pixel</a>' in html


def test_a_local_image_stays_an_image() -> None:
    assert '<img src="figures/plot.png" alt="a plot" />' in str(markdown_html("![a plot](figures/plot.png)"))


# --- 8. every XML file parses ----------------------------------------------------------------------------


def test_control_characters_never_reach_the_feeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    write_page(root, "bell.md", "---\ntitle: \"Ring \\x07 the \\e[31mbell\"\ndate: 2025-12-01\ntags: [reasoning]\n---\n\nA \x07 body.\n")
    code, err = build(root, capsys=capsys)
    assert code == 0, err
    assert "bell.md:2: warning: removed control characters" in err and "bell.md:7: warning:" in err, err
    xml_files = [path for path in (root / "site").rglob("*.xml")]
    assert len(xml_files) > 10
    for path in xml_files:
        ElementTree.fromstring(path.read_bytes())  # the standard library's parser is strict about characters
    assert "Ring  the [31mbell" not in (root / "site" / "feed.xml").read_text(encoding="utf-8")
    assert "Ring the [31mbell" in (root / "site" / "feed.xml").read_text(encoding="utf-8")


# --- 9. errors a user can cause are one line, never a traceback --------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% extends 'base.html' %}{% block main %}\n{{ 1 // 0 }}{% endblock %}", "paper.html:2: integer division or modulo by zero (ZeroDivisionError)"),
        ("{% include 'paper.html' %}", "paper.html:1: templates include or call each other without end"),
    ],
    ids=["runtime-error", "includes-itself"],
)
def test_a_template_runtime_error_names_the_template_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: str, expected: str
) -> None:
    root = project(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "paper.html").write_text(template, encoding="utf-8")
    code, err = build(root, capsys=capsys)
    assert code == 1 and expected in err and "Traceback" not in err, err


def test_a_template_that_is_not_utf8_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    (root / "templates").mkdir()
    (root / "templates" / "paper.html").write_bytes(b"{% extends 'base.html' %}\xff\xfe")
    code, err = build(root, capsys=capsys)
    assert code == 1 and "paper.html" in err and "not UTF-8" in err and "Traceback" not in err, err


@pytest.mark.parametrize(
    "argv",
    [["build", "--root", "/etc/passwd"], ["serve", "--port", "99999"], ["serve", "--port", "-1"], ["convert", "--root", "/nonexistent"]],
    ids=["root-is-a-file", "port-too-big", "port-negative", "root-missing"],
)
def test_bad_command_line_values_are_one_line(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "sitegen", *argv], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode in (1, 2), done
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 3, done.stderr


# --- 10. only regular files are read ----------------------------------------------------------------------


def test_a_fifo_named_like_a_page_is_skipped_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    os.mkfifo(root / "content" / "papers" / "pipe.md")
    result: list[tuple[int, str]] = []
    worker = threading.Thread(target=lambda: result.append(build(root, capsys=capsys)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert result, "the build hung on a FIFO"
    code, err = result[0]
    assert code == 0 and "pipe.md: warning: is a FIFO, not a regular file; skipped" in err, err


def test_links_to_devices_or_out_of_the_project_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    outside = tmp_path / "elsewhere.md"
    outside.write_text("---\ntitle: Not part of this project\ntags: []\n---\n\nPrivate notes.\n", encoding="utf-8")
    (root / "content" / "papers" / "zero.md").symlink_to("/dev/zero")
    (root / "content" / "papers" / "outside.md").symlink_to(outside)
    code, err = build(root, capsys=capsys)
    assert code == 1, err
    assert "zero.md: is a link to /dev/zero, outside the project" in err, err
    assert "outside.md: is a link to" in err and "outside the project" in err, err
    assert not (root / "site").exists()


def test_a_link_inside_the_project_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    (root / "drafts").mkdir()
    (root / "drafts" / "linked.md").write_text("---\ntitle: Linked In\ntags: []\n---\n\nFrom elsewhere in the project.\n", encoding="utf-8")
    (root / "content" / "papers" / "linked-in.md").symlink_to(root / "drafts" / "linked.md")
    code, err = build(root, capsys=capsys)
    assert code == 0, err
    assert (root / "site" / "papers" / "linked-in" / "index.html").is_file()


def test_a_page_over_the_size_cap_is_an_error_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    write_page(root, "huge.md", "---\ntitle: Huge\ntags: []\n---\n\n" + "word " * 300_000)
    code, err = build(root, capsys=capsys)
    assert code == 1 and "huge.md: is 1.4 MiB; files are read up to 1.0 MiB (max_page_kib)" in err, err
    assert build(root, "--set", "max_page_kib=2048", capsys=capsys)[0] == 0


# --- 11. accepted without a word, no more ------------------------------------------------------------------


def test_a_nul_byte_is_an_error_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    write_page(root, "binary.md", "---\ntitle: Binary\ntags: []\n---\n\nA \x00 byte.\n")
    code, err = build(root, capsys=capsys)
    assert code == 1 and "binary.md:6: binary data (a NUL byte), not a text file" in err, err
