"""Related papers: each paper's five nearest neighbours by TF-IDF cosine over its title, keywords and abstract.

Terms are the ones the search index holds: `count_terms` (lunr's pipeline:
stemmed, stop words out) over each paper's title, key phrases and abstract.
Every weight is an integer until the norm, so any process, and any update
of an earlier result, computes the same numbers to the bit:

* term frequency: title x 3 + key phrases x 2 + abstract, then the level
  ``6 + floor(4 log2 tf)`` (sublinear, about ``5.8 (1 + ln tf)``);
* inverse document frequency: ``floor(4 log2 N) - floor(4 log2 df)``,
  ``log(N / df)`` in quarter-octave steps, N and df counted over published
  papers (drafts are never listed);
* weight = tf level x idf level; a paper's vector is its weights divided by
  their norm over all its terms, times 2^15, rounded. A score is the dot
  product of two vectors: an integer, 2^30 being a cosine of 1.

Pruning (measured on the 6,519 papers of the real Hugging Face dumps: the
lists keep 98% of the summed exact cosine of the unpruned top 5, the 95th
percentile paper 93%, against 30 times fewer multiply-adds):

* a term in one paper only joins no two papers: it counts in the norm only;
* a term in more than about a fifth of the papers (idf level under
  `MIN_IDF_LEVEL`: "model", "language", "large" in a paper archive) is left
  out of the dot products;
* each paper keeps its `TOP_TERMS` heaviest remaining terms (ties by term).

A paper's related papers are the `RELATED` highest scores at or over
`MIN_SCORE`, itself excluded, ties by site order (newest first).

The work goes through postings (term -> papers, each with its weight), never
pair by pair in Python: for a block of papers, numpy gathers the postings of
their terms and adds the products per (paper, other paper) into one dense
block, from which the top five of each row are picked. numpy pays for itself:
at 10,000 generated papers the same postings walked in Python took over 30 s
and numpy takes about 1 s; scipy's sparse product was no faster than this
and takes twice numpy's import time.

Incremental and exact: what a build computed is kept (`RelatedMemory`, the
build state's `related.json` and `related-terms.json`). An unchanged
archive reuses the lists and computes nothing. Otherwise only papers whose
text changed are counted again, every vector is recomputed from the kept
counts (cheap), and the papers whose vector changed (the edited ones, those
sharing a term whose df crossed a quarter-octave step, all of them when N
crosses one, about every 19% of growth), moved in the site order, were added
or removed make the set C. Rows of C are ranked again, and so are the rows
whose list held a paper of C; every other list only takes in a paper of C
that now beats its fifth entry. Integer scores make that equal, bit for bit,
to ranking everything afresh (tests/search/test_related.py checks it). When
C is over a quarter of the papers, everything is ranked again.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import cast

import numpy as np
import numpy.typing as npt

from sitegen.model import Paper
from sitegen.search.lunr_index import FIELDS, SearchDocument, count_terms
from sitegen.site.collect import Site, sort_key
from sitegen.site.render import plain_text

__all__ = [
    "MIN_IDF_LEVEL",
    "MIN_SCORE",
    "PARAMETERS",
    "RELATED",
    "TOP_TERMS",
    "Lists",
    "PaperKey",
    "RelatedMemory",
    "Terms",
    "find_related",
    "related_lists",
    "with_related",
]

RELATED = 5
"""Related papers a paper lists at most."""
FIELD_WEIGHTS = {"abstract": 1, "title": 3, "keywords": 2}
"""Each field's weight on term frequency: a title word says more about the paper than an abstract word."""
TOP_TERMS = 30
"""Terms each paper keeps (its heaviest, after the frequent ones are left out)."""
MIN_IDF_LEVEL = 9
"""Terms with a lower idf level (in more than N / 2^(9/4), about a fifth of the papers) are left out..."""
FREQUENT_FROM = 100
"""... unless in this many papers or fewer: a small archive's own topic words are what tell its papers apart."""
ONE = 1 << 15
"""A vector's unit: a paper's weights are scaled so that their norm is this, and rounded."""
MIN_SCORE = round(0.03 * ONE * ONE)
"""The least score (cosine 0.03) that makes two papers related: below it they share only a stray word."""
_BLOCK = 64
"""Columns per block maximum when picking a row's top scores (`_top`)."""
_CELLS = 1 << 17
"""Dense cells (8 bytes each) of one block of scores: 1 MiB, so the scattered adds stay in cache (twice
as fast at 10,000 papers as 16 MiB blocks)."""
PARAMETERS = f"related-1 fields={FIELD_WEIGHTS} top={TOP_TERMS} idf>={MIN_IDF_LEVEL}|df<={FREQUENT_FROM} min={MIN_SCORE} n={RELATED}"
"""Everything the lists depend on besides the papers: part of every key, so a change recomputes all."""

