"""The Python-built search index must answer exactly as the lunr.js the site ships.

lunr.js is the reference: the browser searches with it and never tokenizes
or stems the papers itself. The lunr index checked here is `fast_index_json`;
the site ships it split into shards, which tests/search/test_shards.py shows
add up to the same bytes. Each test runs the vendored
`sitegen/theme/static/vendor/lunr/lunr.js` in Node; without `node` the tests fail,
because skipping would hide the one thing this module exists to check.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lunr.exceptions import QueryParseError
from lunr.stop_word_filter import WORDS as LUNR_PY_STOP_WORDS

from sitegen.search.lunr_index import (
    FIELDS,
    SearchDocument,
    build_index,
    fast_index_json,
    field_texts,
    load_index,
    short_ref,
    stem,
    tokenize,
    trim,
)

ROOT = Path(__file__).parents[2]
SEED = ROOT / "seeds" / "daily-papers-2025-12-11.txt"
LUNR_JS = ROOT / "sitegen" / "theme" / "static" / "vendor" / "lunr" / "lunr.js"
QUERY_SCRIPT = Path(__file__).parents[1] / "lunr_query.js"

TAG_WORDS = {
    "reasoning": "reasoning",
    "reasoners": "reasoning",
    "alignment": "alignment",
    "align": "alignment",
    "logic": "logic",
    "logical": "logic",
    "multimodal": "multimodal",
    "reinforcement": "reinforcement-learning",
    "survey": "survey",
    "safety": "ai-safety",
    "benchmark": "benchmark",
    "vision-language": "vision",
}

# Everything lunr.js treats specially that plain abstracts rarely contain:
# JavaScript-only whitespace, non-ASCII word ends, inner punctuation, lone
# punctuation, characters outside the BMP next to ones above U+E000 (UTF-16
# order differs from code-point order there), and stop words.
EXOTIC = SearchDocument(
    ref="zz",
    title="Edge\u2003cases\u3000for the\u202ftokenizer\ufeffand trimmer",
    url="papers/edge-cases/",
    date=None,
    tags=("unicode", "state-of-the-art"),
    organisation="",
    abstract=(
        "A café naïve résumé (LLM's) ( ) -- — & “quoted” ﬁne ﬂow 😀s a😀😀ing 🤗transformers "
        "x\u2028y p\u2029q tab\there non\u00a0breaking ogham\u1680mark thin\u2009space "
        "yelling youth yes surveys surveying agreed happy try cry by say "
        "İstanbul ΣΟΦΙΑΣ straße constructor __proto__ hasownproperty"
    ),
)


# Sixty names, as a big collaboration lists them: accents, letters lunr's trimmer
# strips (it keeps ASCII word characters only), hyphens, apostrophes, particles,
# a stop word ("Will"), a name that is also a word ("Long"), CJK.
_GIVEN = ("Zoë", "Søren", "José", "Ümit", "Jean-Baptiste", "Will", "Nguyễn", "Amélie", "Siân", "Çağrı")
_FAMILY = ("O'Neill", "van der Berg", "Müller", "Long", "Øvergård", "李")
SIXTY_NAMES = tuple(f"{given} {family}" for family in _FAMILY for given in _GIVEN)
assert len(SIXTY_NAMES) == 60

# Papers with author names and key phrases (undated refs after EXOTIC's, so they
# sort last in a site): each name or phrase query below has known answers.
NAMED = (
    SearchDocument(
        ref="zy",
        title="Gradient-based learning for document recognition, revisited",
        url="papers/document-recognition/",
        date=None,
        tags=("vision",),
        organisation="",
        abstract="Convolutional networks trained end to end read handwritten digits and cheques.",
        authors=("Yann LeCun", "Léon Bottou", "Yoshua Bengio", "Patrick Haffner"),
        keywords=("convolutional networks", "handwriting recognition"),
    ),
    SearchDocument(
        ref="zx",
        title="Attention is all you need, once more",
        url="papers/attention-once-more/",
        date=None,
        tags=(),
        organisation="Google Brain",
        abstract="A sequence transduction model built on attention alone, without recurrence.",
        authors=("Ashish Vaswani", "Noam Shazeer", "Niki Parmar", "Jakob Uszkoreit", "Llion Jones",
                 "Aidan N. Gomez", "Łukasz Kaiser", "Illia Polosukhin"),
        keywords=("transformers", "self-attention", "machine translation"),
    ),
    SearchDocument(
        ref="zw",
        title="Distilling the knowledge in a neural network",
        url="papers/distilling-knowledge/",
        date=None,
        tags=(),
        organisation="",
        abstract="An ensemble's knowledge is compressed into a single smaller model trained on soft targets.",
        authors=("Geoffrey Hinton", "Oriol Vinyals", "Jeff Dean"),
        keywords=("knowledge distillation", "model compression"),
    ),
    SearchDocument(
        ref="zv",
        title="Dynamic routing between capsules",
        url="papers/capsules/",
        date=None,
        tags=("vision",),
        organisation="",
        abstract="Capsules are groups of neurons whose activity vector stands for an entity.",
        authors=("Sara Sabour", "Nicholas Frosst", "Geoffrey E. Hinton"),
        keywords=("capsule networks",),
    ),
    SearchDocument(
        ref="zu",
        title="Denoising probabilistic models at scale",
        url="papers/denoising-at-scale/",
        date=None,
        tags=(),
        organisation="",
        abstract="Sixty authors train a large image generator by reversing a noising process.",
        authors=SIXTY_NAMES,
        keywords=("diffusion models", "score matching", "image generation"),
    ),
    SearchDocument(
        ref="zt",
        title="Heat equations on graphs",
        url="papers/heat-on-graphs/",
        date=None,
        tags=(),
        organisation="",
        abstract="Diffusion over a graph's edges smooths node signals; no author names are known for this paper.",
    ),
)


def _parse_seed(text: str) -> list[SearchDocument]:
    """Crude digest split: a long paragraph is an abstract, the one before it its title."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text)]
    documents: list[SearchDocument] = []
    for i, paragraph in enumerate(paragraphs):
        if len(paragraph) <= 300 or i == 0:
            continue
        title = paragraphs[i - 1]
        after = paragraphs[i + 1].splitlines() if i + 1 < len(paragraphs) else []
        organisation = after[0] if after and "authors" not in after[0] and len(after[0]) < 60 else ""
        date = None
        if len(after) >= 3 and (m := re.match(r"([A-Z][a-z]{2}) (\d{1,2})(?:, (\d{4}))?", after[2])):
            months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            date = f"{m.group(3) or '2025'}-{months.index(m.group(1)) + 1:02d}-{int(m.group(2)):02d}"
        title_words = {w.strip(":,?").lower() for w in title.split()}
        tags = tuple(sorted({tag for word, tag in TAG_WORDS.items() if word in title_words}))
        documents.append(
            SearchDocument(
                ref=short_ref(len(documents)),
                title=title,
                url=f"papers/{re.sub(r'[^a-z0-9]+', '-', title.lower()).strip('-')[:60]}/",
                date=date,
                tags=tags,
                organisation=organisation,
                abstract=paragraph,
            )
        )
    return documents


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail(
            "node not found on PATH: the search parity tests need Node.js (>= 18) to run the "
            "vendored lunr.js; install it (e.g. apt-get install nodejs) instead of skipping"
        )
    return path


