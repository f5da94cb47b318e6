"""What every listing format gives the converter, and the text helpers they share (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sitegen.model import ListingEntry, Notice

_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`]+")


@dataclass(frozen=True, slots=True)
class Listing:
    """What one listing file yields: its papers in listing order, and what looked off."""

    entries: tuple[ListingEntry, ...]
    notices: tuple[Notice, ...]


def unwrap(text: str) -> str:
    """Hard line breaks and runs of spaces as single spaces: ``"Recipes for\\n  Open-Source"``."""
    return " ".join(text.split())


def links_in(text: str) -> tuple[str, ...]:
    """The http(s) URLs written in a text, in order, each once, without trailing punctuation."""
    return tuple(dict.fromkeys(url.rstrip(".,;:!?") for url in _URL.findall(text)))
