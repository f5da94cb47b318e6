"""Titles -> slugs: the one place that decides file and URL names of papers.

Slugs must be safe on every file system and in every URL whatever a title says
(``../../x``, ``<script>``, ``/``), and must not change between runs, since
people link to them and edit the files they name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_LENGTH = 80
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_NOT_ASCII_ALNUM = re.compile(r"[^a-z0-9]")


def title_key(title: str) -> str:
    """What makes two titles the same paper: case, accents, punctuation and spacing ignored."""
    if title.isascii():  # the same as below, where ASCII has nothing to decompose or fold but case
        key = " ".join(_NOT_ASCII_ALNUM.sub(" ", title.lower()).split())
        return key or " ".join(title.split())
    folded = unicodedata.normalize("NFKD", title).casefold()
    key = " ".join("".join(c if c.isalnum() else " " for c in folded if not unicodedata.combining(c)).split())
    return key or " ".join(title.split())


def slugify(title: str, fallback: str = "paper") -> str:
    """Lowercase ASCII words joined by hyphens, cut at a word boundary; ``fallback`` when nothing is left."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return _shorten(_NOT_ALNUM.sub("-", ascii_title.lower()).strip("-"), MAX_LENGTH) or fallback


def _shorten(slug: str, length: int) -> str:
    if len(slug) <= length:
        return slug
    cut = slug.rfind("-", 0, length + 1)
    return slug[: cut if cut > 0 else length].strip("-")


def disambiguated(slug: str, title: str) -> str:
    """A second paper with the same slug gets a suffix derived from its own title, not from run order."""
    digest = hashlib.sha1(title_key(title).encode("utf-8")).hexdigest()[:6]
    return f"{_shorten(slug, MAX_LENGTH - 7)}-{digest}"


def is_slug(text: str) -> bool:
    return len(text) <= MAX_LENGTH + 7 and SLUG.fullmatch(text) is not None
