"""Hugo (and Hugo followed by Pagefind) over the same papers, for a same-run comparison.

The site skeleton is benchmarks/hugo/: paper pages; tag, month and year
listings paginated by 20; feeds of 50 entries (``rssLimit``, sitegen's
``feed_size``); a sitemap. This module writes one content file per paper
(front matter: title, date, tags, a ``months`` term such as ``2025-03`` and a
``years`` term, then the abstract), times ``hugo --quiet -d <fresh folder>``,
and with Pagefind times the search index Hugo sites usually add
(``pagefind --site <output>``, the paper pages only: ``data-pagefind-body``).

`page_counts` classifies a built site's files the same way for both tools, so
the benchmark prints what each one wrote and a reader can see the work is the
same (sitegen also writes pages Hugo is not asked for: organisations, most
discussed, citations, data exports; they are counted apart).

Neither tool is a dependency of sitegen: ``apt-get install -y hugo``; Pagefind
comes from the npm registry at `PAGEFIND_VERSION` (installed on first use
into the benchmark's work folder).
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SKELETON = Path(__file__).resolve().parent / "hugo"
PAGEFIND_VERSION = "1.4.0"


@dataclass(frozen=True)
class HugoRun:
    seconds: float
    """Median wall time of ``hugo`` into a fresh folder."""
    pagefind_seconds: float | None
    """Median wall time of Pagefind over that output (None: not asked for)."""
    pages: dict[str, int]
    """`page_counts` of Hugo's output."""


def write_site(project: Path, folder: Path) -> int:
    """A Hugo site in `folder` holding the papers of the sitegen `project`."""
    from sitegen.build.load import load_papers
    from sitegen.config import load_config

    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(SKELETON, folder)
    config = load_config(project)
    (folder / "static").mkdir(exist_ok=True)
    shutil.copyfile(config.path("theme_dir") / "static" / "style.css", folder / "static" / "style.css")
    papers_dir = folder / "content" / "papers"
    papers_dir.mkdir(parents=True)
    papers = [paper for paper in load_papers(config) if not paper.draft]
    for paper in papers:
        meta: dict[str, object] = {"title": paper.title, "tags": list(paper.tags)}
        if paper.date is not None:
            meta["date"] = paper.date.isoformat()
            meta["months"] = [paper.date.strftime("%Y-%m")]
            meta["years"] = [paper.date.strftime("%Y")]
        # JSON front matter: Hugo reads it natively and it needs no YAML quoting rules.
        (papers_dir / f"{paper.slug}.md").write_text(f"{json.dumps(meta, ensure_ascii=False)}\n\n{paper.body}\n", encoding="utf-8")
    return len(papers)


def page_counts(site: Path) -> dict[str, int]:
    """HTML pages by kind, feeds and sitemaps of a built site (either tool's layout)."""
    counts: Counter[str] = Counter()
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        parts = path.relative_to(site).parts
        if path.suffix == ".html":
            counts["html pages"] += 1
            if parts[0] == "papers" and len(parts) == 3 and parts[1] != "page":
                counts["paper pages"] += 1
            elif parts[0] in ("tags", "months", "years", "dates", "orgs", "top"):
                counts[f"{parts[0]} listing pages"] += 1
            elif parts[0] in ("index.html", "page") or parts[0] == "papers":
                counts["home and all-papers pages"] += 1
            else:
                counts["other pages"] += 1
        elif path.suffix == ".xml" and path.stem in ("feed", "index"):
            counts["feeds"] += 1
        elif path.name == "sitemap.xml":
            counts["sitemaps"] += 1
    return dict(sorted(counts.items()))


def pagefind_command(workdir: Path) -> list[str]:
    """The pinned Pagefind, installed from npm into ``workdir`` the first time."""
    binary = workdir / "pagefind" / "node_modules" / ".bin" / "pagefind"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm not found: Pagefind comes from the npm registry; install Node.js or leave out --pagefind")
        subprocess.run(
            [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(binary.parents[2]), f"pagefind@{PAGEFIND_VERSION}"],
            check=True,
        )
    return [str(binary)]


def hugo_build(project: Path, folder: Path, repeat: int = 1, pagefind: bool = False) -> HugoRun:
    """Hugo (and Pagefind after it) over the project's published papers, each into a fresh folder."""
    hugo = shutil.which("hugo")
    if hugo is None:
        raise SystemExit("hugo not found: apt-get install -y hugo, or leave out --hugo")
    write_site(project, folder)
    indexer = pagefind_command(folder.parent) if pagefind else None
    times, indexing = [], []
    output = folder / "public"
    for _ in range(repeat):
        if output.exists():
            shutil.rmtree(output)
        started = time.perf_counter()
        subprocess.run([hugo, "--quiet", "-d", str(output), "-s", str(folder)], check=True)
        times.append(time.perf_counter() - started)
        if indexer is not None:
            started = time.perf_counter()
            subprocess.run([*indexer, "--silent", "--site", str(output)], check=True)
            indexing.append(time.perf_counter() - started)
    return HugoRun(statistics.median(times), statistics.median(indexing) if indexing else None, page_counts(output))