IntArray = npt.NDArray[np.int64]
SmallArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class PaperKey:
    """What one paper's place in the computation depends on."""

    slug: str
    text: str
    """Digest of its title, key phrases and abstract: what its term counts depend on."""
    order: str
    """Digest of its sort key: where it sorts, so which side of a tie it is on."""
    candidate: bool
    """Published: may be listed as related to others (a draft only gets a list of its own)."""


@dataclass(frozen=True, slots=True)
class Lists:
    """Every paper's related papers, by row in site order."""

    positions: SmallArray
    """(papers, `RELATED`): positions in the site order, most related first; -1 past the end of a shorter list."""
    scores: IntArray
    """The same shape: each one's score (0 past the end)."""

    def entries(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """Per paper, its (position, score) pairs."""
        return tuple(
            tuple((position, score) for position, score in zip(positions, scores) if position >= 0)
            for positions, scores in zip(self.positions.tolist(), self.scores.tolist())
        )


@dataclass(slots=True)
class Terms:
    """The larger half of what is kept: each paper's term counts and a digest of its vector."""

    key: str
    """The `RelatedMemory.terms_key` of the lists these rows were computed with."""
    vocabulary: list[str]
    papers: list[PaperKey]
    """In the site order of that computation: row i of the lists."""
    counts: list[tuple[IntArray, IntArray]]
    """Per row: term numbers (into ``vocabulary``) and weighted frequencies."""
    vectors: list[bytes]
    """Per row: digest of its vector (its kept terms and their weights)."""


@dataclass(slots=True)
class RelatedMemory:
    """One computation's result and what the next needs to update it."""

    key: str
    """Digest of `PARAMETERS` and every paper as the build hashes it: equal, nothing to do at all."""
    terms_key: str
    """Digest of `PARAMETERS` and every `PaperKey` in site order: what the lists depend on."""
    lists: Lists
    terms: Terms | None = field(default=None)
    """Read only when a paper changed in a way the lists may depend on (``load`` in `find_related`)."""


def paper_key(paper: Paper) -> PaperKey:
    text = hashlib.blake2b(
        "\0".join((paper.title, "\x1f".join(paper.keywords), paper.body)).encode("utf-8", "surrogatepass"), digest_size=16
    ).hexdigest()
    order = hashlib.blake2b(repr(sort_key(paper)).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return PaperKey(paper.slug, text, order, not paper.draft)


def _paper_digest(paper: Paper) -> bytes:
    """What the build's `PaperDigests` gives (it keeps them from one build of a session to the next)."""
    return hashlib.sha256(repr(paper).encode("utf-8", "surrogatepass")).digest()


def _site_key(papers: Sequence[Paper], digest: Callable[[Paper], bytes]) -> str:
    hashed = hashlib.sha256(PARAMETERS.encode())
    for paper in papers:
        hashed.update(digest(paper))
    return hashed.hexdigest()


def _terms_key(papers: Sequence[PaperKey]) -> str:
    hashed = hashlib.sha256(PARAMETERS.encode())
    for paper in papers:
        hashed.update(f"{paper.slug}\0{paper.text}\0{paper.order}\0{paper.candidate:d}\n".encode())
    return hashed.hexdigest()


def with_related(site: Site, memory: RelatedMemory) -> Site:
    """``site`` with each paper's related papers (by slug), as pages and the open data show them."""
    papers = site.papers
    related = {
        papers[row].slug: tuple(papers[position] for position in found if position >= 0)
        for row, found in enumerate(memory.lists.positions.tolist())
        if found[0] >= 0
    }
    return replace(site, related=related)


def related_lists(site: Site, texts: Mapping[str, str], previous: RelatedMemory | None = None) -> RelatedMemory:
    """`find_related` with nothing kept but ``previous`` (tests, benchmarks)."""
    return find_related(site, texts, previous, lambda: None)


def find_related(
    site: Site,
    texts: Mapping[str, str],
    previous: RelatedMemory | None,
    load: Callable[[], Terms | None],
    digest: Callable[[Paper], bytes] = _paper_digest,
) -> RelatedMemory:
    """Every paper's related papers, reusing ``previous`` (the last build's) where the papers allow.

    ``texts`` maps Markdown bodies to their plain text where it is known; ``load``
    reads the kept `Terms` when ``previous`` has none, and is called only when a
    paper changed in a way the lists may depend on; ``digest`` hashes a paper
    (the build passes its own, which it has already taken of every paper).
    """
    papers = site.papers
    key = _site_key(papers, digest)
    if previous is not None and previous.key == key:
        return previous
    keys = [paper_key(paper) for paper in papers]
    terms_key = _terms_key(keys)
    if previous is not None and previous.terms_key == terms_key:  # a comment count, a tag: not what the lists use
        return replace(previous, key=key)
    kept = previous.terms if previous is not None and previous.terms is not None else load()
    vocabulary = list(kept.vocabulary) if kept is not None else []
    numbers = {term: number for number, term in enumerate(vocabulary)}
    known = {} if kept is None else {paper.text: counts for paper, counts in zip(kept.papers, kept.counts)}
    counts = _counts(papers, keys, known, texts, vocabulary, numbers)
    vectors = _vectors(counts, [paper.candidate for paper in keys], vocabulary)
    if previous is not None and kept is not None and kept.key == previous.terms_key and len(previous.lists.positions) == len(kept.papers):
        lists = _update(vectors, keys, kept, previous.lists)
    else:
        lists = _all(vectors)
    return RelatedMemory(key, terms_key, lists, Terms(terms_key, vocabulary, keys, counts, vectors.digests))


# --- counts ------------------------------------------------------------------------------------------

_FIELD_INDEX = {name: index for index, (name, _) in enumerate(FIELDS)}


def _counts(
    papers: Sequence[Paper],
    keys: Sequence[PaperKey],
    known: Mapping[str, tuple[IntArray, IntArray]],
    texts: Mapping[str, str],
    vocabulary: list[str],
    numbers: dict[str, int],
) -> list[tuple[IntArray, IntArray]]:
    """Each paper's (term numbers, weighted frequencies): kept ones where its text is unchanged, else counted."""
    missing = [index for index, key in enumerate(keys) if key.text not in known]
    documents = [
        SearchDocument(
            ref=str(index),
            title=papers[index].title,
            url="",
            date=None,
            tags=(),
            organisation="",
            abstract=texts[papers[index].body] if papers[index].body in texts else plain_text(papers[index].body),
            keywords=papers[index].keywords,
        )
        for index in missing
    ]
    counted: dict[str, tuple[IntArray, IntArray]] = {}
    if documents:
        for index, found in zip(missing, _weighted(count_terms(documents).fields, vocabulary, numbers)):
            counted[keys[index].text] = found
    return [known[key.text] if key.text in known else counted[key.text] for key in keys]


def _weighted(
    fields: Sequence[Sequence[tuple[int, Counter[str]]]], vocabulary: list[str], numbers: dict[str, int]
) -> list[tuple[IntArray, IntArray]]:
    """Per document, its terms by number (new terms join ``vocabulary``) and their weighted frequencies."""
    (base, _), *others = [(_FIELD_INDEX[name], weight) for name, weight in FIELD_WEIGHTS.items()]
    terms: list[str] = []
    frequencies: list[int] = []
    lengths: list[int] = []
    for document in fields:
        merged = dict(document[base][1])  # the abstract, weight 1: copied in C; the short fields added to it
        for position, weight in others:
            for term, count in document[position][1].items():
                merged[term] = merged.get(term, 0) + weight * count
        terms.extend(merged)
        frequencies.extend(merged.values())
        lengths.append(len(merged))
    for term in sorted(set(terms).difference(numbers)):
        numbers[term] = len(vocabulary)
        vocabulary.append(term)
    ids = np.fromiter(map(numbers.__getitem__, terms), dtype=np.int64, count=len(terms))
    tfs = np.array(frequencies, dtype=np.int64)
    bounds = [0, *np.cumsum(lengths).tolist()]
    return [(ids[a:b], tfs[a:b]) for a, b in pairwise(bounds)]


# --- vectors -----------------------------------------------------------------------------------------


def _levels(top: int) -> IntArray:
    """``floor(4 log2 x)`` for x = 1..top (index x - 1), exactly: the largest k with 2^k <= x^4."""
    return np.array([(x**4).bit_length() - 1 for x in range(1, top + 1)], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class _Vectors:
    """Every paper's vector in two layouts: by paper (queries) and by term (postings, published papers only)."""

    count: int
    starts: IntArray
    """Row i's entries are ``terms[starts[i]:starts[i + 1]]``, heaviest first."""
    owners: SmallArray
    """The row of each entry."""
    terms: IntArray
    weights: SmallArray
    """At most `ONE`: products fit 32 bits (numpy's gathers are memory-bound, so half the bytes, half the time)."""
    posting_starts: IntArray
    """Term t's postings are ``posting_rows[posting_starts[t]:posting_starts[t + 1]]``, by row."""
    posting_rows: SmallArray
    posting_weights: SmallArray
    digests: list[bytes]
    candidates: npt.NDArray[np.bool_]


def _vectors(counts: Sequence[tuple[IntArray, IntArray]], candidates: Sequence[bool], vocabulary: Sequence[str]) -> _Vectors:
    count = len(counts)
    size = len(vocabulary)
    sizes = np.array([len(ids) for ids, _ in counts], dtype=np.int64)
    row = np.repeat(np.arange(count, dtype=np.int64), sizes)
    term = np.concatenate([ids for ids, _ in counts]) if count else np.zeros(0, np.int64)
    tf = np.concatenate([tfs for _, tfs in counts]) if count else np.zeros(0, np.int64)
    candidate = np.array(candidates, dtype=bool)
    df = np.bincount(term[candidate[row]], minlength=size)
    published = int(candidate.sum())
    levels = _levels(max(published, int(tf.max()) if len(tf) else 1, 1))
    idf = (levels[published - 1] if published else 0) - levels[np.maximum(df, 1) - 1]
    weight = (6 + levels[tf - 1]) * idf[term]
    norm = np.sqrt(np.bincount(row, weights=(weight * weight).astype(np.float64), minlength=count))
    # Terms that can join two papers, heaviest first within each paper, ties by the term itself.
    usable = (df[term] >= 2) & ((idf[term] >= MIN_IDF_LEVEL) | (df[term] <= FREQUENT_FROM)) & (weight > 0)
    row, term, weight = row[usable], term[usable], weight[usable]
    by_text = np.empty(size, dtype=np.int64)
    by_text[np.array(sorted(range(size), key=vocabulary.__getitem__), dtype=np.int64)] = np.arange(size, dtype=np.int64)
    order = np.lexsort((by_text[term], -weight, row))
    row, term, weight = row[order], term[order], weight[order]
    first = np.searchsorted(row, np.arange(count + 1))
    keep = np.arange(len(row)) - first[row] < TOP_TERMS
    row, term, weight = row[keep], term[keep], weight[keep]
    scaled = np.rint(weight * float(ONE) / norm[row]).astype(np.int64)
    keep = scaled > 0
    row, term, scaled = row[keep], term[keep], scaled[keep]
    starts = np.searchsorted(row, np.arange(count + 1)).astype(np.int64)
    listed = candidate[row]
    by_term = np.lexsort((row[listed], term[listed]))
    posting_starts = np.zeros(size + 1, dtype=np.int64)
    posting_starts[1:] = np.cumsum(np.bincount(term[listed], minlength=size))
    # A vector's digest names its terms by their text, so it does not depend on the term numbering.
    hashes = np.array(
        [int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little") for text in vocabulary],
        dtype=np.uint64,
    )
    named = hashes[term]
    digests = [
        hashlib.blake2b(named[a:b].tobytes() + scaled[a:b].tobytes(), digest_size=16).digest()
        for a, b in pairwise(starts.tolist())
    ]
    small = scaled.astype(np.int32)
    posting_rows = row[listed][by_term].astype(np.int32)
    return _Vectors(count, starts, row.astype(np.int32), term, small, posting_starts, posting_rows, small[listed][by_term], digests, candidate)


# --- ranking -----------------------------------------------------------------------------------------


def _spans(starts: IntArray, lengths: IntArray) -> IntArray:
    """The indexes ``starts[i] .. starts[i] + lengths[i] - 1`` for every i, concatenated."""
    ends = np.cumsum(lengths)
    spans = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
    spans -= np.repeat(ends - lengths - starts, lengths)
    return spans


def _width(vectors: _Vectors) -> int:
    return max(_BLOCK, -(-vectors.count // _BLOCK) * _BLOCK)


def _score_blocks(vectors: _Vectors, rows: IntArray) -> Iterator[tuple[IntArray, npt.NDArray[np.float64]]]:
    """Dense scores of ``rows`` against every paper, a block of rows at a time, a row's own score 0.

    Scores are sums of integer products below 2^53, so the float64 cells hold them exactly.
    """
    width = _width(vectors)
    step = max(1, _CELLS // width)
    for first in range(0, len(rows), step):
        block = rows[first : first + step]
        if int(block[-1]) - int(block[0]) + 1 == len(block):  # a run of rows (a whole ranking): their entries are a run too
            entries: slice | IntArray = slice(int(vectors.starts[block[0]]), int(vectors.starts[block[-1] + 1]))
            local = vectors.owners[entries] - np.int32(block[0])
        else:
            lengths = vectors.starts[block + 1] - vectors.starts[block]
            entries = _spans(vectors.starts[block], lengths)
            local = np.repeat(np.arange(len(block), dtype=np.int32), lengths)
        terms = vectors.terms[entries]
        posting_lengths = vectors.posting_starts[terms + 1] - vectors.posting_starts[terms]
        postings = _spans(vectors.posting_starts[terms], posting_lengths)
        products = np.repeat(vectors.weights[entries], posting_lengths) * vectors.posting_weights[postings]
        cells = np.repeat(local * np.int32(width), posting_lengths) + vectors.posting_rows[postings]
        summed = np.bincount(cells, weights=products, minlength=len(block) * width)
        scores = cast("npt.NDArray[np.float64]", summed).reshape(len(block), width)
        scores[np.arange(len(block)), block] = 0
        yield block, scores


def _top(scores: npt.NDArray[np.float64]) -> tuple[SmallArray, IntArray]:
    """Each row's `RELATED` best columns and scores at or over `MIN_SCORE`, ties by column (`Lists` layout).

    No full sort: the RELATED-th largest of the maxima of 64-column blocks is a
    floor no true top score is under (those maxima are RELATED distinct cells),
    and usually just under the fifth, so few cells pass it.
    """
    rows, width = scores.shape
    blocks = width // _BLOCK
    if blocks >= RELATED:
        maxima = scores.reshape(rows, blocks, _BLOCK).max(axis=2)
        floor = np.maximum(np.partition(maxima, blocks - RELATED, axis=1)[:, blocks - RELATED], MIN_SCORE)
    else:
        floor = np.full(rows, float(MIN_SCORE))
    passing = np.flatnonzero(scores >= floor[:, None])
    row, column = np.divmod(passing, width)
    value = scores.reshape(-1)[passing]
    order = np.lexsort((column, -value, row))
    row, column, value = row[order], column[order], value[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row)
    keep = rank < RELATED
    positions = np.full((rows, RELATED), -1, dtype=np.int32)
    found = np.zeros((rows, RELATED), dtype=np.int64)
    positions[row[keep], rank[keep]] = column[keep]
    found[row[keep], rank[keep]] = value[keep]
    return positions, found


def _rank_rows(vectors: _Vectors, rows: IntArray) -> tuple[SmallArray, IntArray]:
    """The related papers of ``rows``, ranked among every published paper: `Lists` arrays, one row each."""
    positions = np.full((len(rows), RELATED), -1, dtype=np.int32)
    scores = np.zeros((len(rows), RELATED), dtype=np.int64)
    done = 0
    for block, block_scores in _score_blocks(vectors, rows):
        positions[done : done + len(block)], scores[done : done + len(block)] = _top(block_scores)
        done += len(block)
    return positions, scores


def _all(vectors: _Vectors) -> Lists:
    return Lists(*_rank_rows(vectors, np.arange(vectors.count, dtype=np.int64)))


def _update(vectors: _Vectors, keys: Sequence[PaperKey], kept: Terms, lists: Lists) -> Lists:
    """The lists of every paper from the previous ones, ranking again only what changed (module docstring)."""
    count = len(keys)
    old_rows = {paper.slug: row for row, paper in enumerate(kept.papers)}
    old_of_new = np.full(count, -1, dtype=np.int64)
    changed = np.zeros(count, dtype=bool)
    for row, paper in enumerate(keys):
        old = old_rows.get(paper.slug)
        if old is None:
            changed[row] = True
            continue
        old_of_new[row] = old
        was = kept.papers[old]
        if (was.order, was.candidate, kept.vectors[old]) != (paper.order, paper.candidate, vectors.digests[row]):
            changed[row] = True
    present = old_of_new >= 0
    new_of_old = np.full(len(kept.papers) + 1, -1, dtype=np.int64)  # the last one: where -1 (no entry) points
    new_of_old[old_of_new[present]] = np.flatnonzero(present)
    moved = new_of_old < 0  # removed, and (below) changed: a list that holds one is ranked again
    moved[-1] = False
    if (int(changed.sum()) + int(moved.sum())) * 4 > max(count, 1):
        return _all(vectors)
    moved[old_of_new[changed & present]] = True
    # Old lists in the new numbering (scores of two unchanged papers are unchanged).
    old_positions = lists.positions[np.maximum(old_of_new, 0)]
    again = changed | moved[old_positions].any(axis=1)
    positions = np.where(old_positions >= 0, new_of_old[old_positions], -1).astype(np.int32)
    scores = lists.scores[np.maximum(old_of_new, 0)].copy()
    ranked = np.flatnonzero(again)
    if len(ranked):
        positions[ranked], scores[ranked] = _rank_rows(vectors, ranked)
    # A changed published paper may now beat the last entry of another list: scores are symmetric.
    inserting = np.flatnonzero(changed & vectors.candidates)
    targets = np.flatnonzero(~again)
    if len(inserting) and len(targets):
        full = positions[targets, -1] >= 0
        last_score = np.where(full, scores[targets, -1], MIN_SCORE).astype(np.float64)
        last_row = np.where(full, positions[targets, -1], count)
        additions: dict[int, list[tuple[int, int]]] = {}
        for block, block_scores in _score_blocks(vectors, inserting):
            mine = block_scores[:, targets]
            beats = ((mine > last_score) | ((mine == last_score) & (block[:, None] < last_row))) & (mine >= MIN_SCORE)
            for i, j in zip(*np.nonzero(beats)):
                additions.setdefault(int(targets[j]), []).append((int(block[i]), int(mine[i, j])))
        for row, extra in additions.items():
            entries = [(position, score) for position, score in zip(positions[row].tolist(), scores[row].tolist()) if position >= 0]
            best = sorted([*entries, *extra], key=lambda entry: (-entry[1], entry[0]))[:RELATED]
            positions[row], scores[row] = -1, 0
            for place, (position, score) in enumerate(best):
                positions[row, place], scores[row, place] = position, score
    return Lists(positions, scores)
