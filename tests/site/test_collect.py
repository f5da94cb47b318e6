"""sitegen.site.collect (ordering, tags, year/month groups, collisions) and the URL plan built on it (sitegen.site.pages)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.config import Config
from sitegen.errors import BuildFailed
from sitegen.model import Loc, Paper
from sitegen.site.collect import Month, collect, paper_path
from sitegen.site.pages import plan

CONFIG = Config(base_url="https://example.org/archive/", page_size=2, feed_size=3)


def paper(slug: str, date: str | None = None, *tags: str, title: str | None = None, file: str | None = None) -> Paper:
    return Paper(
        slug=slug,
        title=title or slug.replace("-", " ").title(),
        body=f"Abstract of {slug}.",
        date=dt.date.fromisoformat(date) if date else None,
        tags=tags,
        loc=Loc(Path(f"content/papers/{file or slug}.md")),
    )


def slugs(papers: tuple[Paper, ...]) -> list[str]:
    return [p.slug for p in papers]


# --- ordering ---------------------------------------------------------------------------------------


def test_papers_are_newest_first_with_undated_last() -> None:
    site = collect(
        [paper("old", "2023-01-05"), paper("undated"), paper("new", "2025-02-01"), paper("middle", "2024-06-30")], CONFIG
    )
    assert slugs(site.papers) == ["new", "middle", "old", "undated"]
    assert slugs(site.undated) == ["undated"]


def test_ties_are_broken_by_title_ignoring_case_then_by_slug() -> None:
    site = collect(
        [
            paper("c", "2024-01-01", title="banana"),
            paper("b", "2024-01-01", title="Apple"),
            paper("a", "2024-01-01", title="cherry"),
            paper("z", None, title="Zeta"),
            paper("y", None, title="alpha"),
            paper("same-2", "2024-01-01", title="apple"),
        ],
        CONFIG,
    )
    # "Apple" and "apple" tie on the folded title; the slug decides.
    assert slugs(site.papers) == ["b", "same-2", "c", "a", "y", "z"]


papers_strategy = st.lists(
    st.builds(
        lambda index, date, title, tags: paper(f"p{index}", date, *tags, title=title),
        st.integers(0, 10_000),
        st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat)),
        st.sampled_from(["Alpha", "alpha", "Beta", "gamma"]),
        st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3).map(tuple),
    ),
    max_size=12,
    unique_by=lambda p: p.slug,
)


@settings(max_examples=40, deadline=None)
@given(papers_strategy, st.randoms(use_true_random=False))
def test_the_site_does_not_depend_on_file_order(papers: list[Paper], random: object) -> None:
    shuffled = list(papers)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert collect(papers, CONFIG) == collect(shuffled, CONFIG)


@settings(max_examples=40, deadline=None)
@given(papers_strategy)
def test_every_paper_appears_once_and_groups_partition_the_dated_ones(papers: list[Paper]) -> None:
    site = collect(papers, CONFIG)
    assert sorted(slugs(site.papers)) == sorted(p.slug for p in papers)
    dated = [p for p in site.papers if p.date is not None]
    assert [p for year in site.years for p in year.papers] == dated
    assert list(site.undated) == [p for p in site.papers if p.date is None]
    for tag in site.tags:
        assert list(tag.papers) == [p for p in site.papers if tag.name in p.tags]


# --- tags ---------------------------------------------------------------------------------------------


def test_tags_are_most_used_first_then_by_name() -> None:
    site = collect(
        [
            paper("one", "2024-01-03", "rare", "common", "mid"),
            paper("two", "2024-01-02", "common", "mid", "also-mid"),
            paper("three", "2024-01-01", "common"),
            paper("four", None, "also-mid", "zeta"),
        ],
        CONFIG,
    )
    assert [(tag.name, len(tag.papers)) for tag in site.tags] == [
        ("common", 3),
        ("also-mid", 2),
        ("mid", 2),
        ("rare", 1),
        ("zeta", 1),
    ]
    common = next(tag for tag in site.tags if tag.name == "common")
    assert slugs(common.papers) == ["one", "two", "three"]
    assert common.path == "tags/common/"
    also = next(tag for tag in site.tags if tag.name == "also-mid")
    assert slugs(also.papers) == ["two", "four"]  # newest first, undated last


# --- years and months -------------------------------------------------------------------------------


def test_years_and_months_group_dated_papers_newest_first() -> None:
    site = collect(
        [
            paper("jan-a", "2024-01-10"),
            paper("jan-b", "2024-01-20"),
            paper("mar", "2024-03-01"),
            paper("dec", "2023-12-31"),
            paper("jun", "2022-06-15"),
            paper("none"),
        ],
        CONFIG,
    )
    assert [year.year for year in site.years] == [2024, 2023, 2022]
    assert [[(m.year, m.month, slugs(m.papers)) for m in year.months] for year in site.years] == [
        [(2024, 3, ["mar"]), (2024, 1, ["jan-b", "jan-a"])],
        [(2023, 12, ["dec"])],
        [(2022, 6, ["jun"])],
    ]
    assert slugs(site.years[0].papers) == ["mar", "jan-b", "jan-a"]
    assert [m.path for m in site.months] == ["dates/2024/03/", "dates/2024/01/", "dates/2023/12/", "dates/2022/06/"]
    assert site.years[0].path == "dates/2024/"
    assert Month(2024, 1, ()).name == "January 2024"
    assert Month(987, 2, ()).path == "dates/0987/02/"


def test_an_archive_without_papers_is_empty_not_an_error() -> None:
    site = collect([], CONFIG)
    assert site.papers == site.tags == site.years == site.undated == ()
    paths = [page.path for page in plan(site)]
    assert "index.html" in paths and "feed.xml" in paths and "sitemap.xml" in paths


# --- collisions -------------------------------------------------------------------------------------


def test_two_papers_with_one_slug_are_an_error_naming_both_files() -> None:
    with pytest.raises(BuildFailed) as failure:
        collect([paper("same", "2024-01-01", file="first"), paper("same", "2023-01-01", file="second")], CONFIG)
    (error,) = failure.value.errors
    assert error.loc.path == Path("content/papers/second.md")
    assert "content/papers/first.md" in error.message and "'same'" in error.message


def test_every_collision_is_reported() -> None:
    with pytest.raises(BuildFailed) as failure:
        collect([paper("a", file="a1"), paper("a", file="a2"), paper("b", file="b1"), paper("b", file="b2"), paper("a", file="a3")], CONFIG)
    assert sorted(str(error.loc.path) for error in failure.value.errors) == [
        "content/papers/a2.md",
        "content/papers/a3.md",
        "content/papers/b2.md",
    ]


# --- the URL plan -------------------------------------------------------------------------------------


def sample_site() -> list[Paper]:
    return [
        paper("p1", "2024-05-01", "x", "y"),
        paper("p2", "2024-04-01", "x"),
        paper("p3", "2024-04-01", "x"),
        paper("p4", "2023-01-01", "y"),
        paper("p5", None, "x"),
        paper("p6", None),
        paper("p7", None),
    ]


def test_plan_gives_every_page_one_unique_path() -> None:
    paths = [page.path for page in plan(collect(sample_site(), CONFIG))]
    assert len(paths) == len(set(paths))
    assert {
        "index.html", "page/2/index.html", "page/3/index.html", "page/4/index.html",
        *(f"papers/p{number}/index.html" for number in range(1, 8)),
        "tags/index.html", "tags/x/index.html", "tags/x/page/2/index.html", "tags/x/feed.xml",
        "tags/y/index.html", "tags/y/feed.xml",
        "dates/index.html", "dates/2024/index.html", "dates/2024/05/index.html", "dates/2024/04/index.html",
        "dates/2023/index.html", "dates/2023/01/index.html", "dates/undated/index.html", "dates/undated/page/2/index.html",
        "404.html", "feed.xml", "sitemap.xml", "robots.txt", "search/index.html",
        "papers/index.html", "top/index.html", "orgs/index.html",  # no paper has a count or an organisation
        "api/papers.json", "api/papers.schema.json",
        *(f"papers/p{number}/{name}" for number in range(1, 8) for name in ("cite.bib", "cite.json")),
        "papers.bib", "papers.csl.json", "tags/x/papers.bib", "tags/y/papers.bib",
    } == set(paths)


def test_pagination_splits_listings_page_size_at_a_time() -> None:
    pages = {page.path: page for page in plan(collect(sample_site(), CONFIG))}
    home = [pages[path] for path in ("index.html", "page/2/index.html", "page/3/index.html", "page/4/index.html")]
    assert [slugs(tuple(page.context["papers"])) for page in home] == [["p1", "p2"], ["p3", "p4"], ["p5", "p6"], ["p7"]]
    second = home[1].context["pagination"]
    assert (second.number, second.count, second.previous, second.next) == (2, 4, "", "page/3/")
    assert home[0].context["pagination"].previous is None
    assert home[3].context["pagination"].next is None


def test_feeds_hold_the_newest_dated_papers_up_to_feed_size() -> None:
    pages = {page.path: page for page in plan(collect(sample_site(), CONFIG))}
    feed = pages["feed.xml"].context
    assert [(entry.paper.slug, entry.url) for entry in feed["entries"]] == [
        ("p1", "https://example.org/archive/papers/p1/"),
        ("p2", "https://example.org/archive/papers/p2/"),
        ("p3", "https://example.org/archive/papers/p3/"),
    ]
    assert feed["updated"] == dt.date(2024, 5, 1)
    tag_feed = pages["tags/x/feed.xml"].context
    assert [entry.paper.slug for entry in tag_feed["entries"]] == ["p1", "p2", "p3"]  # p5 has no day at all: no Atom entry
    assert tag_feed["feed_url"] == "https://example.org/archive/tags/x/feed.xml"


def test_sitemap_lists_every_html_page_but_404() -> None:
    pages = plan(collect(sample_site(), CONFIG))
    sitemap = next(page for page in pages if page.path == "sitemap.xml")
    html = [page.path for page in pages if page.path.endswith(".html") and page.path != "404.html"]
    assert [url.loc for url in sitemap.context["urls"]] == ["https://example.org/archive/" + path.removesuffix("index.html") for path in html]


def test_paper_neighbours_follow_site_order() -> None:
    pages = {page.path: page for page in plan(collect(sample_site(), CONFIG))}
    first, middle, last = (pages[f"papers/{slug}/index.html"].context for slug in ("p1", "p4", "p7"))
    assert first["newer"] is None and first["older"].slug == "p2"
    assert middle["newer"].slug == "p3" and middle["older"].slug == "p5"
    assert last["newer"].slug == "p6" and last["older"] is None
    assert paper_path(first["paper"]) == "papers/p1/"
