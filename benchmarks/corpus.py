"""A deterministic synthetic archive of N papers, shaped like the real one, as a sitegen project.

Titles and abstracts are recombined from the real pages' sentences
(content/papers/*.md), so word frequencies look like the seed's. Real
archives keep naming new methods, benchmarks and models, so the vocabulary
grows with N: each paper mints a few new names (CamelCase methods,
hyphenated acronyms, benchmark names) from a seeded RNG and now and then
cites names minted by earlier papers. Dates span three years; tags come
from 33 names with a skewed popularity; some papers have an organisation
and a comment count. About half the papers name their authors (a few with
long lists, as big collaborations do; names from many languages, so some
are not ASCII) and the others give only a count, as the digests do; about
half have key phrases. Names and phrases come from a second seeded RNG, so
titles, abstracts and dates are those of a corpus without them.

    python -m benchmarks.corpus 1000 /tmp/corpus-1k

writes `content/papers/*.md`, `content/tags.yaml`, `theme/` (copied) and a
`pyproject.toml` with `[tool.sitegen]`, so the folder builds with
`python -m sitegen build --root /tmp/corpus-1k` (or `sitegen.build.build`).
Same N and seed: same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sitegen.content.frontmatter import escape_markdown, parse_page, render_page
from sitegen.content.slugs import disambiguated, slugify
from sitegen.model import Organisation, Paper
from sitegen.site.render import plain_text

ROOT = Path(__file__).resolve().parent.parent
SEED_PAPERS = ROOT / "content" / "papers"

TAGS = (
    # content/tags.yaml's 28 ...
    "time-series", "graphs", "code", "vision", "multimodal", "speech", "robotics", "science",
    "dialogue", "diffusion", "reinforcement-learning", "preference-learning", "fine-tuning",
    "training-data", "retrieval", "interpretability", "efficiency", "agents", "planning", "logic",
    "math", "reasoning", "alignment", "safety", "truthfulness", "ethics", "benchmarks", "surveys",
    # ... and tags a bigger archive grows
    "privacy", "federated-learning", "recommendation", "optimization", "theory",
)

ORGANISATIONS = tuple(
    Organisation(id=slugify(name), name=name)
    for name in (
        "KAIST AI", "Google DeepMind", "Meta AI", "Microsoft Research", "Tsinghua University",
        "Peking University", "Stanford University", "MIT CSAIL", "Carnegie Mellon University",
        "University of Oxford", "ETH Zürich", "Alibaba Group", "ByteDance Seed", "Shanghai AI Lab",
        "NVIDIA", "Allen Institute for AI", "Hugging Face", "Mila", "University of Tokyo", "EPFL",
        "Anthropic", "OpenAI", "Apple", "Salesforce Research", "Zhejiang University",
        "National University of Singapore", "Seoul National University", "UC Berkeley", "Princeton University",
        "University of Washington", "Tencent AI Lab", "Baidu Research", "Samsung AI Center", "IBM Research",
        "Max Planck Institute for Intelligent Systems", "University of Edinburgh", "Fudan University",
        "Nanyang Technological University", "Université de Montréal", "Technion",
    )
)

GIVEN_NAMES = (
    "Yann", "Geoffrey", "Yoshua", "Łukasz", "Ashish", "Noam", "Niki", "Jakob", "Llion", "Aidan", "Illia",
    "Fei-Fei", "Kaiming", "Xiangyu", "Shaoqing", "Jian", "Wei", "Li", "Yuki", "Haruto", "Sakura", "Ji-woo",
    "Min-jun", "Seo-yeon", "Amélie", "Zoë", "José", "María", "Søren", "Björn", "Jürgen", "Ümit", "Çağrı",
    "Thảo", "Priya", "Arjun", "Aïcha", "Oluwaseun", "Chiara", "Mateusz", "Ioana", "Dmitri", "Olga",
)
FAMILY_NAMES = (
    "LeCun", "Hinton", "Bengio", "Kaiser", "Vaswani", "Shazeer", "Parmar", "Uszkoreit", "Jones", "Gomez",
    "Polosukhin", "Li", "He", "Zhang", "Ren", "Sun", "Wang", "Chen", "Liu", "Yang", "Tanaka", "Sato",
    "Kim", "Park", "Dubois", "Müller", "García", "Kierkegaard", "Søndergaard", "Schmidhuber", "Öztürk",
    "Nguyễn", "Sharma", "Iyer", "Diallo", "Adeyemi", "Rossi", "Wójcik", "Popescu", "Ivanov", "Smirnova",
    "van der Berg", "O'Neill", "Lévesque",
)
KEY_PHRASES = (
    "large language models", "diffusion models", "chain-of-thought", "reinforcement learning from human feedback",
    "mixture of experts", "retrieval-augmented generation", "instruction tuning", "direct preference optimization",
    "vision-language models", "graph neural networks", "in-context learning", "reward modeling",
    "mechanistic interpretability", "test-time compute", "speculative decoding", "knowledge distillation",
    "contrastive learning", "world models", "program synthesis", "theorem proving", "red teaming",
    "hallucination detection", "long-context modeling", "multi-agent systems", "tool use", "quantization",
)

START = dt.date(2023, 1, 1)
DAYS = (dt.date(2025, 12, 31) - START).days + 1

_SYLLABLES = (
    "re", "ver", "al", "gen", "tra", "co", "lex", "ma", "phi", "neo", "syn", "ka", "tor", "quo", "zen",
    "vi", "sta", "mo", "dra", "ex", "plo", "ri", "nu", "ga", "lo", "fy", "pix", "ze", "tha", "ion",
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


@dataclass(frozen=True, slots=True)
class _Pool:
    sentences: tuple[str, ...]
    """Abstract sentences of the real pages."""
    subtitles: tuple[str, ...]
    """Title parts after a `Name:`, or whole titles without one."""


def _seed_pool() -> _Pool:
    sentences: list[str] = []
    subtitles: list[str] = []
    for path in sorted(SEED_PAPERS.glob("*.md")):
        paper = parse_page(path.read_text(encoding="utf-8"), path)
        sentences += [s.strip() for s in _SENTENCE_END.split(plain_text(paper.body)) if len(s.strip()) > 30]
        subtitles.append(paper.title.split(": ", 1)[-1])
    return _Pool(tuple(sentences), tuple(subtitles))


class _Names:
    """New method, model and benchmark names, minted at a few per paper, sometimes cited again."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.minted: list[str] = []
        self.seen: set[str] = set()

    def _word(self, syllables: int) -> str:
        return "".join(self.rng.choice(_SYLLABLES) for _ in range(syllables))

    def mint(self) -> str:
        rng = self.rng
        while True:
            kind = rng.random()
            if kind < 0.4:  # CamelCase method: ReverGen
                name = self._word(2).capitalize() + self._word(rng.randint(1, 2)).capitalize()
            elif kind < 0.7:  # hyphenated acronym: KTR-RL, GM-PRM
                letters = "".join(rng.choice("ABCDEFGHKLMNPRSTVXZ") for _ in range(rng.randint(2, 4)))
                name = f"{letters}-{rng.choice(('RL', 'PO', 'LM', 'R1', 'VL', 'Bench', 'Agent', 'Net'))}"
            else:  # benchmark / data set: LexaBench, Quomo-1K
                name = self._word(2).capitalize() + rng.choice(("Bench", "QA", "Eval", "-1K", "-Pro", "Gym"))
            if name not in self.seen:
                self.seen.add(name)
                self.minted.append(name)
                return name

    def cite(self) -> str:
        """An earlier paper's name, recent ones more often, or a new one."""
        if len(self.minted) < 10 or self.rng.random() < 0.2:
            return self.mint()
        recent = max(10, len(self.minted) // 4)
        return self.rng.choice(self.minted[-recent:])


_TEMPLATES = (
    "We propose {new}, {what}.",
    "To address this, we introduce {new}, a framework for {what_lower}.",
    "{new} outperforms {cited} on {bench} by a wide margin.",
    "Experiments on {bench} and {bench2} show that {new} improves over {cited}.",
    "We release {bench}, a benchmark of {count} tasks, together with {new}.",
    "Compared with {cited}, {new} needs {times}x fewer training steps.",
)


def _authors(rng: random.Random, count: int) -> tuple[tuple[str, ...], int | None]:
    """(names, None) for half the papers, one in fifty a collaboration of 30 to 80; else ((), count)."""
    if rng.random() >= 0.5:
        return (), count
    size = rng.randint(30, 80) if rng.random() < 0.02 else rng.randint(1, 12)
    names: dict[str, None] = {}
    while len(names) < size:
        names[f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"] = None
    return tuple(names), None


def generate(count: int, seed: int = 20261128) -> Iterator[Paper]:
    """`count` papers, deterministic in (count, seed); slugs unique."""
    rng = random.Random(seed)
    people = random.Random(f"{seed}:authors and key phrases")
    pool = _seed_pool()
    names = _Names(rng)
    tag_weights = [1 / (rank + 1) ** 0.7 for rank in range(len(TAGS))]
    slugs: set[str] = set()
    for _ in range(count):
        new = names.mint()
        extra = names.mint() if rng.random() < 0.5 else None
        subtitle = rng.choice(pool.subtitles)
        title = f"{new}: {subtitle}" if rng.random() < 0.7 else subtitle.replace(" a ", f" {new} ", 1)
        if title == subtitle:
            title = f"{subtitle} with {new}"
        filler = {
            "new": new,
            "what": subtitle[0].lower() + subtitle[1:],
            "what_lower": subtitle.lower(),
            "cited": names.cite(),
            "bench": extra or names.cite(),
            "bench2": names.cite(),
            "count": rng.randint(50, 5000),
            "times": rng.randint(2, 9),
        }
        sentences = rng.sample(pool.sentences, rng.randint(4, 7))
        for template in rng.sample(_TEMPLATES, rng.randint(1, 3)):
            sentences.insert(rng.randint(0, len(sentences)), template.format(**filler))
        abstract = " ".join(sentences)
        slug = slugify(title)
        if slug in slugs:
            slug = disambiguated(slug, f"{title} {len(slugs)}")
        slugs.add(slug)
        tags = sorted(set(rng.choices(TAGS, weights=tag_weights, k=rng.randint(2, 5))), key=TAGS.index)
        date = START + dt.timedelta(days=rng.randrange(DAYS))
        authors, author_count = _authors(people, rng.randint(1, 24))  # the count drawn where it always was
        keywords = tuple(people.sample(KEY_PHRASES, people.randint(2, 5))) if people.random() < 0.5 else ()
        yield Paper(
            slug=slug,
            title=title,
            body=escape_markdown(abstract),
            date=date,
            authors=authors,
            author_count=author_count,
            organisation=rng.choice(ORGANISATIONS) if rng.random() < 0.6 else None,
            comments=rng.randint(1, 40) if rng.random() < 0.4 else None,
            tags=tuple(tags),
            keywords=keywords,
            links=(f"https://github.com/example/{slug[:40]}",) if rng.random() < 0.3 else (),
            sources=(f"daily-papers-{START + dt.timedelta(days=rng.randrange(DAYS))}.txt",),
        )


PYPROJECT = """\
[project]
name = "sitegen-benchmark-corpus"
version = "0"

[tool.sitegen]
title = "Benchmark Archive ({count} papers)"
description = "A synthetic archive generated by benchmarks/corpus.py."
base_url = "https://example.org/bench/"
"""


def copy_theme(folder: Path) -> None:
    """(Re)copy the repository's theme/ and content/tags.yaml, so the project builds with today's templates."""
    shutil.copyfile(ROOT / "content" / "tags.yaml", folder / "content" / "tags.yaml")
    if (folder / "theme").exists():
        shutil.rmtree(folder / "theme")
    shutil.copytree(ROOT / "sitegen" / "theme", folder / "theme")


def write_project(count: int, folder: Path, seed: int = 20261128) -> list[Path]:
    """Write the corpus as a sitegen project into `folder` (its content/papers is replaced)."""
    papers_dir = folder / "content" / "papers"
    if papers_dir.exists():
        shutil.rmtree(papers_dir)
    papers_dir.mkdir(parents=True)
    copy_theme(folder)
    (folder / "pyproject.toml").write_text(PYPROJECT.format(count=count), encoding="utf-8")
    paths = []
    for paper in generate(count, seed):
        path = papers_dir / f"{paper.slug}.md"
        path.write_text(render_page(paper), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("papers", type=int, help="how many papers")
    parser.add_argument("folder", type=Path, help="project folder to write")
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args(argv)
    paths = write_project(args.papers, args.folder, args.seed)
    print(f"wrote {len(paths)} papers to {args.folder / 'content' / 'papers'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
