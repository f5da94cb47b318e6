"""Build the prebuilt Lunr search index exactly as lunr.js 2.3.9 would, terms, numbers and scores.

The browser searches with the vendored `sitegen/theme/static/vendor/lunr/lunr.js`
and never tokenizes or stems the papers itself, so every term the Python side puts
in the index must be the term lunr.js derives from the same word at query
time. lunr.py 0.8 does not guarantee that, so the text pipeline here is a port
of lunr.js's own:

* tokenizer: lunr.js splits on `/[\\s\\-]+/` where `\\s` is JavaScript's set;
  lunr.py's list misses U+1680, U+2000-U+200A, U+2028/9, U+202F, U+205F,
  U+3000 and U+FEFF.
* trimmer: lunr.js strips ASCII `\\W` from both ends (`café` -> `caf`,
  `(llm's)` -> `llm's`); lunr.py uses Unicode `\\W` and leaves a token with
  inner punctuation untouched (`(llm's)` stays, `(` stays where lunr.js
  indexes an empty term).
* stemmer: lunr.js's Porter variant treats `y` differently from the tartarus
  port in lunr.py (`survey`: lunr.js `survey`, lunr.py `survei`; `try`: `tri`
  against `try`) and counts length in UTF-16 units.
* stop words: lunr.py's list equals lunr.js's (the parity test checks it), so
  its filter is reused.

The ported steps carry the labels lunr.js registers (`trimmer`, `stemmer`),
so the serialized search pipeline is `["stemmer"]`, which `lunr.Index.load`
resolves to lunr.js's stemmer. Nothing is registered in lunr.py's global
Pipeline registry: plain `lunr` keeps working unchanged for other callers.

`fast_index_json` does what lunr's Builder does, step by step, over plain
dicts (about 0.3 ms a paper at 10,000 papers against lunr.py's 2-5 ms);
`build_index` runs lunr.py's Builder, is the reference the fast path must
match byte for byte (tests/search/test_lunr_index.py), and gives a Python `Index`
to search. The search page loads the same index split into shards
(shards.py, from the same `count_terms`); `fast_index_json` itself is shipped
as `search/lunr.json` for other programs, unless `search_lunr_json` is off.

No token positions are stored. To highlight, the browser runs each snippet
word through `lunr.tokenizer`, `lunr.trimmer` and `index.pipeline` and marks
the words whose result is a key of a hit's `matchData.metadata`; that needs
nothing from the index and keeps it several times smaller.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import lunr
from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.stop_word_filter import WORDS as _STOP_WORDS
from lunr.stop_word_filter import stop_word_filter
from lunr.token import Token

__all__ = [
    "FIELDS",
    "CountedFields",
    "SearchDocument",
    "TermCounts",
    "build_index",
    "check_refs",
    "compact_json",
    "count_terms",
    "fast_index_json",
    "fast_serialized_index",
    "field_texts",
    "load_index",
    "no_cycle_collection",
    "serialize_index",
    "stem",
    "tokenize",
    "trim",
]

# (field, boost) in the order lunr.js sees them; the order fixes term indexes.
# A boost weighs a match in the field against one in the abstract (1):
# * title 10: what a paper is about, in a dozen words; a pasted title finds its paper first;
# * tags 5: the site's own vocabulary, given by hand or by the tagger;
# * keywords 3: key phrases chosen for the paper, a stronger sign of its topic than
#   a word somewhere in the abstract, but free text, unlike tags;
# * authors 2: a name typed on purpose (`hinton`) should rank the papers by that author
#   above those whose abstract happens to hold the word, yet below topical matches,
#   since many names are also words (`long`, `wang`, `young`, `bell`); a long author
#   list weighs each name less (lunr's length normalisation), as it should;
# * abstract 1, organisation 1.
# lunr compares a field's length with its average over all papers, those without
# names or phrases included: while few papers have them, a paper that has them
# looks long, and a match there weighs less than its boost says (it is lunr's
# arithmetic, which the index must repeat to the byte).
FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 10),
    ("tags", 5),
    ("keywords", 3),
    ("authors", 2),
    ("abstract", 1),
    ("organisation", 1),
)


def short_ref(position: int) -> str:
    """A document's ref: its position in base 36, the shortest unique id (refs repeat in every posting)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        position, digit = divmod(position, 36)
        text = digits[digit] + text
        if position == 0:
            return text


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """One searchable paper: what the index is built from and what a hit shows."""

    ref: str
    """The lunr ref: short (it is repeated in every posting), unique in the site."""
    title: str
    url: str
    """Relative to the site root, e.g. `papers/some-slug/`, so the store works under any base URL."""
    date: str | None
    """ISO `yyyy-mm-dd`, or None when the paper has no date."""
    tags: tuple[str, ...]
    organisation: str
    """Display name, `""` if none."""
    abstract: str
    """Plain text, no markup: it is both indexed and shown as the hit's snippet."""
    authors: tuple[str, ...] = ()
    """Author names in order; empty when only a count is known (a count is never indexed)."""
    keywords: tuple[str, ...] = ()
    """Key phrases; indexed, not shown."""
    comments: int | None = None
    """Comment count on the listing, None when unknown; shown and sorted by, never indexed."""
    upvotes: int | None = None
    """Upvote count on the listing, None when unknown; shown and sorted by, never indexed."""


