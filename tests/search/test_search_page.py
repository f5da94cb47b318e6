"""The search box's query rewriting, run in Node on the real site's index.

`sitegen/theme/static/search.js` (as shipped, with the vendored lunr.js) turns what a
person types into a lunr query. These tests build the site from this
repository's content, run a table of queries through `tests/search_query.js`
and check the hits with the Python port of lunr's text pipeline
(`sitegen.search.lunr_index`): pasted titles find their paper first, acronyms and
half-typed words work, query syntax keeps lunr's meaning, and junk never
throws.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import pytest
from lunr.stop_word_filter import WORDS as STOP_WORDS
from search_files import read_search, run_harness
from search_files import vocabulary as site_vocabulary

from sitegen.build.load import load_papers
from sitegen.cli import main as sitegen_main
from sitegen.config import load_config
from sitegen.search.files import search_documents
from sitegen.search.lunr_index import FIELDS, field_texts, stem, tokenize, trim
from sitegen.site.collect import collect

ROOT = Path(__file__).parents[2]
HARNESS = Path(__file__).parents[1] / "search_query.js"
SEARCH_JS = ROOT / "sitegen" / "theme" / "static" / "search.js"
SITE_INDEX_JS = Path(__file__).parents[1] / "site_index.js"

Answer = dict[str, Any]

PASTED_TITLES = [
    "Context-Alignment: Activating and Enhancing LLM Capabilities in Time Series",
    "CodeRL+: Improving Code Generation via Reinforcement with Execution Semantics Alignment",
    "From <Answer> to <Think>: Multidimensional Supervision of Reasoning Process for LLM Optimization",
    "From Instructions to Intrinsic Human Values -- A Survey of Alignment Goals for Big Models",
    "LMM-R1: Empowering 3B LMMs with Strong Reasoning Abilities Through Two-Stage Rule-Based RL",
    "Are Large Language Models Really Good Logical Reasoners? A Comprehensive Evaluation and Beyond",
    "AI Alignment at Your Discretion",
]

# Junk: lunr.js throws QueryParseError on most of these as they stand.
JUNK = [
    "title:", "*", "php:", "+", "-", '"', "~", "^", "^2", "title:reasoning +", "+graph title:",
    "unknown:reasoning", "reasoning^x", "x~", "foo -", "((", "\\", "'", "::", "title::", "-*", "+-",
    "*:*", "title:*foo~", "--", "~~~", "\u200b", "😀", "<img src=x>",
]

# Texts that must be read as lunr query syntax, and texts that must not.
SYNTAX = ["title:reasoning", "+graph -vision", "reason*", "*ment", "gr*ph", "reasoning^10 alignment",
          "aligment~1", "-reasoning llm", "tags:reinforcement"]
NOT_SYNTAX = [*PASTED_TITLES, "Title: Reasoning", "php:reasoning", "Values -- A Survey", "title:", "*",
              "Double-Blind", "self-alignment", "C++ code", "3+4", "e-mail"]

OTHER_QUERIES = [
    "RL", "RL ", "AI", "AI ", "rl", "halluc", "halluc ", "hallucinat", "hallucination", "aligning", "alignmen",
    "+graph -vision", "title:reasoning", "title:reasoning,", "reason*", "the", "the ", "and or the ",
    "the reasoning", "reasoning", "survey", "logic", "honesty", "discretion", "confucius", "php:reasoning",
    "xylophone", "alignment", "graph ", *SYNTAX, *NOT_SYNTAX, *JUNK,
]


def _need_node() -> str:
    path = shutil.which("node")
    if path is None:
        message = "node not found on PATH: the search query tests run sitegen/theme/static/search.js in Node.js"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def node() -> str:
    return _need_node()


def build_site(root: Path, out: Path, *extra: str) -> Path:
    assert sitegen_main(["build", "--root", str(root), "-o", str(out), *extra]) == 0
    return out


def repository_project(folder: Path) -> Path:
    """This repository's content and configuration in a project of its own (a build keeps state in its project)."""
    shutil.copytree(ROOT / "content", folder / "content")
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    (folder / "theme").symlink_to(ROOT / "sitegen" / "theme")
    return folder


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's content, built as `sitegen build` would."""
    folder = tmp_path_factory.mktemp("search-query")
    return build_site(repository_project(folder / "project"), folder / "site")


THREE_D_PAPERS = {
    "lifting-2d-priors-into-3d-scenes.md": (
        "Lifting 2D Priors into 3D Scenes",
        "We turn image priors into 3D scene reconstructions with Gaussian splatting.",
    ),
    "scene-graphs-for-robots.md": (
        "Scene Graphs for Household Robots",
        "Robots build a scene graph of the rooms they see; unlike 3D meshes it is cheap to update.",
    ),
}


