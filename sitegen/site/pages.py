"""Site -> the list of pages to render: which template, at which path, with which context (pure).

This is the URL plan of the whole site in one place, so two pages can never
claim one path without the plan noticing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from sitegen.model import Paper
from sitegen.site.citations import citation_pages, paper_citation  # citations: cite.bib/cite.json files, the Cite block
from sitegen.site.collect import Month, Site, Year, most_discussed, paper_path
from sitegen.site.data import data_files
from sitegen.site.publishing import SitemapUrl, feed_entries, newest_lastmod, sitemap_parts, sitemap_urls
from sitegen.site.related import related_papers  # related papers: what a paper page shows of them
from sitegen.site.render import relative_url


@dataclass(frozen=True, slots=True)
class Page:
    path: str
    """Output file relative to the site root, e.g. ``papers/x/index.html``."""
    template: str
    context: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Pagination:
    """Where one page of a paginated listing sits among its siblings."""

    number: int
    paths: tuple[str, ...]
    """Site path of every page of the listing, first one first."""

    @property
    def count(self) -> int:
        return len(self.paths)

    @property
    def previous(self) -> str | None:
        return self.paths[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.paths[self.number] if self.number < self.count else None

    @property
    def shown(self) -> tuple[int | None, ...]:
        """The page numbers the pager links: the first, the last and ``PAGER_REACH`` either side of this
        one, None for each gap between them (a gap of one page shows the page instead). Listing every
        page made each page of a 500-page listing carry 500 links: a quadratic site."""
        near = range(max(1, self.number - PAGER_REACH), min(self.count, self.number + PAGER_REACH) + 1)
        numbers = sorted({1, self.count, *near})
        shown: list[int | None] = []
        for before, number in zip([0, *numbers], numbers):
            if number - before == 2:
                shown.append(before + 1)
            elif number - before > 2:
                shown.append(None)
            shown.append(number)
        return tuple(shown)

    def path(self, number: int) -> str:
        """The site path of page ``number`` (from 1)."""
        return self.paths[number - 1]


PAGER_REACH = 2
"""How many pages either side of the current one the pager links (besides the first and the last)."""


YEAR_PAGE_FACTOR = 5
"""A year's page shows up to ``page_size * 5`` cards; a year with more papers is split into pages of that many."""
TOP_OF_MONTH = 3
"""How many of the most discussed papers month and year pages show above their full list."""


@dataclass(frozen=True, slots=True)
class MonthSection:
    """The papers of one month as one page of its year shows them."""

    month: int
    name: str
    """``May 2024``."""
    path: str
    """The month's own page."""
    count: int
    """Papers in the whole month (the section may show only some: a year split into pages)."""
    papers: tuple[Paper, ...]
    continued: bool
    """The month began on the year's previous page."""


@dataclass(frozen=True, slots=True)
class TitleRow:
    """What the one-page list of every paper (papers/index.html) shows of a paper, and nothing else."""

    title: str
    path: str
    date: dt.date | None
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TitleGroup:
    label: str
    """``2025``, or ``Undated``."""
    anchor: str
    """The group's id in the page: ``y2025``, ``undated``."""
    rows: tuple[TitleRow, ...]


@dataclass(frozen=True, slots=True)
class OrgSummary:
    """What the organisations index shows of an organisation."""

    name: str
    id: str
    path: str
    count: int