# --- lunr.js 2.3.9 text pipeline -------------------------------------------

# JavaScript's \s (ECMAScript WhiteSpace + LineTerminator) plus the hyphen.
_SEPARATOR = re.compile(
    "[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\\-]+"
)


# Python's str.split() whitespace that JavaScript's \s lacks; U+FEFF is the other way round.
_PYTHON_ONLY_SPACE = re.compile("[\x1c-\x1f\x85]")


def tokenize(text: str) -> list[str]:
    """Split text into the words lunr.tokenizer yields, so both sides see the same tokens.

    Lower-casing uses Python's Unicode tables; they differ from a browser's
    only for letters added after Unicode 14. `str.split()` is several times
    faster than the regex and splits on the same characters once hyphens
    and U+FEFF are spaces, unless the text holds one of the few it alone
    treats as space.
    """
    lowered = text.lower()
    if _PYTHON_ONLY_SPACE.search(lowered):
        return [word for word in _SEPARATOR.split(lowered) if word]
    spaced = lowered.replace("-", " ")
    if "\ufeff" in spaced:
        spaced = spaced.replace("\ufeff", " ")
    return spaced.split()


# ASCII \W, as in a JavaScript regex without the `u` flag.
_TRIM_START = re.compile(r"^\W+", re.ASCII)
_TRIM_END = re.compile(r"\W+\Z", re.ASCII)


def trim(word: str) -> str:
    """lunr.trimmer: strip ASCII non-word characters from both ends, possibly to nothing."""
    return _TRIM_END.sub("", _TRIM_START.sub("", word, count=1), count=1)


# The Porter stemmer of lunr.js 2.3.9, regex for regex. JavaScript's `.`
# excludes line terminators and its `$` (no `m` flag) is Python's `\Z`.
_ANY = "[^\n\r\u2028\u2029]"
_c = "[^aeiou]"
_v = "[aeiouy]"
_C = _c + "[^aeiouy]*"
_V = _v + "[aeiou]*"

_MGR0 = re.compile(f"^({_C})?{_V}{_C}")
_MEQ1 = re.compile(f"^({_C})?{_V}{_C}({_V})?\\Z")
_MGR1 = re.compile(f"^({_C})?{_V}{_C}{_V}{_C}")
_S_V = re.compile(f"^({_C})?{_v}")

_RE_1A = re.compile(f"^({_ANY}+?)(ss|i)es\\Z")
_RE2_1A = re.compile(f"^({_ANY}+?)([^s])s\\Z")
_RE_1B = re.compile(f"^({_ANY}+?)eed\\Z")
_RE2_1B = re.compile(f"^({_ANY}+?)(ed|ing)\\Z")
_LAST_CHAR = re.compile(f"{_ANY}\\Z")
_RE2_1B_2 = re.compile("(at|bl|iz)\\Z")
_RE3_1B_2 = re.compile("([^aeiouylsz])\\1\\Z")
_RE4_1B_2 = re.compile(f"^{_C}{_v}[^aeiouwxy]\\Z")
_RE_1C = re.compile(f"^({_ANY}+?[^aeiou])y\\Z")

