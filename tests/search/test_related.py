"""Related papers (sitegen/search/related.py): what they find on the seed, that any process finds the same,
and that an update from a kept result equals computing everything afresh, whatever changed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sitegen.build.load import load_papers
from sitegen.config import Config, load_config
from sitegen.model import Paper
from sitegen.search import related
from sitegen.search.related import MIN_SCORE, RELATED, RelatedMemory, related_lists, with_related
from sitegen.site.collect import Site, collect

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(REPO)


@pytest.fixture(scope="module")
def seed(config: Config) -> Site:
    """The shipped archive, read in place (nothing is built, so no state is left in the checkout)."""
    return collect(load_papers(config), config)


def slugs_of(site: Site, memory: RelatedMemory) -> dict[str, list[str]]:
    return {paper.slug: [site.papers[position].slug for position, _ in found] for paper, found in zip(site.papers, memory.lists.entries())}


# Pairs a reader would call related, each paper's title and abstract read: two process reward models
# for multi-step reasoning, two evaluations of LLMs' logical reasoning, two studies of emergent
# misalignment (fine-tuning on narrow bad data makes models deceptive and dishonest).
RELATED_PAIRS = [
    (
        "gm-prm-a-generative-multimodal-process-reward-model-for-multimodal-mathematical",
        "from-answer-to-think-multidimensional-supervision-of-reasoning-process-for-llm",
    ),
    (
        "are-large-language-models-really-good-logical-reasoners-a-comprehensive",
        "towards-logiglue-a-brief-survey-and-a-benchmark-for-analyzing-logical-reasoning",
    ),
    (
        "thought-crime-backdoors-and-emergent-misalignment-in-reasoning-models",
        "llms-learn-to-deceive-unintentionally-emergent-misalignment-in-dishonesty-from",
    ),
]


@pytest.mark.parametrize(("first", "second"), RELATED_PAIRS, ids=["process-reward-models", "logical-reasoning", "emergent-misalignment"])
def test_clearly_related_seed_papers_find_each_other(seed: Site, first: str, second: str) -> None:
    found = slugs_of(seed, related_lists(seed, {}))
    assert second in found[first], found[first]
    assert first in found[second], found[second]


def test_lists_hold_at_most_five_other_published_papers_most_related_first(seed: Site) -> None:
    memory = related_lists(seed, {})
    assert any(len(found) == RELATED for found in memory.lists.entries())
    for row, found in enumerate(memory.lists.entries()):
        assert len(found) <= RELATED
        assert row not in [position for position, _ in found]
        assert len({position for position, _ in found}) == len(found)
        assert all(score >= MIN_SCORE for _, score in found)
        assert [(-score, position) for position, score in found] == sorted((-score, position) for position, score in found)


def test_scores_are_symmetric(seed: Site) -> None:
    """Both papers of a pair get the same score: the dot product of two integer vectors."""
    memory = related_lists(seed, {})
    score = {(row, position): value for row, found in enumerate(memory.lists.entries()) for position, value in found}
    assert score
    for (row, position), value in score.items():
        if (position, row) in score:
            assert score[position, row] == value


_IN_A_CHILD = """
import json, sys
from pathlib import Path
from sitegen.build.load import load_papers
from sitegen.config import load_config
from sitegen.search.related import related_lists
from sitegen.site.collect import collect
config = load_config(Path(sys.argv[1]))
site = collect(load_papers(config), config)
print(json.dumps([list(map(list, found)) for found in related_lists(site, {}).lists.entries()]))
"""


def test_every_process_finds_the_same(seed: Site) -> None:
    """Integer weights and a fixed tie order: other hash seeds give the same lists and the same scores."""
    here = [list(map(list, found)) for found in related_lists(seed, {}).lists.entries()]
    for hash_seed in ("1", "2024"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run([sys.executable, "-c", _IN_A_CHILD, str(REPO)], capture_output=True, text=True, env=env, check=True)
        assert json.loads(run.stdout) == here


def test_a_paper_sharing_no_term_gets_no_related_papers_and_appears_in_no_list(seed: Site, config: Config) -> None:
    stranger = Paper(slug="zzyzx-qwomble", title="Zzyzx qwomble", body="Vrallen plinth oxquirm. Zzyzx blorft snavel qwomble.")
    site = collect([*seed.papers, stranger], config)
    memory = related_lists(site, {})
    found = slugs_of(site, memory)
    assert found["zzyzx-qwomble"] == []
    assert not any("zzyzx-qwomble" in others for others in found.values())
    assert "zzyzx-qwomble" not in with_related(site, memory).related


def test_drafts_get_a_list_but_are_in_none(seed: Site, config: Config) -> None:
    model = next(paper for paper in seed.papers if paper.slug == RELATED_PAIRS[0][0])
    draft = dataclasses.replace(model, slug="a-draft-copy", draft=True)
    site = collect([*seed.papers, draft], config)
    found = slugs_of(site, related_lists(site, {}))
    assert RELATED_PAIRS[0][0] in found["a-draft-copy"]
    assert not any("a-draft-copy" in others for others in found.values())
    published = collect(seed.papers, config)
    plain = slugs_of(published, related_lists(published, {}))
    assert {slug: others for slug, others in found.items() if slug != "a-draft-copy"} == plain


def test_top_picks_the_best_five_with_ties_by_column() -> None:
    """`_top` skips the full sort (a floor from block maxima): it must agree with sorting every row."""
    rng = np.random.default_rng(7)
    for width in (64, 128, 640):
        for _ in range(20):
            values = rng.integers(0, 6, size=(9, width)).astype(np.float64) * MIN_SCORE / 2
            values[:, rng.integers(0, width, size=3)] = 4 * MIN_SCORE  # ties across blocks
            expected = []
            for row in values:
                ranked = sorted((-value, column) for column, value in enumerate(row) if value >= MIN_SCORE)[:RELATED]
                expected.append(tuple((column, int(-value)) for value, column in ranked))
            positions, scores = related._top(values)
            assert related.Lists(positions, scores).entries() == tuple(expected)


# --- updates equal a fresh computation ---------------------------------------------------------------


def _sentences(site: Site) -> list[str]:
    return [sentence.strip() + "." for paper in site.papers for sentence in paper.body.split(". ") if len(sentence) > 30]


def _archive(seed: Site, count: int, rng: random.Random) -> list[Paper]:
    """Papers recombined from the seed's sentences, with a few invented names each (like benchmarks/corpus.py)."""
    sentences = _sentences(seed)
    titles = [paper.title for paper in seed.papers]
    papers = []
    for number in range(count):
        body = " ".join(rng.sample(sentences, rng.randint(3, 8))) + f" We call it Method{rng.randint(0, count // 3)}."
        title = f"{rng.choice(titles)} {rng.choice(['revisited', 'at scale', 'for agents', ''])}".strip()
        keywords = tuple(rng.sample(["process reward", "honesty", "logic", "alignment", "diffusion"], rng.randint(0, 2)))
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 90)) if rng.random() > 0.1 else None
        papers.append(Paper(slug=f"paper-{number}", title=title, body=body, date=day, keywords=keywords))
    return papers


