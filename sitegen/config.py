"""Site configuration: the `[tool.sitegen]` table of pyproject.toml plus command-line overrides.

Read once, validated once, every problem reported together (as MkDocs does), then
passed around as a frozen ``Config`` so no stage reads settings from anywhere else.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sitegen.errors import ConfigError
from sitegen.text import FORBIDDEN, describe

CONFIG_FILE = "pyproject.toml"
"""Where a project inside a Python repository keeps its settings: the [tool.sitegen] table."""
SITE_FILE = "sitegen.toml"
"""Where an archive of its own keeps them (``sitegen init`` writes it): the same keys at the top level."""
CONFIG_FILES = (SITE_FILE, CONFIG_FILE)
THEME_DIR = "theme"
BUILTIN_THEME = Path(__file__).parent / "theme"
"""The theme sitegen ships: used while the project has no theme/ folder of its own."""


@dataclass(frozen=True, slots=True)
class Config:
    """Every option with its default; paths are relative to ``root``."""

    root: Path = Path(".")
    title: str = "Paper Archive"
    description: str = "Research papers, searchable."
    base_url: str = "http://localhost:8000/"
    """Absolute URL the site is published at; only feeds, sitemap and canonical links use it."""
    language: str = "en"
    page_size: int = 20
    feed_size: int = 50
    content_dir: str = "content"
    seeds_dir: str = "seeds"
    output_dir: str = "site"
    theme_dir: str = THEME_DIR
    templates_dir: str = "templates"
    """Project-level template overrides, taken before the theme's, template by template."""
    tags_file: str = "content/tags.yaml"
    search_shard_kib: int = 256
    """Budget of one search index shard, in KiB before compression: what a browser loads before its first results."""
    search_lunr_json: bool = True
    """Also write search/lunr.json, the whole index in lunr's own serialization (for other programs; the page
    loads the shards). More bytes than all the shards (24 MiB at 10,000 papers): very large archives may turn it off."""
    max_page_kib: int = 1024
    """Largest page file read, in KiB: a page linked to a huge or endless file fails with its name instead of filling the memory."""
    listing_dates: tuple[tuple[str, dt.date], ...] = ()
    """Listing date of each digest file name that carries no date of its own."""

    def path(self, option: str) -> Path:
        """An option that names a folder or file, resolved against the project root.

        The default theme_dir falls back to `BUILTIN_THEME`, so a new archive needs
        no copy of the theme; a theme/ folder of its own, or any other theme_dir, wins.
        """
        if option == "theme_dir" and self.theme_dir == THEME_DIR and not (self.root / self.theme_dir).is_dir():
            return BUILTIN_THEME
        return self.root / str(getattr(self, option))

    @property
    def papers_dir(self) -> Path:
        return self.path("content_dir") / "papers"

    def listing_date_for(self, digest_name: str) -> dt.date | None:
        return dict(self.listing_dates).get(digest_name)


OPTION_HELP: Mapping[str, str] = {
    "title": "site title",
    "description": "one-sentence description used in feeds and meta tags",
    "base_url": "absolute URL of the published site (feeds, sitemap)",
    "language": "language code of the pages (html lang)",
    "page_size": "papers per listing page",
    "feed_size": "papers per Atom feed",
    "content_dir": "folder of Markdown pages",
    "seeds_dir": "folder of listings: .txt digests, .json (or .json.gz) API dumps",
    "output_dir": "folder the site is built into",
    "theme_dir": "theme folder (templates/ and static/); without a theme/ folder, the theme sitegen ships",
    "templates_dir": "project templates that override the theme's",
    "tags_file": "tag vocabulary (YAML)",
    "search_shard_kib": "budget of one search index shard in KiB (the browser searches the newest shard first)",
    "search_lunr_json": "true or false: also write search/lunr.json, the whole index for lunr.Index.load (default true)",
    "max_page_kib": "largest page file read, in KiB (a bigger one is an error naming it)",
    "listing_dates": 'table: digest file name -> listing date, e.g. {"digest.txt" = 2025-12-11}',
}