_STEP2 = {
    "ational": "ate",
    "tional": "tion",
    "enci": "ence",
    "anci": "ance",
    "izer": "ize",
    "bli": "ble",
    "alli": "al",
    "entli": "ent",
    "eli": "e",
    "ousli": "ous",
    "ization": "ize",
    "ation": "ate",
    "ator": "ate",
    "alism": "al",
    "iveness": "ive",
    "fulness": "ful",
    "ousness": "ous",
    "aliti": "al",
    "iviti": "ive",
    "biliti": "ble",
    "logi": "log",
}
_STEP3 = {
    "icate": "ic",
    "ative": "",
    "alize": "al",
    "iciti": "ic",
    "ical": "ic",
    "ful": "",
    "ness": "",
}
_RE_2 = re.compile(f"^({_ANY}+?)({'|'.join(_STEP2)})\\Z")
_RE_3 = re.compile(f"^({_ANY}+?)({'|'.join(_STEP3)})\\Z")
_RE_4 = re.compile(
    f"^({_ANY}+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)\\Z"
)
_RE2_4 = re.compile(f"^({_ANY}+?)(s|t)(ion)\\Z")
_RE_5 = re.compile(f"^({_ANY}+?)e\\Z")
_RE_5_1 = re.compile("ll\\Z")
_RE3_5 = re.compile(f"^{_C}{_v}[^aeiouwxy]\\Z")


def _porter(w: str) -> str:
    """lunr.js's porterStemmer over a string of UTF-16 code units."""
    if len(w) < 3:
        return w
    initial_y = w[0] == "y"
    if initial_y:
        w = "Y" + w[1:]

    # Step 1a
    if (m := _RE_1A.search(w)) or (m := _RE2_1A.search(w)):
        w = m.group(1) + m.group(2)

    # Step 1b
    if m := _RE_1B.search(w):
        if _MGR0.search(m.group(1)):
            w = _LAST_CHAR.sub("", w, count=1)
    elif m := _RE2_1B.search(w):
        stem = m.group(1)
        if _S_V.search(stem):
            w = stem
            if _RE2_1B_2.search(w):
                w += "e"
            elif _RE3_1B_2.search(w):
                w = _LAST_CHAR.sub("", w, count=1)
            elif _RE4_1B_2.search(w):
                w += "e"

    # Step 1c: unlike Porter's original, y -> i needs a consonant before it.
    if m := _RE_1C.search(w):
        w = m.group(1) + "i"

    # Step 2
    if (m := _RE_2.search(w)) and _MGR0.search(m.group(1)):
        w = m.group(1) + _STEP2[m.group(2)]

    # Step 3
    if (m := _RE_3.search(w)) and _MGR0.search(m.group(1)):
        w = m.group(1) + _STEP3[m.group(2)]

    # Step 4
    if m := _RE_4.search(w):
        if _MGR1.search(m.group(1)):
            w = m.group(1)
    elif m := _RE2_4.search(w):
        stem = m.group(1) + m.group(2)
        if _MGR1.search(stem):
            w = stem

    # Step 5
    if m := _RE_5.search(w):
        stem = m.group(1)
        if _MGR1.search(stem) or (_MEQ1.search(stem) and not _RE3_5.search(stem)):
            w = stem
    if _RE_5_1.search(w) and _MGR1.search(w):
        w = _LAST_CHAR.sub("", w, count=1)

    if initial_y:
        w = "y" + w[1:]
    return w


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The stem lunr.stemmer gives `word`; the index holds these, the browser looks them up.

    JavaScript strings are UTF-16, and lunr.js's length test and regexes see
    a character outside the BMP as two units; such words are stemmed as that
    unit sequence so the result matches to the byte.
    """
    if word.isascii() or max(word) <= "\uffff":
        return _porter(word)
    raw = word.encode("utf-16-be", "surrogatepass")
    units = "".join(chr(int.from_bytes(raw[i : i + 2], "big")) for i in range(0, len(raw), 2))
    stemmed = _porter(units)
    return stemmed.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")


@dataclass(frozen=True, slots=True)
class _TokenStep:
    """A lunr.py pipeline function carrying the label lunr.js knows it by.

    The label is what `Pipeline.serialize` writes; both labels used here are
    already registered by lunr.py, so adding a step logs no warning and no
    global registration is needed.
    """

    label: str
    update: Callable[[str], str]

    def __call__(self, token: Token, i: int | None = None, tokens: list[Token] | None = None) -> Token:
        update = self.update
        return token.update(lambda string, _metadata: update(string))


_TRIMMER = _TokenStep("trimmer", trim)
_STEMMER = _TokenStep("stemmer", stem)


def _search_pipeline() -> Pipeline:
    pipeline = Pipeline()
    pipeline.add(_STEMMER)
    return pipeline


# --- index and store ---------------------------------------------------------


def check_refs(documents: Sequence[SearchDocument]) -> None:
    """A repeated ref would silently merge two papers in lunr's builder."""
    seen: set[str] = set()
    for document in documents:
        if not document.ref:
            raise ValueError(f"search document {document.url!r} has an empty ref")
        if document.ref in seen:
            raise ValueError(f"search ref {document.ref!r} is used by more than one document")
        seen.add(document.ref)