@pytest.fixture(scope="module")
def site_with_3d(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The content has no "3D": the same content plus two papers that say it."""
    root = tmp_path_factory.mktemp("search-3d")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(ROOT / "content", root / "content")
    for name, (title, abstract) in THREE_D_PAPERS.items():
        (root / "content" / "papers" / name).write_text(
            f"---\ntitle: {title}\ndate: 2025-11-01\ntags:\n- vision\n---\n\n{abstract}\n", encoding="utf-8"
        )
    return build_site(root, root / "site", "--set", f"theme_dir={ROOT / 'sitegen' / 'theme'}")


def run_cases(node: str, site: Path, cases: list[dict[str, str]]) -> list[Answer]:
    answers: list[Answer] = run_harness(node, HARNESS, site, cases)
    errors = {case["query"]: answer["error"] for case, answer in zip(cases, answers, strict=True) if "error" in answer}
    assert not errors, f"search.js threw: {errors}"
    return answers


def load_store(site: Path) -> dict[str, dict[str, Any]]:
    """Ref -> store entry of every paper, in site order, from the site's search shards."""
    _, shards = read_search(site)
    return {ref: entry for shard in shards for ref, entry in zip(shard["refs"], shard["store"], strict=True)}


@pytest.fixture(scope="module")
def store(site: Path) -> dict[str, dict[str, Any]]:
    return load_store(site)


Texts = dict[str, dict[str, str]]


def load_texts(root: Path, store: dict[str, dict[str, Any]]) -> Texts:
    """Ref -> the text of every indexed field of every paper of the project at ``root``, as its build indexed it.

    The store shows a few of these (no key phrases, the first names only): what a paper should match comes from here.
    """
    config = load_config(root)
    documents = search_documents(collect(load_papers(config), config))
    assert [(d.ref, d.title) for d in documents] == [(ref, entry["t"]) for ref, entry in store.items()]
    return {document.ref: field_texts(document) for document in documents}


@pytest.fixture(scope="module")
def texts(store: dict[str, dict[str, Any]]) -> Texts:
    return load_texts(ROOT, store)


@pytest.fixture(scope="module")
def answers(node: str, site: Path, store: dict[str, dict[str, Any]]) -> dict[str, Answer]:
    """Every query of this module, answered in one Node run."""
    queries = list(dict.fromkeys([*OTHER_QUERIES, *PASTED_TITLES, *(entry["t"] for entry in store.values())]))
    found = run_cases(node, site, [{"query": query} for query in queries])
    return dict(zip(queries, found, strict=True))


def stems(text: str) -> set[str]:
    """The index terms of a text: lunr's tokenizer, trimmer and stemmer, as sitegen.search.lunr_index ports them."""
    return {stem(word) for word in (trim(token) for token in tokenize(text)) if word}


def all_stems(fields: dict[str, str]) -> set[str]:
    """The index terms of a paper, from its field texts (``texts[ref]``)."""
    return set().union(*map(stems, fields.values()))


def refs(answer: Answer) -> list[str]:
    return [hit["ref"] for hit in answer["hits"]]


def has_every_word(query: str, terms: set[str], vocabulary: Collection[str]) -> bool:
    """Does a paper whose index terms are ``terms`` have every word of the plain words ``query``?

    Worked out from the words themselves: each word that is no stop word, or each part of a word with a colon
    inside (the whole word also counts for each part), as its stem; the last word, while being typed (the text
    ends in a letter or digit), also as the start of a longer word of the paper, or, when no word of the site
    starts with it and its stem is none either, as its longest beginning that is.
    """
    words = [word for word in (trim(token) for token in tokenize(query)) if word]
    typing = re.search("[0-9A-Za-z\u00c0-\uffff]$", query) is not None
    last = ""
    required: list[tuple[str, ...]] = []
    for word in words:
        parts = [part for part in (trim(piece) for piece in word.split(":")) if part] if ":" in word else []
        kept = [part for part in parts if part not in STOP_WORDS]
        required += [(part, word) for part in kept] if kept else [] if word in STOP_WORDS else [(word,)]
        last = parts[-1] if parts else word

    def has(alternatives: tuple[str, ...]) -> bool:
        if any(stem(word) in terms for word in alternatives):
            return True
        if not (typing and alternatives[0] == last and len(last) >= 2):
            return False
        if any(term.startswith(last) for term in vocabulary):
            return any(term.startswith(last) for term in terms)
        if stem(last) in vocabulary:
            return False
        stand = next((last[:end] for end in range(len(last) - 1, 3, -1) if last[:end] in vocabulary), None)
        return stand in terms

    return all(has(alternatives) for alternatives in required)


def titles(answer: Answer, store: dict[str, dict[str, Any]]) -> list[str]:
    return [store[ref]["t"] for ref in refs(answer)]


def by_title(store: dict[str, dict[str, Any]], title: str) -> str:
    (ref,) = [ref for ref, entry in store.items() if entry["t"] == title]
    return ref


def has_prefix_clause(answer: Answer) -> bool:
    return any(clause.get("prefix") for clause in answer["plan"].get("clauses", []))


# --- pasted titles ---------------------------------------------------------------


def test_every_title_in_the_archive_finds_its_paper_first(answers: dict[str, Answer], store: dict[str, Any]) -> None:
    wrong = {
        entry["t"]: titles(answers[entry["t"]], store)[:3]
        for ref, entry in store.items()
        if refs(answers[entry["t"]])[:1] != [ref]
    }
    assert not wrong, f"pasted titles whose paper is not hit #1 (title: top 3): {wrong}"


@pytest.mark.parametrize("title", PASTED_TITLES)
def test_pasted_title_is_plain_words_and_hit_number_one(
    title: str, answers: dict[str, Answer], store: dict[str, Any]
) -> None:
    answer = answers[title]
    assert answer["plan"]["mode"] == "words"
    assert answer["message"] is None
    assert titles(answer, store)[0] == title


def test_context_alignment_title_would_break_raw_lunr(node: str, site: Path) -> None:
    """The reason the rewriting exists: lunr.js's parser rejects the pasted title as it stands."""
    script = (
        "const { index } = require(process.argv[1]).loadSiteIndex(process.argv[2]);"
        "try { index.search(process.argv[3]); console.log('ok') } catch (e) { console.log(e.name) }"
    )
    proc = subprocess.run(
        [node, "-e", script, str(SITE_INDEX_JS), str(site), PASTED_TITLES[0]], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "QueryParseError"


# --- acronyms, prefixes, stems ----------------------------------------------------


def _acronym_check(answer_typing: Answer, answer_done: Answer, word: str, texts: Texts) -> None:
    term = word.lower()
    containing = {ref for ref, fields in texts.items() if term in all_stems(fields)}
    assert containing, f"no paper says {word!r}: the check would be empty"
    for answer in (answer_typing, answer_done):
        assert containing <= set(refs(answer)), f"{word!r} misses papers that say it"
        assert term in all_stems(texts[refs(answer)[0]]), f"the first hit for {word!r} does not say it"
        # While typing, longer words starting with it ("aig", "aim") may rank in between, but
        # papers that say the word itself fill most of the top places.
        top = refs(answer)[: len(containing)]
        assert sum(ref in containing for ref in top) >= 0.75 * len(containing), (
            f"papers that say {word!r} should mostly rank before words that only start with it"
        )
    # Finished (trailing space): the word itself, nothing that merely starts with it.
    assert set(refs(answer_done)) == containing


@pytest.mark.parametrize("word", ["RL", "AI"])
def test_two_letter_acronyms(word: str, answers: dict[str, Answer], texts: Texts) -> None:
    _acronym_check(answers[word], answers[word + " "], word, texts)


def test_3d_acronym(node: str, site_with_3d: Path) -> None:
    store3 = load_store(site_with_3d)
    typing, done, lower = run_cases(node, site_with_3d, [{"query": "3D"}, {"query": "3D "}, {"query": "3d"}])
    _acronym_check(typing, done, "3D", load_texts(site_with_3d.parent, store3))
    assert titles(typing, store3)[0] == "Lifting 2D Priors into 3D Scenes"
    assert refs(lower) == refs(typing)
    assert ["3D", True] in typing["hits"][0]["title"]


def _starting_with(texts: Texts, prefix: str) -> set[str]:
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(prefix)}", re.IGNORECASE)
    return {ref for ref, fields in texts.items() if pattern.search(" ".join(fields.values()))}


def test_half_typed_word_matches_as_prefix(answers: dict[str, Answer], store: dict[str, Any], texts: Texts) -> None:
    answer = answers["halluc"]
    assert has_prefix_clause(answer)
    expected = _starting_with(texts, "halluc")
    assert expected and set(refs(answer)) == expected
    assert "Hallucination" in titles(answer, store)[0]
    assert all("hallucin" in hit["terms"] for hit in answer["hits"])


def test_word_typed_past_its_stem_still_finds(answers: dict[str, Answer]) -> None:
    """`hallucinat` starts no index term (the index holds `hallucin`); results must not vanish mid-word."""
    assert set(refs(answers["hallucinat"])) == set(refs(answers["halluc"]))
    assert set(refs(answers["alignmen"])) == set(refs(answers["aligning"]))


def test_finished_word_is_not_a_prefix(answers: dict[str, Answer]) -> None:
    assert not has_prefix_clause(answers["halluc "])
    assert answers["halluc "]["hits"] == []


def test_stemming_finds_other_forms(answers: dict[str, Answer], store: dict[str, Any]) -> None:
    with_alignment = {ref for ref, entry in store.items() if re.search(r"\balignment\b", entry["t"] + " " + entry["a"], re.IGNORECASE)}
    assert with_alignment <= set(refs(answers["aligning"]))


def test_titles_rank_above_abstract_only_matches(answers: dict[str, Answer], store: dict[str, Any]) -> None:
    for query in ("hallucination", "honesty", "logic", "survey", "discretion"):
        term = stem(query)
        in_title = [term in stems(store[ref]["t"]) for ref in refs(answers[query])]
        assert any(in_title), query
        assert in_title == sorted(in_title, reverse=True), f"{query!r}: a title match ranks below an abstract-only one"


# --- query syntax -----------------------------------------------------------------


@pytest.mark.parametrize("query", SYNTAX)
def test_syntax_is_recognised(query: str, answers: dict[str, Answer]) -> None:
    assert answers[query]["plan"]["mode"] == "syntax"
    assert answers[query]["mode"] == "syntax"


@pytest.mark.parametrize("query", NOT_SYNTAX)
def test_plain_text_is_not_syntax(query: str, answers: dict[str, Answer]) -> None:
    assert answers[query]["plan"]["mode"] == "words"


def test_required_and_prohibited(answers: dict[str, Answer], texts: Texts) -> None:
    expected = {ref for ref, fields in texts.items() if "graph" in all_stems(fields) and "vision" not in all_stems(fields)}
    assert expected and set(refs(answers["+graph -vision"])) == expected


def test_field_restriction(answers: dict[str, Answer], store: dict[str, Any]) -> None:
    expected = {ref for ref, entry in store.items() if "reason" in stems(entry["t"])}
    assert expected and set(refs(answers["title:reasoning"])) == expected
    assert all(hit["terms"] == {"reason": ["title"]} for hit in answers["title:reasoning"]["hits"])
    # Terms are trimmed like the index's: a trailing comma changes nothing.
    assert refs(answers["title:reasoning,"]) == refs(answers["title:reasoning"])


def test_wildcard(answers: dict[str, Answer], texts: Texts) -> None:
    expected = {ref for ref, fields in texts.items() if any(term.startswith("reason") for term in all_stems(fields))}
    assert expected and set(refs(answers["reason*"])) == expected


# --- junk and stop words ----------------------------------------------------------


@pytest.mark.parametrize("query", JUNK)
def test_junk_never_throws(query: str, answers: dict[str, Answer], texts: Texts) -> None:
    answer = answers[query]  # the harness already failed if search.js threw
    assert answer["mode"] in {"empty", "words", "syntax", "fallback"}, answer["mode"]
    if answer["mode"] == "fallback":
        assert answer["message"], "a query lunr could not parse is searched as words, and the page says so"
    words = {word for word in (trim(token) for token in tokenize(re.sub(r"[:+\-*~^]", " ", query))) if word}
    for hit in answer["hits"]:
        assert all_stems(texts[hit["ref"]]) & {stem(word) for word in words} or hit["terms"], query


@pytest.mark.parametrize("query", ["title:", "*", "+", "-", '"', "~", "^", "::", "--"])
def test_nothing_to_search_says_so(query: str, answers: dict[str, Answer]) -> None:
    assert answers[query]["hits"] == []
    assert answers[query]["message"] == "Nothing to search for: type a word."


def test_fallback_keeps_the_words(answers: dict[str, Answer]) -> None:
    assert answers["+graph title:"]["mode"] == "fallback"
    assert refs(answers["+graph title:"]) and set(refs(answers["+graph title:"])) == set(refs(answers["graph "]))
    assert answers["php:reasoning"]["mode"] == "words"
    assert set(refs(answers["php:reasoning"])) == set(refs(answers["reasoning"]))


def test_stop_words(answers: dict[str, Answer]) -> None:
    assert answers["the "]["hits"] == []
    assert "too common" in answers["the "]["message"]
    assert "too common" in answers["and or the "]["message"]
    assert refs(answers["the reasoning"]) == refs(answers["reasoning"])
    # Still typing: "the" may become "theory".
    assert answers["the"]["hits"] and has_prefix_clause(answers["the"])


# --- highlighting and snippets ----------------------------------------------------


def _text(pieces: Iterable[list[Any]]) -> str:
    return "".join(text for text, _ in pieces)


HIGHLIGHT_QUERIES = ["halluc", "aligning", "RL", "discretion", "confucius", "title:reasoning", "reason*", "+graph -vision",
                     "Context-Alignment: Activating and Enhancing LLM Capabilities in Time Series"]


@pytest.mark.parametrize("query", HIGHLIGHT_QUERIES)
def test_marks_are_the_matched_terms(query: str, answers: dict[str, Answer], store: dict[str, Any]) -> None:
    for hit in answers[query]["hits"]:
        entry = store[hit["ref"]]
        for field, key, text in (("title", "title", entry["t"]), ("abstract", "snippet", None)):
            terms = {term for term, fields in hit["terms"].items() if field in fields}
            pieces = hit[key]
            marked = [piece for piece, mark in pieces if mark]
            for word in marked:
                assert word == trim(word) and stem(word.lower()) in terms, (query, word)
            if text is not None:
                assert _text(pieces) == text
                unmarked_matches = [
                    word for piece, mark in pieces if not mark
                    for word in tokenize(piece) if trim(word) and stem(trim(word)) in terms
                ]
                assert not unmarked_matches, (query, unmarked_matches)


@pytest.mark.parametrize("query", HIGHLIGHT_QUERIES)
def test_snippet_is_centred_on_the_first_match(query: str, answers: dict[str, Answer], store: dict[str, Any]) -> None:
    for hit in answers[query]["hits"]:
        abstract = store[hit["ref"]]["a"]
        pieces = hit["snippet"]
        text = _text(pieces)
        body = text.removeprefix("…").removesuffix("…")
        assert body in abstract
        assert len(body) <= 160
        assert len(body) >= min(120, len(abstract))
        assert text.startswith("…") == (not abstract.startswith(body))
        terms = {term for term, fields in hit["terms"].items() if "abstract" in fields}
        if terms:
            assert any(mark for _, mark in pieces), (query, hit["ref"])


def test_deep_match_is_shown_not_the_first_line(answers: dict[str, Answer], store: dict[str, Any]) -> None:
    (hit,) = answers["confucius"]["hits"]
    abstract = store[hit["ref"]]["a"]
    assert abstract.index("Confucius") > 400
    assert hit["snippet"][0] == ["…", False]
    assert ["Confucius", True] in hit["snippet"]


# --- papers with every word first ---------------------------------------------------


def test_papers_with_every_word_are_told_apart(answers: dict[str, Answer], texts: Texts, site: Path) -> None:
    """matchesEveryWord, from lunr's matchData, says what the words themselves say (has_every_word), query by query."""
    vocabulary = set(site_vocabulary(read_search(site)[1]))
    checked = mixed = 0
    for query, answer in answers.items():
        if answer["mode"] != "words" or any(f"{name}:" in query.lower() for name, _ in FIELDS):
            continue
        for hit in answer["hits"]:
            assert hit["every"] == has_every_word(query, all_stems(texts[hit["ref"]]), vocabulary), (query, hit["ref"])
        checked += 1
        mixed += len({hit["every"] for hit in answer["hits"]}) == 2
    assert checked > 50 and mixed > 20
    # A pasted title: its own paper has every word; most papers found have only some.
    (first, *rest) = answers["Context-Alignment: Activating and Enhancing LLM Capabilities in Time Series"]["hits"]
    assert first["every"] and len(rest) > 10 and not any(hit["every"] for hit in rest)
    # The word being typed counts as the start of longer words, and a colon word's parts as words.
    assert all(hit["every"] for hit in answers["halluc"]["hits"])
    assert [hit["every"] for hit in answers["php:reasoning"]["hits"]] == [False] * len(answers["php:reasoning"]["hits"])


# --- filters and the address ------------------------------------------------------


def test_filters_narrow(node: str, site: Path, store: dict[str, Any]) -> None:
    everything, tagged, dated, both = run_cases(node, site, [
        {"query": "alignment"},
        {"query": "alignment", "tag": "surveys"},
        {"query": "alignment", "year": "2024"},
        {"query": "alignment", "tag": "surveys", "year": "2024"},
    ])
    assert 0 < len(tagged["hits"]) < len(everything["hits"])
    assert all("surveys" in store[ref].get("g", []) for ref in refs(tagged))
    assert 0 < len(dated["hits"]) < len(everything["hits"])
    assert all(store[ref].get("d", "").startswith("2024") for ref in refs(dated))
    assert set(refs(both)) == set(refs(tagged)) & set(refs(dated))
    # Filtering keeps the ranking.
    assert refs(tagged) == [ref for ref in refs(everything) if ref in set(refs(tagged))]


def test_url_state_round_trips(node: str, site: Path) -> None:
    script = """
    const s = require(process.argv[1])
    const { index, meta } = require(process.argv[2]).loadSiteIndex(process.argv[3])
    const options = { tags: meta.tags, years: meta.years }
    const out = {
      options,
      fromStore: s.filterOptions(index.store),
      formatted: s.formatState({q: 'title:reasoning +graph & co', tag: 'surveys', year: '2024', sort: 'relevance'}),
      empty: s.formatState({q: '', tag: '', year: '', sort: 'relevance'}),
      parsed: s.parseState('?q=a%20b%2Bc&tag=surveys&year=2024', options),
      unknown: s.parseState('?q=x&tag=nope&year=1066', options),
    }
    out.back = s.parseState(out.formatted, options)
    console.log(JSON.stringify(out))
    """
    proc = subprocess.run(
        [node, "-e", script, str(SEARCH_JS), str(SITE_INDEX_JS), str(site)], capture_output=True, text=True, check=True
    )
    out = json.loads(proc.stdout)
    assert out["formatted"].startswith("?q=")
    assert out["empty"] == ""
    assert out["back"] == {"q": "title:reasoning +graph & co", "tag": "surveys", "year": "2024", "sort": "relevance"}
    assert out["parsed"] == {"q": "a b+c", "tag": "surveys", "year": "2024", "sort": "relevance"}
    assert out["unknown"] == {"q": "x", "tag": "", "year": "", "sort": "relevance"}
    assert out["options"]["years"] == sorted(out["options"]["years"][:-1], reverse=True) + ["undated"]
    assert "surveys" in out["options"]["tags"]
    # The page offers the filters index.js lists before any shard is in: exactly those of the papers.
    assert out["options"] == out["fromStore"]


def test_many_shards_answer_as_one(node: str, site: Path, answers: dict[str, Answer], tmp_path: Path) -> None:
    """The same content in 8 KiB shards: every query of this module gets the same hits, scores, marks and snippets."""
    sharded = build_site(repository_project(tmp_path / "project"), tmp_path / "sharded", "--set", "search_shard_kib=8")
    meta, _ = read_search(sharded)
    assert len(meta["shards"]) >= 4
    assert load_store(sharded) == load_store(site)
    queries = list(answers)
    for query, answer in zip(queries, run_cases(node, sharded, [{"query": query} for query in queries]), strict=True):
        one = answers[query]
        assert {key: answer[key] for key in ("plan", "mode", "message")} == {key: one[key] for key in ("plan", "mode", "message")}
        assert [hit["score"] for hit in answer["hits"]] == [hit["score"] for hit in one["hits"]], query
        by_ref = {hit["ref"]: hit for hit in one["hits"]}
        assert {hit["ref"]: hit for hit in answer["hits"]} == by_ref, query


# --- author names and key phrases -------------------------------------------------


def test_search_js_fields_are_the_index_fields(node: str, site: Path) -> None:
    """search.js's own list (used when no index is at hand) and the index's list are FIELDS, in its order."""
    meta, _ = read_search(site)
    proc = subprocess.run(
        [node, "-e", "console.log(JSON.stringify(require(process.argv[1]).FIELDS))", str(SEARCH_JS)],
        capture_output=True, text=True, check=True,
    )
    names = [name for name, _ in FIELDS]
    assert json.loads(proc.stdout) == meta["fields"] == names
    assert meta["boosts"] == [boost for _, boost in FIELDS]


def test_search_tips_name_every_field(site: Path) -> None:
    page = (site / "search" / "index.html").read_text(encoding="utf-8")
    tips = page[page.index('<details class="search-help">') : page.index("</details>")]
    for name, _ in FIELDS:
        assert f"<code>{name}:" in tips or f"<code>{name}</code>" in tips, name
    assert "<code>authors:hinton</code>" in tips and "<code>keywords:diffusion</code>" in tips


SIXTY = [f"{given} {family}" for family in ("O'Neill", "Müller", "Long", "Øvergård", "van der Berg", "Sato")
         for given in ("Zoë", "Søren", "José", "Ümit", "Jean-Baptiste", "Amélie", "Siân", "Çağrı", "Priya", "Olga")]

NAMED_PAPERS = {
    "document-recognition.md": (
        "Gradient-Based Learning Applied to Document Recognition",
        ["Yann LeCun", "Léon Bottou", "Yoshua Bengio", "Patrick Haffner"],
        ["convolutional networks", "handwriting recognition"],
        ["vision"],
        "Multilayer networks trained with gradient descent read handwritten characters on bank cheques.",
    ),
    "attention-once-more.md": (
        "Attention Is All You Need, Once More",
        ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar", "Jakob Uszkoreit", "Llion Jones", "Aidan N. Gomez",
         "Łukasz Kaiser", "Illia Polosukhin"],
        ["transformers", "self-attention"],
        [],
        "A sequence transduction model built on attention alone, without recurrence or convolutions.",
    ),
    "distilling-the-knowledge.md": (
        "Distilling the Knowledge in a Neural Network",
        ["Geoffrey Hinton", "Oriol Vinyals", "Jeff Dean"],
        ["knowledge distillation"],
        [],
        "An ensemble is compressed into one smaller model trained on its soft targets.",
    ),
    "dynamic-routing-between-capsules.md": (
        "Dynamic Routing Between Capsules",
        ["Sara Sabour", "Nicholas Frosst", "Ada Bold", "Geoffrey E. Hinton"],
        ["capsule networks"],
        ["vision"],
        "Capsules are groups of neurons whose activity vector stands for an entity and its pose.",
    ),
    "denoising-at-scale.md": (
        "Denoising Probabilistic Models at Scale",
        SIXTY,
        ["diffusion models", "score matching"],
        [],
        "Sixty authors train a large image generator by reversing a gradual noising process.",
    ),
}


