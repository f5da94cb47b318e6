"""A new archive's starting files (``sitegen init``): the configuration, the tag vocabulary, seeds/ and a .gitignore.

Pure planning (`starter_files`) apart from one writer (`start_archive`), which
writes all or nothing and never replaces a file: someone who runs ``init`` in
the wrong folder loses nothing.
"""

from __future__ import annotations

from pathlib import Path

from sitegen.config import CONFIG_FILE, SITE_FILE, Config
from sitegen.errors import SitegenError

DEFAULT_VOCABULARY = Path(__file__).with_name("default_tags.yaml")
"""The tag vocabulary a new archive starts with (this repository's content/tags.yaml when it was written)."""

_DEFAULTS = Config()
SITE_CONFIG = f'''# sitegen configuration. Every key is optional: `sitegen --help` lists them all.
# (The same keys can live in [tool.sitegen] of a pyproject.toml instead; keep one of the two.)

title = "{_DEFAULTS.title}"
description = "{_DEFAULTS.description}"

# Where the site will be published: feeds, the sitemap and canonical links use it.
# For a GitHub project page: "https://USER.github.io/REPOSITORY/"
base_url = "{_DEFAULTS.base_url}"

# page_size = {_DEFAULTS.page_size}        # papers per listing page
# feed_size = {_DEFAULTS.feed_size}        # papers per Atom feed
'''

SEEDS_README = """# seeds/: the listings this archive is made from

Put here the paper listings you collect; `sitegen convert` turns every one of them
into pages in content/papers/ (and `sitegen serve` converts a new one as it arrives):

- `*.txt`: the text of a Daily Papers page, as a browser copies it (select all, copy,
  paste into a file). Name it with its date, e.g. `daily-papers-2025-12-11.txt`:
  dates written without a year take the year of the listing.
- `*.json` or `*.json.gz`: Hugging Face daily papers API responses
  (https://huggingface.co/api/daily_papers?date=2025-12-11), one day or many.

Converting a listing again, or one that repeats papers, updates their pages and never
overwrites what you edited by hand. This README is not a listing: convert skips it.
"""

GITIGNORE = """# sitegen: the built site and the build state (both rebuilt by `sitegen build`)
/site/
/.sitegen/
"""


def starter_files() -> dict[str, bytes]:
    """Each starting file, by its path in the archive."""
    return {
        SITE_FILE: SITE_CONFIG.encode(),
        "content/tags.yaml": DEFAULT_VOCABULARY.read_bytes(),
        "seeds/README.md": SEEDS_README.encode(),
        ".gitignore": GITIGNORE.encode(),
    }


def start_archive(folder: Path) -> list[Path]:
    """Write the starting files into ``folder`` (made if missing); refuse if any exists."""
    if folder.exists() and not folder.is_dir():
        raise SitegenError(f"{folder}: not a folder; sitegen init FOLDER starts an archive in a new or existing folder")
    files = starter_files()
    present = [name for name in files if (folder / name).exists() or (folder / name).is_symlink()]
    if present:
        raise SitegenError(
            f"{folder}: already has {', '.join(present)}; sitegen init never overwrites: "
            "start in an empty folder, or move those files away"
        )
    python_config = folder / CONFIG_FILE
    if python_config.is_file() and "[tool.sitegen]" in python_config.read_text(encoding="utf-8", errors="replace"):
        raise SitegenError(f"{python_config}: already configures sitegen ([tool.sitegen]); this folder is an archive already")
    written: list[Path] = []
    try:
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("xb") as stream:  # x: a file that appeared meanwhile is not replaced either
                written.append(path)
                stream.write(data)
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        raise SitegenError(f"{folder}: cannot start an archive here: {error.strerror or error}; nothing was written") from None
    return written
