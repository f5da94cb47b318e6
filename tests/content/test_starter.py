"""``sitegen init``: an empty folder becomes an archive that converts and builds with tags, and nothing is ever overwritten."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from sitegen.cli import main
from sitegen.config import load_config
from sitegen.content.starter import DEFAULT_VOCABULARY, starter_files
from tests.linkcheck import check_links

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "daily-papers-2025-12-11.txt"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_empty_folder_becomes_a_site_with_tags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "my archive"
    code, out, _ = run(capsys, "init", str(archive))
    assert code == 0 and "copy a listing into seeds/" in out
    assert sorted(str(path.relative_to(archive)) for path in archive.rglob("*") if path.is_file()) == sorted(starter_files())
    shutil.copy2(SEED, archive / "seeds" / SEED.name)

    code, out, err = run(capsys, "convert", "--root", str(archive))
    assert code == 0, err
    assert "no tag vocabulary" not in err
    assert "README" not in out + err  # not taken for a listing
    pages = list((archive / "content" / "papers").glob("*.md"))
    assert len(pages) > 40 and f"{len(pages)} created" in out
    code, out, err = run(capsys, "build", "--root", str(archive))
    assert code == 0, err

    site = archive / "site"
    vocabulary = yaml.safe_load(DEFAULT_VOCABULARY.read_text(encoding="utf-8"))
    built_tags = {path.name for path in (site / "tags").iterdir() if path.is_dir()}
    assert built_tags and built_tags <= set(vocabulary)
    assert (site / "static" / "style.css").is_file()  # the theme sitegen ships: the archive has no copy
    assert not (archive / "theme").exists()
    assert check_links(site) == []
    assert load_config(archive).title == "Paper Archive"  # sitegen.toml is the configuration read


def test_the_gitignore_keeps_out_what_a_build_makes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init", str(tmp_path))[0] == 0
    ignored = (tmp_path / ".gitignore").read_text(encoding="utf-8").split()
    assert "/site/" in ignored and "/.sitegen/" in ignored
    assert not any("content" in line or "seeds" in line for line in ignored)  # the sources are tracked


@pytest.mark.parametrize("existing", ["sitegen.toml", "content/tags.yaml", "seeds/README.md", ".gitignore"])
def test_init_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str], existing: str) -> None:
    (tmp_path / existing).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / existing).write_text("mine\n", encoding="utf-8")
    code, _, err = run(capsys, "init", str(tmp_path))
    assert code == 1 and existing in err and "never overwrites" in err and "Traceback" not in err
    assert (tmp_path / existing).read_text(encoding="utf-8") == "mine\n"
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == [tmp_path / existing]  # nothing else written


def test_init_refuses_a_folder_configured_in_pyproject(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sitegen]\ntitle = "Mine"\n', encoding="utf-8")
    code, _, err = run(capsys, "init", str(tmp_path))
    assert code == 1 and "[tool.sitegen]" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pyproject.toml"]


def test_init_in_an_existing_project_folder_keeps_its_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("keep me\n", encoding="utf-8")
    assert run(capsys, "init", str(tmp_path))[0] == 0
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me\n"


def test_init_on_a_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, _, err = run(capsys, "init", str(tmp_path / "file"))
    assert code == 1 and "not a folder" in err