def _edits(papers: list[Paper], seed: Site, rng: random.Random) -> Iterator[tuple[str, list[Paper]]]:
    """A run of edits of every kind, each one the archive as it is after it."""
    sentences = _sentences(seed)
    fresh = len(papers)
    for step in range(40):
        papers = list(papers)
        kind = ["abstract", "title", "date", "add", "remove", "draft", "keywords", "several", "nothing", "word"][step % 10]
        index = rng.randrange(len(papers))
        paper = papers[index]
        if kind == "abstract":
            papers[index] = dataclasses.replace(paper, body=f"{paper.body} {rng.choice(sentences)}")
        elif kind == "title":
            papers[index] = dataclasses.replace(paper, title=rng.choice(sentences)[:60])
        elif kind == "date":
            papers[index] = dataclasses.replace(paper, date=dt.date(2023, 6, 1) + dt.timedelta(days=rng.randint(0, 400)))
        elif kind == "add":
            papers.append(Paper(slug=f"paper-{fresh}", title=rng.choice(sentences)[:50], body=" ".join(rng.sample(sentences, 4))))
            fresh += 1
        elif kind == "remove":
            del papers[index]
        elif kind == "draft":
            papers[index] = dataclasses.replace(paper, draft=not paper.draft)
        elif kind == "keywords":
            papers[index] = dataclasses.replace(paper, keywords=(*paper.keywords, rng.choice(["reward model", "deception"])))
        elif kind == "several":
            for other in rng.sample(range(len(papers)), 5):
                papers[other] = dataclasses.replace(papers[other], body=f"{papers[other].body} {rng.choice(sentences)}")
        elif kind == "word":
            papers[index] = dataclasses.replace(paper, body=f"{paper.body} Quuxification{step}.")
        else:
            papers[index] = dataclasses.replace(paper, comments=step)  # nothing the lists depend on
        yield kind, papers


