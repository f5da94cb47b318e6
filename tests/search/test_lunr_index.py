"""The fast index builder writes the bytes lunr.py's Builder path writes, on the real seed and at scale.

`serialize_index(build_index(...))` (lunr.py's Builder, with lunr.js's
pipeline) is the reference; tests/search/test_parity.py ties that reference
to lunr.js's own builder. The site's search shards must add up to the fast
path's bytes (tests/search/test_shards.py), so it must never drift from the
reference by a byte.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_parity import NAMED, SIXTY_NAMES

from benchmarks.corpus import generate
from sitegen.build.load import load_papers
from sitegen.config import load_config
from sitegen.search.files import search_documents
from sitegen.search.lunr_index import (
    SearchDocument,
    build_index,
    fast_index_json,
    fast_serialized_index,
    serialize_index,
    short_ref,
)
from sitegen.site.collect import collect
from sitegen.site.render import plain_text

ROOT = Path(__file__).parents[2]


def _reference_json(documents: list[SearchDocument]) -> str:
    return json.dumps(serialize_index(build_index(documents)), ensure_ascii=False, separators=(",", ":"))


@pytest.fixture(scope="module")
def seed_documents() -> list[SearchDocument]:
    config = load_config(ROOT)
    documents = search_documents(collect(load_papers(config), config))
    assert len(documents) > 40
    return [*documents, *NAMED]


@pytest.fixture(scope="module")
def synthetic_documents() -> list[SearchDocument]:
    """1,000 generated papers, numbered like a real build (base-36 refs, many all-digit), half with author names."""
    papers = list(generate(1000))
    assert sum(bool(paper.authors) for paper in papers) > 300 and sum(bool(paper.keywords) for paper in papers) > 300
    return [
        SearchDocument(
            ref=short_ref(position),
            title=paper.title,
            url=f"papers/{paper.slug}/",
            date=paper.date.isoformat() if paper.date else None,
            tags=paper.tags,
            organisation=paper.organisation.name if paper.organisation else "",
            abstract=plain_text(paper.body),
            authors=paper.authors,
            keywords=paper.keywords,
        )
        for position, paper in enumerate(papers)
    ]


def test_seed_index_is_byte_identical(seed_documents: list[SearchDocument]) -> None:
    assert fast_index_json(seed_documents) == _reference_json(seed_documents)


def test_synthetic_index_is_byte_identical(synthetic_documents: list[SearchDocument]) -> None:
    fast = fast_index_json(synthetic_documents)
    reference = _reference_json(synthetic_documents)
    if fast != reference:  # say where, not just that 2 MB differ
        ours, theirs = json.loads(fast), json.loads(reference)
        for key in ("version", "fields", "pipeline", "fieldVectors", "invertedIndex"):
            assert ours[key] == theirs[key], key
    assert fast == reference


def test_serialized_dict_equals_reference(synthetic_documents: list[SearchDocument]) -> None:
    documents = synthetic_documents[:200]
    assert fast_serialized_index(documents) == serialize_index(build_index(documents))


def test_edge_documents() -> None:
    """Empty fields, stop-word-only and punctuation-only fields, an empty term, non-digit and digit refs, names only,
    sixty names, names that are stop words or emoji, a phrase with a comma inside."""
    documents = [
        SearchDocument("10", "The and of", "papers/a/", None, (), "", "( ) -- the"),
        SearchDocument("2", "Café (LLM's)", "papers/b/", "2025-01-01", ("state-of-the-art",), "KAIST AI", ""),
        SearchDocument("x", "Surveys surveying 😀s a😀😀ing", "papers/c/", None, ("surveys",), "", "try try try"),
        SearchDocument("01", "Zero-padded ref\ufeffis not an array index", "papers/d/", None, (), "", "x\x1cy z\x85w"),
        SearchDocument("7", "Names only", "papers/e/", None, (), "", "", authors=("Łukasz Kaiser", "Yann LeCun"), keywords=("diffusion models",)),
        SearchDocument("y", "Sixty", "papers/f/", None, (), "", "sixty authors", authors=SIXTY_NAMES, keywords=("a, b", "the")),
        SearchDocument("z", "Stop-word names", "papers/g/", None, (), "", "", authors=("Will", "The Who", "😀 Emoji")),
    ]
    assert fast_index_json(documents) == _reference_json(documents)


def test_no_documents() -> None:
    index = fast_serialized_index([])
    assert index["fieldVectors"] == [] and index["invertedIndex"] == []
    assert index["pipeline"] == ["stemmer"]


def test_repeated_ref_is_refused(seed_documents: list[SearchDocument]) -> None:
    with pytest.raises(ValueError, match="more than one document"):
        fast_index_json([seed_documents[0], seed_documents[0]])
