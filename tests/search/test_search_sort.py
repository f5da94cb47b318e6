"""Sorting search results: by relevance (the default), newest first, or most discussed.

`sitegen/theme/static/search.js` sorts hits with `hitOrder` / `sortHits` and keeps the
choice in the address (`sort=`). These tests run them in Node
(tests/search_sort.js): on hand-made hits with ties and missing counts, on the
address, and on real searches of a site with comment and upvote counts
(tests/rich_site.py plus `SORT_PAGES`, made for ties and missing counts),
built whole and in small shards, against the orders written out here in
Python and the site's own "Most discussed" listing. The Sort control itself is tested in Chromium in
test_search_browser.py, on the same project.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich_site import build, rich_project
from search_files import load_in_node, need_node, read_search, run_harness

from sitegen.build.load import load_papers
from sitegen.config import load_config
from sitegen.site.collect import collect, paper_path

HARNESS = Path(__file__).parents[1] / "search_sort.js"

SORTS = ["relevance", "newest", "discussed"]

# Pages added to the rich site (which has Hugging Face papers with both counts, a page
# with comments only, one with 0 comments, and pages with neither), all saying "models":
SORT_PAGES = {
    # Same date and counts: relevance decides, against site order (which sorts by title).
    "twin-models-agree.md": ("Twin Models Agree", "date: 2024-06-01\ncomments: 3\nupvotes: 9\n",
                             "Two models agree on every answer."),
    "agreeing-benchmarks.md": ("Agreeing Benchmarks", "date: 2024-06-01\ncomments: 3\nupvotes: 9\n",
                               "Benchmarks agree, and so do the models we tried on them."),
    # The same text, date and counts: equal scores, so site order decides.
    "echo-models-one.md": ("Echo Models One", "date: 2024-06-02\ncomments: 4\nupvotes: 4\n",
                           "Echo models repeat what they hear."),
    "echo-models-two.md": ("Echo Models Two", "date: 2024-06-02\ncomments: 4\nupvotes: 4\n",
                           "Echo models repeat what they hear."),
    # Upvotes but no comment count: counted as 0 comments (as on the "Most discussed" page), before those with neither.
    "liked-models.md": ("Liked Models Nobody Discussed", "date: 2024-07-01\nupvotes: 300\n",
                        "Models that many liked and nobody commented on."),
    # Neither count, dated and undated: last, newest first.
    "quiet-models.md": ("Quiet Models", "date: 2024-05-01\n", "Models nobody counted anything for."),
    "undated-models.md": ("Undated Models", "", "Models of no particular day."),
}

QUERIES = ["models", "language", "models agree", "echo models", "reasoning", "model*", "title:models", "ai"]


def sort_project(destination: Path) -> Path:
    """tests/rich_site.py's project plus `SORT_PAGES`, at ``destination`` (which must not exist)."""
    root = rich_project(destination)
    for name, (title, front, abstract) in SORT_PAGES.items():
        (root / "content" / "papers" / name).write_text(f"---\ntitle: {title}\n{front}---\n\n{abstract}\n", encoding="utf-8")
    return root


Store = dict[str, dict[str, Any]]


def load_store(site: Path) -> Store:
    """Ref -> store entry, in site order."""
    _, shards = read_search(site)
    return {ref: entry for shard in shards for ref, entry in zip(shard["refs"], shard["store"], strict=True)}


def _day(entry: dict[str, Any]) -> tuple[bool, int]:
    """Newest first, undated last."""
    date = entry.get("d")
    return (date is None, -dt.date.fromisoformat(date).toordinal() if date else 0)


def _discussed(entry: dict[str, Any]) -> tuple[Any, ...]:
    """Papers with a count first, then comments, then upvotes (largest first, an unknown count as 0), then date."""
    counted = "c" in entry or "v" in entry
    return (not counted, -entry.get("c", 0), -entry.get("v", 0), *_day(entry))


def expected_order(relevance: list[str], store: Store, sort: str) -> list[str]:
    """The refs of a relevance-ordered list in the order ``sort`` names; ties keep relevance (a stable sort)."""
    keys: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {
        "relevance": lambda entry: (),
        "newest": lambda entry: _day(entry),
        "discussed": _discussed,
    }
    return sorted(relevance, key=lambda ref: keys[sort](store[ref]))


def relevance_order(hits: list[list[Any]], positions: dict[str, int]) -> list[str]:
    """[[ref, score], ...] by score, equal scores in site order."""
    return [ref for ref, _ in sorted(hits, key=lambda hit: (-hit[1], positions[hit[0]]))]


