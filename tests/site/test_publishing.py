"""sitegen.site.publishing: the days feeds and the sitemap give, and the robots.txt note (pure)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sitegen.config import Config
from sitegen.model import Loc, Paper
from sitegen.site.collect import collect
from sitegen.site.pages import inline_stylesheet, plan
from sitegen.site.publishing import feed_entries, robots_note, undated_notices

CONFIG = Config(base_url="https://example.org/archive/", page_size=2, feed_size=3)


def paper(slug: str, date: str | None = None, listed: str | None = None, *tags: str) -> Paper:
    return Paper(
        slug=slug,
        title=slug.title(),
        body=f"Abstract of {slug}.",
        date=dt.date.fromisoformat(date) if date else None,
        listed=dt.date.fromisoformat(listed) if listed else None,
        tags=tags,
        loc=Loc(Path(f"content/papers/{slug}.md"), 2),
    )


PAPERS = [
    paper("old", "2023-01-05", "2024-06-01", "x"),
    paper("new", "2024-05-01", None, "x"),
    paper("listed", None, "2024-05-20", "x"),
    paper("same-day", None, "2024-05-01"),
    paper("nothing", None, None, "x", "z"),
    paper("nothing-else", None, None, "z"),
]


def test_a_feed_dates_an_undated_paper_by_its_listing_day_and_orders_by_that_day() -> None:
    site = collect(PAPERS, CONFIG)
    entries = feed_entries(site.papers, 10, lambda p: f"u/{p.slug}")
    # "old" has its own date, not its later listing day; "same-day" ties "new" and follows it, as in the site.
    assert [(entry.paper.slug, entry.day.isoformat(), entry.url) for entry in entries] == [
        ("listed", "2024-05-20", "u/listed"),
        ("new", "2024-05-01", "u/new"),
        ("same-day", "2024-05-01", "u/same-day"),
        ("old", "2023-01-05", "u/old"),
    ]
    assert [entry.paper.slug for entry in feed_entries(site.papers, 2, lambda p: "")] == ["listed", "new"]


def test_the_feed_page_says_its_newest_day() -> None:
    pages = {page.path: page for page in plan(collect(PAPERS, CONFIG))}
    feed = pages["feed.xml"].context
    assert [entry.paper.slug for entry in feed["entries"]] == ["listed", "new", "same-day"]
    assert feed["updated"] == dt.date(2024, 5, 20)


def test_a_paper_with_no_day_at_all_is_named_in_a_warning() -> None:
    notices = undated_notices(collect(PAPERS, CONFIG).papers)
    message = "warning: no 'date:' and no 'listed:' day, so no Atom feed can list it; add 'date: YYYY-MM-DD'"
    assert [str(notice) for notice in notices] == [f"content/papers/{slug}.md: {message}" for slug in ("nothing", "nothing-else")]


def test_sitemap_lastmod_of_papers_listings_and_summaries() -> None:
    pages = plan(collect(PAPERS, CONFIG))
    urls = {url.loc.removeprefix(CONFIG.base_url): url.lastmod for url in next(p for p in pages if p.path == "sitemap.xml").context["urls"]}
    day = dt.date.fromisoformat
    assert urls["papers/old/"] == day("2023-01-05")  # its own date, not its listing day
    assert urls["papers/listed/"] == day("2024-05-20")  # undated: its listing day
    assert urls["papers/nothing/"] is None
    # The site's order puts undated papers last: "new", "old" | "listed", "nothing" | "nothing-else", "same-day".
    assert urls[""] == day("2024-05-01")
    assert urls["page/2/"] == day("2024-05-20")
    assert urls["page/3/"] == day("2024-05-01")
    assert urls["dates/undated/page/2/"] == day("2024-05-01") and urls["dates/undated/"] == day("2024-05-20")
    assert urls["tags/z/"] is None  # a listing of papers with no day at all: no <lastmod>
    assert urls["dates/2023/"] == urls["dates/2023/01/"] == day("2023-01-05")
    for summary in ("tags/", "dates/", "papers/", "search/", "orgs/"):
        assert urls[summary] == day("2024-05-20"), summary


def test_robots_note_only_under_a_sub_path() -> None:
    assert robots_note("https://example.org/") is None
    assert robots_note("http://localhost:8000/") is None
    note = robots_note("https://example.org/papers/")
    assert note is not None and note.startswith("note: base_url has a path (/papers/): ")
    assert "https://example.org/robots.txt" in note and "https://example.org/papers/sitemap.xml" in note


def test_an_inline_stylesheet_cannot_close_its_style_element() -> None:
    css = 'a::after { content: "</style><script>x()</script>"; } /* </STYLE */'
    inlined = str(inline_stylesheet(css))
    assert "</" not in inlined
    assert inlined == css.replace("</", "<\\/")