def load_config(root: Path, overrides: Mapping[str, Any] | None = None, origins: Mapping[str, str] | None = None) -> Config:
    """Read ``root/sitegen.toml`` or the [tool.sitegen] table of ``root/pyproject.toml``, apply
    overrides, validate everything at once. Two configurations at once are an error: which one
    counts would be a guess.

    ``origins`` names where an override came from (``--page-size``); by default ``--set KEY``.
    """
    if not root.is_dir():
        raise ConfigError(f"{root}: the project folder (--root) is not a folder")
    site_file, python_file = root / SITE_FILE, root / CONFIG_FILE
    table: dict[str, Any] = {}
    where = f"{python_file} [tool.sitegen]"
    python_table = _read_toml(python_file).get("tool", {}).get("sitegen") if python_file.is_file() else None
    if site_file.is_file():
        if python_table is not None:
            raise ConfigError(
                f"{site_file}: two configurations: this file and [tool.sitegen] in {python_file}; keep one"
            )
        table, where = _read_toml(site_file), str(site_file)
    elif python_table is not None:
        table = dict(python_table)
    sources = dict.fromkeys(table, where)
    for key in overrides or {}:
        sources[key] = (origins or {}).get(key, f"--set {key}")
    table.update(overrides or {})
    return _validate(root, table, sources)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None


def parse_override(assignment: str) -> tuple[str, Any]:
    """``key=value`` from ``--set``; the value is TOML if it parses, else a plain string."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {assignment!r}: expected KEY=VALUE, e.g. --set page_size=50")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return key.strip(), value


def _validate(root: Path, table: Mapping[str, Any], sources: Mapping[str, str]) -> Config:
    defaults = Config()
    known = {f.name for f in fields(Config)} - {"root"}
    problems: list[str] = []
    values: dict[str, Any] = {"root": root}
    for key, value in table.items():
        said = len(problems)
        expected = type(getattr(defaults, key)) if key in known else None
        if expected is None:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(sorted(known))}"
            problems.append(f"unknown key {key!r} ({hint})")
        elif key == "listing_dates":
            values[key] = _listing_dates(value, problems)
        elif expected is bool:
            if isinstance(value, bool):
                values[key] = value
            else:
                problems.append(f"{key!r} must be true or false (TOML booleans, unquoted), not {type(value).__name__} {value!r}")
        elif expected is int:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{key!r} must be a positive integer, not {value!r}")
            else:
                values[key] = value
        elif not isinstance(value, str):
            problems.append(f"{key!r} must be a string, not {type(value).__name__} {value!r}")
        elif FORBIDDEN.search(value):
            problems.append(f"{key!r} holds control characters ({describe(value)}), which feeds cannot carry; remove them")
        elif key == "base_url" and not _is_absolute_url(value):
            problems.append(f"'base_url' must be an absolute http(s) URL such as https://example.org/, not {value!r}")
        else:
            values[key] = value.rstrip("/") + "/" if key == "base_url" else value
        problems[said:] = [f"{sources.get(key, 'configuration')}: {problem}" for problem in problems[said:]]
    if problems:
        raise ConfigError("\n".join(problems))
    return Config(**values)


def _listing_dates(value: Any, problems: list[str]) -> tuple[tuple[str, dt.date], ...]:
    if not isinstance(value, Mapping):
        problems.append("'listing_dates' must be a table of file name = date")
        return ()
    dates: list[tuple[str, dt.date]] = []
    for name, day in value.items():
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day)
            except ValueError:
                pass
        if isinstance(day, dt.date) and not isinstance(day, dt.datetime):
            dates.append((str(name), day))
        else:
            problems.append(f"'listing_dates.{name}' must be a date like 2025-12-11, not {day!r}")
    return tuple(sorted(dates))


def _is_absolute_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
