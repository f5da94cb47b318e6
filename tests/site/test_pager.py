"""The pager of a paginated listing: the first and last pages and a few around this one, never every page
(a 500-page listing listing every page on each of its pages was a quadratic site)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from sitegen.config import Config
from sitegen.model import Paper
from sitegen.site.collect import collect, url_plan
from sitegen.site.pages import PAGER_REACH, Pagination, plan
from sitegen.site.render import environment, render

THEME = Path(__file__).resolve().parents[2] / "sitegen" / "theme" / "templates"


def pages(count: int, number: int) -> Pagination:
    return Pagination(number, tuple("" if n == 1 else f"page/{n}/" for n in range(1, count + 1)))


@pytest.mark.parametrize(
    ("count", "number", "shown"),
    [
        (1, 1, (1,)),
        (3, 2, (1, 2, 3)),
        (7, 4, (1, 2, 3, 4, 5, 6, 7)),
        (500, 1, (1, 2, 3, None, 500)),
        (500, 5, (1, 2, 3, 4, 5, 6, 7, None, 500)),
        (500, 6, (1, None, 4, 5, 6, 7, 8, None, 500)),
        (500, 250, (1, None, 248, 249, 250, 251, 252, None, 500)),
        (500, 500, (1, None, 498, 499, 500)),
        (9, 5, (1, 2, 3, 4, 5, 6, 7, 8, 9)),  # a gap of one page shows the page
    ],
)
def test_the_pager_shows_the_ends_and_the_pages_near_this_one(count: int, number: int, shown: tuple[int | None, ...]) -> None:
    assert pages(count, number).shown == shown


@pytest.mark.parametrize("count", [1, 2, 8, 50, 501])
def test_every_page_shown_is_a_page_and_this_one_is_among_them(count: int) -> None:
    for number in range(1, count + 1):
        shown = pages(count, number).shown
        numbers = [n for n in shown if n is not None]
        assert numbers == sorted(set(numbers)) and {1, count, number} <= set(numbers)
        assert len(shown) <= 2 * PAGER_REACH + 5
        assert all(pages(count, number).path(n) == pages(count, number).paths[n - 1] for n in numbers)


def test_a_long_listings_pages_link_a_handful_of_pages_each() -> None:
    papers = [Paper(f"p{n:04d}", f"Paper {n}", "Text.", date=dt.date(2024, 1, 1) + dt.timedelta(days=n)) for n in range(2000)]
    site = collect(papers, Config())
    env = environment([THEME])
    env.globals.update(url_plan(site))
    home = {page.path: page for page in plan(site) if page.template == "index.html"}
    assert len(home) == 100
    for path in ("index.html", "page/50/index.html", "page/100/index.html"):
        html = render(env, "index.html", path, home[path].context).decode()
        pager = html[html.index('<nav class="pager"') :]
        pager = pager[: pager.index("</nav>")]
        numbered = re.findall(r'<span class="visually-hidden">Page </span>(\d+)</a>', pager)
        assert "1" in numbered and "100" in numbered and len(numbered) <= 7, (path, numbered)
        assert pager.count('aria-current="page"') == 1
        assert ('class="pager-gap"' in pager) and 'aria-hidden="true">…</li>' in pager