def named_page(title: str, authors: list[str], keywords: list[str], tags: list[str], abstract: str) -> str:
    lines = ["---", f"title: {json.dumps(title)}", "date: 2025-11-05", "authors:"]
    lines += [f"- {json.dumps(name, ensure_ascii=False)}" for name in authors]
    lines += ["keywords:", *(f"- {keyword}" for keyword in keywords)]
    if tags:
        lines += ["tags:", *(f"- {tag}" for tag in tags)]
    return "\n".join([*lines, "---", "", abstract, ""])


@pytest.fixture(scope="module")
def site_with_names(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The content gives author counts only: the same content plus papers with names and key phrases."""
    root = tmp_path_factory.mktemp("search-names")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(ROOT / "content", root / "content")
    for name, paper in NAMED_PAPERS.items():
        (root / "content" / "papers" / name).write_text(named_page(*paper), encoding="utf-8")
    return build_site(root, root / "site", "--set", f"theme_dir={ROOT / 'sitegen' / 'theme'}")


def test_names_and_phrases_are_found_and_shown(node: str, site_with_names: Path) -> None:
    """A family name as typed finds its papers first, shows the first three names with it marked, then "et al."."""
    store = load_store(site_with_names)
    texts = load_texts(site_with_names.parent, store)
    queries = ["lecun", "LeCun ", "Łukasz", "kaiser", "hinton", "authors:hinton", "+authors:hinton -vision",
               "keywords:diffusion", "authors:müller", "müller", "keywords:knowledge", "bottou lecun"]
    answers = dict(zip(queries, run_cases(node, site_with_names, [{"query": query} for query in queries]), strict=True))
    ref_of = {name: by_title(store, paper[0]) for name, paper in NAMED_PAPERS.items()}
    lecun, vaswani, hinton, capsules, sixty = ref_of.values()

    for query in ("lecun", "LeCun ", "bottou lecun"):
        first = answers[query]["hits"][0]
        assert first["ref"] == lecun, query
        assert first["terms"]["lecun"] == ["authors"]
        assert _text(first["authors"]) == "Yann LeCun, Léon Bottou, Yoshua Bengio et al."
        assert [piece for piece, mark in first["authors"] if mark] == (["LeCun"] if query != "bottou lecun" else ["LeCun", "Bottou"])
    assert refs(answers["Łukasz"])[:1] == refs(answers["kaiser"])[:1] == [vaswani]
    # Kaiser is the seventh author: found, but not among the names shown.
    assert not any(mark for _, mark in answers["kaiser"]["hits"][0]["authors"])
    assert _text(answers["kaiser"]["hits"][0]["authors"]) == "Ashish Vaswani, Noam Shazeer, Niki Parmar et al."
    assert set(refs(answers["hinton"])) == set(refs(answers["authors:hinton"])) == {hinton, capsules}
    assert refs(answers["+authors:hinton -vision"]) == [hinton]
    assert [mark for _, mark in answers["authors:hinton"]["hits"][refs(answers["authors:hinton"]).index(hinton)]["authors"]] == [False, True, False]
    assert _text(answers["authors:hinton"]["hits"][refs(answers["authors:hinton"]).index(hinton)]["authors"]) == (
        "Geoffrey Hinton, Oriol Vinyals, Jeff Dean"
    )
    assert refs(answers["keywords:diffusion"]) == [sixty]
    assert refs(answers["authors:müller"]) == [sixty] and sixty in refs(answers["müller"])
    assert refs(answers["keywords:knowledge"]) == [hinton]
    # A field query matches that field only, plain words every field.
    for query in ("authors:hinton", "keywords:diffusion", "authors:müller"):
        field = query.split(":")[0]
        for hit in answers[query]["hits"]:
            assert all(fields == [field] for fields in hit["terms"].values()), query
            assert set(hit["terms"]) <= stems(texts[hit["ref"]][field]), query
    # Papers known by their author count show no names.
    counted = [ref for ref, entry in store.items() if ref not in ref_of.values()]
    assert counted and all("n" not in store[ref] and texts[ref]["authors"] == "" for ref in counted)
    assert store[sixty]["n"] == SIXTY[:3] and store[sixty]["m"] == 57


# --- the status line -----------------------------------------------------------------------------

STATUS_SENTENCES = [
    ({"query": "reasoning", "count": 16}, "16 papers match \u201creasoning\u201d."),
    ({"query": "reasoning", "count": 1}, "1 paper matches \u201creasoning\u201d."),
    ({"query": "reasoning", "count": 0}, "No papers match \u201creasoning\u201d."),
    ({"tag": "safety", "count": 16}, "16 papers tagged safety."),
    ({"tag": "safety", "count": 1}, "1 paper tagged safety."),
    ({"tag": "safety", "count": 0}, "No papers tagged safety."),
    ({"year": "2025", "count": 12}, "12 papers from 2025."),
    ({"year": "undated", "count": 1}, "1 undated paper."),
    ({"year": "2025", "tag": "safety", "count": 3, "sort": "newest"}, "3 papers from 2025 tagged safety, newest first."),
    ({"query": "reward model", "year": "2025", "tag": "safety", "count": 3},
     "3 papers match \u201creward model\u201d in 2025, tagged safety."),
    ({"query": "reward model", "tag": "safety", "count": 1, "sort": "discussed"}, "1 paper matches \u201creward model\u201d, tagged safety."),
    ({"query": "x", "year": "undated", "count": 0}, "No undated papers match \u201cx\u201d."),
    ({"query": "a b", "count": 43, "every": 3}, "3 papers match all words of \u201ca b\u201d; 40 more match some."),
    ({"query": "a b", "count": 2, "every": 1, "sort": "newest"},
     "1 paper matches all words of \u201ca b\u201d; 1 more matches some, newest first."),
    ({"query": "a b", "count": 5, "every": 0, "year": "2024"}, "No papers match all words of \u201ca b\u201d in 2024; 5 match some."),
    ({"query": "a b", "count": 5, "every": 5}, "5 papers match \u201ca b\u201d."),
]


def test_status_sentences(node: str) -> None:
    """statusSentence for words, a tag, a year and their mixes; no paper, one, many; all words or only some."""
    facts = [{"query": "", "tag": "", "year": "", "sort": "relevance", **given} for given, _ in STATUS_SENTENCES]
    script = "const s = require(process.argv[1]); console.log(JSON.stringify(JSON.parse(process.argv[2]).map(s.statusSentence)))"
    proc = subprocess.run([node, "-e", script, str(SEARCH_JS), json.dumps(facts)], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout) == [sentence for _, sentence in STATUS_SENTENCES]


def test_archive_counts_are_the_facets_of_every_paper(node: str, site: Path) -> None:
    """Without words, the filters count what search/index.js says: facets() over every paper of the store, for any filters."""
    script = """
    const s = require(process.argv[1])
    const { index, meta } = require(process.argv[2]).loadSiteIndex(process.argv[3])
    const every = index.refs.map(ref => ({ ref: ref, score: 0, matchData: { metadata: {} } }))
    const out = []
    for (const tag of ['', ...meta.tags]) {
      for (const year of ['', ...meta.years]) {
        out.push([s.archiveFacets(meta, { tag, year }), s.facets(every, index.store, { tag, year })])
      }
    }
    console.log(JSON.stringify(out))
    """
    proc = subprocess.run(
        [node, "-e", script, str(SEARCH_JS), str(SITE_INDEX_JS), str(site)], capture_output=True, text=True, check=True
    )
    pairs = json.loads(proc.stdout)
    assert len(pairs) > 20
    for archive, counted in pairs:
        assert {name: n for name, n in archive["tags"].items() if n} == counted["tags"]
        assert {name: n for name, n in archive["years"].items() if n} == counted["years"]
