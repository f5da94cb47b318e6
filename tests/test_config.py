"""sitegen.config: defaults, [tool.sitegen], --set overrides, every problem reported at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sitegen.cli import main
from sitegen.config import Config, load_config, parse_override
from sitegen.errors import ConfigError


def write_pyproject(root: Path, body: str) -> Path:
    path = root / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def config_error(root: Path, overrides: dict[str, Any] | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(root, overrides)
    return str(caught.value)


def test_defaults_without_pyproject(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config(root=tmp_path)
    assert (config.page_size, config.feed_size) == (20, 50)
    assert config.search_shard_kib == 256
    assert (config.content_dir, config.seeds_dir, config.output_dir) == (
        "content",
        "seeds",
        "site",
    )
    assert config.tags_file == "content/tags.yaml"
    assert config.listing_dates == ()
    assert config.papers_dir == tmp_path / "content" / "papers"
    assert config.path("seeds_dir") == tmp_path / "seeds"


def test_pyproject_without_a_sitegen_table_gives_defaults(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path, '[project]\nname = "x"\n\n[tool.other]\ntitle = "not ours"\n'
    )
    assert load_config(tmp_path) == Config(root=tmp_path)


def test_tool_sitegen_is_read(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        '[tool.sitegen]\ntitle = "My Archive"\npage_size = 7\nbase_url = "https://example.org/papers"\nseeds_dir = "digests"\n',
    )
    config = load_config(tmp_path)
    assert (config.title, config.page_size, config.seeds_dir) == (
        "My Archive",
        7,
        "digests",
    )
    assert config.base_url == "https://example.org/papers/"
    assert config.description == Config().description


def test_overrides_beat_pyproject(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.sitegen]\ntitle = "From file"\npage_size = 7\n')
    config = load_config(tmp_path, {"page_size": 3})
    assert (config.title, config.page_size) == ("From file", 3)


def test_every_problem_is_reported_at_once_naming_each_key(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        '[tool.sitegen]\ntitel = "typo"\npage_size = "20"\nfeed_size = true\nlanguage = 3\nbase_url = "example.org"\n',
    )
    message = config_error(tmp_path)
    lines = message.splitlines()
    assert len(lines) == 5
    for key in ("titel", "page_size", "feed_size", "language", "base_url"):
        assert sum(f"'{key}'" in line for line in lines) == 1, key
    assert all("pyproject.toml" in line for line in lines)
    assert "title" in next(
        line for line in lines if "'titel'" in line
    )  # the known keys are listed


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("page_size", 0),
        ("page_size", -1),
        ("page_size", 2.5),
        ("page_size", True),
        ("search_shard_kib", 0),
        ("search_shard_kib", "4"),
        ("title", 5),
        ("title", ["a"]),
        ("base_url", "ftp://x.org/"),
        ("base_url", "/relative/"),
        ("listing_dates", "2025-12-11"),
        ("search_lunr_json", 1),
        ("search_lunr_json", "false"),
    ],
)
def test_wrong_types_name_the_key(tmp_path: Path, key: str, value: Any) -> None:
    assert f"'{key}'" in config_error(tmp_path, {key: value})


def test_bool_options_take_toml_booleans_only(tmp_path: Path) -> None:
    assert load_config(tmp_path).search_lunr_json is True
    write_pyproject(tmp_path, "[tool.sitegen]\nsearch_lunr_json = false\n")
    assert load_config(tmp_path).search_lunr_json is False
    assert load_config(tmp_path, dict([parse_override("search_lunr_json=true")])).search_lunr_json is True
    for value in (0, 1, "false", "no", None):
        message = config_error(tmp_path, {"search_lunr_json": value})
        assert "'search_lunr_json' must be true or false" in message, message
        assert f"not {type(value).__name__} {value!r}" in message


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.sitegen\ntitle = \n")
    assert "pyproject.toml" in config_error(tmp_path)


# --- listing_dates ------------------------------------------------------------------------------------


def test_listing_dates_table(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        '[tool.sitegen.listing_dates]\n"digest.txt" = 2025-12-11\n"other.txt" = "2024-02-29"\n',
    )
    config = load_config(tmp_path)
    assert config.listing_date_for("digest.txt") == dt.date(2025, 12, 11)
    assert config.listing_date_for("other.txt") == dt.date(2024, 2, 29)
    assert config.listing_date_for("unknown.txt") is None


def test_bad_listing_dates_name_each_entry(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        '[tool.sitegen.listing_dates]\n"a.txt" = "soon"\n"b.txt" = 2025-12-11T10:00:00\n"c.txt" = "2025-02-30"\n"ok.txt" = 2025-01-01\n',
    )
    lines = config_error(tmp_path).splitlines()
    assert len(lines) == 3
    for name in ("a.txt", "b.txt", "c.txt"):
        assert any(f"listing_dates.{name}" in line for line in lines), name


# --- --set ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assignment", "key", "value"),
    [
        ("page_size=50", "page_size", 50),
        ("search_shard_kib=4", "search_shard_kib", 4),
        ("title=My Site", "title", "My Site"),
        ('title="Quoted = Site"', "title", "Quoted = Site"),
        ("base_url=https://example.org/x/", "base_url", "https://example.org/x/"),
        ("draft=true", "draft", True),
        (
            'listing_dates={"d.txt" = 2025-12-11}',
            "listing_dates",
            {"d.txt": dt.date(2025, 12, 11)},
        ),
        ("title=", "title", ""),
    ],
)
def test_parse_override(assignment: str, key: str, value: Any) -> None:
    assert parse_override(assignment) == (key, value)


@pytest.mark.parametrize("assignment", ["page_size", "=5", "  =5", ""])
def test_parse_override_rejects(assignment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_override(assignment)
    assert "KEY=VALUE" in str(caught.value)


def test_set_values_are_validated_like_the_file(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        dict(
            parse_override(a)
            for a in ["page_size=5", 'listing_dates={"d.txt" = 2025-12-11}']
        ),
    )
    assert config.page_size == 5
    assert config.listing_date_for("d.txt") == dt.date(2025, 12, 11)
    assert "'page_size'" in config_error(
        tmp_path, dict([parse_override("page_size=many")])
    )


def test_cli_reports_bad_set_on_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "d-2025-12-11.txt").write_text(
        "Daily Papers\n", encoding="utf-8"
    )
    code = main(
        [
            "convert",
            "--root",
            str(tmp_path),
            "--set",
            "pagesize=3",
            "--set",
            "page_size=x",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "pagesize" in err and "'page_size'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "content").exists()


def test_cli_rejects_set_without_equals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", "--root", str(tmp_path), "--set", "page_size"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "page_size" in err
