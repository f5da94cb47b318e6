"""The tag vocabulary: one test per matching rule, per scoring rule and per error the file can have."""

from __future__ import annotations

import datetime as dt
import re
import string
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.content.tags import (
    _ASCII_PARTNERS,
    TAG_NAME,
    TITLE_WEIGHT,
    TagVocabulary,
    _first_word,
    assign_tags,
    load_vocabulary,
    parse_vocabulary,
)
from sitegen.errors import SourceError
from sitegen.model import Loc

SHIPPED = Path(__file__).resolve().parents[2] / "content" / "tags.yaml"
HERE = Path("tags.yaml")


def vocabulary(text: str) -> TagVocabulary:
    return parse_vocabulary(text, HERE)


def tags_in(text: str, vocab: str, *, title: str = "") -> tuple[str, ...]:
    return assign_tags(vocabulary(vocab), title, text)


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("trained with RL on math", ("rl",)),
        ("reinforcement learning (RL) works", ("rl",)),
        ("an RL-based method", ("rl",)),
        ("RL.", ("rl",)),
        ("a URL to the code", ()),
        ("CodeRL+ improves code", ()),
        ("RL2 and RLVR are variants", ()),
    ],
)
def test_keywords_match_whole_words_only(abstract: str, expected: tuple[str, ...]) -> None:
    assert tags_in(abstract, "rl: [RL]") == expected


def test_keywords_ending_in_a_symbol_still_match() -> None:
    assert tags_in("written in C++, fast", "cpp: [C++]") == ("cpp",)


def test_plurals_need_their_own_keyword() -> None:
    assert tags_in("graph neural networks", "graphs: [graph neural network]") == ()


def test_matching_ignores_case() -> None:
    vocab = "graphs: [Graph Neural Network, GNN]"
    assert tags_in("a GRAPH NEURAL NETWORK", vocab) == ("graphs",)
    assert tags_in("message passing in gnn layers", vocab) == ("graphs",)


@pytest.mark.parametrize(
    "abstract", ["chain of thought", "Chain-of-Thought", "chain\nof  thought", "chain - of thought", "chain-of thought"]
)
def test_phrase_spaces_match_whitespace_or_hyphens(abstract: str) -> None:
    assert tags_in(abstract, "reasoning: [chain of thought]") == ("reasoning",)


def test_hyphen_in_a_keyword_also_matches_a_space() -> None:
    assert tags_in("fine tuning the model", "fine-tuning: [fine-tuning]") == ("fine-tuning",)


def test_phrase_words_must_be_separated() -> None:
    assert tags_in("chainofthought", "reasoning: [chain of thought]") == ()


def test_a_title_hit_outweighs_two_abstract_hits() -> None:
    vocab = "abstract-only: [beta]\ntitled: [alpha]"
    assert assign_tags(vocabulary(vocab), "Alpha", "beta and beta again") == ("titled", "abstract-only")


def test_overlapping_keywords_of_one_tag_count_once() -> None:
    vocab = "fine-tuning: [fine-tuning, supervised fine-tuning]\nother: [data]"
    # one place matched by both keywords scores 1, so the tie goes to file order
    assert tags_in("supervised fine-tuning on data", vocab) == ("fine-tuning", "other")
    assert tags_in("data and data with supervised fine-tuning", vocab) == ("other", "fine-tuning")


def test_limit_keeps_the_best_scoring_tags() -> None:
    vocab = "a: [alpha]\nb: [beta]\nc: [gamma]"
    text = "alpha beta beta gamma gamma gamma"
    assert assign_tags(vocabulary(vocab), "", text, limit=2) == ("c", "b")
    assert assign_tags(vocabulary(vocab), "", text, limit=0) == ()
    with pytest.raises(ValueError):
        assign_tags(vocabulary(vocab), "", text, limit=-1)


def test_order_is_score_then_file_order() -> None:
    vocab = "z-last: [zeta]\na-first: [alpha]\nm-mid: [mu]"
    text = "alpha zeta mu mu"
    assert tags_in(text, vocab) == ("m-mid", "z-last", "a-first")
    assert tags_in(text, vocab) == tags_in(text, vocab)


def test_tags_without_hits_are_left_out() -> None:
    assert tags_in("nothing relevant", "a: [alpha]") == ()


