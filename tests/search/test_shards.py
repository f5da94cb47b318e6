"""The sharded search files (sitegen/search/shards.py) hold exactly the index `fast_index_json` writes.

search.js rebuilds a lunr index per shard from term frequencies and
site-wide statistics; the tests run it in Node (tests/site_index.js, through
tests/search_shards.js) and compare, byte for byte, the index the shards add
up to with `fast_index_json`, which tests/search/test_lunr_index.py and
tests/search/test_parity.py tie to lunr.py's and lunr.js's own builders.
Without `node` the tests fail rather than skip.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import Any

import pytest
from search_files import HARNESS, load_in_node, need_node, read_search, script_payload, vocabulary, write_search
from test_parity import EXOTIC, NAMED, QUERIES

from benchmarks.corpus import generate
from sitegen.build.load import load_papers
from sitegen.config import load_config
from sitegen.model import Paper
from sitegen.search.files import search_documents
from sitegen.search.lunr_index import FIELDS, SearchDocument, compact_json, count_terms, fast_index_json, short_ref
from sitegen.search.shards import FIRST_SHARD_SHARE, INDEX_SCRIPT, SearchMemory, plan_shards, search_fingerprint, search_outputs
from sitegen.site.collect import collect

ROOT = Path(__file__).parents[2]

# Budgets (KiB) that cut each corpus into several shards, whole years and parts of years.
SHARD_KIB = {"seed": 8, "synthetic": 32}


@pytest.fixture(scope="module")
def node() -> str:
    return need_node()


@pytest.fixture(scope="module")
def seed_documents() -> list[SearchDocument]:
    """The repository's papers as a build indexes them, plus one paper of awkward text and papers with author
    names and key phrases (undated, so last)."""
    config = load_config(ROOT)
    documents = search_documents(collect(load_papers(config), config))
    assert len(documents) == 46
    return [*documents, EXOTIC, *NAMED]


@pytest.fixture(scope="module")
def synthetic_documents() -> list[SearchDocument]:
    """1,000 generated papers over three years, in site order (newest first) as a build numbers them; half name their authors."""
    documents = search_documents(collect(list(generate(1000)), load_config(ROOT)))
    assert len({document.date[:4] for document in documents if document.date}) == 3
    assert sum(bool(document.authors) for document in documents) > 300
    assert sum(len(document.authors) > 3 for document in documents) > 100
    assert sum(bool(document.keywords) for document in documents) > 300
    return documents


@pytest.fixture(scope="module", params=sorted(SHARD_KIB))
def corpus(request: pytest.FixtureRequest) -> tuple[str, list[SearchDocument]]:
    name: str = request.param
    return name, request.getfixturevalue(f"{name}_documents")


def index_part(shard: dict[str, Any]) -> bytes:
    """A shard's JSON without its store, as written: what the budget limits."""
    return compact_json({key: value for key, value in shard.items() if key != "store"}).encode("utf-8")


def shard_ranges(documents: Sequence[SearchDocument], shards: list[dict[str, Any]]) -> list[range]:
    positions = {document.ref: position for position, document in enumerate(documents)}
    ranges = [range(positions[shard["refs"][0]], positions[shard["refs"][-1]] + 1) for shard in shards]
    assert [[documents[p].ref for p in r] for r in ranges] == [shard["refs"] for shard in shards]
    return ranges


def year(document: SearchDocument) -> str:
    return document.date[:4] if document.date else "undated"


def same_hits_but_ties(mine: Any, reference: Any) -> None:
    """Identical scores (===) in the same order and the same refs; refs of equal score may come in any order."""
    if isinstance(reference, str) or isinstance(mine, str):
        assert mine == reference
        return
    assert [score for _, score in mine] == [score for _, score in reference]
    assert sorted(map(tuple, mine)) == sorted(map(tuple, reference))


# --- the index the shards add up to, in Node -----------------------------------------------------