@pytest.fixture(scope="module")
def node() -> str:
    return need_node()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sort_project(tmp_path_factory.mktemp("search-sort") / "project")


@pytest.fixture(scope="module")
def sites(project: Path) -> dict[str, Path]:
    """The project built whole and in 4 KiB shards (the newest is one paper, the next few a part of 2024)."""
    folder, root = project.parent, project
    build(root, folder / "single")
    build(root, folder / "sharded", "--set", "search_shard_kib=4")
    assert len(read_search(folder / "single")[0]["shards"]) == 1
    assert len(read_search(folder / "sharded")[0]["shards"]) >= 4
    return {"single": folder / "single", "sharded": folder / "sharded"}


@pytest.fixture(scope="module")
def store(sites: dict[str, Path]) -> Store:
    found = load_store(sites["single"])
    assert found == load_store(sites["sharded"])
    return found


def by_title(store: Store, title: str) -> str:
    (ref,) = [ref for ref, entry in store.items() if entry["t"] == title]
    return ref


# --- the comparator on hand-made hits ----------------------------------------------------------------

# Ref -> (score, store entry); positions are the order of this table (site order).
HAND_MADE: dict[str, tuple[float, dict[str, Any]]] = {
    "a": (1.0, {"d": "2024-05-01", "c": 3, "v": 9}),
    "b": (2.0, {"d": "2024-05-01", "c": 3, "v": 9}),
    "c": (0.5, {"d": "2024-06-01", "c": 3, "v": 9}),
    "d": (0.1, {"d": "2023-01-01", "c": 0, "v": 1}),
    "e": (5.0, {"d": "2023-01-01", "v": 500}),
    "f": (0.3, {"c": 3}),
    "g": (0.4, {"d": "2025-01-01"}),
    "h": (0.2, {}),
    "i": (1.0, {"d": "2024-05-01", "c": 3, "v": 9}),  # a's twin, later in site order
    "j": (3.0, {"d": "2022-01-01", "c": 0, "v": 0}),  # counted, if only as zeros
}
HAND_MADE_ORDERS = {
    "relevance": list("ejbaicgfhd"),
    "newest": list("gcbaiedjfh"),
    # 3 comments: c (9 upvotes, newer), b, a, i (9 upvotes, by relevance), f (upvotes unknown: 0);
    # 0 comments (or unknown): e (500 upvotes), d (1), j (0); neither count: g, h (newest first).
    "discussed": list("cbaifedjgh"),
}


def test_comparator_orders_ties_and_missing_counts(node: str, sites: dict[str, Path]) -> None:
    store = {ref: {"t": ref, "u": f"papers/{ref}/", **entry} for ref, (_, entry) in HAND_MADE.items()}
    positions = {ref: position for position, ref in enumerate(HAND_MADE)}
    scrambled = [{"ref": ref, "score": HAND_MADE[ref][0]} for ref in "hdgjiafbec"]
    cases = [{"sort": sort, "hits": scrambled, "store": store, "positions": positions} for sort in [*SORTS, "bogus", ""]]
    # Everything equal: site order.
    same = {ref: {"t": ref, "u": "x/", "d": "2024-01-01", "c": 1, "v": 1} for ref in "xyz"}
    cases += [{"sort": sort, "hits": [{"ref": ref, "score": 1} for ref in "zxy"], "store": same,
               "positions": {"x": 0, "y": 1, "z": 2}} for sort in SORTS]
    out = run_harness(node, HARNESS, sites["single"], {"sorts": cases})
    assert out["sorts"] == SORTS
    got = [answer["refs"] for answer in out["sorted"]]
    expected = [HAND_MADE_ORDERS[sort] for sort in SORTS] + [HAND_MADE_ORDERS["relevance"]] * 2 + [list("xyz")] * 3
    assert got == [list(refs) for refs in expected]
    assert all(answer["unchanged"] for answer in out["sorted"]), "sortHits sorted its input in place"
    # The Python order of these tests agrees with the table.
    relevance = relevance_order([[ref, score] for ref, (score, _) in HAND_MADE.items()], positions)
    assert relevance == HAND_MADE_ORDERS["relevance"]
    for sort in SORTS:
        assert expected_order(relevance, store, sort) == HAND_MADE_ORDERS[sort], sort


# --- the address ----------------------------------------------------------------------------------------------


