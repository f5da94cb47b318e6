"""What a page says of itself when it is shared: the text of its Open Graph description (pure).

base.html writes the Open Graph and Twitter card tags; a paper's description is
its one-line summary when it has one, else the first sentences of its abstract
(this module), else the site's description.
"""

from __future__ import annotations

import re

SHARE_LIMIT = 200
"""Characters of a shared description: what link previews show before they cut."""

# A sentence ends at . ! or ? (closing quotes and brackets may follow) before a space and a capital,
# a digit or an opening quote or bracket: "e.g. the" and "et al. show" do not end one.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[A-Z0-9\"'“‘(\[])")


def first_sentences(text: str, limit: int = SHARE_LIMIT) -> str:
    """Whole sentences from the start of a plain text while they fit ``limit`` characters.

    A first sentence longer than ``limit`` is cut at a word boundary and
    ends in an ellipsis, as `excerpt` cuts.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    end = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > limit:
            break
        end = match.end()
    if end:
        return text[:end].rstrip()
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip(" ,;:") + "…"
