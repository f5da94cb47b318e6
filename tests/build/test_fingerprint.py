"""Page fingerprints: what a template reads of ``site``, and when a page counts as unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
import pytest

from sitegen.build.fingerprint import PageFingerprints, template_use
from sitegen.config import Config
from sitegen.model import Paper
from sitegen.site.collect import collect


def env_of(templates: dict[str, str]) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True)


@pytest.mark.parametrize(
    ("source", "attributes", "lengths", "whole"),
    [
        ("{{ site.config.title }}", {"config"}, set(), False),
        ("{{ site.papers | length }}", set(), {"papers"}, False),
        ("{% for p in site.papers %}{{ p.title }}{% endfor %}", {"papers"}, set(), False),
        ("{{ site.papers | length }} {{ site.papers[0].title }}", {"papers"}, {"papers"}, False),
        ("{{ show(site) }}", set(), set(), True),
        ("{% set s = site %}{{ s.papers }}", set(), set(), True),
        ("{{ paper.title }}", set(), set(), False),
    ],
    ids=["config", "length-only", "iterated", "both", "passed-whole", "aliased", "unused"],
)
def test_site_reads_are_found_in_the_template(source: str, attributes: set[str], lengths: set[str], whole: bool) -> None:
    use = template_use(env_of({"page.html": source}), "page.html")
    reads = use.reads.get("site")
    assert reads is not None or (not attributes and not lengths and not whole)
    if reads is not None:
        assert set(reads.attributes) == attributes
        assert set(reads.lengths) == lengths
        assert reads.whole is whole
    assert use.cacheable


@pytest.mark.parametrize(
    ("source", "whole"),
    [
        ("{% for tag in tags %}{{ tag }}{% endfor %}{{ tag.name }}", False),
        ("{% macro show(tag) %}{{ tag }}{% endmacro %}{{ tag.name }}", False),
        ("{% for x in xs %}{% else %}{{ tag }}{% endfor %}", True),
        ("{% with tag = 1 %}{{ tag }}{% endwith %}{{ tag.name }}", False),
        ("{% set tag = other %}{{ tag }}", True),
    ],
    ids=["loop-variable", "macro-argument", "for-else-is-outside-the-loop", "with", "set-counts-as-a-read"],
)
def test_loop_and_macro_names_shadow_context_variables(source: str, whole: bool) -> None:
    reads = template_use(env_of({"page.html": source}), "page.html").reads["tag"]
    assert reads.whole is whole


def test_reads_in_extended_imported_and_included_templates_count() -> None:
    env = env_of(
        {
            "base.html": "{{ site.config.title }}{% block main %}{% endblock %}",
            "macros.html": "{% macro years() %}{{ site.years }}{% endmacro %}",
            "part.html": "{{ site.undated }}",
            "page.html": '{% extends "base.html" %}{% from "macros.html" import years %}'
            '{% block main %}{{ years() }}{% include "part.html" %}{% endblock %}',
        }
    )
    use = template_use(env, "page.html")
    assert set(use.reads["site"].attributes) == {"config", "years", "undated"}


def test_a_computed_template_name_makes_the_page_uncacheable() -> None:
    use = template_use(env_of({"page.html": "{% include name %}"}), "page.html")
    assert not use.cacheable


def paper(slug: str, title: str, day: int) -> Paper:
    return Paper(slug=slug, title=title, body="Body.", date=dt.date(2025, 1, day), tags=("t",))


def fingerprints(papers: list[Paper], templates: dict[str, str]) -> PageFingerprints:
    return PageFingerprints(env_of(templates), collect(papers, Config(root=Path("."))))


def test_a_page_depends_on_its_own_paper_but_not_on_others() -> None:
    templates = {"paper.html": "{{ paper.title }} of {{ site.papers | length }}"}
    a, b = paper("a", "A", 1), paper("b", "B", 2)
    before = fingerprints([a, b], templates)
    after_other_edit = fingerprints([a, paper("b", "B, revised", 2)], templates)
    after_own_edit = fingerprints([paper("a", "A, revised", 1), b], templates)
    after_new_paper = fingerprints([a, b, paper("c", "C", 3)], templates)
    def of(prints: PageFingerprints, page: Paper) -> str | None:
        return prints.of("paper.html", "papers/a/index.html", {"site": prints.site, "paper": page})

    assert of(before, a) == of(after_other_edit, a)
    assert of(before, a) != of(after_own_edit, paper("a", "A, revised", 1))
    assert of(before, a) != of(after_new_paper, a), "the page shows the paper count"


def test_the_template_source_and_the_output_path_are_part_of_the_fingerprint() -> None:
    a = paper("a", "A", 1)
    one = fingerprints([a], {"paper.html": "{{ paper.title }}"})
    two = fingerprints([a], {"paper.html": "<b>{{ paper.title }}</b>"})
    assert one.of("paper.html", "x/index.html", {"paper": a}) != two.of("paper.html", "x/index.html", {"paper": a})
    assert one.of("paper.html", "x/index.html", {"paper": a}) != one.of("paper.html", "y/index.html", {"paper": a})


def test_values_that_cannot_be_hashed_exactly_are_refused() -> None:
    prints = fingerprints([paper("a", "A", 1)], {"page.html": "{{ thing }}"})
    with pytest.raises(TypeError):
        prints.of("page.html", "index.html", {"thing": object()})