def plan(site: Site, stylesheet: str = "") -> list[Page]:
    """Every page of the site, in a stable order. ``stylesheet`` is the theme's style.css, which the 404 page
    carries inline: it is served at any address, where a link to the stylesheet may lead nowhere."""
    pages = [
        *_listing(site, "", "index.html", "All papers", site.papers, feed="feed.xml"),
        *_paper_pages(site),
        Page("papers/index.html", "papers.html", {"site": site, "title": "Every paper", "groups": _title_groups(site)}),
        *_listing(site, "top/", "top.html", "Most discussed", site.discussed, left_out=len(site.papers) - len(site.discussed)),
        Page("tags/index.html", "tags.html", {"site": site, "title": "Tags"}),
        Page("orgs/index.html", "orgs.html", {"site": site, "title": "Organisations", "orgs": _org_summaries(site)}),
        Page("dates/index.html", "dates.html", {"site": site, "title": "Dates", "chart": month_chart(site.months, "dates/index.html")}),
        Page("search/index.html", "search.html", {"site": site, "title": "Search"}),
        Page("404.html", "404.html", _not_found(site, stylesheet)),
        Page("feed.xml", "feed.xml", _feed(site, site.config.title, "", site.papers)),
        Page("robots.txt", "robots.txt", {"site": site}),
    ]
    for tag in site.tags:
        pages += _listing(site, tag.path, "tag.html", f"Tag: {tag.name}", tag.papers, feed=f"{tag.path}feed.xml", tag=tag)
        pages.append(Page(f"{tag.path}feed.xml", "feed.xml", _feed(site, f"{site.config.title}: {tag.name}", tag.path, tag.papers)))
    for org in site.orgs:
        pages += _listing(site, org.path, "org.html", f"Organisation: {org.name}", org.papers, feed=f"{org.path}feed.xml", org=org)
        pages.append(Page(f"{org.path}feed.xml", "feed.xml", _feed(site, f"{site.config.title}: {org.name}", org.path, org.papers)))
    for year in site.years:
        pages += _year_pages(site, year)
        for month in year.months:
            context = {"site": site, "title": month.name, "month": month, "papers": month.papers, "top": most_discussed(month.papers)[:TOP_OF_MONTH]}
            pages.append(Page(f"{month.path}index.html", "month.html", context))
    if site.undated:
        pages += _listing(site, "dates/undated/", "undated.html", "Undated papers", site.undated)
    pages += citation_pages(site)  # citations: BibTeX and CSL-JSON files (sitegen/site/citations.py)
    pages += [Page(path, template, context) for path, template, context in data_files(site)]
    html = [(page.path, page.context) for page in pages if page.path.endswith(".html") and page.path != "404.html"]
    parts = sitemap_parts(sitemap_urls(site.config.base_url, html, site.papers))
    pages += [Page(path, "sitemap.xml", {"site": site, "urls": urls}) for path, urls in parts]
    if parts[0][0] != "sitemap.xml":
        sitemaps = tuple(SitemapUrl(site.config.base_url + path, newest_lastmod(urls)) for path, urls in parts)
        pages.append(Page("sitemap.xml", "sitemap_index.xml", {"site": site, "sitemaps": sitemaps}))
    return pages