def test_sort_goes_in_the_address_and_back(node: str, sites: dict[str, Path]) -> None:
    options = {"tags": ["reasoning", "surveys"], "years": ["2024", "undated"]}
    states = [
        {"q": "reasoning", "tag": "", "year": "", "sort": "newest"},
        {"q": "reasoning", "tag": "surveys", "year": "2024", "sort": "discussed"},
        {"q": "", "tag": "reasoning", "year": "", "sort": "discussed"},
        {"q": "a&b", "tag": "", "year": "", "sort": "relevance"},
        {"q": "", "tag": "", "year": "", "sort": "relevance"},
    ]
    parse = [
        ["?q=reasoning&sort=newest", None],
        ["?sort=discussed&q=x", options],
        ["?q=x", options],
        ["?q=x&sort=relevance", None],
        ["?q=x&sort=bogus", options],
        ["?q=x&sort=Newest", None],
        ["?q=x&sort=", None],
        ["?q=x&sort=newest&sort=discussed", None],
        ["", None],
    ]
    out = run_harness(node, HARNESS, sites["single"], {
        "format": [*states, {"q": "reasoning", "sort": "newest"}, {"q": "x", "tag": "", "year": "", "sort": "bogus"}],
        "parse": parse,
    })
    assert out["formatted"] == [
        "?q=reasoning&sort=newest",
        "?q=reasoning&tag=surveys&year=2024&sort=discussed",
        "?tag=reasoning&sort=discussed",
        "?q=a%26b",  # relevance is the default: not in the address
        "",
        "?q=reasoning&sort=newest",
        "?q=x",
    ]
    assert [state["sort"] for state in out["parsed"]] == [
        "newest", "discussed", "relevance", "relevance", "relevance", "relevance", "relevance", "newest", "relevance"
    ]
    assert out["parsed"][0] == {"q": "reasoning", "tag": "", "year": "", "sort": "newest"}
    back = run_harness(node, HARNESS, sites["single"], {"parse": [[text, options] for text in out["formatted"][:5]]})
    assert back["parsed"] == states


# --- real searches ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def orders(node: str, sites: dict[str, Path]) -> dict[str, dict[str, Any]]:
    """Per build, the harness's orders of `QUERIES` and its filter-only listings."""
    listing = [{"tag": "reasoning"}, {"tag": "benchmarks"}, {"year": "2024"}, {"year": "undated"}, {}]
    return {name: run_harness(node, HARNESS, site, {"queries": QUERIES, "listing": listing}) for name, site in sites.items()}


@pytest.fixture(scope="module")
def scores(node: str, sites: dict[str, Path]) -> list[list[list[Any]]]:
    """[[ref, score], ...] of each query, as search() returns them (tests/search_shards.js)."""
    answer = load_in_node(node, sites["single"], page=[{"query": query} for query in QUERIES])
    return [case["hits"] for case in answer["page"]]


def test_relevance_is_the_order_search_returns(orders: dict[str, dict[str, Any]], store: Store,
                                               scores: list[list[list[Any]]]) -> None:
    """Relevance is today's order: by site-wide score, ties in site order, whatever order the hits come in."""
    positions = {ref: position for position, ref in enumerate(store)}
    tied = 0
    for query, answer, hits in zip(QUERIES, orders["single"]["orders"], scores, strict=True):
        assert answer["relevance"] == [ref for ref, _ in hits], query
        assert answer["relevance"] == relevance_order(hits, positions), query
        assert answer["relevance/shuffled"] == answer["relevance"], query
        tied += len(hits) - len({score for _, score in hits})
    assert tied >= 2, "no query has hits of equal score: ties are not exercised"


@pytest.mark.parametrize("build_name", ["single", "sharded"])
def test_each_sort_gives_the_expected_order(orders: dict[str, dict[str, Any]], store: Store, build_name: str) -> None:
    for query, answer in zip(QUERIES, orders[build_name]["orders"], strict=True):
        assert answer["relevance"] == orders["single"]["orders"][QUERIES.index(query)]["relevance"], query
        for sort in SORTS:
            assert answer[sort] == expected_order(answer["relevance"], store, sort), (query, sort)
            assert answer[f"{sort}/shuffled"] == answer[sort], (query, sort)