# Each field's text. Tags are indexed as text, so `reinforcement` finds the tag
# `reinforcement-learning`; names and phrases are joined with ", " (commas are trimmed
# away, so the words are the same as joined with spaces, and the text reads as a list).
_FIELD_TEXT: dict[str, Callable[[SearchDocument], str]] = {
    "title": lambda document: document.title,
    "tags": lambda document: " ".join(document.tags),
    "keywords": lambda document: ", ".join(document.keywords),
    "authors": lambda document: ", ".join(document.authors),
    "abstract": lambda document: document.abstract,
    "organisation": lambda document: document.organisation,
}
assert list(_FIELD_TEXT) == [name for name, _ in FIELDS], "every field of FIELDS needs its text, in order"


def field_texts(document: SearchDocument) -> dict[str, str]:
    """The text of each field of `FIELDS`, in that order: what lunr's builder is given for the document."""
    return {name: text(document) for name, text in _FIELD_TEXT.items()}


def build_index(documents: Sequence[SearchDocument]) -> Index:
    """Index the documents with lunr.js's text pipeline; `Index.search` gives lunr.js's hits.

    lunr.py's own tokenizer never runs: each field is handed to the builder
    already split the lunr.js way, as a list, which lunr.py only lower-cases.
    lunr.py's query parser (used by `Index.search`) still splits queries on
    its own whitespace list, which differs from lunr.js only for exotic
    spaces; the browser uses lunr.js's.
    """
    check_refs(documents)
    builder = Builder()
    builder.pipeline.add(_TRIMMER, stop_word_filter, _STEMMER)
    builder.search_pipeline.add(_STEMMER)
    builder.ref("ref")
    for name, boost in FIELDS:
        builder.field(name, boost=boost)
    for document in documents:
        row: dict[str, Any] = {"ref": document.ref}
        for name, text in field_texts(document).items():
            row[name] = tokenize(text)
        builder.add(row)
    index = builder.build()
    for posting in index.inverted_index.values():
        for name, _ in FIELDS:
            posting[name] = _in_js_key_order(posting[name])
    return index


_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]{0,9}")


def _in_js_key_order(refs: dict[str, Any]) -> dict[str, Any]:
    """Reorder a posting's refs the way a JavaScript object enumerates them.

    lunr.js walks `Object.keys(posting[field])`, which lists array-index keys
    (`"7"`, `"19"`: base-36 refs often are) first, in numeric order, and the
    rest in insertion order. That walk decides the order of equal-scored
    hits, so Python's search only agrees with the browser's in this order.
    """

    def is_array_index(key: str) -> bool:
        return _ARRAY_INDEX.fullmatch(key) is not None and int(key) < 2**32 - 1

    numeric = sorted((key for key in refs if is_array_index(key)), key=int)
    if not numeric:
        return refs
    ordered = {key: refs[key] for key in numeric}
    ordered.update((key, value) for key, value in refs.items() if key not in ordered)
    return ordered


def load_index(serialized: Mapping[str, Any]) -> Index:
    """Load a serialized index in Python with this module's stemmer, not lunr.py's.

    `lunr.index.Index.load` resolves the label `stemmer` to lunr.py's stemmer,
    which would search the index differently from the browser.
    """
    index = Index.load(dict(serialized))
    index.pipeline = _search_pipeline()
    return index


def _utf16_key(term: str) -> bytes:
    return term.encode("utf-16-be", "surrogatepass")


def serialize_index(index: Index) -> dict[str, Any]:
    """The index as lunr.js's `Index#toJSON` would write it, key order included.

    lunr.js's TokenSet.Builder throws on terms out of JavaScript (UTF-16)
    order, which differs from Python's code-point order once a term holds a
    character above U+FFFF; lunr.py sorts by code point.
    """
    data: dict[str, Any] = index.serialize()
    data["invertedIndex"] = [
        [term, {"_index": posting["_index"], **{name: posting[name] for name, _ in FIELDS}}]
        for term, posting in sorted(data["invertedIndex"], key=lambda pair: _utf16_key(pair[0]))
    ]
    data["fieldVectors"] = [[ref, [_js_number(x) for x in elements]] for ref, elements in data["fieldVectors"]]
    return data