def _listing(
    site: Site, base: str, template: str, title: str, papers: Sequence[Paper], **extra: Any
) -> Iterator[Page]:
    size = site.config.page_size
    count = max(1, -(-len(papers) // size))
    paths = tuple(base if number == 1 else f"{base}page/{number}/" for number in range(1, count + 1))
    for number, path in enumerate(paths, start=1):
        pagination = Pagination(number, paths)
        heading = title if number == 1 else f"{title} (page {number} of {count})"
        context = {"site": site, "title": heading, "papers": papers[(number - 1) * size : number * size], "pagination": pagination, **extra}
        yield Page(f"{path}index.html", template, context)


def _year_pages(site: Site, year: Year) -> Iterator[Page]:
    """A year's cards under its months' headings, with its month chart and most discussed papers on
    the first page; split into pages of ``page_size * YEAR_PAGE_FACTOR`` cards like a tag's listing."""
    papers = year.papers
    size = site.config.page_size * YEAR_PAGE_FACTOR
    count = max(1, -(-len(papers) // size))
    paths = tuple(year.path if number == 1 else f"{year.path}page/{number}/" for number in range(1, count + 1))
    months = {month.month: month for month in year.months}
    for number, path in enumerate(paths, start=1):
        sections = []
        for key, group in groupby(papers[(number - 1) * size : number * size], key=lambda paper: paper.date.month if paper.date else 0):
            month, shown = months[key], tuple(group)
            sections.append(MonthSection(key, month.name, month.path, len(month.papers), shown, shown[0] is not month.papers[0]))
        first = number == 1
        context = {
            "site": site,
            "title": str(year.year) if first else f"{year.year} (page {number} of {count})",
            "year": year,
            "sections": tuple(sections),
            "pagination": Pagination(number, paths),
            "chart": month_chart(year.months, f"{path}index.html", whole_years=True) if first else Markup(""),
            "top": most_discussed(papers)[:TOP_OF_MONTH] if first else (),
        }
        yield Page(f"{path}index.html", "year.html", context)


def _title_groups(site: Site) -> tuple[TitleGroup, ...]:
    """Every paper's title, date and tags, by year (newest first), undated last."""
    groups = [TitleGroup(str(year.year), f"y{year.year}", _rows(year.papers)) for year in site.years]
    if site.undated:
        groups.append(TitleGroup("Undated", "undated", _rows(site.undated)))
    return tuple(groups)


def _rows(papers: Sequence[Paper]) -> tuple[TitleRow, ...]:
    return tuple(TitleRow(paper.title, paper_path(paper), paper.date, paper.tags) for paper in papers)


def _org_summaries(site: Site) -> tuple[OrgSummary, ...]:
    return tuple(OrgSummary(org.name, org.id, org.path, len(org.papers)) for org in site.orgs)


def _paper_pages(site: Site) -> Iterator[Page]:
    papers = site.papers
    for index, paper in enumerate(papers):
        newer = papers[index - 1] if index > 0 else None
        older = papers[index + 1] if index + 1 < len(papers) else None
        context = {"site": site, "title": paper.title, "paper": paper, "newer": newer, "older": older}
        context["cite"] = paper_citation(site, paper)  # citations: the Cite block (sitegen/theme/templates/_cite.html)
        context["related"] = related_papers(site, paper)  # related papers: (paper, shared tags) (sitegen/site/related.py)
        yield Page(f"{paper_path(paper)}index.html", "paper.html", context)


def _not_found(site: Site, stylesheet: str) -> dict[str, Any]:
    base_path = urlsplit(site.config.base_url).path
    return {"site": site, "title": "Page not found", "base_path": base_path, "stylesheet": inline_stylesheet(stylesheet)}


def _feed(site: Site, title: str, base: str, papers: Sequence[Paper]) -> dict[str, Any]:
    """Atom needs dates, so a feed lists the newest papers that have a day (publishing.py: the date, else the
    listing day); its own date is the newest one's."""
    entries = feed_entries(papers, site.config.feed_size, lambda paper: _absolute(site, paper_path(paper)))
    updated = entries[0].day if entries else dt.date(1970, 1, 1)
    return {
        "site": site,
        "title": title,
        "feed_url": _absolute(site, f"{base}feed.xml"),
        "home_url": _absolute(site, base),
        "updated": updated,
        "entries": entries,
    }


def inline_stylesheet(css: str) -> Markup:
    """A stylesheet as the text of a ``<style>`` element: only ``</`` could end the element early, and
    ``<\\/`` is the same text to CSS (an escaped ``/``)."""
    return Markup(css.replace("</", "<\\/"))


def _absolute(site: Site, path: str) -> str:
    return site.config.base_url + path


def month_chart(months: Sequence[Month], page: str, whole_years: bool = False) -> Markup:
    """Papers per month as an inline SVG bar chart: drawn at build time, no script needed.

    Every month from the first to the last is a slot, so gaps show as gaps; with
    ``whole_years``, from the January of the first year to the December of the last
    (a year page's chart has twelve slots, whatever months have papers).
    """
    if not months:
        return Markup("")
    counts = {(month.year, month.month): month for month in months}
    first = min(counts)
    last = max(counts)
    if whole_years:
        first, last = (first[0], 1), (last[0], 12)
    slots: list[tuple[int, int]] = []
    year, month = first
    while (year, month) <= last:
        slots.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    tallest = max(len(m.papers) for m in months)
    width, height, gap, top = 12, 100, 2, 14
    parts = [
        (
            f'<svg class="chart" viewBox="0 0 {len(slots) * width} {height + top + 14}" role="group" '
            f'aria-labelledby="chart-title" preserveAspectRatio="xMinYMin meet">'
        ),
        '<title id="chart-title">Papers per month</title>',
    ]
    for index, slot in enumerate(slots):
        x = index * width
        found = counts.get(slot)
        label = f"{dt.date(slot[0], slot[1], 1):%B %Y}"
        if slot[1] == 1 or index == 0:
            parts.append(f'<text x="{x}" y="{height + top + 12}" class="chart-year">{slot[0]}</text>')
        if found is None:
            continue
        size = len(found.papers)
        bar = max(2, round(height * size / tallest))
        noun = "paper" if size == 1 else "papers"
        parts.append(
            f'<a href="{escape(relative_url(found.path, page))}" aria-label="{escape(label)}: {size} {noun}"><rect x="{x + gap / 2}" y="{top + height - bar}" width="{width - gap}" '
            f'height="{bar}"><title>{escape(label)}: {size} {noun}</title></rect></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
