"""Browsing like a researcher (sitegen.site.collect and sitegen.site.pages): organisations and their slugs,
most discussed, month and year pages, and the one-page list of every paper."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.build.fingerprint import PageFingerprints
from sitegen.config import Config
from sitegen.model import Loc, Organisation, Paper
from sitegen.site.collect import Site, collect, most_discussed, org_slug, url_plan
from sitegen.site.pages import YEAR_PAGE_FACTOR, MonthSection, OrgSummary, Page, TitleGroup, TitleRow, plan

CONFIG = Config(base_url="https://example.org/archive/", page_size=2, feed_size=3)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def paper(
    slug: str,
    date: str | None = None,
    *tags: str,
    org: tuple[str, str] | None = None,
    comments: int | None = None,
    upvotes: int | None = None,
    title: str | None = None,
) -> Paper:
    return Paper(
        slug=slug,
        title=title or slug.replace("-", " ").title(),
        body=f"Abstract of {slug}.",
        date=dt.date.fromisoformat(date) if date else None,
        tags=tags,
        organisation=Organisation(*org) if org else None,
        comments=comments,
        upvotes=upvotes,
        loc=Loc(Path(f"content/papers/{slug}.md")),
    )


def slugs(papers: tuple[Paper, ...] | list[Paper]) -> list[str]:
    return [p.slug for p in papers]


def pages_of(site: Site) -> dict[str, Page]:
    return {page.path: page for page in plan(site)}


# --- organisations ------------------------------------------------------------------------------------


def test_papers_group_by_organisation_most_papers_first_ties_by_name() -> None:
    site = collect(
        [
            paper("a1", "2024-05-01", org=("kaist-ai", "KAIST AI")),
            paper("z1", "2024-04-01", org=("zeta", "Zeta Lab")),
            paper("a2", "2023-01-01", org=("kaist-ai", "KAIST AI")),
            paper("b1", None, org=("HuggingFaceFW", "Hugging Face FineWeb")),
            paper("none", "2024-01-01"),
        ],
        CONFIG,
    )
    assert [(org.id, org.name, org.slug, slugs(org.papers)) for org in site.orgs] == [
        ("kaist-ai", "KAIST AI", "kaist-ai", ["a1", "a2"]),  # most papers, newest first
        ("HuggingFaceFW", "Hugging Face FineWeb", "huggingfacefw", ["b1"]),  # then by name: "Hugging..." < "Zeta..."
        ("zeta", "Zeta Lab", "zeta", ["z1"]),
    ]
    assert site.orgs[0].path == "orgs/kaist-ai/"
    assert site.org_path(Organisation("HuggingFaceFW", "anything")) == "orgs/huggingfacefw/"
    assert site.org_renames == {}


def test_an_organisation_is_named_as_its_newest_paper_names_it() -> None:
    site = collect(
        [paper("old", "2023-01-01", org=("mpi-is", "MPI IS")), paper("new", "2024-01-01", org=("mpi-is", "Max Planck Institute"))],
        CONFIG,
    )
    (org,) = site.orgs
    assert org.name == "Max Planck Institute"


@pytest.mark.parametrize(
    ("org_id", "slug"),
    [
        ("kaist-ai", "kaist-ai"),
        ("HuggingFaceFW", "huggingfacefw"),
        ("MPI-IS", "mpi-is"),
        ("Intelligent-Systems", "intelligent-systems"),
        ("deepseek_ai", "deepseek-ai"),
        ("ETH Zürich", "eth-zurich"),
        ("../../etc/passwd", "etc-passwd"),
        ('"><script>alert(4)</script>', "script-alert-4-script"),
        ("a" * 200, "a" * 80),
    ],
)
def test_org_slugs_are_lowercase_ascii_words_joined_by_hyphens(org_id: str, slug: str) -> None:
    assert org_slug(org_id) == slug


@pytest.mark.parametrize("org_id", ["清华大学", "", "---", "ميتا"])
def test_an_id_without_ascii_letters_gets_a_digest_of_itself(org_id: str) -> None:
    slug = org_slug(org_id)
    assert re.fullmatch(r"org-[0-9a-f]{6}", slug)
    assert org_slug(org_id) == slug  # the same in every build


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_org_id_gives_a_safe_url_segment(org_id: str) -> None:
    slug = org_slug(org_id)
    assert SLUG.fullmatch(slug) and len(slug) <= 80, slug


def test_ids_that_slugify_alike_are_told_apart_whatever_the_file_order() -> None:
    papers = [
        paper("p1", "2024-01-01", org=("MPI-IS", "MPI for Intelligent Systems")),
        paper("p2", "2024-01-02", org=("mpi-is", "mpi-is")),
        paper("p3", "2024-01-03", org=("mpi_is", "Another")),
        paper("q1", "2024-01-04", org=("a_b", "A B underscore")),
        paper("q2", "2024-01-05", org=("A.B", "A B dot")),
    ]
    site = collect(papers, CONFIG)
    by_id = {org.id: org.slug for org in site.orgs}
    # The id written exactly as its slug keeps it; the others get a digest of their own id.
    assert by_id["mpi-is"] == "mpi-is"
    assert re.fullmatch(r"mpi-is-[0-9a-f]{6}", by_id["MPI-IS"]) and re.fullmatch(r"mpi-is-[0-9a-f]{6}", by_id["mpi_is"])
    # Neither is its own slug: the first in code point order keeps it ("A.B" < "a_b").
    assert by_id["A.B"] == "a-b" and re.fullmatch(r"a-b-[0-9a-f]{6}", by_id["a_b"])
    assert len(set(by_id.values())) == len(by_id)
    assert site.org_renames == {org_id: slug for org_id, slug in by_id.items() if slug != org_slug(org_id)}
    for org in site.orgs:
        assert site.org_path(org.papers[0].organisation) == org.path  # type: ignore[arg-type]
    for seed in range(5):
        shuffled = list(papers)
        random.Random(seed).shuffle(shuffled)
        assert {org.id: org.slug for org in collect(shuffled, CONFIG).orgs} == by_id
    # A paper's suffix depends on its own id only: another clash elsewhere does not move it.
    more = collect([*papers, paper("r1", "2024-02-01", org=("x-y", "X")), paper("r2", "2024-02-02", org=("X_Y", "X"))], CONFIG)
    assert {org.id: org.slug for org in more.orgs if org.id in by_id} == by_id


def test_org_pages_are_paginated_like_tags_with_a_feed_each() -> None:
    site = collect(
        [paper(f"p{n}", f"2024-0{n}-01", org=("kaist-ai", "KAIST AI")) for n in range(1, 6)] + [paper("u", None, org=("kaist-ai", "KAIST AI"))],
        CONFIG,
    )
    pages = pages_of(site)
    listing = [pages[path] for path in ("orgs/kaist-ai/index.html", "orgs/kaist-ai/page/2/index.html", "orgs/kaist-ai/page/3/index.html")]
    assert [slugs(tuple(page.context["papers"])) for page in listing] == [["p5", "p4"], ["p3", "p2"], ["p1", "u"]]
    assert all(page.template == "org.html" and page.context["org"] is site.orgs[0] for page in listing)
    assert listing[0].context["feed"] == "orgs/kaist-ai/feed.xml"
    feed = pages["orgs/kaist-ai/feed.xml"].context
    assert [entry.paper.slug for entry in feed["entries"]] == ["p5", "p4", "p3"]  # feed_size, newest first
    assert feed["feed_url"] == "https://example.org/archive/orgs/kaist-ai/feed.xml"
    assert feed["home_url"] == "https://example.org/archive/orgs/kaist-ai/"
    assert pages["orgs/index.html"].context["orgs"] == (OrgSummary("KAIST AI", "kaist-ai", "orgs/kaist-ai/", 6),)


def _fingerprint(site: Site, page_paper: Paper) -> str | None:
    env = jinja2.Environment(loader=jinja2.DictLoader({"p.html": "{{ url(org_path(paper.organisation)) }}"}), autoescape=True)
    env.globals.update(url_plan(site))
    return PageFingerprints(env, site).of("p.html", "papers/x/index.html", {"paper": page_paper})


def test_a_page_is_rendered_again_when_a_clash_moves_an_organisation_and_only_then() -> None:
    """org_path is not in any context: which slug an id gets depends on the other ids, so fingerprints carry the renames."""
    mine = paper("mine", "2024-01-01", org=("MPI-IS", "MPI"))
    alone = collect([mine], CONFIG)
    with_other_org = collect([mine, paper("other", "2024-01-02", org=("kaist-ai", "KAIST AI"))], CONFIG)
    clashing = collect([mine, paper("clash", "2024-01-02", org=("mpi-is", "MPI IS"))], CONFIG)
    assert alone.org_path(mine.organisation) == "orgs/mpi-is/"  # type: ignore[arg-type]
    assert clashing.org_path(mine.organisation) != "orgs/mpi-is/"  # type: ignore[arg-type]
    assert _fingerprint(alone, mine) == _fingerprint(with_other_org, mine)  # a new organisation re-renders nothing
    assert _fingerprint(alone, mine) != _fingerprint(clashing, mine)


# --- most discussed -------------------------------------------------------------------------------------


def test_most_discussed_is_by_comments_then_upvotes_then_date_then_site_order() -> None:
    site = collect(
        [
            paper("c5", "2023-01-01", comments=5),
            paper("c5-u9", "2022-01-01", comments=5, upvotes=9),
            paper("c3-u9-new", "2024-06-01", comments=3, upvotes=9),
            paper("c3-u9-old", "2024-01-01", comments=3, upvotes=9),
            paper("c3-u9-undated", None, comments=3, upvotes=9),
            paper("c3-u9-same-b", "2024-06-01", comments=3, upvotes=9, title="B same day"),
            paper("c3-u9-same-a", "2024-06-01", comments=3, upvotes=9, title="A same day"),
            paper("u40", "2025-01-01", upvotes=40),  # no comment count: counts as 0 comments
            paper("zeros", "2025-01-01", comments=0, upvotes=0),  # known counts, even zero: ranked, last
            paper("neither", "2025-02-01"),
            paper("neither-undated"),
        ],
        CONFIG,
    )
    assert slugs(site.discussed) == [
        "c5-u9", "c5", "c3-u9-same-a", "c3-u9-same-b", "c3-u9-new", "c3-u9-old", "c3-u9-undated", "u40", "zeros",
    ]
    assert most_discussed(site.papers) == site.discussed


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 3)),
            st.one_of(st.none(), st.integers(0, 3)),
            st.one_of(st.none(), st.dates(dt.date(2023, 1, 1), dt.date(2023, 3, 1))),
        ),
        max_size=12,
    )
)
def test_most_discussed_keeps_exactly_the_papers_with_a_count_in_a_total_order(rows: list[tuple[int | None, int | None, dt.date | None]]) -> None:
    papers = [paper(f"p{index}", date.isoformat() if date else None, comments=c, upvotes=u) for index, (c, u, date) in enumerate(rows)]
    site = collect(papers, CONFIG)
    assert {p.slug for p in site.discussed} == {p.slug for p in papers if p.comments is not None or p.upvotes is not None}
    keys = [(-(p.comments or 0), -(p.upvotes or 0), p.date is None, -(p.date.toordinal() if p.date else 0), site.papers.index(p)) for p in site.discussed]
    assert keys == sorted(keys)


def test_the_top_listing_is_paginated_and_counts_what_it_leaves_out() -> None:
    site = collect([paper(f"d{n}", f"2024-01-0{n}", comments=n) for n in range(1, 6)] + [paper("quiet", "2024-02-01")], CONFIG)
    pages = pages_of(site)
    listing = [pages[path] for path in ("top/index.html", "top/page/2/index.html", "top/page/3/index.html")]
    assert [slugs(tuple(page.context["papers"])) for page in listing] == [["d5", "d4"], ["d3", "d2"], ["d1"]]
    assert {page.context["left_out"] for page in listing} == {1}
    assert listing[1].context["title"] == "Most discussed (page 2 of 3)"
    empty = pages_of(collect([paper("quiet", "2024-02-01")], CONFIG))["top/index.html"]
    assert empty.context["papers"] == () and empty.context["left_out"] == 1


# --- months and years -------------------------------------------------------------------------------------


def test_month_and_year_pages_get_their_three_most_discussed() -> None:
    site = collect(
        [
            paper("may-a", "2024-05-01", comments=1),
            paper("may-b", "2024-05-02", upvotes=7),
            paper("may-c", "2024-05-03", comments=4),
            paper("may-d", "2024-05-04", comments=2, upvotes=1),
            paper("may-quiet", "2024-05-05"),
            paper("june-quiet", "2024-06-01"),
            paper("old", "2023-02-01", comments=50),
        ],
        CONFIG,
    )
    pages = pages_of(site)
    may = pages["dates/2024/05/index.html"].context
    assert slugs(may["top"]) == ["may-c", "may-d", "may-a"]
    assert slugs(tuple(may["papers"])) == ["may-quiet", "may-d", "may-c", "may-b", "may-a"]  # then every paper, newest first
    assert pages["dates/2024/06/index.html"].context["top"] == ()  # no count: no section
    assert slugs(pages["dates/2024/index.html"].context["top"]) == ["may-c", "may-d", "may-a"]  # the year's own, not 2023's


def test_a_year_page_has_its_chart_and_cards_under_month_headings() -> None:
    site = collect([paper("mar", "2024-03-02"), paper("jan-b", "2024-01-20"), paper("jan-a", "2024-01-10")], CONFIG)
    page = pages_of(site)["dates/2024/index.html"]
    assert page.template == "year.html"
    assert page.context["sections"] == (
        MonthSection(3, "March 2024", "dates/2024/03/", 1, (site.papers[0],), False),
        MonthSection(1, "January 2024", "dates/2024/01/", 2, site.papers[1:], False),
    )
    chart = str(page.context["chart"])
    assert chart.startswith('<svg class="chart"') and chart.count("<rect") == 2
    assert 'href="03/index.html"' in chart and 'href="01/index.html"' in chart  # relative to the year page
    assert 'viewBox="0 0 144 ' in chart  # twelve slots of 12 units: January to December
    assert page.context["pagination"].count == 1


def test_a_year_of_more_than_page_size_times_five_papers_is_split_into_pages() -> None:
    size = CONFIG.page_size * YEAR_PAGE_FACTOR  # 10
    papers = [paper(f"may-{day:02d}", f"2024-05-{day:02d}") for day in range(1, 8)]
    papers += [paper(f"mar-{day:02d}", f"2024-03-{day:02d}", comments=day) for day in range(1, 15)]
    site = collect(papers, CONFIG)
    pages = pages_of(site)
    paths = ["dates/2024/index.html", "dates/2024/page/2/index.html", "dates/2024/page/3/index.html"]
    assert [path for path in pages if path.startswith("dates/2024/") and "/page/" in path] == paths[1:]
    contexts = [pages[path].context for path in paths]
    shown = [[(s.name, s.count, s.continued, len(s.papers)) for s in context["sections"]] for context in contexts]
    assert shown == [
        [("May 2024", 7, False, 7), ("March 2024", 14, False, 3)],
        [("March 2024", 14, True, size)],
        [("March 2024", 14, True, 1)],
    ]
    assert [p for context in contexts for s in context["sections"] for p in s.papers] == list(site.years[0].papers)
    assert contexts[0]["chart"] and not contexts[1]["chart"] and not contexts[2]["chart"]
    assert slugs(contexts[0]["top"]) == ["mar-14", "mar-13", "mar-12"] and contexts[1]["top"] == ()
    assert [context["title"] for context in contexts] == ["2024", "2024 (page 2 of 3)", "2024 (page 3 of 3)"]
    assert contexts[1]["pagination"].previous == "dates/2024/" and contexts[1]["pagination"].next == "dates/2024/page/3/"


# --- every paper on one page --------------------------------------------------------------------------


def test_the_list_of_every_paper_groups_rows_by_year_with_undated_last() -> None:
    site = collect(
        [paper("old", "2023-04-01", "x"), paper("new", "2024-02-01", "x", "y"), paper("newer", "2024-03-01"), paper("nodate", None, "y")],
        CONFIG,
    )
    page = pages_of(site)["papers/index.html"]
    assert page.template == "papers.html"
    assert page.context["groups"] == (
        TitleGroup("2024", "y2024", (
            TitleRow("Newer", "papers/newer/", dt.date(2024, 3, 1), ()),
            TitleRow("New", "papers/new/", dt.date(2024, 2, 1), ("x", "y")),
        )),
        TitleGroup("2023", "y2023", (TitleRow("Old", "papers/old/", dt.date(2023, 4, 1), ("x",)),)),
        TitleGroup("Undated", "undated", (TitleRow("Nodate", "papers/nodate/", None, ("y",)),)),
    )


def test_the_new_pages_are_in_the_sitemap() -> None:
    site = collect([paper("p", "2024-01-01", org=("kaist-ai", "KAIST AI"), comments=1)], CONFIG)
    pages = plan(site)
    urls = [url.loc for url in next(page for page in pages if page.path == "sitemap.xml").context["urls"]]
    for path in ("papers/", "top/", "orgs/", "orgs/kaist-ai/", "dates/2024/"):
        assert f"https://example.org/archive/{path}" in urls
    assert not [url for url in urls if url.endswith(".xml")]