@pytest.fixture(scope="module")
def corpus() -> list[SearchDocument]:
    documents = _parse_seed(SEED.read_text(encoding="utf-8"))
    assert len(documents) > 40, "the seed digest no longer splits into papers"
    return [*documents, EXOTIC, *NAMED]


def run_node(node: str, script: str, payload: Any) -> Any:
    """Run a JS snippet with `lunr` (the shipped file) and `input` (payload) defined; return its JSON output."""
    prelude = (
        f"const lunr = require({json.dumps(str(LUNR_JS))});\n"
        "const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "const emit = (value) => process.stdout.write(JSON.stringify(value));\n"
    )
    proc = subprocess.run(
        [node, "-e", prelude + script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert proc.returncode == 0, f"node failed:\n{proc.stderr}"
    return json.loads(proc.stdout)


def _words(documents: list[SearchDocument]) -> list[str]:
    """Every distinct word of the corpus, as split by whitespace, by lunr's tokenizer and after trimming."""
    words: set[str] = set()
    for document in documents:
        for text in field_texts(document).values():
            words.update(text.split())
            words.update(text.lower().split())
            for token in tokenize(text):
                words.add(token)
                words.add(trim(token))
    return sorted(words)


TRICKY_WORDS = [
    "survey", "surveys", "surveyed", "surveying", "agreed", "agree", "feed", "generalization",
    "generalize", "generalizes", "happy", "happiness", "try", "tries", "cry", "by", "say", "lay",
    "yes", "yelling", "youth", "yyy", "y", "ya", "sky", "boy", "toy", "study", "studies",
    "efficiency", "analysis", "aligning", "alignment", "aligned", "reasoning", "reasoners",
    "hopping", "hoping", "filing", "failing", "controll", "relational", "conditional",
    "rational", "valenci", "hesitanci", "digitizer", "conformabli", "radicalli", "differentli",
    "vileli", "analogousli", "vietnamization", "predication", "operator", "feudalism",
    "decisiveness", "hopefulness", "callousness", "formaliti", "sensitiviti", "sensibiliti",
    "triplicate", "formative", "formalize", "electriciti", "electrical", "hopeful", "goodness",
    "revival", "allowance", "inference", "airliner", "gyroscopic", "adjustable", "defensible",
    "irritant", "replacement", "adjustment", "dependent", "adoption", "homologou", "communism",
    "activate", "angulariti", "homologous", "effective", "bowdlerize", "probate", "rate",
    "cease", "controlling", "rolling", "caresses", "ponies", "ties", "caress", "cats",
    "plastered", "bled", "motoring", "sing", "conflated", "troubled", "sized", "hopped",
    "tanned", "falling", "hissing", "fizzed", "failing", "filing", "happy", "sky", "ab", "abe",
    "", "s", "ss", "sss", "ies", "eed", "ing", "ed", "llm's", "l.l.m", "3b", "1.28x", "gpt-4o",
    "😀s", "a😀😀ing", "😀😀ed", "y😀s", "ﬁne", "naïve", "café", "straße", "ıi", "i̇stanbul",
]


def test_vendored_lunr_is_2_3_9(node: str) -> None:
    assert run_node(node, "emit(lunr.version)", None) == "2.3.9"


def test_stemmer_matches_lunr_js_on_every_corpus_word(node: str, corpus: list[SearchDocument]) -> None:
    words = sorted(set(_words(corpus)) | set(TRICKY_WORDS))
    js = run_node(node, "emit(input.map(w => lunr.stemmer(new lunr.Token(w)).toString()))", words)
    mismatches = {w: (stem(w), j) for w, j in zip(words, js, strict=True) if stem(w) != j}
    assert not mismatches, f"{len(mismatches)} of {len(words)} stems differ (python, lunr.js): {mismatches}"


def test_stop_words_match_lunr_js(node: str, corpus: list[SearchDocument]) -> None:
    candidates = sorted(LUNR_PY_STOP_WORDS | set(_words(corpus)))
    js_stopped = run_node(
        node, "emit(input.filter(w => lunr.stopWordFilter(new lunr.Token(w)) === undefined))", candidates
    )
    assert set(js_stopped) == LUNR_PY_STOP_WORDS


def test_tokenizer_and_trimmer_match_lunr_js(node: str, corpus: list[SearchDocument]) -> None:
    texts = [text for d in corpus for text in field_texts(d).values()]
    js = run_node(
        node,
        "emit(input.map(t => lunr.tokenizer(t).map(tok => [tok.toString(), lunr.trimmer(tok).toString()])))",
        texts,
    )
    python = [[[token, trim(token)] for token in tokenize(text)] for text in texts]
    assert python == js


def test_index_json_is_byte_identical_to_lunr_js_own(node: str, corpus: list[SearchDocument]) -> None:
    """The strongest check: lunr.js's own builder, fed the same fields, writes the same bytes."""
    rows = [{"ref": d.ref, **field_texts(d)} for d in corpus]
    js_text = run_node(
        node,
        """
        const idx = lunr(function () {
          this.ref('ref')
          input.fields.forEach(([name, boost]) => this.field(name, {boost}))
          input.rows.forEach(function (row) { this.add(row) }, this)
        })
        emit(JSON.stringify(idx))
        """,
        {"fields": FIELDS, "rows": rows},
    )
    ours_text = fast_index_json(corpus)
    ours, js = json.loads(ours_text), json.loads(js_text)
    assert ours["pipeline"] == js["pipeline"] == ["stemmer"]
    assert [term for term, _ in ours["invertedIndex"]] == [term for term, _ in js["invertedIndex"]]
    assert ours["invertedIndex"] == js["invertedIndex"]
    assert ours["fieldVectors"] == js["fieldVectors"], (
        "field vectors differ: lunr.js rounds with Math.round(x * 1000) / 1000, lunr.py with "
        "round(x, 3); they can disagree on an exact half"
    )
    assert ours_text == js_text


QUERIES = [
    # single words
    "reasoning",
    "alignment",
    "graph",
    "LLM",
    "benchmark",
    "hallucination",
    # phrases (lunr: any of the words, scored)
    "large language models",
    "logical reasoning",
    "code generation",
    # field queries
    "title:reasoning",
    "abstract:hallucination",
    "tags:alignment",
    "tags:reinforcement",
    "organisation:kaist",
    "title:survey abstract:alignment",
    # author names and key phrases
    "authors:lecun",
    "authors:kaiser",
    "keywords:diffusion",
    "+authors:hinton -vision",
    "lecun",
    "hinton",
    "łukasz",
    "authors:łukasz",
    "authors:ukasz",
    "authors:o'neill",
    "authors:long",
    "long",
    "authors:李",
    "authors:hin*",
    "keywords:knowledge authors:dean",
    "+keywords:networks -authors:lecun",
    "diffusion",
    # wildcards
    "reason*",
    "*ment",
    "gr*ph",
    "multi*",
    "title:align*",
    # presence
    "+graph -vision",
    "+reasoning +logic",
    "-reasoning llm",
    "+title:reasoning abstract:math",
    "+alignment -survey -safety",
    # boosts
    "reasoning^10 alignment",
    "graph^2 circuit",
    # stems
    "aligning",
    "aligned",
    "reasoned",
    "logics",
    # edit distance
    "reasonnig~2",
    "aligment~1",
    # no hits
    "xylophone",
    "zebra",
    # tricky stems
    "survey",
    "surveys",
    "surveying",
    "agreed",
    "generalization",
    "generalize",
    "happy",
    "study",
    "studies",
    "efficiency",
    "analysis",
    "try",
    # stop words and odd input
    "the",
    "and reasoning",
    "café",
    "naïve",
    "ﬁne",
    # rejected by lunr.js
    "title:",
    "unknown:reasoning",
    "reasoning^x",
]


@pytest.fixture(scope="module")
def query_answers(
    node: str, corpus: list[SearchDocument], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[list[Any], list[Any]]]:
    work = tmp_path_factory.mktemp("lunr")
    (work / "index.json").write_text(fast_index_json(corpus), encoding="utf-8")
    (work / "queries.json").write_text(json.dumps(QUERIES), encoding="utf-8")
    proc = subprocess.run(
        [node, str(QUERY_SCRIPT), str(work / "index.json"), str(work / "queries.json")],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert proc.returncode == 0, f"{QUERY_SCRIPT.name} failed:\n{proc.stderr}"
    assert proc.stderr == "", f"lunr.js warned while loading the index:\n{proc.stderr}"
    js_answers = json.loads(proc.stdout)

    index = build_index(corpus)
    py_answers: list[Any] = []
    for query in QUERIES:
        try:
            py_answers.append([[hit["ref"], hit["score"]] for hit in index.search(query)])
        except QueryParseError as error:
            py_answers.append(f"QueryParseError: {error}")
    yield py_answers, js_answers


def test_enough_queries_hit() -> None:
    assert len(QUERIES) >= 25


@pytest.mark.parametrize("position", range(len(QUERIES)), ids=[repr(q) for q in QUERIES])
def test_query_matches_lunr_js(position: int, query_answers: tuple[list[Any], list[Any]]) -> None:
    python, js = (answers[position] for answers in query_answers)
    if isinstance(js, str) or isinstance(python, str):
        assert isinstance(js, str) and isinstance(python, str), (python, js)
        return
    assert [ref for ref, _ in python] == [ref for ref, _ in js]
    for (ref, mine), (_, theirs) in zip(python, js, strict=True):
        assert mine == pytest.approx(theirs, abs=1e-6), ref


def test_queries_exercise_the_index(query_answers: tuple[list[Any], list[Any]]) -> None:
    """Guard against a parity that holds only because nothing matches."""
    _, js = query_answers
    hits = dict(zip(QUERIES, js, strict=True))
    for query in ("reasoning", "title:reasoning", "reason*", "*ment", "+graph -vision", "aligning",
                  "survey", "surveys", "agreed", "generalization", "tags:reinforcement"):
        assert hits[query], f"{query!r} found nothing"
    assert hits["xylophone"] == []
    assert isinstance(hits["unknown:reasoning"], str)
    survey_titles = {d.ref for d in _parse_seed(SEED.read_text(encoding="utf-8")) if "Survey" in d.title}
    assert survey_titles <= {ref for ref, _ in hits["survey"]}


def test_name_and_phrase_queries_find_their_papers(query_answers: tuple[list[Any], list[Any]]) -> None:
    """The field queries find exactly the papers with that name or phrase; plain words find them among others."""
    _, js = query_answers
    hits = {query: [ref for ref, _ in answer] for query, answer in zip(QUERIES, js, strict=True) if not isinstance(answer, str)}
    assert hits["authors:lecun"] == ["zy"]
    assert hits["authors:kaiser"] == ["zx"]
    # The index holds "ukasz" (lunr's trimmer strips non-ASCII ends); lunr's own search does not trim
    # query terms, search.js does (tests/search/test_shards.py: the page finds Łukasz).
    assert hits["authors:ukasz"] == ["zx"] and hits["authors:łukasz"] == hits["łukasz"] == []
    assert hits["keywords:diffusion"] == ["zu"]
    assert set(hits["diffusion"]) >= {"zu", "zt"}
    assert set(hits["+authors:hinton -vision"]) == {"zw"}
    assert set(hits["hinton"]) == {"zw", "zv"}
    assert hits["lecun"][0] == "zy"
    assert hits["authors:o'neill"] == hits["authors:long"] == ["zu"]
    assert hits["authors:李"] == [], "lunr's trimmer leaves nothing of a word without ASCII letters: CJK names are not searchable"
    assert "zu" in hits["long"]
    assert set(hits["authors:hin*"]) == {"zw", "zv"}
    assert hits["keywords:knowledge authors:dean"][0] == "zw"
    assert "zy" not in hits["+keywords:networks -authors:lecun"] and "zv" in hits["+keywords:networks -authors:lecun"]


def test_stem_queries_find_their_relatives(corpus: list[SearchDocument]) -> None:
    index = build_index(corpus)
    alignment_docs = {d.ref for d in corpus if re.search(r"\balignment\b", d.abstract, re.IGNORECASE)}
    assert alignment_docs <= {hit["ref"] for hit in index.search("aligning")}
    # lunr.py's own stemmer turns `survey` into `survei` and would miss these.
    assert {hit["ref"] for hit in index.search("surveys")} == {hit["ref"] for hit in index.search("survey")}


def test_index_json_loads_in_lunr_js(node: str, corpus: list[SearchDocument]) -> None:
    index_json = fast_index_json(corpus)
    loaded = run_node(
        node,
        """
        const warnings = []
        lunr.utils.warn = (message) => warnings.push(message)
        const idx = lunr.Index.load(JSON.parse(input))
        emit({warnings, fields: idx.fields, pipeline: idx.pipeline.toJSON(),
              terms: Object.keys(idx.invertedIndex).length, reloaded: JSON.stringify(idx)})
        """,
        index_json,
    )
    assert loaded["warnings"] == []
    assert loaded["fields"] == [name for name, _ in FIELDS]
    assert loaded["pipeline"] == ["stemmer"]
    assert loaded["terms"] > 1000
    assert json.loads(loaded["reloaded"]) == json.loads(index_json)


def test_highlighting_needs_no_positions(node: str, corpus: list[SearchDocument]) -> None:
    """The browser finds the words to mark by re-running lunr's pipeline on the snippet."""
    index_json = fast_index_json(corpus)
    marked = run_node(
        node,
        """
        const idx = lunr.Index.load(input.index)
        const hit = idx.search('aligning')[0]
        const terms = new Set(Object.keys(hit.matchData.metadata))
        const words = lunr.tokenizer(input.abstracts[hit.ref])
          .filter(tok => idx.pipeline.run([lunr.trimmer(tok.clone())]).some(t => terms.has(t.toString())))
          .map(tok => tok.toString())
        emit({terms: [...terms], words})
        """,
        {"index": json.loads(index_json), "abstracts": {d.ref: d.abstract for d in corpus}},
    )
    assert marked["terms"] == ["align"]
    assert marked["words"] and all(trim(word).startswith("align") for word in marked["words"])
    assert '"position"' not in index_json


def test_python_load_index_searches_like_the_built_index(corpus: list[SearchDocument]) -> None:
    built = build_index(corpus)
    loaded = load_index(json.loads(fast_index_json(corpus)))
    for query in ("survey", "aligning", "reason*", "+graph -vision", "title:reasoning"):
        expected = [(hit["ref"], round(hit["score"], 9)) for hit in built.search(query)]
        assert [(hit["ref"], round(hit["score"], 9)) for hit in loaded.search(query)] == expected


def test_fields_and_boosts() -> None:
    """The boosts chosen in lunr_index.py (see the reasons there); a change here changes every score."""
    assert FIELDS == (("title", 10), ("tags", 5), ("keywords", 3), ("authors", 2), ("abstract", 1), ("organisation", 1))
    named = NAMED[1]
    assert field_texts(named)["authors"] == ", ".join(named.authors)
    assert field_texts(named)["keywords"] == "transformers, self-attention, machine translation"
    assert field_texts(NAMED[-1])["authors"] == field_texts(NAMED[-1])["keywords"] == ""


def test_duplicate_refs_are_refused(corpus: list[SearchDocument]) -> None:
    with pytest.raises(ValueError, match="more than one document"):
        build_index([corpus[0], corpus[0]])
