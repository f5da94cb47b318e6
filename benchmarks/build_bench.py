"""Time sitegen builds of a generated archive: full, by stage, rebuilds, search index, sizes, memory.

    python -m benchmarks.build_bench --papers 1000 10000 [--hugo] [--repeat 3]
    python -m benchmarks.build_bench --real ../shared/data/hf-daily-papers --papers

``--real DUMPS`` first converts the Hugging Face API dumps in DUMPS (``*.json.gz``)
into a project of their own (timed: the first convert and one with nothing
changed), then measures its build like a generated corpus's.

For each N, writes a corpus with benchmarks.corpus into `--workdir/N` (kept
between runs: regenerated only when missing) and measures, each in a fresh
Python subprocess so imports, caches and peak memory are those of a real
`sitegen build`:

* full build (`sitegen.build.build`) into a fresh folder, and the process's
  peak RSS;
* the same build split into stages: load, collect, related (related papers
  from scratch, as a first build finds them), render, search (documents +
  `search_outputs`), write; the related papers' share of the full build, and
  their time inside the full build and the one-paper edit (where they are
  updated from what the last build kept);
* a rebuild with nothing changed, and one after editing one paper's abstract
  (the edit is undone afterwards; the first such rebuild after the fresh build also
  makes the spare tree, so it is reported apart);
* the search files alone: `search_outputs` (what the site ships: index.js and
  the shards), `fast_index_json` (the single lunr index the shards add up
  to, no longer shipped) and for N <= 1000 lunr.py's Builder, the reference
  `fast_index_json` must equal; the stemmer's cache cleared each time;
* the search files' bytes raw and gzipped, split into the index part (index.js
  and each shard without its "store") and the store part (what a hit shows),
  since the target is about the index; output files and bytes;
* with `--hugo`, `hugo --quiet -d <fresh>` over the same papers
  (benchmarks/hugo.py) in the same run.

Timings are medians of `--repeat` runs (default 3 for N <= 1000, else 1).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.hugo import PAGEFIND_VERSION, hugo_build, page_counts

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = Path(os.environ.get("TMPDIR", "/tmp")) / "sitegen-bench"

# --- children: each runs in its own process and prints one JSON object ------------


def _child_full(project: str, output: str) -> dict[str, Any]:
    import resource

    from sitegen.build.build import build
    from sitegen.config import load_config

    started = time.perf_counter()
    report = build(load_config(Path(project)), Path(output))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "written": len(report.result.written),
        "unchanged": len(report.result.unchanged),
        "search_rebuilt": report.search.rebuilt,
        "search_files": report.search.files,
        "related_seconds": report.related_seconds,
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _child_stages(project: str, output: str) -> dict[str, Any]:
    import resource

    from sitegen.build.build import render_site
    from sitegen.build.load import read_pages
    from sitegen.build.output import Spare, publish
    from sitegen.build.state import build_state
    from sitegen.config import load_config
    from sitegen.search.files import search_documents
    from sitegen.search.related import related_lists, with_related
    from sitegen.search.shards import search_outputs
    from sitegen.site.collect import collect

    config = load_config(Path(project))
    times: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        times[name] = now - mark
        mark = now

    papers, parsed = read_pages(config, {})
    papers = [paper for paper in papers if not paper.draft]
    lap("load")
    site = collect(papers, config)
    lap("collect")
    # from scratch, as a first build: every paper counted and ranked (the build keeps them for the next)
    site = with_related(site, related_lists(site, {page.paper.body: page.text for page in parsed.values()}))
    lap("related")
    files = render_site(site).files
    lap("render")
    files.update(search_outputs(search_documents(site), config.search_shard_kib))
    lap("search")
    publish(Path(output), files, Spare.of(build_state(Path(project), Path(output))))
    lap("write")
    return {"stages": times, "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def _child_search(project: str, reference: str) -> dict[str, Any]:
    from sitegen.build.load import load_papers
    from sitegen.config import load_config
    from sitegen.search.files import search_documents
    from sitegen.search.lunr_index import build_index, compact_json, fast_index_json, serialize_index, stem
    from sitegen.search.shards import search_outputs
    from sitegen.site.collect import collect

    config = load_config(Path(project))
    documents = search_documents(collect(load_papers(config), config))
    stem.cache_clear()
    started = time.perf_counter()
    cpu = time.process_time()
    outputs = search_outputs(documents, config.search_shard_kib)
    result: dict[str, Any] = {
        "outputs": time.perf_counter() - started,
        "outputs_cpu": time.process_time() - cpu,
        # so the parent can check these are the bytes the build shipped
        "sha256": {path: hashlib.sha256(data).hexdigest() for path, data in outputs.items()},
    }
    stem.cache_clear()
    started = time.perf_counter()
    cpu = time.process_time()
    index = fast_index_json(documents)
    result["fast"] = time.perf_counter() - started
    result["fast_cpu"] = time.process_time() - cpu
    if reference == "yes":
        stem.cache_clear()
        started = time.perf_counter()
        serialized = serialize_index(build_index(documents))
        result["reference"] = time.perf_counter() - started
        assert index == compact_json(serialized), "fast_index_json differs from lunr.py's Builder"
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


def _gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))  # as sitegen/search/files.py measures


_JS_ESCAPE = re.compile(r"\\(\\|'|u2028|u2029)")
_JS_UNESCAPED = {"\\": "\\", "'": "'", "u2028": "\u2028", "u2029": "\u2029"}


def _script_json(text: str) -> Any:
    """The value of a `...JSON.parse('...')` search script (the literal's escapes undone)."""
    literal = text[text.index("'") + 1 : text.rindex("'")]
    return json.loads(_JS_ESCAPE.sub(lambda match: _JS_UNESCAPED[match[1]], literal))


def _split_shard(text: str) -> tuple[str, str]:
    """A shard script without its store, and the store.

    `,"store":[` can only be the top-level key: refs, terms and docs come
    before it and hold no objects, and inside a JSON string a quote follows
    a backslash, never a comma. The store array closes the object: `]}');`.
    """
    start = text.index(',"store":[')
    end = text.rindex("]}'")
    index_part, store = text[:start] + text[end + 1 :], text[start + len(',"store":') : end + 1]
    assert set(_script_json(index_part)) == {"refs", "terms", "df", "docs"}, "unexpected shard layout"
    return index_part, store


def search_file_sizes(site: Path) -> dict[str, Any]:
    """Bytes of the search files a built site ships (index.js and the shards it lists), raw and gzipped.

    The index part (index.js, and each shard without its store) and the store
    part are also gzipped apart, as if shipped as separate files, so their sum
    is a little above the files' own gzipped total.
    """
    folder = site / "search"
    index_js = (folder / "index.js").read_bytes()
    meta = _script_json(index_js.decode("utf-8"))
    files = {"search/index.js": (len(index_js), _gzipped(index_js))}
    parts = {"index": [len(index_js), files["search/index.js"][1]], "store": [0, 0]}
    largest: dict[str, Any] = {"bytes": -1}
    terms = 0
    for shard in meta["shards"]:
        data = (folder / shard["file"]).read_bytes()
        files[f"search/{shard['file']}"] = size = (len(data), _gzipped(data))
        index_part, store = (part.encode("utf-8") for part in _split_shard(data.decode("utf-8")))
        terms += len(_script_json(index_part.decode("utf-8"))["df"])  # the terms it defines
        for name, part in (("index", index_part), ("store", store)):
            parts[name][0] += len(part)
            parts[name][1] += _gzipped(part)
        if size[0] > largest["bytes"]:
            largest = {"file": shard["file"], "papers": shard["count"], "bytes": size[0], "gzip_bytes": size[1],
                       "index_part_bytes": len(index_part)}
    return {
        "files": files,
        "shards": len(meta["shards"]),
        "terms": terms,
        "bytes": sum(raw for raw, _ in files.values()),
        "gzip_bytes": sum(gzipped for _, gzipped in files.values()),
        "index_part_bytes": parts["index"][0],
        "index_part_gzip_bytes": parts["index"][1],
        "store_part_bytes": parts["store"][0],
        "store_part_gzip_bytes": parts["store"][1],
        "largest_shard": largest,
    }


def page_sizes(site: Path) -> dict[str, Any]:
    """Raw and gzipped bytes of the pages that grow with the archive: papers/index.html (every title)
    and the largest year, month, organisation and most-discussed page."""
    def measured(path: Path) -> dict[str, Any]:
        data = path.read_bytes()
        return {"page": path.relative_to(site).as_posix(), "bytes": len(data), "gzip_bytes": _gzipped(data)}

    sizes = {"every_paper": measured(site / "papers" / "index.html")}
    for name, pattern in (("year", "dates/[0-9]*/index.html"), ("year_page", "dates/[0-9]*/page/*/index.html"),
                          ("month", "dates/[0-9]*/[0-9]*/index.html"), ("org", "orgs/*/index.html"), ("top", "top/index.html")):
        found = sorted(site.glob(pattern), key=lambda path: (path.stat().st_size, str(path)))
        if found:
            sizes[name] = measured(found[-1])
    return sizes


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


def _child_convert(project: str) -> dict[str, Any]:
    import resource

    from sitegen.config import load_config
    from sitegen.inputs.convert import convert

    started = time.perf_counter()
    report = convert(load_config(Path(project)))
    return {
        "seconds": time.perf_counter() - started,
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "errors": [str(error) for error in report.errors],
        "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


CHILDREN["convert"] = _child_convert


def _real_project(source: Path, workdir: Path, repeat: int) -> tuple[Path, int, dict[str, Any]]:
    """The real dumps converted into a project of their own: its folder, its page count, convert's figures."""
    from benchmarks.corpus import copy_theme

    project = workdir / "real"
    if project.exists():
        shutil.rmtree(project)
    (project / "seeds").mkdir(parents=True)
    (project / "content").mkdir()
    shutil.copy(ROOT / "content" / "tags.yaml", project / "content" / "tags.yaml")
    copy_theme(project)
    (project / "pyproject.toml").write_text('[tool.sitegen]\ntitle = "Daily Papers (real archive)"\n', encoding="utf-8")
    dumps = sorted(source.glob("*.json.gz")) + sorted(source.glob("*.json"))
    for dump in dumps:
        shutil.copy(dump, project / "seeds" / dump.name)
    first = _run_child("convert", str(project))
    assert not first["errors"], first["errors"]
    again = [_run_child("convert", str(project)) for _ in range(repeat)]
    pages = len(list((project / "content" / "papers").glob("*.md")))
    figures = {"dumps": len(dumps), "pages": pages, "convert_seconds": first["seconds"],
               "convert_nochange_seconds": _median([run["seconds"] for run in again]),
               "convert_peak_rss_mib": first["max_rss_kib"] / 1024}
    print(f"== real archive: {len(dumps)} API dumps from {source}", flush=True)
    print(f"  convert: {pages} pages in {first['seconds']:.2f} s; again, nothing changed: "
          f"{figures['convert_nochange_seconds']:.2f} s; peak RSS {figures['convert_peak_rss_mib']:.0f} MiB", flush=True)
    return project, pages, figures


def bench(
    count: int, workdir: Path, repeat: int, hugo: bool, project: Path | None = None, label: str = "", pagefind: bool = False
) -> dict[str, Any]:
    label = label or str(count)
    if project is None:
        print(f"== {count} papers", flush=True)
        project = _corpus(count, workdir)
    out = workdir / f"{label}-site"
    figures: dict[str, Any] = {"papers": count, "corpus": label}

    fulls = []
    for _ in range(repeat):
        fulls.append(_run_child("full", str(project), str(_fresh(out))))
    figures["full_seconds"] = _median([f["seconds"] for f in fulls])
    figures["full_process_seconds"] = _median([f["process_seconds"] for f in fulls])
    figures["peak_rss_mib"] = max(f["max_rss_kib"] for f in fulls) / 1024
    print(f"  full build: {figures['full_seconds']:.2f} s in-process, {figures['full_process_seconds']:.2f} s "
          f"with interpreter start; peak RSS {figures['peak_rss_mib']:.0f} MiB", flush=True)

    files, size = _tree_size(out)
    sizes = search_file_sizes(out)
    reported = fulls[-1]["search_files"]
    shipped_whole = {path for path in reported if path == "search/lunr.json"}  # the whole index, for other programs: index.js does not list it
    assert sorted(set(reported) - shipped_whole) == sorted(sizes["files"]), ("the build reports other search files than index.js lists", reported)
    figures.update(output_files=files, output_bytes=size, search={k: v for k, v in sizes.items() if k != "files"})
    largest = sizes["largest_shard"]
    print(f"  output: {files} files, {size / 2**20:.1f} MiB; search: index.js + {sizes['shards']} shard{'' if sizes['shards'] == 1 else 's'}, "
          f"{sizes['bytes'] / 2**20:.2f} MiB raw = {sizes['bytes'] / count:.0f} B/paper, "
          f"{sizes['gzip_bytes'] / 2**20:.2f} MiB gzipped = {sizes['gzip_bytes'] / count:.0f} B/paper", flush=True)
    print(f"  search gzipped per paper, parts gzipped apart: index {sizes['index_part_gzip_bytes'] / count:.0f} B "
          f"(index.js {sizes['files']['search/index.js'][1] / 2**10:.0f} KiB of it) + store "
          f"{sizes['store_part_gzip_bytes'] / count:.0f} B = "
          f"{(sizes['index_part_gzip_bytes'] + sizes['store_part_gzip_bytes']) / count:.0f} B", flush=True)
    print(f"  largest shard: {largest['file']}, {largest['papers']} papers, {largest['bytes'] / 2**10:.0f} KiB raw "
          f"(index part {largest['index_part_bytes'] / 2**10:.0f} KiB), {largest['gzip_bytes'] / 2**10:.0f} KiB gzipped",
          flush=True)
    figures["pages"] = pages = page_sizes(out)
    print("  pages (largest of each kind): " + "; ".join(
        f"{name} {size['page']} {size['bytes'] / 2**10:.0f} KiB ({size['gzip_bytes'] / 2**10:.0f} KiB gzipped)" for name, size in pages.items()
    ), flush=True)

    nochange = [_run_child("full", str(project), str(out)) for _ in range(repeat)]
    assert all(r["written"] == 0 and not r["search_rebuilt"] for r in nochange), nochange
    figures["nochange_seconds"] = _median([r["seconds"] for r in nochange])
    print(f"  no-change rebuild: {figures['nochange_seconds']:.2f} s "
          f"({figures['nochange_seconds'] / figures['full_seconds']:.0%} of full)", flush=True)

    # The first rebuild after a build into a fresh folder also makes the spare tree (a hard link to every
    # file): a one-time cost. The edits after it are what an archive that is rebuilt daily pays.
    edits = []
    for _ in range(repeat + 1):
        path, original = _edit_one(project)
        try:
            edits.append(_run_child("full", str(project), str(out)))
        finally:
            path.write_text(original, encoding="utf-8")
        _run_child("full", str(project), str(out))  # back to the unedited site
    figures["first_edit_seconds"] = edits[0]["seconds"]
    edits = edits[1:]
    figures["edit_seconds"] = _median([r["seconds"] for r in edits])
    figures["edit_written"] = edits[0]["written"]
    print(f"  one-paper edit rebuild: {figures['edit_seconds']:.2f} s ({figures['edit_seconds'] / figures['full_seconds']:.0%} "
          f"of full), {figures['edit_written']} files written; the first one after the fresh build, which also makes "
          f"the spare tree: {figures['first_edit_seconds']:.2f} s", flush=True)

    stages = [_run_child("stages", str(project), str(_fresh(workdir / f"{label}-stages")))["stages"] for _ in range(repeat)]
    figures["stages"] = {name: _median([s[name] for s in stages]) for name in stages[0]}
    print("  stages: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in figures["stages"].items()), flush=True)
    figures["related_seconds"] = figures["stages"]["related"]
    figures["related_share"] = figures["related_seconds"] / figures["full_seconds"]
    figures["related_full_build_seconds"] = _median([f["related_seconds"] for f in fulls])
    figures["related_edit_seconds"] = _median([r["related_seconds"] for r in edits])
    print(f"  related papers: {figures['related_seconds']:.2f} s from scratch (stage above) = "
          f"{figures['related_share']:.1%} of the full build; in the full build {figures['related_full_build_seconds']:.2f} s "
          f"(kept from the last build), after the one-paper edit {figures['related_edit_seconds']:.2f} s", flush=True)

    searches = [_run_child("search", str(project), "yes" if count <= 1000 else "no") for _ in range(max(repeat, 3 if count <= 1000 else 1))]
    shipped = {path: hashlib.sha256((out / path).read_bytes()).hexdigest() for path in sizes["files"]}
    assert searches[0]["sha256"] == shipped, "search_outputs made other bytes than the build wrote"
    for key, name in (("outputs", "search_outputs"), ("outputs_cpu", "search_outputs_cpu"), ("fast", "index_fast"),
                      ("fast_cpu", "index_fast_cpu"), ("reference", "index_reference")):
        if key in searches[0]:
            figures[f"{name}_seconds"] = _median([s[key] for s in searches])
    line = (f"  search files: search_outputs {figures['search_outputs_seconds']:.2f} s "
            f"({figures['search_outputs_seconds'] / count * 1000:.2f} ms/paper wall, "
            f"{figures['search_outputs_cpu_seconds'] / count * 1000:.2f} ms/paper CPU); "
            f"single index (fast_index_json, not shipped) {figures['index_fast_seconds']:.2f} s "
            f"({figures['index_fast_seconds'] / count * 1000:.2f} ms/paper)")
    if "index_reference_seconds" in figures:
        line += (f"; lunr.py Builder {figures['index_reference_seconds']:.2f} s "
                 f"({figures['index_reference_seconds'] / count * 1000:.2f} ms/paper), same bytes as fast_index_json")
    print(line, flush=True)

    figures["sitegen_pages"] = page_counts(out)
    if hugo:
        run = hugo_build(project, workdir / f"{label}-hugo", repeat, pagefind)
        figures["hugo_seconds"], figures["hugo_pages"] = run.seconds, run.pages
        print(f"  hugo: {run.seconds:.2f} s; sitegen/hugo = {figures['full_seconds'] / run.seconds:.2f}", flush=True)
        if run.pagefind_seconds is not None:
            figures["pagefind_seconds"] = run.pagefind_seconds
            both = run.seconds + run.pagefind_seconds
            print(f"  hugo + pagefind {PAGEFIND_VERSION}: {run.seconds:.2f} + {run.pagefind_seconds:.2f} = {both:.2f} s; "
                  f"hugo+pagefind / sitegen = {both / figures['full_seconds']:.1f}x", flush=True)
        for tool, counts in (("sitegen", figures["sitegen_pages"]), ("hugo", run.pages)):
            print(f"  {tool} wrote: " + ", ".join(f"{count:,} {kind}" for kind, count in counts.items()), flush=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--papers", type=int, nargs="*", default=[1000], help="generated corpora of these sizes (none: --papers)")
    parser.add_argument("--real", type=Path, metavar="DUMPS", help="also convert and build the Hugging Face API dumps in DUMPS (*.json.gz)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--repeat", type=int, default=None, help="runs per figure (median); default 3 up to 1000 papers, else 1")
    parser.add_argument("--hugo", action="store_true", help="also time hugo on the same papers")
    parser.add_argument("--pagefind", action="store_true", help="with --hugo: also time Pagefind indexing Hugo's output")
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
    if args.real:
        project, pages, converted = _real_project(args.real, args.workdir, args.repeat or 1)
        results.append({**converted, **bench(pages, args.workdir, args.repeat or 1, args.hugo, project, label="real", pagefind=args.pagefind)})
    for count in args.papers:
        repeat = args.repeat if args.repeat is not None else (3 if count <= 1000 else 1)
        results.append(bench(count, args.workdir, repeat, args.hugo, pagefind=args.pagefind))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
