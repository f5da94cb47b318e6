"""What text from a listing or a page may hold: the characters XML 1.0 allows.

Feeds and sitemaps are XML, where a single BEL or ESC (``\\x07``, ``\\x1b[31m``,
pasted from a terminal) makes the whole file unreadable to every feed reader.
Such characters carry no meaning in a title or an abstract, so they are removed
where text comes in (convert and page load), with a warning naming the line,
and the page file keeps being the source of truth.
"""

from __future__ import annotations

import re

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""C0 controls other than tab, line feed and carriage return; lone surrogates; U+FFFE and U+FFFF."""


def without_controls(text: str) -> str:
    """``text`` without the characters XML forbids (fast when there are none, as nearly always)."""
    return FORBIDDEN.sub("", text) if FORBIDDEN.search(text) else text


def control_lines(text: str) -> list[int]:
    """The 1-based lines of ``text`` that hold a forbidden character, for warnings."""
    lines: list[int] = []
    for match in FORBIDDEN.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def describe(text: str) -> str:
    """The forbidden characters of ``text``, as code points a person can look up."""
    shown = dict.fromkeys(f"U+{ord(character):04X}" for character in FORBIDDEN.findall(text))
    return ", ".join(shown)
