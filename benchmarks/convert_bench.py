"""Time `sitegen convert` of a big listing input: first run, nothing changed, and what a run costs by stage.

    python -m benchmarks.convert_bench --papers 10000 [--repeat 5] [--real ../shared/data/hf-daily-papers]
    python -m benchmarks.convert_bench --papers 10000 --profile /tmp/convert.prof

The input is the real Hugging Face API dumps in ``--real`` (23 monthly dumps, 6,519
papers), topped up to ``--papers`` with one synthetic dump in the same shape: the papers of
benchmarks/corpus.py (recombined from the seed's sentences) as API entries with made-up
arXiv ids. Without the real dumps (a user's clone) the whole input is synthetic. The
project is written into ``--workdir`` (default /tmp/sitegen-bench/convert-<N>) with the
repository's content/tags.yaml.

Each measurement runs ``convert`` in a fresh Python subprocess (imports included in the
process time, not in the in-process one) and prints its in-process seconds:

* first: content/papers/ empty, no converter state, no .sitegen/ cache;
* no change: the same listings again (median of ``--repeat``);
* no change, cache dropped: .sitegen/ removed first, so every listing is parsed and
  tagged again but no page changes (what a first run after a clone costs);
* one listing touched: one dump's bytes changed (a space appended), the rest unchanged;
* with progress: the first run again with the CLI's progress bar forced on (drawn to a
  pseudo-terminal), to check progress costs nothing measurable.

The machine is shared, so timings are noisy: compare medians from one run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "data" / "hf-daily-papers"
"""The real dumps beside the checkout (../shared), where the project keeps them; absent in a user's clone."""
SYNTHETIC = "daily_papers_synthetic.json.gz"


def synthetic_entries(count: int, seed: int = 20261128) -> list[dict[str, Any]]:
    """``count`` API entries in the real dumps' shape, from benchmarks.corpus's papers (deterministic)."""
    from benchmarks.corpus import generate
    from sitegen.site.render import plain_text

    entries = []
    for number, paper in enumerate(generate(count, seed)):
        day = paper.date.isoformat() if paper.date else "2025-01-01"
        entry: dict[str, Any] = {
            "paper": {
                "id": f"2612.{number:05d}",
                "title": paper.title,
                "summary": plain_text(paper.body),
                "authors": [{"name": name, "hidden": False} for name in paper.authors],
                "publishedAt": f"{day}T00:00:00.000Z",
                "submittedOnDailyAt": f"{day}T06:00:00.000Z",
                "upvotes": paper.comments or 0,
                "ai_keywords": list(paper.keywords),
            },
            "publishedAt": f"{day}T00:00:00.000Z",
            "numComments": paper.comments or 0,
        }
        if paper.links:
            entry["paper"]["githubRepo"] = paper.links[0]
        if paper.organisation:
            entry["organization"] = {"name": paper.organisation.id, "fullname": paper.organisation.name}
        entries.append(entry)
    return entries


