"""Site configuration: the `[tool.sitegen]` table of pyproject.toml plus command-line overrides.

Read once, validated once, every problem reported together (as MkDocs does), then
passed around as a frozen ``Config`` so no stage reads settings from anywhere else.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sitegen.errors import ConfigError
from sitegen.text import FORBIDDEN, describe

CONFIG_FILE = "pyproject.toml"


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
    theme_dir: str = "theme"
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
        """An option that names a folder or file, resolved against the project root."""
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
    "seeds_dir": "folder of digest .txt files",
    "output_dir": "folder the site is built into",
    "theme_dir": "theme folder (templates/ and static/)",
    "templates_dir": "project templates that override the theme's",
    "tags_file": "tag vocabulary (YAML)",
    "search_shard_kib": "budget of one search index shard in KiB (the browser searches the newest shard first)",
    "search_lunr_json": "true or false: also write search/lunr.json, the whole index for lunr.Index.load (default true)",
    "max_page_kib": "largest page file read, in KiB (a bigger one is an error naming it)",
    "listing_dates": 'table: digest file name -> listing date, e.g. {"digest.txt" = 2025-12-11}',
}


def load_config(root: Path, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read ``root/pyproject.toml`` (if any), apply overrides, validate everything at once."""
    if not root.is_dir():
        raise ConfigError(f"{root}: the project folder (--root) is not a folder")
    config_path = root / CONFIG_FILE
    table: dict[str, Any] = {}
    if config_path.is_file():
        try:
            document = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{config_path}: not valid TOML: {error}") from None
        except OSError as error:
            raise ConfigError(f"{config_path}: cannot read: {error.strerror or error}") from None
        table = dict(document.get("tool", {}).get("sitegen", {}))
    table.update(overrides or {})
    return _validate(root, table, config_path)


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


def _validate(root: Path, table: Mapping[str, Any], config_path: Path) -> Config:
    defaults = Config()
    known = {f.name for f in fields(Config)} - {"root"}
    problems: list[str] = []
    values: dict[str, Any] = {"root": root}
    for key, value in table.items():
        if key not in known:
            problems.append(f"unknown key {key!r} (known keys: {', '.join(sorted(known))})")
            continue
        expected = type(getattr(defaults, key))
        if key == "listing_dates":
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
    if problems:
        where = f"{config_path} [tool.sitegen]"
        raise ConfigError("\n".join(f"{where}: {problem}" for problem in problems))
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