@pytest.fixture(scope="module")
def sharded(
    node: str, corpus: tuple[str, list[SearchDocument]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[SearchDocument], dict[str, Any]]:
    """The corpus's search files at a small budget, loaded in Node, with the parity queries run on them and on the fast index."""
    name, documents = corpus
    site = write_search(tmp_path_factory.mktemp(f"shards-{name}"), search_outputs(documents, SHARD_KIB[name]))
    reference = site / "reference.json"
    reference.write_text(fast_index_json(documents), encoding="utf-8")
    loaded = load_in_node(node, site, whole=True, queries=QUERIES, reference=str(reference))
    assert len(loaded["meta"]["shards"]) >= 4
    assert loaded["complete"] and loaded["parts"] == len(loaded["meta"]["shards"])
    return documents, loaded


def test_shards_add_up_to_the_fast_index_byte_for_byte(sharded: tuple[list[SearchDocument], dict[str, Any]]) -> None:
    documents, loaded = sharded
    expected = fast_index_json(documents)
    if loaded["whole"] != expected:  # say where, not just that megabytes differ
        mine, theirs = json.loads(loaded["whole"]), json.loads(expected)
        for key in ("version", "fields", "pipeline", "fieldVectors", "invertedIndex"):
            assert mine[key] == theirs[key], key
    assert loaded["whole"] == expected


def test_shards_answer_the_parity_queries_as_the_single_index(sharded: tuple[list[SearchDocument], dict[str, Any]]) -> None:
    _, loaded = sharded
    for query, mine, reference in zip(QUERIES, loaded["hits"], loaded["referenceHits"], strict=True):
        try:
            same_hits_but_ties(mine, reference)
        except AssertionError as error:
            raise AssertionError(f"query {query!r}: {error}") from error


def test_parity_queries_hit_papers_of_several_shards(sharded: tuple[list[SearchDocument], dict[str, Any]]) -> None:
    """Guard against a parity that holds only because the hits all come from one shard, or none."""
    _, loaded = sharded
    shard_of: dict[str, int] = {}
    position = 0
    for number, shard in enumerate(loaded["meta"]["shards"]):
        for ref in loaded["refs"][position : position + shard["count"]]:
            shard_of[ref] = number
        position += shard["count"]
    assert position == len(loaded["refs"])
    spread = [query for query, hits in zip(QUERIES, loaded["hits"], strict=True)
              if not isinstance(hits, str) and len({shard_of[ref] for ref, _ in hits}) >= 3]
    assert len(spread) >= 10, spread
    assert sum(isinstance(hits, str) for hits in loaded["hits"]) >= 2


def test_first_shards_alone_score_papers_as_the_whole_index_when_they_know_the_query_terms(
    node: str, seed_documents: list[SearchDocument], tmp_path: Path
) -> None:
    """The page searches the newest shards before the rest arrive. lunr divides a score by the length of the query
    vector, which holds every term a query term expands to, so the papers in get their final scores when the shards
    in know every term the query expands to (the trace), and scores as if the archive had only their terms otherwise."""
    site = write_search(tmp_path, search_outputs(seed_documents, SHARD_KIB["seed"]))
    queries = ["reasoning", "alignment", "reason*", "+graph -vision", "title:survey abstract:alignment", "aligment~1"]
    queries += ["code generation", "model*", "llm"]
    whole = load_in_node(node, site, queries=queries, traces=True)
    agreed = differed = 0
    for loaded_shards in (1, 3, 6):
        partial = load_in_node(node, site, shards=loaded_shards, queries=queries, traces=True)
        assert not partial["complete"] and partial["parts"] == loaded_shards
        loaded = set(partial["refs"])
        assert partial["refs"] == whole["refs"][: len(loaded)]
        for query, mine, full, trace, full_trace in zip(
            queries, partial["hits"], whole["hits"], partial["traces"], whole["traces"], strict=True
        ):
            restricted = [hit for hit in full if hit[0] in loaded]
            if trace == full_trace:
                same_hits_but_ties(mine, restricted)
                agreed += bool(mine)
            else:
                differed += 1
                assert {ref for ref, _ in mine} <= {ref for ref, _ in restricted}, query
    assert agreed >= 6 and differed >= 3


def test_the_page_ends_with_the_answer_of_the_whole_index(
    node: str, corpus: tuple[str, list[SearchDocument]], tmp_path: Path
) -> None:
    """searchAgain() as the page runs it while shards arrive (new shards only, or every shard again when the vocabulary
    the search saw changed) ends with exactly what a search of the whole index gives, hits, scores and order."""
    name, documents = corpus
    site = write_search(tmp_path, search_outputs(documents, SHARD_KIB[name]))
    texts = [*QUERIES, "halluc", "hallucinat", "reason", "model", "alig", "lecun", "AI ", "surveys aligning"]
    loaded = load_in_node(node, site, arrivals=texts, page=[{"query": text} for text in texts])
    assert len(loaded["meta"]["shards"]) >= 4
    for text, arrived, whole in zip(texts, loaded["arrivals"], loaded["page"], strict=True):
        assert arrived["hits"] == whole["hits"], text
    assert sum(bool(arrived["hits"]) for arrived in loaded["arrivals"]) >= len(texts) // 2
    searches = [arrived["searches"] for arrived in loaded["arrivals"]]
    assert max(searches) > 1, "no arrival changed what a search saw: the test would not tell"
    assert sum(searches) < len(texts) * len(loaded["meta"]["shards"]) / 2, searches


def test_search_page_answers_the_same_from_one_shard_or_several(
    node: str, seed_documents: list[SearchDocument], tmp_path: Path
) -> None:
    """search.js's search() and filters, as the page runs them, on one shard and on many."""
    titles = [document.title for document in seed_documents[::5]]
    cases = [{"query": query} for query in (*titles, "halluc", "hallucinat", "RL", "AI ", "reason*", "+graph -vision",
                                            "the ", "title:", "+graph title:", "php:reasoning", "surveys aligning",
                                            "lecun", "Łukasz", "authors:kaiser", "keywords:diffusion", "+authors:hinton -vision")]
    cases += [{"query": "alignment", "tag": "surveys"}, {"query": "reasoning", "year": "2024"}, {"query": "llm", "year": "undated"}]
    answers = {}
    for kib in (256, SHARD_KIB["seed"]):
        site = write_search(tmp_path / str(kib), search_outputs(seed_documents, kib))
        answers[kib] = load_in_node(node, site, page=cases)
    assert len(answers[256]["meta"]["shards"]) == 1 and len(answers[SHARD_KIB["seed"]]["meta"]["shards"]) >= 4
    for case, one, several in zip(cases, answers[256]["page"], answers[SHARD_KIB["seed"]]["page"], strict=True):
        assert (several["mode"], several["message"]) == (one["mode"], one["message"]), case
        same_hits_but_ties(several["hits"], one["hits"])
    found = [answer for answer in answers[256]["page"] if answer["hits"]]
    assert len(found) >= len(cases) - 3
    assert answers[256]["store"] == answers[SHARD_KIB["seed"]]["store"]


def test_search_page_finds_authors_and_key_phrases(node: str, seed_documents: list[SearchDocument], tmp_path: Path) -> None:
    """search.js as the page runs it: a family name as typed (the last word a prefix), with its accents, or as a field query."""
    site = write_search(tmp_path, search_outputs(seed_documents, SHARD_KIB["seed"]))
    queries = ["lecun", "LeCun ", "Łukasz", "łukasz kaiser", "authors:łukasz", "authors:kaiser", "hinto",
               "authors:hinton", "+authors:hinton -vision", "keywords:diffusion", "diffusion models", "Geoffrey E. Hinton"]
    answers = load_in_node(node, site, page=[{"query": query} for query in queries])["page"]
    found = {query: [ref for ref, _ in answer["hits"]] for query, answer in zip(queries, answers, strict=True)}
    assert found["lecun"][0] == found["LeCun "][0] == "zy"
    assert found["Łukasz"][0] == found["łukasz kaiser"][0] == "zx"
    assert found["authors:łukasz"] == found["authors:kaiser"] == ["zx"]
    assert set(found["hinto"]) == set(found["authors:hinton"]) == {"zw", "zv"}
    assert found["+authors:hinton -vision"] == ["zw"]
    assert found["keywords:diffusion"] == ["zu"]
    assert set(found["diffusion models"][:2]) == {"zu", "zt"}
    assert found["Geoffrey E. Hinton"][0] == "zv"


# --- what the files carry -----------------------------------------------------------------------


AWKWARD = SearchDocument(
    ref="q",
    title="It's a \\back\\slash, a literal \\u2028 and a \\' pair </script><script>window.__x=1</script>",
    url="papers/it-s-awkward/",
    date="2025-01-02",
    tags=("o'clock", "back\\slash"),
    organisation="L'Institut </SCRIPT>",
    abstract="line\u2028separator, paragraph\u2029separator, astral 😀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢, quotes \" ' ` and \\n \n newline \u0000 nul",
    authors=("Miles O'Brien </script>", "Back\\slash Person", "Ada\u2028Lovelace", "Fourth Author"),
    keywords=("it's", "key\\phrase"),
)


def test_awkward_text_round_trips_through_the_scripts(
    node: str, seed_documents: list[SearchDocument], tmp_path: Path
) -> None:
    """Quotes, backslashes, </script>, U+2028/U+2029 and astral characters reach the page unchanged."""
    documents = [AWKWARD, *seed_documents[:3]]
    outputs = search_outputs(documents)
    for data in outputs.values():
        assert "\u2028".encode() not in data and "\u2029".encode() not in data, "breaks the script in pre-ES2019 engines"
    site = write_search(tmp_path, outputs)
    queries = ["o'clock", "l'institut", "back\\\\slash", "paragraph", "authors:o'brien", "keywords:it's"]
    (site / "reference.json").write_text(fast_index_json(documents), encoding="utf-8")
    loaded = load_in_node(node, site, whole=True, queries=queries, reference=str(site / "reference.json"))
    expected = {"t": AWKWARD.title, "u": AWKWARD.url, "d": AWKWARD.date, "g": list(AWKWARD.tags),
                "o": AWKWARD.organisation, "n": list(AWKWARD.authors[:3]), "m": 1, "a": AWKWARD.abstract}
    assert loaded["store"][0] == [AWKWARD.ref, expected]
    assert loaded["whole"] == fast_index_json(documents)
    assert loaded["hits"] == loaded["referenceHits"]
    assert [hits[0][0] for hits in loaded["hits"]] == ["q"] * len(queries)
    meta, shards = read_search(site)
    assert meta == loaded["meta"]
    assert [entry for shard in shards for entry in shard["store"]] == [entry for _, entry in loaded["store"]]


def test_python_reader_refuses_a_raw_line_separator() -> None:
    """Guard the guard: search_files.script_payload rejects what old engines cannot parse."""
    with pytest.raises(AssertionError, match="line terminator"):
        script_payload("window.SITEGEN_SEARCH=JSON.parse('[\"\u2028\"]');\n".encode())
    assert script_payload(b"window.SITEGEN_SEARCH=JSON.parse('[\"\\u2028\\\\\\\\\"]');\n") == ["\u2028\\"]


def test_store_keeps_each_field_once(seed_documents: list[SearchDocument], tmp_path: Path) -> None:
    _, shards = read_search(write_search(tmp_path, search_outputs(seed_documents, SHARD_KIB["seed"])))
    entries = [entry for shard in shards for entry in shard["store"]]
    assert len(entries) == len(seed_documents)
    for document, entry in zip(seed_documents, entries, strict=True):
        expected: dict[str, Any] = {"t": document.title, "u": document.url}
        if document.date:
            expected["d"] = document.date
        if document.tags:
            expected["g"] = list(document.tags)
        if document.organisation:
            expected["o"] = document.organisation
        if document.authors:
            expected["n"] = list(document.authors[:3])
        if len(document.authors) > 3:
            expected["m"] = len(document.authors) - 3
        if document.comments is not None:
            expected["c"] = document.comments
        if document.upvotes is not None:
            expected["v"] = document.upvotes
        expected["a"] = document.abstract
        assert entry == expected
        assert list(entry) == list(expected)
        assert "keywords" not in entry and not any(keyword in entry.values() for keyword in document.keywords)
    by_ref = dict(zip((document.ref for document in seed_documents), entries, strict=True))
    assert by_ref[EXOTIC.ref] == {"t": EXOTIC.title, "u": EXOTIC.url, "g": list(EXOTIC.tags), "a": EXOTIC.abstract}
    vaswani, hinton, sixty = (by_ref[ref] for ref in ("zx", "zw", "zu"))
    assert (vaswani["n"], vaswani["m"]) == (["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"], 5)
    assert hinton["n"] == ["Geoffrey Hinton", "Oriol Vinyals", "Jeff Dean"] and "m" not in hinton
    assert sixty["m"] == 57
    assert sum("c" in entry for entry in entries) == 5, "the seed has 5 papers with a comment count"


def test_a_paper_known_by_its_author_count_has_no_names(tmp_path: Path) -> None:
    """`authors: 5` in a page: nothing is indexed or stored for it (the count is not a name), unlike a list of names."""
    papers = [
        Paper(slug="counted", title="Counted", body="Five people wrote this.", date=dt.date(2025, 1, 2), author_count=5),
        Paper(slug="named", title="Named", body="Two people wrote this.", date=dt.date(2025, 1, 1),
              authors=("Yann LeCun", "Łukasz Kaiser"), keywords=("diffusion models",)),
    ]
    counted, named = documents = search_documents(collect(papers, load_config(ROOT)))
    assert (counted.title, counted.authors, counted.keywords) == ("Counted", (), ())
    assert (named.authors, named.keywords) == (("Yann LeCun", "Łukasz Kaiser"), ("diffusion models",))
    _, (shard,) = read_search(write_search(tmp_path, search_outputs(documents)))
    assert shard["store"][0] == {"t": "Counted", "u": "papers/counted/", "d": "2025-01-02", "a": "Five people wrote this."}
    assert shard["store"][1]["n"] == ["Yann LeCun", "Łukasz Kaiser"] and "m" not in shard["store"][1]
    fields = [name for name, _ in FIELDS]
    assert shard["docs"][0][fields.index("authors")] == shard["docs"][0][fields.index("keywords")] == []
    assert "5" not in shard["terms"] and "five" in shard["terms"]
    assert {"lecun", "ukasz", "kaiser", "diffus"} <= set(shard["terms"])


def test_counts_are_stored_when_known_and_never_indexed(tmp_path: Path) -> None:
    """`c` (comments) and `v` (upvotes) for the page to show and sort by: 0 is kept, an unknown count left out."""
    papers = [
        Paper(slug="both", title="Both", body="Counted twice.", date=dt.date(2025, 1, 3), comments=0, upvotes=12),
        Paper(slug="comments", title="Comments", body="Counted once.", date=dt.date(2025, 1, 2), comments=37),
        Paper(slug="neither", title="Neither", body="Never counted.", date=dt.date(2025, 1, 1)),
    ]
    documents = search_documents(collect(papers, load_config(ROOT)))
    assert [(d.comments, d.upvotes) for d in documents] == [(0, 12), (37, None), (None, None)]
    _, (shard,) = read_search(write_search(tmp_path, search_outputs(documents)))
    both, comments, neither = shard["store"]
    assert (both["c"], both["v"]) == (0, 12) and list(both) == ["t", "u", "d", "c", "v", "a"]
    assert comments["c"] == 37 and "v" not in comments
    assert "c" not in neither and "v" not in neither
    assert not {"0", "12", "37"} & set(shard["terms"])
    bare = [SearchDocument(**{**{name: getattr(d, name) for name in SearchDocument.__slots__}, "comments": None, "upvotes": None})
            for d in documents]
    assert fast_index_json(bare) == fast_index_json(documents)


def test_shards_define_the_fast_index_vocabulary(corpus: tuple[str, list[SearchDocument]], tmp_path: Path) -> None:
    """Each shard lists its papers' terms by lunr term number, and ends with those no shard before it has, with their df
    as lunr's idf counts it; index.js keeps only what does not grow with the vocabulary, and the filter options."""
    name, documents = corpus
    meta, shards = read_search(write_search(tmp_path, search_outputs(documents, SHARD_KIB[name])))
    lunr_index = json.loads(fast_index_json(documents))
    postings = sorted(lunr_index["invertedIndex"], key=lambda pair: pair[1]["_index"])
    number = {term: posting["_index"] for term, posting in postings}
    assert vocabulary(shards) == [term for term, _ in postings]
    assert [df for shard in shards for df in shard["df"]] == [
        sum(len(posting[field]) for field in lunr_index["fields"]) for _, posting in postings
    ]
    defined = 0
    counts = count_terms(documents)
    for shard, held in zip(shards, shard_ranges(documents, shards), strict=True):
        terms = shard["terms"]
        held_terms = {term for p in held for _, frequencies in counts.fields[p] for term in frequencies}
        assert terms == sorted(held_terms, key=number.__getitem__)
        known = len(terms) - len(shard["df"])
        assert all(number[term] < defined for term in terms[:known])
        assert [number[term] for term in terms[known:]] == list(range(defined, defined + len(shard["df"])))
        defined += len(shard["df"])
    assert set(meta) == {"format", "lunr", "fields", "boosts", "k1", "b", "pipeline", "documents", "fieldLengths",
                         "tags", "years", "yearCounts", "tagYearCounts", "shards"}
    assert meta["fields"] == lunr_index["fields"] and meta["pipeline"] == lunr_index["pipeline"]
    assert meta["documents"] == len(documents)
    assert meta["tags"] == sorted({tag for document in documents for tag in document.tags})
    dated = sorted({year(document) for document in documents if document.date}, reverse=True)
    assert meta["years"] == dated + (["undated"] if any(d.date is None for d in documents) else [])
    # The filters' counts over the whole archive: papers by year, and by tag and year.
    assert meta["yearCounts"] == [sum(year(d) == column for d in documents) for column in meta["years"]]
    assert meta["tagYearCounts"] == [
        [sum(tag in d.tags and year(d) == column for d in documents) for column in meta["years"]]
        for tag in meta["tags"]
    ]
    assert sum(meta["yearCounts"]) == len(documents) and any(any(row) for row in meta["tagYearCounts"])


def test_shards_added_out_of_order_are_refused(node: str, seed_documents: list[SearchDocument], tmp_path: Path) -> None:
    """A shard numbers its terms on from those before it: added first, a later one must fail, not score wrongly."""
    site = write_search(tmp_path, search_outputs(seed_documents, SHARD_KIB["seed"]))
    (site / "search" / "shard-0.js").write_bytes((site / "search" / "shard-2.js").read_bytes())
    proc = subprocess.run([node, str(HARNESS), str(site)], input="{}", capture_output=True, text=True, check=False)
    assert proc.returncode != 0 and "added out of order" in proc.stderr


# --- the shard plan ------------------------------------------------------------------------------


@pytest.mark.parametrize("kib", [1, 4, 16, 64, 1024])
def test_every_paper_once_in_order_and_within_budget(corpus: tuple[str, list[SearchDocument]], kib: int) -> None:
    _, documents = corpus
    outputs = search_outputs(documents, kib)
    meta = script_payload(outputs[INDEX_SCRIPT])
    shards = [script_payload(outputs[f"search/{shard['file']}"]) for shard in meta["shards"]]
    assert sorted(outputs) == sorted([INDEX_SCRIPT, *(f"search/shard-{number}.js" for number in range(len(shards)))])
    assert [shard["file"] for shard in meta["shards"]] == [f"shard-{number}.js" for number in range(len(shards))]
    assert [ref for shard in shards for ref in shard["refs"]] == [document.ref for document in documents]
    assert [shard["count"] for shard in meta["shards"]] == [len(shard["refs"]) for shard in shards]
    assert all(len(shard["store"]) == len(shard["refs"]) == len(shard["docs"]) for shard in shards)
    for number, shard in enumerate(shards):
        size = len(index_part(shard))
        budget = kib * 1024 // (FIRST_SHARD_SHARE if number == 0 else 1)
        assert size <= budget or len(shard["refs"]) == 1, f"shard {number}: {size} bytes over {budget} bytes"
    if kib >= 1024:
        assert len(shards) <= 2
    if kib == 1:
        assert len(shards) > len(documents) / 3


@pytest.mark.parametrize("kib", [2, 8, 32])
def test_shards_hold_whole_years_or_part_of_one(corpus: tuple[str, list[SearchDocument]], kib: int) -> None:
    """Newest year first; a shard of several years holds each of them whole."""
    _, documents = corpus
    outputs = search_outputs(documents, kib)
    meta = script_payload(outputs[INDEX_SCRIPT])
    shards = [script_payload(outputs[f"search/{shard['file']}"]) for shard in meta["shards"]]
    ranges = shard_ranges(documents, shards)
    years_in_order = [year(documents[r[0]]) for r in ranges]
    dated = [y for y in years_in_order if y != "undated"]
    assert years_in_order == sorted(dated, reverse=True) + ["undated"] * (len(years_in_order) - len(dated))
    papers_of_year = Counter(year(document) for document in documents)
    for r in ranges:
        held = Counter(year(documents[position]) for position in r)
        if len(held) > 1:
            assert all(papers_of_year[y] == n for y, n in held.items()), f"{dict(held)} of {dict(papers_of_year)}"


def _distinct_words(position: int, count: int) -> str:
    return " ".join(f"w{position}x{k}" for k in range(count))


def _uniform(positions: range, year_of: Any, words: int) -> list[SearchDocument]:
    """Papers of about equal size and no shared words: shard sizes add up, years compare by size."""
    return [
        SearchDocument(short_ref(p), _distinct_words(p, 3), f"papers/p{p}/", year_of(p), (), "", _distinct_words(p + 10_000, words))
        for p in positions
    ]


def test_small_years_are_merged_and_a_big_year_cut_into_equal_parts() -> None:
    """Two tiny years share a shard, a year far over budget is cut evenly, and the tiny years after it share one again."""
    years = ["2025-03-01"] * 2 + ["2024-03-01"] * 2 + ["2023-03-01"] * 40 + ["2022-03-01"] * 2 + [None] * 2
    tiny, big = 2, 60
    documents = [
        SearchDocument(short_ref(p), _distinct_words(p, 3), f"papers/p{p}/", date, (), "",
                       _distinct_words(p + 10_000, big if date == "2023-03-01" else tiny))
        for p, date in enumerate(years)
    ]
    counts = count_terms(documents)
    for budget in (2048, 4096):
        plan = list(plan_shards(documents, counts, budget).shards)
        assert plan[0] == range(4) and plan[-1] == range(44, 48), plan
        parts = plan[1:-1]
        assert len(parts) >= 2 and [p for part in parts for p in part] == list(range(4, 44))
        assert max(map(len, parts)) - min(map(len, parts)) <= 1, [len(part) for part in parts]
        shards = [script_payload(data) for path, data in sorted(search_outputs(documents, budget // 1024).items())
                  if path != INDEX_SCRIPT]
        assert sorted(shard_ranges(documents, shards), key=lambda r: r.start) == plan
    assert plan_shards(documents, counts, 10**7).shards == (range(48),)


def test_years_are_merged_while_they_fit() -> None:
    """Five equal years and a budget of about 2.8 years: shards of two years, then the last year alone."""
    documents = _uniform(range(30), lambda p: f"{2025 - p // 6}-01-01", 40)
    counts = count_terms(documents)
    (whole,) = [script_payload(data) for path, data in search_outputs(documents, 1024).items() if path != INDEX_SCRIPT]
    year_size = len(index_part(whole)) / 5
    plan = plan_shards(documents, counts, int(2.8 * year_size)).shards
    assert plan == (range(12), range(12, 24), range(24, 30))
    assert plan_shards(documents, counts, int(0.9 * year_size)).shards == tuple(range(s, s + 3) for s in range(0, 30, 3))


@pytest.mark.parametrize("kib", [4, 8, 16])
def test_cut_years_are_planned_in_equal_parts_and_only_split_further(
    corpus: tuple[str, list[SearchDocument]], kib: int
) -> None:
    """The plan cuts a year evenly; the written shards refine the plan (a part over budget once encoded is halved)."""
    _, documents = corpus
    plan = plan_shards(documents, count_terms(documents), kib * 1024).shards
    assert [p for r in plan for p in r] == list(range(len(documents)))
    by_year: dict[str, list[int]] = {}
    for r in plan:
        held = {year(documents[p]) for p in r}
        if len(held) == 1:
            by_year.setdefault(held.pop(), []).append(len(r))
    cut = {y: sizes for y, sizes in by_year.items() if len(sizes) > 1}
    assert cut, "no year is cut at this budget: the check would be empty"
    for y, sizes in cut.items():
        assert max(sizes) - min(sizes) <= 1, (y, sizes)
    outputs = search_outputs(documents, kib)
    shards = [script_payload(data) for path, data in outputs.items() if path != INDEX_SCRIPT]
    for r in shard_ranges(documents, shards):
        assert any(r.start >= planned.start and r.stop <= planned.stop for planned in plan), r


# --- the same documents give the same bytes ---------------------------------------------------------


def test_outputs_are_deterministic_across_processes(seed_documents: list[SearchDocument], tmp_path: Path) -> None:
    outputs = search_outputs(seed_documents, SHARD_KIB["seed"])
    assert search_outputs(list(seed_documents), SHARD_KIB["seed"]) == outputs
    docs_file = tmp_path / "docs.json"
    docs_file.write_text(
        json.dumps([[d.ref, d.title, d.url, d.date, list(d.tags), d.organisation, d.abstract, list(d.authors), list(d.keywords),
                     d.comments, d.upvotes] for d in seed_documents]),
        encoding="utf-8",
    )
    program = (
        "import hashlib, json, sys\n"
        "from sitegen.search.lunr_index import SearchDocument, fast_index_json\n"
        "from sitegen.search.shards import search_outputs\n"
        "rows = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        "docs = [SearchDocument(r[0], r[1], r[2], r[3], tuple(r[4]), r[5], r[6], tuple(r[7]), tuple(r[8]), r[9], r[10])"
        " for r in rows]\n"
        "out = search_outputs(docs, int(sys.argv[2]))\n"
        "out['lunr'] = fast_index_json(docs).encode('utf-8')\n"
        "print(json.dumps({k: hashlib.sha256(v).hexdigest() for k, v in sorted(out.items())}))\n"
    )
    expected = {k: hashlib.sha256(v).hexdigest() for k, v in sorted({**outputs, "lunr": fast_index_json(seed_documents).encode()}.items())}
    assert len(expected) >= 6
    for seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-c", program, str(docs_file), str(SHARD_KIB["seed"])],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        assert json.loads(proc.stdout) == expected


def test_fingerprint_follows_searchable_content_and_budget(seed_documents: list[SearchDocument]) -> None:
    base = search_fingerprint(seed_documents)
    assert base == search_fingerprint(list(seed_documents)) == search_fingerprint(seed_documents, 256)
    assert re.fullmatch(r"[0-9a-f]{64}", base)
    assert search_fingerprint(seed_documents, 8) != base
    first = seed_documents[0]
    for change in (
        {"title": first.title + "!"},
        {"url": first.url + "x/"},
        {"date": "1999-01-01"},
        {"tags": (*first.tags, "new")},
        {"organisation": "Org"},
        {"abstract": first.abstract + " more"},
        {"ref": "new"},
        {"authors": ("Yann LeCun",)},
        {"keywords": ("diffusion models",)},
        {"comments": 7},
        {"upvotes": 0},
    ):
        fields = {name: getattr(first, name) for name in SearchDocument.__slots__}
        changed = SearchDocument(**{**fields, **change})
        assert search_fingerprint([changed, *seed_documents[1:]]) != base, change
    assert search_fingerprint(list(reversed(seed_documents))) != base


def test_repeated_ref_is_refused(seed_documents: list[SearchDocument]) -> None:
    with pytest.raises(ValueError, match="more than one document"):
        search_outputs([seed_documents[0], seed_documents[0]])


def test_a_remembering_process_writes_what_a_fresh_one_writes(synthetic_documents: list[SearchDocument]) -> None:
    """The preview's worker keeps counts and shards between builds; every kind of change must still give fresh bytes."""
    memory = SearchMemory()
    documents = synthetic_documents[:400]
    edited = list(documents)
    edited[150] = replace(edited[150], abstract="A zyzzyva-like unseen word. " + edited[150].abstract)
    retitled = list(edited)
    retitled[3] = replace(retitled[3], title="Entirely new title words: quokka quagga")
    removed = [replace(document, ref=short_ref(position)) for position, document in enumerate(retitled[:200] + retitled[201:])]
    moved = [replace(removed[0], date="2020-01-01"), *removed[1:]]
    for version in (documents, documents, edited, retitled, removed, moved, documents):
        assert search_outputs(version, 8, memory) == search_outputs(version, 8)
    assert len(memory.counts) == len(documents)


def test_a_remembering_process_encodes_only_the_shards_that_changed(synthetic_documents: list[SearchDocument]) -> None:
    """An edit changes its paper's shard, index.js (field lengths), and the shards defining a term whose df it changed."""
    memory = SearchMemory()
    before = search_outputs(synthetic_documents, 32, memory)
    edited = list(synthetic_documents)
    edited[500] = replace(edited[500], abstract=edited[500].abstract + " Edited zyzzyva.")
    after = search_outputs(edited, 32, memory)
    changed = {path for path in after if after[path] != before.get(path)}
    shards = {path: script_payload(data) for path, data in after.items() if path != INDEX_SCRIPT}
    holding = {path for path, shard in shards.items() if edited[500].ref in shard["refs"]}
    assert len(holding) == 1
    df_before, df_after = (Counter(chain.from_iterable(f for fields in count_terms(d).fields for _, f in fields))
                           for d in (synthetic_documents, edited))
    moved = {term for term in df_before | df_after if df_before[term] != df_after[term]}
    assert "zyzzyva" in moved and len(moved) == 2
    defining = {path for path, shard in shards.items() if moved & set(shard["terms"][len(shard["terms"]) - len(shard["df"]) :])}
    assert changed == {INDEX_SCRIPT, *holding, *defining}
    assert len(changed) < len(after) / 3