def _js_number(value: float) -> float | int:
    """Write 2.0 as JavaScript does, `2`: shorter, and the bytes lunr.js's own toJSON gives."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# --- the same index without lunr.py's Builder ---------------------------------

# lunr.js's Builder defaults (lunr.py's are the same).
_K1 = 1.2
_B = 0.75


def _js_key_rank(refs: Sequence[str]) -> list[int]:
    """Documents' positions in the order a JavaScript object lists keys named by their refs.

    Array-index refs first, by number, then the rest by position (insertion
    order): the order `_in_js_key_order` gives each posting.
    """

    def key(position: int) -> tuple[int, int]:
        ref = refs[position]
        if _ARRAY_INDEX.fullmatch(ref) is not None and int(ref) < 2**32 - 1:
            return (0, int(ref))
        return (1, position)

    return sorted(range(len(refs)), key=key)


# A str as `_compact_json` writes it (non-ASCII kept), without json.dumps's per-call setup.
_json_string: Callable[[str], str] = json.encoder.encode_basestring


def _pipeline_term(token: str) -> str | None:
    """lunr.py's Tokenizer lower-cases (again), then trimmer, stop-word filter, stemmer; None if stopped."""
    word = trim(token.lower())
    return None if word in _STOP_WORDS else stem(word)


