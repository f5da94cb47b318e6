"""What feed readers and crawlers are told: the date of every feed entry and sitemap address, and the
note a build gives when robots.txt sits where crawlers never look (pure).

A paper's day is its own date, else the day of the listing that showed it (``listed``): an undated
paper still reaches feed readers, dated by when it appeared. A paper with neither has no day to give,
and none is made up: the build's clock would change the feeds on every build, and the newest paper's
date would claim a day nobody gave and move as the archive grows. Such a paper is left out of the
feeds, and every build names its page until it gets a ``date:``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sitegen.model import Loc, Notice, Paper


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One Atom entry: a paper, its page's address and the day the feed gives it."""

    paper: Paper
    url: str
    """The paper page's absolute address: the entry's id and link."""
    day: dt.date
    """Its updated and published date: ``paper_day(paper)``."""


@dataclass(frozen=True, slots=True)
class SitemapUrl:
    loc: str
    """The page's absolute address, without ``index.html``."""
    lastmod: dt.date | None
    """``page_lastmod`` of the page; None leaves ``<lastmod>`` out."""


def paper_day(paper: Paper) -> dt.date | None:
    """The paper's date, else its listing day, else None."""
    return paper.date or paper.listed


def feed_entries(papers: Sequence[Paper], size: int, url: Callable[[Paper], str]) -> tuple[FeedEntry, ...]:
    """The ``size`` newest papers that have a day, newest first. A listing day can be newer than dated
    papers, so the papers are ordered by their day; ties keep the order of ``papers`` (the site's)."""
    dated = [(day, index, paper) for index, paper in enumerate(papers) if (day := paper_day(paper)) is not None]
    dated.sort(key=lambda item: (-item[0].toordinal(), item[1]))
    return tuple(FeedEntry(paper, url(paper), day) for day, _, paper in dated[:size])


def newest_day(papers: Iterable[Paper]) -> dt.date | None:
    return max((day for paper in papers if (day := paper_day(paper)) is not None), default=None)


def page_lastmod(context: Mapping[str, Any], archive: dt.date | None) -> dt.date | None:
    """When a page last changed, as far as its content can tell (a build's clock would make every build
    differ): a paper's page its paper's day; a listing (``papers``, or a year page's ``sections``) the
    newest day of the papers it shows, since a listing changes when a paper joins it; any other page
    (the indexes of tags, organisations and dates, every paper, search) ``archive``, the newest day of
    the whole archive, which they summarise. None where there is no day: ``<lastmod>`` is optional."""
    if "paper" in context:
        return paper_day(context["paper"])
    if "papers" in context:
        return newest_day(context["papers"])
    if "sections" in context:
        return newest_day(paper for section in context["sections"] for paper in section.papers)
    return archive


def sitemap_urls(base_url: str, pages: Iterable[tuple[str, Mapping[str, Any]]], papers: Sequence[Paper]) -> tuple[SitemapUrl, ...]:
    """One address per (output path, context) of an HTML page, with its ``page_lastmod``."""
    archive = newest_day(papers)
    return tuple(SitemapUrl(base_url + path.removesuffix("index.html"), page_lastmod(context, archive)) for path, context in pages)


SITEMAP_LIMIT = 50_000
"""Addresses one sitemap file may list (the sitemap protocol's limit; 50,000 are about 8 MB here, under
its 50 MB): a larger site gets a sitemap index at ``sitemap.xml`` and its addresses in ``sitemaps/``."""


def sitemap_parts(urls: Sequence[SitemapUrl]) -> list[tuple[str, tuple[SitemapUrl, ...]]]:
    """The sitemap files (site path, addresses) a site of ``urls`` needs: one, or ``SITEMAP_LIMIT`` a file."""
    if len(urls) <= SITEMAP_LIMIT:
        return [("sitemap.xml", tuple(urls))]
    return [
        (f"sitemaps/{number}.xml", tuple(urls[start : start + SITEMAP_LIMIT]))
        for number, start in enumerate(range(0, len(urls), SITEMAP_LIMIT), start=1)
    ]


def newest_lastmod(urls: Iterable[SitemapUrl]) -> dt.date | None:
    """A sitemap file's ``<lastmod>`` in the index: the newest of its addresses'."""
    return max((url.lastmod for url in urls if url.lastmod is not None), default=None)


def undated_notices(papers: Iterable[Paper]) -> list[Notice]:
    """A warning for each paper that no feed can list: it has neither a date nor a listing day."""
    return [
        Notice(Loc(paper.loc.path), "no 'date:' and no 'listed:' day, so no Atom feed can list it; add 'date: YYYY-MM-DD'")
        for paper in papers
        if paper_day(paper) is None
    ]


def robots_note(base_url: str) -> str | None:
    """Under a sub-path, the site's robots.txt is not where crawlers look (only ``/robots.txt`` of a host
    is read), so its Sitemap line reaches no one unless the host's own robots.txt says it."""
    parts = urlsplit(base_url)
    if parts.path in ("", "/"):
        return None
    root = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
    sitemap = f"{base_url}sitemap.xml"
    return (
        f"note: base_url has a path ({parts.path}): crawlers read robots.txt only at the host's root, {root}, "
        f"not the one written here; the sitemap is at {sitemap}: list it there ('Sitemap: {sitemap}') "
        "or submit it to search engines"
    )