def test_an_update_equals_a_fresh_computation_after_every_kind_of_edit(seed: Site, config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    archive = _archive(seed, 600, rng)
    memory = related_lists(collect(archive, config), {})
    ranked: list[int] = []
    real_rank = related._rank_rows

    def counting(vectors: object, rows: np.ndarray) -> object:
        ranked.append(len(rows))
        return real_rank(vectors, rows)  # type: ignore[arg-type]

    kinds = set()
    updated = set()  # kinds that were updated, not ranked again in full (which is exact by itself)
    for kind, papers in _edits(archive, seed, rng):
        site = collect(papers, config)
        ranked.clear()
        monkeypatch.setattr(related, "_rank_rows", counting)
        memory = related_lists(site, {}, memory)
        monkeypatch.setattr(related, "_rank_rows", real_rank)
        fresh = related_lists(site, {})
        assert memory.lists.entries() == fresh.lists.entries(), kind
        assert (memory.key, memory.terms_key) == (fresh.key, fresh.terms_key)
        if kind == "nothing":
            assert ranked == [], "a change the lists do not depend on ranks nothing"
        elif kind in ("word", "date"):  # one vector changed, or one paper moved: a few rows, not the archive
            assert sum(ranked) <= 1 + RELATED * 4, (kind, ranked)
        kinds.add(kind)
        if sum(ranked) < len(papers):
            updated.add(kind)
    assert len(kinds) == 10
    assert {"abstract", "title", "date", "add", "remove", "draft", "keywords", "word"} <= updated


def test_a_new_word_ranks_only_the_edited_paper_and_the_lists_it_was_in(seed: Site, config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """A word no other paper has changes no other vector: one paper is counted, and ranked with the lists that held it."""
    papers = list(seed.papers)
    before = related_lists(seed, {})
    index = [paper.slug for paper in papers].index(RELATED_PAIRS[1][0])
    holders = {row for row, found in enumerate(before.lists.entries()) if index in [position for position, _ in found]}
    assert holders, "the paper is in other lists, so the test shows they are ranked again"
    papers[index] = dataclasses.replace(papers[index], body=f"{papers[index].body} Flibbertigibbet.")
    counted: list[int] = []
    ranked: list[list[int]] = []
    real_count, real_rank = related.count_terms, related._rank_rows
    monkeypatch.setattr(related, "count_terms", lambda documents: counted.append(len(documents)) or real_count(documents))
    monkeypatch.setattr(related, "_rank_rows", lambda vectors, rows: ranked.append(rows.tolist()) or real_rank(vectors, rows))
    site = collect(papers, config)
    after = related_lists(site, {}, before)
    assert counted == [1]
    assert ranked == [sorted({index} | holders)]
    monkeypatch.setattr(related, "_rank_rows", real_rank)
    assert after.lists.entries() == related_lists(site, {}).lists.entries()
