"""The tag vocabulary: one test per matching rule, per scoring rule and per error the file can have."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.content.tags import TAG_NAME, TagVocabulary, assign_tags, load_vocabulary, parse_vocabulary
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