def write_project(folder: Path, papers: int, real: Path | None) -> int:
    """A project whose seeds/ holds the real dumps plus a synthetic one, ``papers`` in all; returns the dump count."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "seeds").mkdir(parents=True)
    (folder / "content").mkdir()
    shutil.copyfile(ROOT / "content" / "tags.yaml", folder / "content" / "tags.yaml")
    (folder / "pyproject.toml").write_text('[tool.sitegen]\ntitle = "Convert benchmark"\n', encoding="utf-8")
    dumps = sorted(real.glob("*.json.gz")) if real and real.is_dir() else []
    have = 0
    for dump in dumps:
        shutil.copyfile(dump, folder / "seeds" / dump.name)
        have += len({entry["paper"]["id"] for entry in json.loads(gzip.decompress(dump.read_bytes()))})
    if papers > have:
        data = json.dumps(synthetic_entries(papers - have), ensure_ascii=False).encode("utf-8")
        (folder / "seeds" / SYNTHETIC).write_bytes(gzip.compress(data, mtime=0))
        dumps.append(folder / "seeds" / SYNTHETIC)
    return len(dumps)


# --- the child: one convert, timed in-process ---------------------------------------------------


def _child(project: str, progress: bool, profile: str | None) -> dict[str, Any]:
    from sitegen.config import load_config
    from sitegen.inputs.convert import convert

    config = load_config(Path(project))
    kwargs: dict[str, Any] = {}
    bar = None
    if progress:
        from sitegen.cli import _progress_line

        master, slave = os.openpty()
        terminal = os.fdopen(slave, "w")
        bar = _progress_line(terminal)
        kwargs["progress"] = bar
    started = time.perf_counter()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        report = profiler.runcall(convert, config, **kwargs)
        profiler.dump_stats(profile)
    else:
        report = convert(config, **kwargs)
    if bar is not None:
        bar.close()
    seconds = time.perf_counter() - started
    if progress:
        os.close(master)
    return {
        "seconds": seconds,
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "errors": [str(error) for error in report.errors],
    }


def _run(project: Path, progress: bool = False, profile: str | None = None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "benchmarks.convert_bench", "--child", str(project)]
    command += ["--progress"] if progress else []
    command += ["--profile", profile] if profile else []
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"convert failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    assert not result["errors"], result["errors"]
    return result


def _fresh(project: Path) -> None:
    """Back to before the first convert: no pages, no state, no cache."""
    shutil.rmtree(project / "content" / "papers", ignore_errors=True)
    (project / "content" / ".convert-state.json").unlink(missing_ok=True)
    shutil.rmtree(project / ".sitegen", ignore_errors=True)


def _show(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = statistics.median(run["seconds"] for run in runs)
    process = statistics.median(run["process_seconds"] for run in runs)
    last = runs[-1]
    print(
        f"  {label:<28} {seconds:6.2f} s in-process, {process:6.2f} s with start-up (median of {len(runs)}); "
        f"{last['created']} created, {last['updated']} updated, {last['unchanged']} unchanged",
        flush=True,
    )
    return {"seconds": seconds, "process_seconds": process, "runs": [run["seconds"] for run in runs]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--papers", type=int, default=10000, help="papers in the input (default 10000)")
    parser.add_argument("--real", type=Path, default=REAL, help="folder of real API dumps (*.json.gz) to start from")
    parser.add_argument("--workdir", type=Path, help="project folder (default /tmp/sitegen-bench/convert-N)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--profile", metavar="FILE", help="only profile one first convert (cProfile stats into FILE)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--progress", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.progress, args.profile)))
        return 0

    project = args.workdir or Path(f"/tmp/sitegen-bench/convert-{args.papers}")
    dumps = write_project(project, args.papers, args.real)
    print(f"== convert: {args.papers} papers in {dumps} API dumps, {project}", flush=True)
    if args.profile:
        _fresh(project)
        _show("first (profiled)", [_run(project, profile=args.profile)])
        print(f"  profile: python -m pstats {args.profile}")
        return 0
    figures: dict[str, Any] = {"papers": args.papers, "dumps": dumps}
    firsts = []
    for _ in range(args.repeat):
        _fresh(project)
        firsts.append(_run(project))
    figures["first"] = _show("first", firsts)
    figures["nochange"] = _show("no change", [_run(project) for _ in range(args.repeat)])
    dropped = []
    for _ in range(args.repeat):
        shutil.rmtree(project / ".sitegen", ignore_errors=True)
        dropped.append(_run(project))
    figures["nochange_cache_dropped"] = _show("no change, cache dropped", dropped)
    touched = []
    for _ in range(args.repeat):
        first_dump = min((project / "seeds").glob("*.json.gz"))
        data = gzip.decompress(first_dump.read_bytes())
        first_dump.write_bytes(gzip.compress(data.rstrip() + b" " if data.endswith(b"]") else data.rstrip(), mtime=0))
        touched.append(_run(project))
    figures["one_listing_touched"] = _show("one listing touched", touched)
    try:
        from sitegen.cli import _progress_line  # noqa: F401
    except ImportError:
        print("  (no progress bar in this version)")
    else:
        progress = []
        for _ in range(args.repeat):
            _fresh(project)
            progress.append(_run(project, progress=True))
        figures["first_with_progress"] = _show("first, progress on a terminal", progress)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
