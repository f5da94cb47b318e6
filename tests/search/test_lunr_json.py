"""search/lunr.json: the whole search index in lunr's own serialization, for other programs.

It is `fast_index_json` over the documents the shards are made from, so
`lunr.Index.load` of it in Node (the vendored lunr.js, through
tests/lunr_query.js) answers the parity queries with the hits and scores the
shards give the search page (tests/search_shards.js). The `search_lunr_json`
option turns it off; it is made, reused and measured with the other search
files. Without `node` the Node tests fail rather than skip.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rich_site import build, rich_project, seed_project
from search_files import load_in_node, need_node
from test_parity import QUERIES, QUERY_SCRIPT

from sitegen.build.load import load_papers
from sitegen.config import load_config
from sitegen.search.files import search_documents
from sitegen.search.lunr_index import fast_index_json
from sitegen.site.collect import collect

SUMMARY = re.compile(r"; lunr\.json (\S+ \S+) \((\S+ \S+) gzipped\)$")


@pytest.fixture(scope="module")
def node() -> str:
    return need_node()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, str]]:
    """name -> (project, built site, build summary); the rich site in small shards, so hits come from several."""
    folder = tmp_path_factory.mktemp("lunr-json")
    seed = seed_project(folder / "seed")
    rich = rich_project(folder / "rich")
    return {
        "seed": (seed, folder / "seed-site", build(seed, folder / "seed-site").strip()),
        "rich": (rich, folder / "rich-site", build(rich, folder / "rich-site", "--set", "search_shard_kib=4").strip()),
    }


@pytest.fixture(params=["seed", "rich"])
def site(request: pytest.FixtureRequest, sites: dict[str, tuple[Path, Path, str]]) -> tuple[Path, Path, str]:
    return sites[request.param]


def lunr_query(node: str, index: Path, queries: list[str], tmp_path: Path) -> list[Any]:
    """tests/lunr_query.js: plain `lunr.Index.load` of ``index``, as any other program would use it."""
    listed = tmp_path / "queries.json"
    listed.write_text(json.dumps(queries), encoding="utf-8")
    proc = subprocess.run([node, str(QUERY_SCRIPT), str(index), str(listed)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    answers: list[Any] = json.loads(proc.stdout)
    return answers


def _kb(size: int) -> str:
    """The summary's way of writing a size (sitegen/build/build.py), restated."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    return f"{size / 1024:.0f} KiB" if size >= 1024 else f"{size} B"


def test_lunr_json_is_the_fast_index_of_the_shards_documents(site: tuple[Path, Path, str]) -> None:
    root, out, _ = site
    config = load_config(root)
    documents = search_documents(collect(load_papers(config), config))
    assert (out / "search" / "lunr.json").read_text(encoding="utf-8") == fast_index_json(documents)


def test_lunr_js_answers_as_the_shards(node: str, site: tuple[Path, Path, str], tmp_path: Path) -> None:
    """Every parity query: the same hits with the same scores, in the same order, from lunr.json and from the shards."""
    _, out, _ = site
    whole = lunr_query(node, out / "search" / "lunr.json", QUERIES, tmp_path)
    sharded = load_in_node(node, out, queries=QUERIES)
    assert len(sharded["meta"]["shards"]) >= (1 if out.name == "seed-site" else 3)
    answered = 0
    for query, mine, shards in zip(QUERIES, whole, sharded["hits"], strict=True):
        if isinstance(shards, str):
            assert mine == shards, query
            continue
        # Equal scores may come in any order from the shards' merge; all else is identical.
        assert [score for _, score in mine] == [score for _, score in shards], query
        assert sorted(map(tuple, mine)) == sorted(map(tuple, shards)), query
        answered += bool(mine)
    assert answered >= len(QUERIES) // 3, "too few parity queries hit anything on this site"


def test_refs_lead_to_papers_through_papers_json(node: str, site: tuple[Path, Path, str], tmp_path: Path) -> None:
    """A program that loads lunr.json finds each hit's paper by its search_ref in api/papers.json."""
    _, out, _ = site
    papers = json.loads((out / "api" / "papers.json").read_text(encoding="utf-8"))["papers"]
    by_ref = {paper["search_ref"]: paper for paper in papers}
    [hits] = lunr_query(node, out / "search" / "lunr.json", ["reasoning"], tmp_path)
    assert hits
    store = dict(map(tuple, load_in_node(node, out)["store"]))
    for ref, _ in hits:
        assert by_ref[ref]["url"].endswith(store[ref]["u"])


def test_the_summary_gives_its_size_raw_and_gzipped(site: tuple[Path, Path, str]) -> None:
    _, out, summary = site
    data = (out / "search" / "lunr.json").read_bytes()
    match = SUMMARY.search(summary)
    assert match is not None, summary
    assert match.groups() == (_kb(len(data)), _kb(len(gzip.compress(data, compresslevel=6, mtime=0))))
    # The shards' figures leave lunr.json out: they are what the search page loads.
    shards = sum(path.stat().st_size for path in (out / "search").glob("*.js"))
    assert f", {_kb(shards)} (" in summary.split("; lunr.json")[0]


def test_off_leaves_it_out_and_on_brings_it_back(sites: dict[str, tuple[Path, Path, str]], tmp_path: Path) -> None:
    root, out, _ = sites["seed"]
    folder = tmp_path / "site"
    summary = build(root, folder, "--set", "search_lunr_json=false").strip()
    assert not (folder / "search" / "lunr.json").exists()
    assert "lunr.json" not in summary
    assert (folder / "search" / "index.js").read_bytes() == (out / "search" / "index.js").read_bytes()

    summary = build(root, folder, "-v").strip()
    assert ["wrote", "search/lunr.json"] in [line.split() for line in summary.splitlines()]
    assert (folder / "search" / "lunr.json").read_bytes() == (out / "search" / "lunr.json").read_bytes()
    assert SUMMARY.search(summary), summary

    summary = build(root, folder, "-v", "--set", "search_lunr_json=false").strip()
    assert ["removed", "search/lunr.json"] in [line.split() for line in summary.splitlines()]
    assert "lunr.json" not in summary.splitlines()[-1]
    assert not (folder / "search" / "lunr.json").exists()


def test_an_unchanged_index_is_not_made_again(sites: dict[str, tuple[Path, Path, str]], tmp_path: Path) -> None:
    root, _, _ = sites["seed"]
    folder = tmp_path / "site"
    first = build(root, folder).strip()
    before = (folder / "search" / "lunr.json").stat()
    again = build(root, folder).strip()
    assert ", unchanged; lunr.json" in again
    assert SUMMARY.search(again).groups() == SUMMARY.search(first).groups()  # type: ignore[union-attr]
    after = (folder / "search" / "lunr.json").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    (folder / "search" / "lunr.json").unlink()  # a file gone from the output is made again
    build(root, folder)
    assert (folder / "search" / "lunr.json").is_file()
