"""Cards rendered once and links made relative per page (sitegen.site.render: PageUrl, Cards): the same bytes
as rendering every card of every listing through its macros."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.config import Config
from sitegen.model import Organisation, Paper
from sitegen.site.collect import collect, url_plan
from sitegen.site.render import PageUrl, environment, relative_url, render

THEME = Path(__file__).resolve().parents[2] / "sitegen" / "theme" / "templates"

segment = st.sampled_from(["", "a", "b", "tags", "papers", "page", "2", "index.html", "x.xml", "#f", "x#y", "https:", "mailto:m"])
page_folder = st.lists(st.sampled_from(["a", "b", "tags", "papers", "page", "2", "dates"]), max_size=4)


@settings(max_examples=400, deadline=None)
@given(target=st.lists(segment, max_size=4).map("/".join), folder=page_folder, name=st.sampled_from(["index.html", "feed.xml"]))
def test_a_page_url_is_relative_url(target: str, folder: list[str], name: str) -> None:
    page = "/".join([*folder, name])
    assert PageUrl(page)(target) == relative_url(target, page)


PAPERS = [
    Paper("first", "A <first> & paper", "About $x$ and *this*.", date=dt.date(2024, 5, 2), tags=("llm", "agents"),
          organisation=Organisation("kaist-ai", "KAIST AI"), authors=("A. One", "B. Two", "C. Three", "D. Four"), comments=3,
          arxiv="2405.00001"),
    Paper("second", "Second", "Plain.", date=dt.date(2024, 4, 30), tags=("llm",), upvotes=0, doi="10.1/x"),
    Paper("third", "Third \"quoted\"", "Undated.", summary="One line.", author_count=1),
]
OLD_LIST = """{% from "_macros.html" import paper_meta, tag_list with context %}
<ol class="papers" role="list">
{% for paper in papers %}
<li class="paper-card">
<h{{ heading }} class="paper-title"><a href="{{ url(paper_path(paper)) }}">{{ paper.title }}</a></h{{ heading }}>
{{ paper_meta(paper) }}
{% if paper.tags %}
{{ tag_list(paper.tags) }}
{% endif %}
{% set links = card_links(paper) %}
{% if links %}
<p class="card-links">{% for link in links %}<a class="paper-link {{ link.kind }}" href="{{ link.url }}" rel="noopener" aria-label="{{ link.label }}: {{ paper.title }}">{{ link.label }}</a>{% if not loop.last %} <span class="sep" aria-hidden="true">·</span> {% endif %}{% endfor %}</p>
{% endif %}
<p class="excerpt">{{ paper.summary or (plain(paper) | excerpt) }}</p>
</li>
{% endfor %}
</ol>"""
NEW_LIST = """{% from "_macros.html" import paper_list with context %}{{ paper_list(papers, heading) }}"""
PAGES = ["index.html", "page/2/index.html", "tags/llm/index.html", "tags/agents/page/3/index.html", "dates/2024/index.html",
         "dates/2024/05/index.html", "dates/undated/index.html", "orgs/kaist-ai/index.html", "top/page/2/index.html"]


def _environment(tmp_path: Path, extra: dict[str, str]) -> tuple[jinja2.Environment, dict[str, object]]:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in extra.items():
        (folder / name).write_text(text, encoding="utf-8")
    site = collect(PAPERS, Config())
    env = environment([folder, THEME])
    env.globals.update(url_plan(site))
    return env, {"papers": site.papers}


@pytest.mark.parametrize("heading", [2, 3])
def test_cards_rendered_once_are_the_cards_of_every_page(tmp_path: Path, heading: int) -> None:
    env, context = _environment(tmp_path, {"old.html": OLD_LIST, "new.html": NEW_LIST})
    for page in PAGES * 2:  # the second time round, every card comes from what the first made
        old = render(env, "old.html", page, {**context, "heading": heading})
        assert render(env, "new.html", page, {**context, "heading": heading}) == old, page


def test_a_card_that_computes_with_a_link_is_rendered_for_each_page(tmp_path: Path) -> None:
    """A theme's card may do anything with url(): then the mark left for a link does not reach the output
    as it was, and the card is rendered for every page instead."""
    macros = (THEME / "_macros.html").read_text(encoding="utf-8").replace(
        '<li class="paper-card">', '<li class="paper-card" data-depth="{{ url(paper_path(paper)) | length }}">', 1
    )
    env, context = _environment(tmp_path, {"_macros.html": macros, "new.html": NEW_LIST})
    for page in PAGES:
        html = render(env, "new.html", page, {**context, "heading": 2}).decode()
        expected = len(relative_url("papers/first/", page))
        assert f'data-depth="{expected}"' in html and "\x00" not in html, page
