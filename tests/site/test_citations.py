"""sitegen.site.citations, read back by real consumers: bibtexparser 2, pybtex (strict) and citeproc-py (APA).

What a parser reads back is compared with the paper it came from: the title after
undoing the brace protection and the escapes (pylatexenc, the decoder bibtexparser
uses), the names put back together from the parts the parser split them into.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import bibtexparser
import pytest
from citation_readers import apa, read_bibtexparser, read_pybtex

from benchmarks.corpus import generate
from sitegen.model import Paper
from sitegen.site.citations import (
    ascii_key,
    base_key,
    bibliography,
    bibtex_entry,
    bibtex_name,
    bibtex_title,
    citation_keys,
    csl_item,
    csl_json,
    split_name,
)

KEY = re.compile(r"[a-z0-9]+")


def collaboration(count: int) -> tuple[str, ...]:
    given = ("Ana", "Björn", "Chiara", "Dmitri", "Émile", "Fatou", "Gül", "Hiroshi", "Ioana", "Jürgen")
    family = ("Costa", "Øberg", "Rossi", "Ivanov", "Lévesque", "Diallo", "Öztürk", "Tanaka", "Popescu", "Müller")
    return tuple(f"{given[index % 10]} {family[(index * 3 + index // 10) % 10]}-{index}" for index in range(count))


ROUND_TRIP = (
    Paper(
        slug="escapes",
        title="Tricky & Rare: 50% of $\\alpha$-Divergences for snake_case {Sets} in C#",
        body="",
        date=dt.date(2024, 5, 3),
        authors=("Łukasz Kaiser",),
        arxiv="2405.01234",
        tags=("reasoning", "math"),
    ),
    Paper(
        slug="three",
        title="BERT and LLMs & the {Transformer}: a_b",
        body="",
        date=dt.date(2023, 1, 9),
        authors=("Yann LeCun", "Jan van der Berg", "Zoë O'Neill-Müller"),
        doi="10.1000/x_y%z",
        url="https://example.org/p?a=1&b=2#top",
    ),
    Paper(slug="sixty", title="A Collaboration of Sixty", body="", date=dt.date(2022, 12, 31), authors=collaboration(60), arxiv="cs/0101001v2"),
    Paper(
        slug="odd-names",
        title="Names: Suffixes, Mononyms and Scripts",
        body="",
        authors=("Martin Luther King Jr.", "Ilya", "张伟", "María José García-López", "j_doe"),
    ),
    Paper(slug="count-only", title="The Authors Are Only Counted", body="", date=dt.date(2024, 2, 29), author_count=7),
)


def bib_of(papers: Sequence[Paper]) -> str:
    keys = citation_keys(papers)
    return bibliography(bibtex_entry(paper, keys[paper.slug]) for paper in papers)



# --- keys ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [("Łukasz", "lukasz"), ("Nguyễn", "nguyen"), ("Søndergaard", "sondergaard"), ("O'Neill", "oneill"), ("van der Berg", "vanderberg"),
     ("Straße", "strasse"), ("Ærø", "aero"), ("张伟", ""), ("Öztürk", "ozturk")],
)
def test_keys_are_ascii_transliterations(name: str, key: str) -> None:
    assert ascii_key(name) == key


def test_a_base_key_is_family_name_and_year_or_a_title_word_or_nd() -> None:
    paper = Paper(slug="x", title="Attention Is All You Need", body="", date=dt.date(2017, 6, 12), authors=("Ashish Vaswani", "Noam Shazeer"))
    assert base_key(paper) == "vaswani2017"
    assert base_key(dataclasses.replace(paper, authors=(), author_count=8)) == "attention2017"
    assert base_key(dataclasses.replace(paper, title="On the Origin of Species", authors=(), date=None)) == "originnd"
    assert base_key(dataclasses.replace(paper, authors=("Jan van der Berg",))) == "vanderberg2017"
    assert base_key(dataclasses.replace(paper, authors=("张伟",), title="大模型")) == "anon2017"
    assert base_key(dataclasses.replace(paper, authors=("Łukasz Kaiser",))) == "kaiser2017"
    assert base_key(dataclasses.replace(paper, authors=("Łukasz",))) == "lukasz2017"


def _namesake(slug: str, listed: dt.date | None, arxiv: str | None = None) -> Paper:
    return Paper(slug=slug, title=f"Paper {slug}", body="", date=dt.date(2024, 3, 1), listed=listed, authors=("Yann LeCun",), arxiv=arxiv)


def test_namesakes_get_letters_in_the_order_the_archive_saw_them() -> None:
    papers = [_namesake("c", dt.date(2024, 3, 9)), _namesake("a", dt.date(2024, 3, 5)), _namesake("b", dt.date(2024, 3, 5), "2403.00002"),
              _namesake("d", dt.date(2024, 3, 5), "2403.00001")]
    assert citation_keys(papers) == {"d": "lecun2024", "b": "lecun2024a", "a": "lecun2024b", "c": "lecun2024c"}
    assert citation_keys(reversed(papers)) == citation_keys(papers)


def test_namesakes_seen_the_same_day_go_in_arxiv_order() -> None:
    day = dt.date(2007, 5, 1)
    papers = [_namesake("new-style", day, "0704.0001"), _namesake("old-style", day, "cs/9912001"), _namesake("none", day),
              _namesake("later", day, "2504.10479v2")]
    assert citation_keys(papers) == {"old-style": "lecun2024", "new-style": "lecun2024a", "later": "lecun2024b", "none": "lecun2024c"}


def test_a_newly_listed_namesake_takes_the_next_letter_and_renames_nothing() -> None:
    papers = [_namesake("first", dt.date(2024, 3, 5)), _namesake("second", dt.date(2024, 3, 6))]
    before = citation_keys(papers)
    after = citation_keys([*papers, _namesake("third", dt.date(2024, 4, 1))])
    assert after == {**before, "third": "lecun2024b"}


def test_suffixes_go_past_z() -> None:
    papers = [_namesake(f"p{index:02d}", dt.date(2024, 3, 1) + dt.timedelta(days=index)) for index in range(30)]
    keys = citation_keys(papers)
    assert [keys[f"p{index:02d}"] for index in (0, 1, 26, 27, 29)] == ["lecun2024", "lecun2024a", "lecun2024z", "lecun2024aa", "lecun2024ac"]
    assert len(set(keys.values())) == 30


@pytest.fixture(scope="module")
def corpus() -> list[Paper]:
    return list(generate(1000))


def test_keys_are_unique_across_a_generated_archive_of_1000_papers(corpus: list[Paper]) -> None:
    keys = citation_keys(corpus)
    assert len(keys) == 1000
    assert len(set(keys.values())) == 1000
    assert all(KEY.fullmatch(key) for key in keys.values())
    assert sum(key[-1].isalpha() and key[-2:] != "nd" for key in keys.values()) > 50, "the corpus should exercise disambiguation"


def test_keys_stay_when_papers_are_added(corpus: list[Paper]) -> None:
    keys = citation_keys(corpus)
    grown = list(generate(1001))
    assert grown[:1000] == corpus
    newest = max(paper.listed or paper.date or dt.date.min for paper in corpus)
    # The next paper, listed after all others as convert would record it; and a namesake of a paper that has a key.
    added = dataclasses.replace(grown[1000], listed=newest + dt.timedelta(days=1))
    shared = next(paper for paper in corpus if paper.authors and base_key(paper) == keys[paper.slug])
    namesake = dataclasses.replace(shared, slug="a-namesake", title="A Namesake", listed=newest + dt.timedelta(days=2))
    after = citation_keys([added, *corpus, namesake])
    assert {slug: after[slug] for slug in keys} == keys
    assert after["a-namesake"] not in set(keys.values()) and after["a-namesake"].startswith(base_key(shared))


# --- BibTeX --------------------------------------------------------------------------------------


def test_titles_protect_every_capitalised_word_and_escape_specials() -> None:
    assert bibtex_title("LLMs Meet BERT: a Transformer Study") == "{LLMs} {Meet} {BERT}: a {Transformer} {Study}"
    assert bibtex_title("GPT-4o’s 3D Scenes") == "{GPT-4o’s} {3D} {Scenes}"
    assert bibtex_title("50% & $\\alpha$ #1 a_b ~ ^") == r"50\% \& \$\textbackslash{}alpha\$ \#1 a\_b \textasciitilde{} \textasciicircum{}"
    assert bibtex_title("{x} and {y}") == r"\{x\} and \{y\}"
    assert bibtex_title("one { brace") == r"one \textbraceleft{} brace", "BibTeX counts escaped braces too: unpaired ones need the text commands"


@pytest.mark.parametrize(
    ("name", "bibtex", "parts"),
    [
        ("Yann LeCun", "LeCun, Yann", ("Yann", "", "LeCun", "")),
        ("Jan van der Berg", "van der Berg, Jan", ("Jan", "van der", "Berg", "")),
        ("Martin Luther King Jr.", "King, Jr., Martin Luther", ("Martin Luther", "", "King", "Jr.")),
        ("LeCun, Yann", "LeCun, Yann", ("Yann", "", "LeCun", "")),
        ("Ilya", "{Ilya}", ("", "", "", "")),
        ("danah boyd", "boyd, danah", ("danah", "", "boyd", "")),
        ("Research and Development Lab", "Lab, Research {and} Development", ("Research and Development", "", "Lab", "")),
    ],
)
def test_names(name: str, bibtex: str, parts: tuple[str, str, str, str]) -> None:
    assert bibtex_name(name) == bibtex
    split = split_name(name)
    assert (split.given, split.particle, split.family, split.suffix) == parts


def test_entries_carry_the_fields_of_an_arxiv_preprint() -> None:
    entry = bibtex_entry(ROUND_TRIP[0], "kaiser2024")
    assert entry.startswith("@misc{kaiser2024,\n") and entry.endswith("\n}\n")
    assert "  eprint = {2405.01234},\n  archivePrefix = {arXiv},\n" in entry
    assert "  url = {https://arxiv.org/abs/2405.01234}" in entry
    assert "  month = may,\n" in entry and "  year = {2024},\n" in entry
    assert "primaryClass" not in entry and "doi" not in entry and "abstract" not in entry
    assert "author" not in bibtex_entry(ROUND_TRIP[4], "x"), "a count is not names: no author field"
    assert "year" not in bibtex_entry(ROUND_TRIP[3], "x") and "month" not in bibtex_entry(ROUND_TRIP[3], "x")


@pytest.mark.parametrize("reader", [read_bibtexparser, read_pybtex], ids=["bibtexparser", "pybtex"])
def test_fields_round_trip_through_the_parsers(reader: Callable[[str], dict[str, dict[str, Any]]]) -> None:
    keys = citation_keys(ROUND_TRIP)
    read = reader(bib_of(ROUND_TRIP))
    assert set(read) == set(keys.values())
    for paper in ROUND_TRIP:
        fields = read[keys[paper.slug]]
        assert fields["_type"] == "misc"
        assert fields["title"] == paper.title, paper.slug
        if paper.authors:
            assert fields["author"] == list(paper.authors), paper.slug
        else:
            assert "author" not in fields
        assert fields.get("year") == (str(paper.date.year) if paper.date else None)
        if paper.date:
            assert str(fields["month"]).lower() in (f"{paper.date:%b}".lower(), f"{paper.date:%B}".lower())
        assert fields.get("doi") == paper.doi
        assert fields.get("url") == (f"https://arxiv.org/abs/{paper.arxiv}" if paper.arxiv else paper.url)
        assert fields.get("eprint") == paper.arxiv


def test_the_generated_archive_parses_cleanly(corpus: list[Paper]) -> None:
    text = bib_of(corpus)
    assert len(bibtexparser.parse_string(text).entries) == 1000
    assert len(read_pybtex(text)) == 1000
    named = [paper for paper in corpus if paper.authors]
    read = read_bibtexparser(text)
    keys = citation_keys(corpus)
    for paper in named:
        assert read[keys[paper.slug]]["author"] == list(paper.authors)


# --- CSL-JSON ------------------------------------------------------------------------------------


def test_csl_items_follow_the_schema_and_render_in_apa() -> None:
    keys = citation_keys(ROUND_TRIP)
    items = [csl_item(paper, keys[paper.slug]) for paper in ROUND_TRIP]
    first = items[0]
    assert first == {
        "id": "kaiser2024", "type": "article", "title": ROUND_TRIP[0].title,
        "author": [{"family": "Kaiser", "given": "Łukasz"}], "issued": {"date-parts": [[2024, 5, 3]]},
        "number": "arXiv:2405.01234", "publisher": "arXiv", "URL": "https://arxiv.org/abs/2405.01234", "keyword": "reasoning, math",
    }
    assert items[1]["author"][1] == {"family": "Berg", "given": "Jan", "non-dropping-particle": "van der"}
    assert items[3]["author"][:3] == [{"family": "King", "given": "Martin Luther", "suffix": "Jr."}, {"literal": "Ilya"}, {"literal": "张伟"}]
    assert "author" not in items[4] and "issued" not in items[3]
    rendered = apa(items)
    assert len(rendered) == len(items)
    text = "\n".join(rendered)
    assert "Kaiser, Ł. (2024). Tricky & Rare" in text
    assert "van der Berg, J." in text and "(arXiv:2405.01234). arXiv." in text.replace("ArXiv:", "arXiv:")
    assert "https://doi.org/10.1000/x_y%z" in text


def test_csl_json_is_one_item_a_line() -> None:
    items = [csl_item(paper, f"k{index}") for index, paper in enumerate(ROUND_TRIP)]
    text = csl_json(items)
    assert text.splitlines()[1:-1] == [json.dumps(item, ensure_ascii=False) + "," for item in items[:-1]] + [json.dumps(items[-1], ensure_ascii=False)]
    assert json.loads(text) == items and "Łukasz" in text