def _scores_text(
    numbered: dict[int, int], idf: list[float], norm: float, boost: int, numbers: list[str], score_texts: dict[int, str]
) -> str:
    """A field vector's elements, `index,score,...` by term number, as lunr.js's `toJSON` writes them.

    `numbered` maps term number -> frequency in the field. The score is
    lunr's BM25 with the same operations in the same order, so the same
    float; rounded like lunr.js's `Math.round(score * 1000) / 1000` (a half
    rounds up: the exact fraction is compared, rather than adding 0.5, which
    misrounds 0.49999999999999994); written as JSON writes it, `2` rather
    than `2.0`. The document boost, 1, changes no float and is left out.
    `numbers` holds each term number's text and `score_texts` caches the
    text of a rounded score by its thousandths.
    """
    k1_plus_1 = _K1 + 1
    parts: list[str] = []
    for number in sorted(numbered):
        tf = numbered[number]
        scaled = idf[number] * (k1_plus_1 * tf) / (norm + tf) * boost * 1000
        whole = int(scaled)  # scores are positive: int() is floor
        if scaled - whole >= 0.5:
            whole += 1
        try:
            text = score_texts[whole]
        except KeyError:
            text = score_texts[whole] = str(whole // 1000) if whole % 1000 == 0 else repr(whole / 1000)
        parts += (numbers[number], text)
    return ",".join(parts)


def fast_index_json(documents: Sequence[SearchDocument], counts: TermCounts | None = None) -> str:
    """The compact JSON of `serialize_index(build_index(documents))`, to the byte, several times faster.

    ``counts`` is `count_terms(documents)` when the caller already has it
    (shards.py, which writes this index as `search/lunr.json` beside the
    shards): the documents are then not tokenized again.

    The steps of lunr.js's `Builder#add` and `#build` over plain dicts and
    lists, writing the JSON text directly:

    * each distinct token goes through the pipeline once (most of the time
      went to stemming the same words again);
    * term numbers are given in order of first appearance, document by
      document and field by field, as lunr's builder gives them;
    * idf counts the (field, document) pairs holding a term, as lunr's does;
    * a posting lists refs in JavaScript key order (`_in_js_key_order`);
    * no token set is built: the serialized form has none, `lunr.Index.load`
      rebuilds it.

    Raises ValueError on an empty or repeated ref, as `build_index` does.
    """
    check_refs(documents)
    with no_cycle_collection():
        return _index_json(documents, count_terms(documents) if counts is None else counts)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Pause CPython's cycle collector while an index is built.

    The build allocates a few containers per field and frees none of them
    until the end: the collector would re-scan the growing heap again and
    again (a third of the time at 10,000 papers). Nothing here makes cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class TermCounts:
    """The documents' terms as lunr's builder counts them; both index writers start from these."""

    fields: list[list[tuple[int, Counter[str]]]]
    """Per document, per field of `FIELDS`: (field length, {term: frequency})."""
    numbers: dict[str, int]
    """Term -> lunr's term number (`_index`): the order of first appearance."""
    length_sums: list[int]
    """Per field, the sum of its lengths over all documents (lunr's average field length times the count)."""


CountedFields = list[tuple[int, Counter[str]]]
"""One document's fields, in `FIELDS` order: (field length, {term: frequency})."""


def count_terms(
    documents: Sequence[SearchDocument], known: MutableMapping[tuple[str, ...], CountedFields] | None = None
) -> TermCounts:
    """Tokenize and run the pipeline over every field, each distinct token once (stemming dominated).

    ``known`` maps a document's field texts to their counts from an earlier
    call; documents found there are not tokenized again, and it is left
    holding exactly these documents' counts.
    """
    remembered = {} if known is None else known
    term_of: dict[str, str | None] = {}
    order: dict[str, int] = {}  # terms in order of first appearance; values unused
    counted: list[CountedFields] = []
    length_sums = [0] * len(FIELDS)
    current: dict[tuple[str, ...], CountedFields] = {}
    for document in documents:
        texts = tuple(field_texts(document).values())
        fields = remembered.get(texts)
        if fields is None:
            fields = []
            for text in texts:
                tokens = tokenize(text)
                for token in set(tokens).difference(term_of):
                    term_of[token] = _pipeline_term(token)
                with_stopped: Counter[str | None] = Counter(map(term_of.__getitem__, tokens))
                length = len(tokens) - with_stopped.pop(None, 0)
                fields.append((length, cast("Counter[str]", with_stopped)))
        current[texts] = fields
        for position, (length, frequencies) in enumerate(fields):
            order.update(frequencies)  # a known key keeps its place
            length_sums[position] += length
        counted.append(fields)
    if known is not None:
        known.clear()
        known.update(current)
    return TermCounts(counted, {term: number for number, term in enumerate(order)}, length_sums)


def _index_json(documents: Sequence[SearchDocument], counts: TermCounts) -> str:
    counted, term_index, length_sums = counts.fields, counts.numbers, counts.length_sums
    order = term_index
    refs = [document.ref for document in documents]
    ref_entries = [f"{_json_string(ref)}:{{}}" for ref in refs]
    postings: list[defaultdict[str, list[str]]] = [defaultdict(list) for _ in FIELDS]
    for position in _js_key_rank(refs):
        entry = ref_entries[position]
        for field_postings, (_, frequencies) in zip(postings, counted[position]):
            for term in frequencies:
                field_postings[term].append(entry)

    count = len(documents)
    idf = [0.0] * len(term_index)
    for term, number in term_index.items():
        with_term = sum(len(field_postings.get(term, ())) for field_postings in postings)
        idf[number] = math.log(1 + abs((count - with_term + 0.5) / (with_term + 0.5)))

    numbers = [str(number) for number in range(len(term_index))]
    score_texts: dict[int, str] = {}
    vectors: list[str] = []
    for ref, fields in zip(refs, counted):
        for (name, boost), length_sum, (length, frequencies) in zip(FIELDS, length_sums, fields):
            key = _json_string(f"{name}/{ref}")
            if not frequencies:
                vectors.append(f"[{key},[]]")
                continue
            norm = _K1 * (1 - _B + _B * (length / (length_sum / count)))
            numbered = dict(zip(map(term_index.__getitem__, frequencies), frequencies.values()))
            vectors.append(f"[{key},[{_scores_text(numbered, idf, norm, boost, numbers, score_texts)}]]")

    names = [name for name, _ in FIELDS]
    name_keys = [f"{_json_string(name)}:" for name in names]
    terms: list[str] = []
    for term in sorted(order, key=_utf16_key):
        by_field = ",".join(
            f"{key}{{{','.join(field_postings.get(term, ()))}}}" for key, field_postings in zip(name_keys, postings)
        )
        terms.append(f'[{_json_string(term)},{{"_index":{term_index[term]},{by_field}}}]')
    return (
        f'{{"version":{compact_json(lunr.__TARGET_JS_VERSION__)},"fields":{compact_json(names)},'
        f'"fieldVectors":[{",".join(vectors)}],"invertedIndex":[{",".join(terms)}],'
        f'"pipeline":{compact_json(_search_pipeline().serialize())}}}'
    )


def fast_serialized_index(documents: Sequence[SearchDocument]) -> dict[str, Any]:
    """What `serialize_index(build_index(documents))` returns, from `fast_index_json`."""
    value: dict[str, Any] = json.loads(fast_index_json(documents))
    return value


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