def test_the_project_exercises_every_rule(orders: dict[str, dict[str, Any]], store: Store) -> None:
    """"models" reaches each case SORT_PAGES was written for, so the order checks above mean something."""
    answer = orders["single"]["orders"][QUERIES.index("models")]
    discussed = [store[ref]["t"] for ref in answer["discussed"]]
    relevance = [store[ref]["t"] for ref in answer["relevance"]]
    newest = [store[ref]["t"] for ref in answer["newest"]]
    assert discussed[0] == "Llama 2: Open Foundation and Fine-Tuned Chat Models"  # 20 comments
    assert discussed[-2:] == ["Quiet Models", "Undated Models"]  # neither count, newest first
    # No comment count: as 0 comments, first of those by its 300 upvotes.
    liked = by_title(store, "Liked Models Nobody Discussed")
    zero = [ref for ref in answer["discussed"] if store[ref].get("c") == 0]
    assert len(zero) >= 3
    assert answer["discussed"].index(liked) + 1 == answer["discussed"].index(zero[0])
    assert newest[-1] == "Undated Models" and newest[0] == "FuseChat: Knowledge Fusion of Chat Models"
    # A paper with comments but no upvotes comes after one with the same comments and upvotes.
    assert discussed.index("FuseChat: Knowledge Fusion of Chat Models") < discussed.index("Tiny Reasoners Can Count & Compare <Numbers>")
    # Same date and counts: relevance decides, which is not site order here.
    positions = list(store)
    twin, agreeing = by_title(store, "Twin Models Agree"), by_title(store, "Agreeing Benchmarks")
    assert positions.index(agreeing) < positions.index(twin)
    for order in (relevance, discussed, newest):
        assert order.index("Twin Models Agree") < order.index("Agreeing Benchmarks")
    # Equal scores, dates and counts: site order.
    for order in (relevance, discussed, newest):
        assert order.index("Echo Models One") + 1 == order.index("Echo Models Two")
    assert len(set(map(tuple, (answer[sort] for sort in SORTS)))) == 3, "the three sorts should differ"


@pytest.mark.parametrize("build_name", ["single", "sharded"])
def test_results_merged_as_shards_arrive_are_sorted(
    orders: dict[str, dict[str, Any]], sites: dict[str, Path], build_name: str
) -> None:
    """After each shard, the hits a search of the shards in gives, in its order; once all are in, exactly the final order.

    Before then the order may differ from the final one: scores follow the vocabulary of the shards in.
    """
    shards = len(read_search(sites[build_name])[0]["shards"])
    final = 0
    for query, steps, answer in zip(QUERIES, orders[build_name]["progressive"], orders[build_name]["orders"], strict=True):
        assert len(steps) == shards
        for sort in SORTS:
            for step in steps:
                assert step[sort] == step["fresh"][sort], (query, sort)
                seen = set(step[sort])
                final += step[sort] == [ref for ref in answer[sort] if ref in seen]
            assert steps[-1][sort] == answer[sort], (query, sort)
    assert final * 2 > len(QUERIES) * shards * len(SORTS), "most steps already show the hits in their final order"
    if build_name == "sharded":
        grown = [len(step["relevance"]) for step in orders[build_name]["progressive"][QUERIES.index("models")]]
        assert len(set(grown)) >= 3, grown


def year_of(entry: dict[str, Any]) -> str:
    return str(entry["d"])[:4] if "d" in entry else "undated"


def test_filter_listings_follow_the_sort(orders: dict[str, dict[str, Any]], store: Store) -> None:
    """No words, only a tag or a year (or nothing): every paper it matches, in the chosen order."""
    site_order = list(store)
    filters = [("g", "reasoning"), ("g", "benchmarks"), ("d", "2024"), ("d", None), (None, None)]
    for build_name in ("single", "sharded"):
        for (key, value), listing in zip(filters, orders[build_name]["listings"], strict=True):
            if key == "g":
                matching = [ref for ref in site_order if value in store[ref].get("g", [])]
            elif key == "d":
                matching = [ref for ref in site_order if year_of(store[ref]) == (value or "undated")]
            else:
                matching = site_order
            assert matching, (key, value)
            for sort in SORTS:
                assert listing[sort] == expected_order(matching, store, sort), (build_name, key, value, sort)


def test_most_discussed_is_the_order_of_the_most_discussed_listing(
    orders: dict[str, dict[str, Any]], store: Store, project: Path
) -> None:
    """Every paper sorted "most discussed" starts with the site's own "Most discussed" listing, in its order."""
    config = load_config(project)
    site = collect(load_papers(config), config)
    listing = getattr(site, "discussed", None)
    if listing is None:
        pytest.skip("this site has no Most discussed listing")
    everything = orders["single"]["listings"][-1]["discussed"]
    url_of = {entry["u"]: ref for ref, entry in store.items()}
    expected = [url_of[paper_path(paper)] for paper in listing]
    assert len(expected) >= 10
    assert everything[: len(expected)] == expected
    assert not any("c" in store[ref] or "v" in store[ref] for ref in everything[len(expected) :])