def test_vocabulary_keeps_file_order() -> None:
    assert vocabulary("b: [x]\na: [y]\nc: [z]").tags == ("b", "a", "c")


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        pytest.param("a: [x\nb: [y]\n", 2, "invalid YAML", id="invalid-yaml"),
        pytest.param("a: [x]\n---\nb: [y]\n", 2, "single document", id="two-documents"),
        pytest.param("a: [x]\nb: \x07\n", 2, "U+0007", id="control-character"),
        pytest.param("", None, "found nothing", id="empty-file"),
        pytest.param("# only a comment\n", None, "found nothing", id="only-comments"),
        pytest.param("- a\n- b\n", 1, "found a list", id="top-level-list"),
        pytest.param("\njust words\n", 2, "found a value", id="top-level-scalar"),
        pytest.param("good: [x]\nBad_Tag: [y]\n", 2, "try 'bad-tag'", id="uppercase-tag"),
        pytest.param("good: [x]\n\nfoo--bar: [y]\n", 3, "try 'foo-bar'", id="double-hyphen"),
        pytest.param("2024: [x]\n", 1, 'quote it: "2024"', id="numeric-tag"),
        pytest.param("? [a, b]\n: [x]\n", 1, "is a list", id="list-as-tag"),
        pytest.param("a: [x]\nb: [y]\na: [z]\n", 3, "already defined on line 1", id="duplicate-tag"),
        pytest.param("a: [x]\nb: []\n", 2, "has no keywords", id="empty-list"),
        pytest.param("a: [x]\nb:\n", 2, "has no keywords", id="missing-list"),
        pytest.param("a: single phrase\n", 1, "`a: [single phrase]`", id="scalar-not-list"),
        pytest.param("a:\n  - fine\n  - 3\n", 3, 'quote it: "3"', id="number-keyword"),
        pytest.param("a:\n  - fine\n  - yes\n", 3, "yes/no", id="boolean-keyword"),
        pytest.param("a: [[x, y]]\n", 1, "is a list", id="nested-list"),
        pytest.param("a: [ok, '  ']\n", 1, "empty keyword", id="blank-keyword"),
        pytest.param("a:\n  - ok\n  - '-'\n", 3, "empty keyword", id="hyphen-keyword"),
    ],
)
def test_errors_point_at_the_line(text: str, line: int | None, hint: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse_vocabulary(text, HERE)
    assert caught.value.loc == Loc(HERE, line)
    assert hint in caught.value.message
    assert str(caught.value).startswith("tags.yaml: " if line is None else f"tags.yaml:{line}: ")


def test_python_tags_are_never_constructed() -> None:
    with pytest.raises(SourceError, match="not text"):
        parse_vocabulary("a: [!!python/object/apply:os.system [echo pwned]]\n", HERE)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(SourceError) as caught:
        load_vocabulary(path)
    assert caught.value.loc == Loc(path, None)
    assert "cannot read" in caught.value.message


def test_non_utf8_file_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: [x]\nb: [caf\u00e9]\n".encode("latin-1"))
    with pytest.raises(SourceError) as caught:
        load_vocabulary(path)
    assert caught.value.loc == Loc(path, 2)
    assert "UTF-8" in caught.value.message


def test_load_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tags.yaml"
    path.write_text("# comment\nrl: [RL, reinforcement learning]\n", encoding="utf-8")
    assert assign_tags(load_vocabulary(path), "Deep RL", "") == ("rl",)


def test_shipped_vocabulary_parses() -> None:
    vocab = load_vocabulary(SHIPPED)
    assert 15 <= len(vocab.tags) <= 30
    assert all(TAG_NAME.fullmatch(tag) for tag in vocab.tags)
    assert all(patterns for _, patterns in vocab.rules)
    assert assign_tags(vocab, "Chain-of-Thought Reasoning with RL", "") != ()


# --- the indexed matcher against a straightforward one ---------------------------------------------

REPO = SHIPPED.parents[1]
ODD_VOCABULARY = """\
cpp: [C++, "C#", .NET, (RL)]
at: [pass@1, as-a-judge, o1, R1]
repeat: [a a, data data data]
unicode: [Zürich, straße, ſtate, "\\u212aernel", İstanbul, ıdea, σοφία]
under: [foo_bar, _private]
partners: [state, kernel, instruction, idea, k-means]
overlap: [fine-tuning, supervised fine-tuning, fine]
"""
ODD_TEXTS = (
    "C++ and C# and .NET; x.NET; ((RL)) (RL)-based, CodeRL",
    "pass@1 of 3, LLM-as-a-judge, o1-mini, R1; pass@10",
    "a a a a a; data data data data data; a-a a",
    "ZÜRICH, Straße, STRASSE, ſtate, state, STATE, \u212aernel, kernel, KERNEL, istanbul, İSTANBUL, idea, IDEA, ΣΟΦΊΑ",
    "İnstruction, ınstruction, \u212a-means, ſupervised fine-tuning",
    "foo_bar, foo bar, _private, x_private",
    "\u017ftate of the art", "a \u212aernel", "\u0130nstruction", "\u0131dea", "\u212a-means",
    "supervised  fine\n-\ntuning, fine, finely, fine-fine",
    "",
    "-- ... ---",
)


def _reference_tags(vocab: TagVocabulary, title: str, abstract: str, limit: int = 5) -> tuple[str, ...]:
    """Tagging as it was before the index: every keyword's pattern scanned over every text, once its
    first word (casefolded) occurs in the casefolded text."""

    def hits(patterns: tuple[re.Pattern[str], ...], text: str) -> int:
        folded = text.casefold()
        spans = sorted(
            match.span()
            for pattern in patterns
            if _first_word(pattern).casefold() in folded
            for match in pattern.finditer(text)
        )
        count, reach = 0, -1
        for start, end in spans:
            if start >= reach:
                count += 1
            reach = max(reach, end)
        return count

    scored = []
    for order, (tag, patterns) in enumerate(vocab.rules):
        score = TITLE_WEIGHT * hits(patterns, title) + hits(patterns, abstract)
        if score:
            scored.append((-score, order, tag))
    return tuple(tag for _, _, tag in sorted(scored)[:limit])


def _listed_papers() -> list[tuple[str, str]]:
    """(title, abstract and key phrases) of every paper in the seed digest and the listing fixtures."""
    from sitegen.inputs.convert import read_listing

    paths = [*sorted((REPO / "seeds").glob("*.txt")), *sorted((REPO / "tests" / "fixtures" / "hf").glob("*.json"))]
    paths += sorted((REPO / "tests" / "fixtures" / "digest").glob("*.txt"))
    papers = []
    for path in paths:
        try:
            listing = read_listing(path, dt.date(2025, 12, 11))
        except SourceError:
            continue  # the fixtures of what is not a listing
        papers += [(entry.title, " ".join([entry.abstract, *entry.keywords])) for entry in listing.entries]
    return papers


def test_indexed_matching_equals_the_reference_on_the_seed_and_fixtures() -> None:
    papers = _listed_papers()
    assert len(papers) > 60
    shipped, odd = load_vocabulary(SHIPPED), vocabulary(ODD_VOCABULARY)
    for title, text in papers:
        assert assign_tags(shipped, title, text) == _reference_tags(shipped, title, text), title
        assert assign_tags(odd, title, text) == _reference_tags(odd, title, text), title
    assert sum(1 for title, text in papers if assign_tags(shipped, title, text)) >= 60  # not a vacuous comparison


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_indexed_matching_equals_the_reference_on_odd_keywords(text: str) -> None:
    odd = vocabulary(ODD_VOCABULARY)
    assert assign_tags(odd, text, text, limit=10) == _reference_tags(odd, text, text, limit=10)
    assert assign_tags(odd, "", text, limit=10) == _reference_tags(odd, "", text, limit=10)
    assert assign_tags(load_vocabulary(SHIPPED), "", text) == _reference_tags(load_vocabulary(SHIPPED), "", text)


_PIECES = st.sampled_from(
    ["RL", "rl", "ſ", "\u212a", "İ", "ı", "fine", "tuning", "supervised", "-", " ", "\n", "_", "(", ")", "++", "C", "a",
     "data", "é", "ü", "Zürich", "state", "pass@1", ".", "chain", "of", "thought", "o1", "graph", "GNNs", "\u00a0", "x"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join), st.lists(_PIECES, max_size=12).map("".join))
def test_indexed_matching_equals_the_reference_on_random_texts(abstract: str, title: str) -> None:
    for vocab in (load_vocabulary(SHIPPED), vocabulary(ODD_VOCABULARY + "rl: [RL, fine tuning, chain of thought]\n")):
        assert assign_tags(vocab, title, abstract, limit=10) == _reference_tags(vocab, title, abstract, limit=10)


def test_the_ascii_partners_are_all_that_re_matches_with_an_ascii_letter() -> None:
    everything = "".join(chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF)
    partners = {
        found: letter.lower()
        for letter in string.ascii_letters + string.digits
        for found in re.findall(re.escape(letter), everything, re.IGNORECASE)
        if not found.isascii()
    }
    assert partners == {chr(code): letter for code, letter in _ASCII_PARTNERS.items()}
