"""A paper's identifiers -> the links a reader follows to the paper itself (pure).

Only links: nothing here is fetched, so the site still loads nothing from other
hosts. A paper with no identifier gets searches for its title on arXiv and on
Hugging Face instead, so no page is a dead end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from sitegen.model import Paper

_VERSION = re.compile(r"v\d+$")
_CODE_HOSTS = frozenset({"github.com", "gitlab.com", "codeberg.org", "bitbucket.org", "git.sr.ht"})


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    """What the link is, e.g. ``arXiv``, ``PDF``, ``Code``."""
    url: str
    kind: str
    """``arxiv``, ``pdf``, ``hf``, ``doi``, ``page``, ``code``, ``project`` or ``search``: a class for the theme."""
    detail: str = ""
    """What a reader may want to see beside the label: the id, the host."""


def reading_links(paper: Paper) -> tuple[Link, ...]:
    """Where to read the paper, most direct first: arXiv, PDF, Hugging Face, DOI, its own page, code and project."""
    links: list[Link] = []
    if paper.arxiv:
        links.append(Link("arXiv", f"https://arxiv.org/abs/{paper.arxiv}", "arxiv", paper.arxiv))
    if paper.pdf:
        links.append(Link("PDF", paper.pdf, "pdf", _host(paper.pdf)))
    elif paper.arxiv:
        links.append(Link("PDF", f"https://arxiv.org/pdf/{paper.arxiv}", "pdf", "arxiv.org"))
    if paper.arxiv:
        base = _VERSION.sub("", paper.arxiv)
        links.append(Link("Hugging Face", f"https://huggingface.co/papers/{base}", "hf", "paper page"))
    if paper.doi:
        links.append(Link("DOI", f"https://doi.org/{quote(paper.doi, safe='/:;()._-')}", "doi", paper.doi))
    if paper.url:
        links.append(Link("Paper", paper.url, "page", _host(paper.url)))
    seen = {link.url for link in links}
    for url in paper.links:
        if url in seen:
            continue
        seen.add(url)
        host = _host(url)
        code = host.removeprefix("www.") in _CODE_HOSTS
        links.append(Link("Code" if code else "Project", url, "code" if code else "project", host))
    return tuple(links)


def has_identifier(paper: Paper) -> bool:
    return bool(paper.arxiv or paper.doi or paper.url or paper.pdf)


def finding_links(paper: Paper) -> tuple[Link, ...]:
    """For a paper with no identifier: title searches a reader can follow (nothing is fetched by the site)."""
    if has_identifier(paper):
        return ()
    query = paper.title
    return (
        Link("arXiv search", "https://arxiv.org/search/?" + urlencode({"query": query, "searchtype": "title"}), "search", "arxiv.org"),
        Link("Hugging Face search", "https://huggingface.co/papers?" + urlencode({"q": query}), "search", "huggingface.co"),
    )


def card_links(paper: Paper) -> tuple[Link, ...]:
    """The compact links a listing card shows: arXiv and PDF (or the DOI) when known."""
    return tuple(link for link in reading_links(paper) if link.kind in ("arxiv", "pdf", "doi"))[:2]


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""
