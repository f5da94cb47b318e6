"""The search files a site ships: corpus statistics, and the index split into shards the browser adds one by one.

One lunr index of 10,000 papers is 21 MiB of JSON (6.4 MiB gzipped) that
takes over a second to parse before the first query. Most of those bytes are
redundant: each posting is the transpose of a field vector, and each vector
weight is lunr's BM25 of a term frequency and corpus-wide statistics. So the
files carry term frequencies only, and search.js rebuilds, shard by shard,
exactly the lunr index `fast_index_json` writes, with lunr.js's own builder
arithmetic:

* every shard is scored with the whole site's statistics (document count and
  average field lengths from index.js, document frequency per term from the
  shard that defines the term) and numbers terms as the single index does,
  so a paper's field vectors are the single index's (tests/search/test_shards.py
  compares the expanded index with `fast_index_json` byte for byte);
* the vocabulary lives in the shards, not in index.js, which therefore does
  not grow with it: each term is defined (its number and df) by the first
  shard holding it, and later shards name it by its text. Shards are added
  in order, so the page knows a term's number from the shards before;
* lunr divides a score by the length of the query vector, which holds every
  term a query term expands to (`reason*`, `aligment~1`), matched in the
  shard or not: so every shard expands against the terms of all the shards
  added so far, and once all are in the hits merged from the shards are the
  single index's, scores included (the parity queries). Before that, a query
  whose expansion the missing shards would widen scores as if the archive
  had only the terms in, and the page searches every shard again when an
  arrival changes what a query saw (search.js's `searchAgain`);
* shards hold whole years, newest first, while they fit the size budget; a
  year over it is cut into equal parts. The newest papers within a
  `FIRST_SHARD_SHARE` of the budget make a first shard of their own: the
  page's first results wait for index.js and it alone, at any archive size.

Files, by path relative to the site root. Each is a script, so the search
page also works from `file://`, where `fetch` is refused; the payload is
JSON text handed to `JSON.parse`, which engines parse faster than a literal:

* `search/index.js` sets `window.SITEGEN_SEARCH` to
  `{format, lunr, fields, boosts, k1, b, pipeline, documents, fieldLengths,
  tags, years, yearCounts, tagYearCounts, shards: [{file, count}]}`:
  `fieldLengths` sums each field's length over all papers.
  `yearCounts[j]` counts the papers of `years[j]`, and `tagYearCounts[i][j]`
  those of `years[j]` tagged `tags[i]`: the filters' counts over the whole
  archive, which the page shows before anything is typed, before any shard
  has arrived.
* `search/shard-K.js` pushes `{refs, terms, df, docs, store}` onto
  `window.SITEGEN_SEARCH_SHARDS`: `terms` are the terms of the shard's
  papers in lunr term number order; the last `len(df)` of them are those no
  earlier shard holds, numbered on from the terms the earlier shards define,
  and `df[j]` counts the (document, field) pairs of the whole site holding
  the j-th of them (what `lunr.idf` counts). `docs[i][f]` lists the terms of
  field f of paper `refs[i]`,
  one entry per occurrence, as shard term ids in increasing order written
  as differences from the previous id (the first from -1): 0 repeats the
  term. `store[i]` is what a hit shows and is sorted by: `{"t": title,
  "u": url, "d": date, "g": [tags], "o": organisation, "n": [names],
  "m": more, "c": comments, "v": upvotes, "a": abstract}`, `d`, `g`, `o`,
  `n` and `m` left out when empty and `c` and `v` when unknown (a count of
  0 is kept: it is known); `n` holds the first `SHOWN_AUTHORS` author names
  (a paper known only by its author count has none) and `m` how many
  authors follow them (the page writes "et al."); `c` and `v` are the
  listing's comment and upvote counts, which the page shows on the card
  and sorts "most discussed" by; `u` is relative to the site root.
  Keywords are searched but not shown, so the store leaves them out.
* `search/lunr.json` (only with ``lunr_json``): the whole index as
  `fast_index_json` writes it, lunr's own serialization, for other programs
  to `lunr.Index.load`; the page never loads it. Its refs are the shards'.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain, pairwise
from typing import Any

import lunr

from sitegen.search.lunr_index import (
    FIELDS,
    CountedFields,
    SearchDocument,
    TermCounts,
    check_refs,
    compact_json,
    count_terms,
    fast_index_json,
    no_cycle_collection,
)

__all__ = [
    "FIRST_SHARD_SHARE",
    "INDEX_SCRIPT",
    "LUNR_JSON",
    "SHARDS_GLOBAL",
    "SHOWN_AUTHORS",
    "SearchMemory",
    "ShardPlan",
    "plan_shards",
    "search_fingerprint",
    "search_outputs",
]

INDEX_SCRIPT = "search/index.js"
LUNR_JSON = "search/lunr.json"
INDEX_GLOBAL = "SITEGEN_SEARCH"
SHARDS_GLOBAL = "SITEGEN_SEARCH_SHARDS"

# Bump when the bytes written for the same documents change, so fingerprints
# taken by an older sitegen no longer match.
FORMAT = "sitegen-search-6"

SHOWN_AUTHORS = 3
"""Author names a hit shows, as the paper cards of the other pages do; the store keeps only these."""

FIRST_SHARD_SHARE = 4
"""The first shard's budget is this fraction of the others': the first results wait for index.js and it alone."""

# lunr.js's Builder defaults; search.js reads them from the index script.
_K1 = 1.2
_B = 0.75


@dataclass(slots=True)
class SearchMemory:
    """What a process that makes the search files build after build keeps from one to the next.

    The preview's search worker stays up between saves: with this, a save
    tokenizes only the papers that changed and encodes only the shards whose
    papers or terms changed. Each call leaves only its own documents' entries.
    """

    counts: dict[tuple[str, ...], CountedFields] = field(default_factory=dict)
    shards: dict[tuple[Any, ...], list[tuple[int, str]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """Which papers go into which shard: consecutive runs of document positions."""

    shards: tuple[range, ...]


def search_outputs(
    documents: Sequence[SearchDocument], shard_kib: int = 256, memory: SearchMemory | None = None, lunr_json: bool = False
) -> dict[str, bytes]:
    """Every search file of the site by path relative to its root; the same documents give the same bytes.

    ``shard_kib`` is the budget of a shard's index part (refs, terms and
    docs, before compression): the part the browser turns into lunr
    structures, so what its load time follows. A shard holding one paper
    may exceed it. ``lunr_json`` adds `LUNR_JSON`, the whole index, from
    the same term counts.
    """
    check_refs(documents)
    with no_cycle_collection():
        return _search_outputs(documents, shard_kib, memory, lunr_json)


def _search_outputs(
    documents: Sequence[SearchDocument], shard_kib: int, memory: SearchMemory | None, lunr_json: bool
) -> dict[str, bytes]:
    counts = count_terms(documents, None if memory is None else memory.counts)
    budget = shard_kib * 1024
    document_frequency = _document_frequency(counts)
    encoded: dict[tuple[Any, ...], list[tuple[int, str]]] = {}
    defined = 0  # terms the shards before this one define: the first term number this one may define
    for number, shard in enumerate(plan_shards(documents, counts, budget, budget // FIRST_SHARD_SHARE).shards):
        shard_budget = budget // FIRST_SHARD_SHARE if number == 0 else budget
        terms = _numbered_terms(counts, shard)
        new = tuple(document_frequency[term] for term in terms if counts.numbers[term] >= defined)
        key = (shard_budget, terms, new, *(documents[position] for position in shard))
        known = memory.shards.get(key) if memory is not None else None
        if known is None:
            known = _encode_within(documents, counts, shard, shard_budget, defined, document_frequency)
        encoded[key] = known
        defined += len(new)
    if memory is not None:
        memory.shards = encoded
    shards = [part for parts in encoded.values() for part in parts]
    outputs = {f"search/shard-{number}.js": _script_push(SHARDS_GLOBAL, text) for number, (_, text) in enumerate(shards)}
    outputs[INDEX_SCRIPT] = _script_assign(INDEX_GLOBAL, _index_json(documents, counts, [size for size, _ in shards]))
    if lunr_json:
        outputs[LUNR_JSON] = fast_index_json(documents, counts).encode("utf-8")
    return outputs


def _document_frequency(counts: TermCounts) -> Counter[str]:
    """(document, field) pairs holding each term: what `lunr.idf` counts."""
    return Counter(chain.from_iterable(frequencies for fields in counts.fields for _, frequencies in fields))


def plan_shards(
    documents: Sequence[SearchDocument], counts: TermCounts, budget: int, first_budget: int | None = None
) -> ShardPlan:
    """Whole years, newest first, while they fit ``budget`` bytes by estimate; a bigger year in equal parts.

    The estimate (a few bytes per term occurrence, plus the shard's distinct
    terms) avoids encoding twice; `_encode_within` checks the real size.
    Year boundaries keep shards stable: an edit reshapes at most its year.
    With ``first_budget``, the newest papers that fit it are cut off the
    first shard into one of their own: the page's first results wait for
    it alone.
    """
    shards: list[range] = []
    pending: range | None = None
    pending_terms: set[str] = set()
    for year in _year_runs(documents):
        terms = _terms_of(counts, year)
        size = _estimate(counts, year, terms)
        if pending is not None:
            merged = pending_terms | terms
            if _estimate(counts, range(pending.start, year.stop), merged) <= budget:
                pending, pending_terms = range(pending.start, year.stop), merged
                continue
            shards.append(pending)
            pending = None
        if size <= budget:
            pending, pending_terms = year, terms
        else:
            shards.extend(_parts_within(counts, year, math.ceil(size / budget), budget))
    if pending is not None:
        shards.append(pending)
    if first_budget is not None and shards and len(shards[0]) > 1:
        first = shards[0]
        if _estimate(counts, first, _terms_of(counts, first)) > first_budget:
            head = _head_within(counts, first, first_budget)
            shards[0:1] = [head, range(head.stop, first.stop)]
    return ShardPlan(tuple(shards))


def _head_within(counts: TermCounts, positions: range, budget: int) -> range:
    """The longest run from the start of ``positions`` (one paper at least, all but one at most) within budget by estimate."""
    low, high = 1, len(positions) - 1
    while low < high:
        middle = (low + high + 1) // 2
        head = range(positions.start, positions.start + middle)
        if _estimate(counts, head, _terms_of(counts, head)) <= budget:
            low = middle
        else:
            high = middle - 1
    return range(positions.start, positions.start + low)


# Bytes of one term occurrence in `docs` ("123," on average, with brackets)
# and of one paper's ref and brackets, slightly over what 10,000 generated
# papers measure, so estimates err on the side of smaller shards. A term
# costs its text, quotes and comma, and its df if the shard defines it.
_BYTES_PER_OCCURRENCE = 3.5
_BYTES_PER_PAPER = 20


def _estimate(counts: TermCounts, positions: range, terms: set[str]) -> int:
    occurrences = sum(length for position in positions for length, _ in counts.fields[position])
    vocabulary = sum(len(term.encode("utf-8")) + 5 for term in terms)
    return int(occurrences * _BYTES_PER_OCCURRENCE) + _BYTES_PER_PAPER * len(positions) + vocabulary


def _terms_of(counts: TermCounts, positions: range) -> set[str]:
    terms: set[str] = set()
    for position in positions:
        for _, frequencies in counts.fields[position]:
            terms.update(frequencies)
    return terms


def _year_runs(documents: Sequence[SearchDocument]) -> list[range]:
    """Runs of consecutive documents of the same year (undated ones form their own run)."""
    runs: list[range] = []
    start = 0
    for position in range(1, len(documents) + 1):
        if position == len(documents) or _year(documents[position]) != _year(documents[start]):
            runs.append(range(start, position))
            start = position
    return runs


def _year(document: SearchDocument) -> str:
    return document.date[:4] if document.date else ""


def _parts_within(counts: TermCounts, year: range, parts: int, budget: int) -> list[range]:
    """The fewest equal parts, from ``parts`` up, each within budget by estimate (each carries its own terms)."""
    while True:
        cut = _equal_parts(year, parts)
        largest = max(_estimate(counts, part, _terms_of(counts, part)) for part in cut)
        if largest <= budget or parts >= len(year):
            return cut
        parts = max(parts + 1, math.floor(parts * largest / budget))


def _equal_parts(positions: range, parts: int) -> list[range]:
    parts = max(1, min(parts, len(positions)))
    bounds = [positions.start + len(positions) * part // parts for part in range(parts + 1)]
    return [range(a, b) for a, b in pairwise(bounds)]


def _encode_within(
    documents: Sequence[SearchDocument], counts: TermCounts, shard: range, budget: int, defined: int, df: Counter[str]
) -> list[tuple[int, str]]:
    """(papers, JSON) of the shard, or of its halves if over budget after all; the shards before define ``defined`` terms."""
    terms = _numbered_terms(counts, shard)
    index_part = _shard_index_json(documents, counts, shard, terms, defined, df)
    if len(index_part.encode("utf-8")) > budget and len(shard) > 1:
        first, second = _equal_parts(shard, 2)
        head = _encode_within(documents, counts, first, budget, defined, df)
        defined += sum(counts.numbers[term] >= defined for term in _terms_of(counts, first))
        return [*head, *_encode_within(documents, counts, second, budget, defined, df)]
    store = ",".join(compact_json(_store_entry(documents[position])) for position in shard)
    return [(len(shard), f'{index_part[:-1]},"store":[{store}]}}')]


def _numbered_terms(counts: TermCounts, shard: range) -> tuple[str, ...]:
    return tuple(sorted(_terms_of(counts, shard), key=counts.numbers.__getitem__))


def _shard_index_json(
    documents: Sequence[SearchDocument], counts: TermCounts, shard: range, terms: Sequence[str], defined: int, df: Counter[str]
) -> str:
    local = {term: position for position, term in enumerate(terms)}
    docs: list[str] = []
    for position in shard:
        fields: list[str] = []
        for _, frequencies in counts.fields[position]:
            ids = sorted(map(local.__getitem__, frequencies.elements()))  # a term tf times: gaps of 0 repeat it
            fields.append(f"[{','.join(map(str, [b - a for a, b in zip([-1, *ids], ids)]))}]")
        docs.append(f"[{','.join(fields)}]")
    refs = compact_json([documents[position].ref for position in shard])
    new = [df[term] for term in terms if counts.numbers[term] >= defined]  # the last terms: numbers from `defined` on
    return f'{{"refs":{refs},"terms":{compact_json(terms)},"df":{compact_json(new)},"docs":[{",".join(docs)}]}}'


def _index_json(documents: Sequence[SearchDocument], counts: TermCounts, shard_sizes: list[int]) -> str:
    tags = sorted({tag for document in documents for tag in document.tags})
    years = sorted({document.date[:4] for document in documents if document.date}, reverse=True)
    if any(document.date is None for document in documents):
        years.append("undated")
    tag_years = Counter((tag, _year(document) or "undated") for document in documents for tag in document.tags)
    paper_years = Counter(_year(document) or "undated" for document in documents)
    index: dict[str, Any] = {
        "format": FORMAT,
        "lunr": lunr.__TARGET_JS_VERSION__,
        "fields": [name for name, _ in FIELDS],
        "boosts": [boost for _, boost in FIELDS],
        "k1": _K1,
        "b": _B,
        "pipeline": ["stemmer"],
        "documents": len(documents),
        "fieldLengths": counts.length_sums,
        "tags": tags,
        "years": years,
        "yearCounts": [paper_years[year] for year in years],
        "tagYearCounts": [[tag_years[tag, year] for year in years] for tag in tags],
        "shards": [{"file": f"shard-{number}.js", "count": size} for number, size in enumerate(shard_sizes)],
    }
    return compact_json(index)


def _store_entry(document: SearchDocument) -> dict[str, Any]:
    entry: dict[str, Any] = {"t": document.title, "u": document.url}
    if document.date is not None:
        entry["d"] = document.date
    if document.tags:
        entry["g"] = list(document.tags)
    if document.organisation:
        entry["o"] = document.organisation
    if document.authors:
        entry["n"] = list(document.authors[:SHOWN_AUTHORS])
        if len(document.authors) > SHOWN_AUTHORS:
            entry["m"] = len(document.authors) - SHOWN_AUTHORS
    if document.comments is not None:
        entry["c"] = document.comments
    if document.upvotes is not None:
        entry["v"] = document.upvotes
    entry["a"] = document.abstract
    return entry


def _js_string(json_text: str) -> str:
    """JSON text as a single-quoted JavaScript string literal.

    JSON escapes every other line terminator; U+2028/U+2029 end a line in
    JavaScript before ES2019.
    """
    escaped = json_text.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + escaped.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "'"


def _script_assign(name: str, json_text: str) -> bytes:
    return f"window.{name}=JSON.parse({_js_string(json_text)});\n".encode()


def _script_push(name: str, json_text: str) -> bytes:
    return f"(window.{name}=window.{name}||[]).push(JSON.parse({_js_string(json_text)}));\n".encode()


def search_fingerprint(documents: Sequence[SearchDocument], shard_kib: int = 256) -> str:
    """A sha256 hex digest of every input to `search_outputs`, so a build can skip unchanged search files.

    Covers the documents in order (order fixes term numbers and shards),
    the field boosts, the shard budget, this format and the lunr.py version.
    """
    payload = {
        "format": FORMAT,
        "lunr": lunr.__VERSION__,
        "fields": FIELDS,
        "shard_kib": shard_kib,
        "documents": [
            [
                d.ref, d.title, d.url, d.date, list(d.tags), d.organisation, d.abstract, list(d.authors), list(d.keywords),
                d.comments, d.upvotes,
            ]
            for d in documents
        ],
    }
    return hashlib.sha256(compact_json(payload).encode("utf-8", "surrogatepass")).hexdigest()
