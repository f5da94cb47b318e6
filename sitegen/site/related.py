"""What a paper's page shows of its related papers: each one and the tags the two share (pure).

The search stage finds them (sitegen/search/related.py) and the build puts them
in ``site.related``; this module only turns them into what the page shows, so
the page's context, and so its fingerprint, holds nothing the page does not.
"""

from __future__ import annotations

from typing import NamedTuple

from sitegen.model import Paper
from sitegen.site.collect import Site


class RelatedPaper(NamedTuple):
    """One entry of a paper's "Related papers": ``{% for other, shared in related %}`` or ``item.paper``."""

    paper: Paper
    shared: tuple[str, ...]
    """Tags both papers have, in the order the page's own paper lists them."""


def related_papers(site: Site, paper: Paper) -> tuple[RelatedPaper, ...]:
    """The papers related to ``paper``, most related first, each with the tags they share."""
    return tuple(
        RelatedPaper(other, tuple(tag for tag in paper.tags if tag in other.tags)) for other in site.related.get(paper.slug, ())
    )
