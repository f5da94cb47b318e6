"""Hugo over the same papers, for a same-run comparison: `hugo --quiet -d <fresh folder>`.

The site skeleton (config and minimal layouts: paper pages, tag pages and
month pages, listings paginated by 20, RSS and sitemap on) is
benchmarks/hugo/; this module writes one content file per paper (front
matter title, date, tags and a `months` term such as `2025-03`, then the
abstract) and times Hugo. Hugo is not a dependency of sitegen: install it
with `apt-get install -y hugo`.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import time
from pathlib import Path

SKELETON = Path(__file__).resolve().parent / "hugo"


def write_site(project: Path, folder: Path) -> int:
    """A Hugo site in `folder` holding the papers of the sitegen `project`."""
    from sitegen.build.load import load_papers
    from sitegen.config import load_config

    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(SKELETON, folder)
    shutil.copyfile(project / "theme" / "static" / "style.css", folder / "static-style.css")
    (folder / "static").mkdir(exist_ok=True)
    shutil.move(folder / "static-style.css", folder / "static" / "style.css")
    papers_dir = folder / "content" / "papers"
    papers_dir.mkdir(parents=True)
    papers = load_papers(load_config(project))
    for paper in papers:
        meta: dict[str, object] = {"title": paper.title, "tags": list(paper.tags)}
        if paper.date is not None:
            meta["date"] = paper.date.isoformat()
            meta["months"] = [paper.date.strftime("%Y-%m")]
        # JSON front matter: Hugo reads it natively and it needs no YAML quoting rules.
        (papers_dir / f"{paper.slug}.md").write_text(f"{json.dumps(meta, ensure_ascii=False)}\n\n{paper.body}\n", encoding="utf-8")
    return len(papers)


def hugo_build_seconds(project: Path, folder: Path, repeat: int = 1) -> float:
    """Median wall time of `hugo --quiet -d <fresh>` over the project's papers."""
    hugo = shutil.which("hugo")
    if hugo is None:
        raise SystemExit("hugo not found: apt-get install -y hugo, or leave out --hugo")
    write_site(project, folder)
    times = []
    for run in range(repeat):
        output = folder / f"public-{run}"
        if output.exists():
            shutil.rmtree(output)
        started = time.perf_counter()
        subprocess.run([hugo, "--quiet", "-d", str(output), "-s", str(folder)], check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)
