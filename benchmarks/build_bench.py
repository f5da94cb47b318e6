"""Time sitegen builds of a generated archive: full, by stage, rebuilds, search index, sizes, memory.

    python -m benchmarks.build_bench --papers 1000 10000 [--hugo] [--repeat 3]

For each N, writes a corpus with benchmarks.corpus into `--workdir/N` (kept
between runs: regenerated only when missing) and measures, each in a fresh
Python subprocess so imports, caches and peak memory are those of a real
`sitegen build`:

* full build (`sitegen.build.build`) into a fresh folder, and the process's
  peak RSS;
* the same build split into stages: load, collect, render, search (documents
  + index + store), write;
* a rebuild with nothing changed, and one after editing one paper's abstract
  (the edit is undone afterwards);
* the search index alone, fast path (and lunr.py's Builder for N <= 1000),
  with the stemmer's cache cleared each time;
* index bytes raw and gzipped, output files and bytes;
* with `--hugo`, `hugo --quiet -d <fresh>` over the same papers
  (benchmarks/hugo.py) in the same run.

Timings are medians of `--repeat` runs (default 3 for N <= 1000, else 1).
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
DEFAULT_WORKDIR = Path(os.environ.get("TMPDIR", "/tmp")) / "sitegen-bench"

# --- children: each runs in its own process and prints one JSON object ------------


def _child_full(project: str, output: str) -> dict[str, Any]:
    import resource

    from sitegen.build import build
    from sitegen.config import load_config

    started = time.perf_counter()
    report = build(load_config(Path(project)), Path(output))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "written": len(report.result.written),
        "unchanged": len(report.result.unchanged),
        "search_rebuilt": report.search.rebuilt,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _child_stages(project: str, output: str) -> dict[str, Any]:
    import resource

    from sitegen.build import load_papers, render_site, search_documents
    from sitegen.collect import collect
    from sitegen.config import load_config
    from sitegen.output import write_tree
    from sitegen.search import search_outputs

    config = load_config(Path(project))
    times: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        times[name] = now - mark
        mark = now

    papers = load_papers(config)
    lap("load")
    site = collect(papers, config)
    lap("collect")
    files = render_site(site).files
    lap("render")
    files.update(search_outputs(search_documents(site)))
    lap("search")
    write_tree(Path(output), files)
    lap("write")
    return {"stages": times, "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def _child_search(project: str, reference: str) -> dict[str, Any]:
    from sitegen.build import load_papers, search_documents
    from sitegen.collect import collect
    from sitegen.config import load_config
    from sitegen.search import (
        build_index,
        fast_index_json,
        search_outputs,
        serialize_index,
        stem,
    )

    config = load_config(Path(project))
    documents = search_documents(collect(load_papers(config), config))
    stem.cache_clear()
    started = time.perf_counter()
    cpu = time.process_time()
    index = fast_index_json(documents)
    result: dict[str, Any] = {"fast": time.perf_counter() - started, "fast_cpu": time.process_time() - cpu}
    stem.cache_clear()
    started = time.perf_counter()
    outputs = search_outputs(documents)
    result["outputs"] = time.perf_counter() - started
    assert outputs["search/index.json"] == index.encode("utf-8")
    if reference == "yes":
        stem.cache_clear()
        started = time.perf_counter()
        serialize_index(build_index(documents))
        result["reference"] = time.perf_counter() - started
    return result


CHILDREN = {"full": _child_full, "stages": _child_stages, "search": _child_search}


def _run_child(kind: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.build_bench", "--child", kind, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child {kind} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = time.perf_counter() - started
    return result


# --- the parent ------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _fresh(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    return folder


def _tree_size(folder: Path) -> tuple[int, int]:
    files = [path for path in folder.rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files)


def _corpus(count: int, workdir: Path) -> Path:
    from benchmarks.corpus import copy_theme, write_project

    project = workdir / str(count)
    stamp = project / ".corpus-complete"
    if not stamp.exists():
        started = time.perf_counter()
        write_project(count, project)
        stamp.write_text(str(count), encoding="utf-8")
        print(f"  generated {count} papers in {time.perf_counter() - started:.1f} s", flush=True)
    else:
        copy_theme(project)  # the corpus is kept, the theme follows the repository
    return project


def _edit_one(project: Path) -> tuple[Path, str]:
    """Change one word of one paper's abstract; return what to restore."""
    path = sorted((project / "content" / "papers").glob("*.md"))[len(list((project / "content" / "papers").glob("*.md"))) // 2]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + " We also release an edited checkpoint.\n", encoding="utf-8")
    return path, text


def bench(count: int, workdir: Path, repeat: int, hugo: bool) -> dict[str, Any]:
    print(f"== {count} papers", flush=True)
    project = _corpus(count, workdir)
    out = workdir / f"{count}-site"
    figures: dict[str, Any] = {"papers": count}

    fulls = []
    for _ in range(repeat):
        fulls.append(_run_child("full", str(project), str(_fresh(out))))
    figures["full_seconds"] = _median([f["seconds"] for f in fulls])
    figures["full_process_seconds"] = _median([f["process_seconds"] for f in fulls])
    figures["peak_rss_mib"] = max(f["max_rss_kib"] for f in fulls) / 1024
    print(f"  full build: {figures['full_seconds']:.2f} s in-process, {figures['full_process_seconds']:.2f} s "
          f"with interpreter start; peak RSS {figures['peak_rss_mib']:.0f} MiB", flush=True)

    files, size = _tree_size(out)
    index = (out / "search" / "index.json").read_bytes()
    index_gz = len(gzip.compress(index, compresslevel=6, mtime=0))
    store = (out / "search" / "store.json").read_bytes()
    store_gz = len(gzip.compress(store, compresslevel=6, mtime=0))
    figures.update(
        output_files=files, output_bytes=size, index_bytes=len(index), index_gzip_bytes=index_gz,
        store_bytes=len(store), store_gzip_bytes=store_gz,
    )
    print(f"  output: {files} files, {size / 2**20:.1f} MiB; index {len(index) / 2**20:.2f} MiB raw, "
          f"{index_gz / 2**20:.2f} MiB gzipped = {index_gz / count:.0f} B/paper gzipped; "
          f"store {store_gz / count:.0f} B/paper gzipped", flush=True)

    nochange = [_run_child("full", str(project), str(out)) for _ in range(repeat)]
    assert all(r["written"] == 0 and not r["search_rebuilt"] for r in nochange), nochange
    figures["nochange_seconds"] = _median([r["seconds"] for r in nochange])
    print(f"  no-change rebuild: {figures['nochange_seconds']:.2f} s "
          f"({figures['nochange_seconds'] / figures['full_seconds']:.0%} of full)", flush=True)

    edits = []
    for _ in range(repeat):
        path, original = _edit_one(project)
        try:
            edits.append(_run_child("full", str(project), str(out)))
        finally:
            path.write_text(original, encoding="utf-8")
        _run_child("full", str(project), str(out))  # back to the unedited site
    figures["edit_seconds"] = _median([r["seconds"] for r in edits])
    figures["edit_written"] = edits[0]["written"]
    print(f"  one-paper edit rebuild: {figures['edit_seconds']:.2f} s, {figures['edit_written']} files written",
          flush=True)

    stages = [_run_child("stages", str(project), str(_fresh(workdir / f"{count}-stages")))["stages"] for _ in range(repeat)]
    figures["stages"] = {name: _median([s[name] for s in stages]) for name in stages[0]}
    print("  stages: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in figures["stages"].items()), flush=True)

    searches = [_run_child("search", str(project), "yes" if count <= 1000 else "no") for _ in range(max(repeat, 3 if count <= 1000 else 1))]
    figures["index_fast_seconds"] = _median([s["fast"] for s in searches])
    figures["index_fast_cpu_seconds"] = _median([s["fast_cpu"] for s in searches])
    figures["search_outputs_seconds"] = _median([s["outputs"] for s in searches])
    line = (f"  search index: fast {figures['index_fast_seconds']:.2f} s "
            f"({figures['index_fast_seconds'] / count * 1000:.2f} ms/paper wall, "
            f"{figures['index_fast_cpu_seconds'] / count * 1000:.2f} ms/paper CPU); "
            f"search_outputs (index+store+data.js) {figures['search_outputs_seconds']:.2f} s")
    if "reference" in searches[0]:
        figures["index_reference_seconds"] = _median([s["reference"] for s in searches])
        line += (f"; lunr.py Builder {figures['index_reference_seconds']:.2f} s "
                 f"({figures['index_reference_seconds'] / count * 1000:.2f} ms/paper)")
    print(line, flush=True)

    if hugo:
        from benchmarks.hugo import hugo_build_seconds

        figures["hugo_seconds"] = hugo_build_seconds(project, workdir / f"{count}-hugo", repeat)
        print(f"  hugo: {figures['hugo_seconds']:.2f} s; sitegen/hugo = "
              f"{figures['full_seconds'] / figures['hugo_seconds']:.1f}x", flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[1000])
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--repeat", type=int, default=None, help="runs per figure (median); default 3 up to 1000 papers, else 1")
    parser.add_argument("--hugo", action="store_true", help="also time hugo on the same papers")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        print(json.dumps(CHILDREN[kind](*rest)))
        return 0
    print(f"sitegen build benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    results = []
    for count in args.papers:
        repeat = args.repeat if args.repeat is not None else (3 if count <= 1000 else 1)
        results.append(bench(count, args.workdir, repeat, args.hugo))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
