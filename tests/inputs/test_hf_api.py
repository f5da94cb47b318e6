"""sitegen.inputs.hf_api: the Hugging Face daily papers API JSON, on real entries (tests/fixtures/hf)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from sitegen.inputs.hf_api import ApiDumpInvalid, parse_api_dump
from sitegen.model import Organisation

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "hf"
A = FIXTURES / "daily_papers_a.json"
B = FIXTURES / "daily_papers_b.json"


def raw(path: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def by_id(path: Path) -> dict[str, Any]:
    return {entry.arxiv: entry for entry in parse_api_dump(path.read_text(encoding="utf-8"), path).entries}


def test_every_entry_gives_one_listing_entry_with_its_fields() -> None:
    listing = parse_api_dump(A.read_text(encoding="utf-8"), A)
    assert len(listing.entries) == len(raw(A)) == 6
    for entry, source in zip(listing.entries, raw(A)):
        paper = source["paper"]
        assert entry.arxiv == paper["id"]
        assert entry.title == " ".join(paper["title"].split())
        assert entry.abstract == " ".join(paper["summary"].split())  # no blank lines in these abstracts
        assert entry.authors == tuple(" ".join(author["name"].split()) for author in paper["authors"])
        assert entry.date == dt.date.fromisoformat(paper["publishedAt"][:10])
        assert entry.listed == dt.date.fromisoformat(paper["submittedOnDailyAt"][:10])
        assert (entry.comments, entry.upvotes) == (source["numComments"], paper["upvotes"])
        assert entry.summary == " ".join(paper.get("ai_summary", "").split())
        assert entry.keywords == tuple(dict.fromkeys(k for k in paper.get("ai_keywords", []) if k.strip()))
        assert entry.loc.path == A


def test_names_hidden_authors_organisation_and_links() -> None:
    entries = by_id(A)
    soundstorm = entries["2305.09636"]
    assert "Eugene Kharitonov" in soundstorm.authors  # hidden on the page, an author all the same
    bedlam = entries["2306.16940"]
    assert bedlam.title.startswith("BEDLAM: A Synthetic Dataset of Bodies") and "\n" not in bedlam.title
    paper = next(entry["paper"] for entry in raw(A) if entry["paper"]["id"] == "2306.16940")
    assert bedlam.organisation == Organisation(paper["organization"]["name"], "Max Planck Institute for Intelligent Systems")
    assert bedlam.links[:2] == (paper["githubRepo"], paper["projectPage"])
    tree = entries["2305.10601"]
    assert tree.links == ("https://github.com/ysymyth/tree-of-thought-llm",)  # the repository, also in the abstract: once
    assert len(entries["2307.09288"].authors) == 68
    assert entries["2307.03718"].summary == "" and entries["2307.03718"].keywords == ()


def test_paragraph_breaks_are_kept_and_wraps_undone(tmp_path: Path) -> None:
    entries = raw(A)[:1]
    entries[0]["paper"]["summary"] = "First line\nwraps here.\n\n  Second\n paragraph."
    path = tmp_path / "d.json"
    (entry,) = parse_api_dump(json.dumps(entries), path).entries
    assert entry.abstract == "First line wraps here.\n\nSecond paragraph."


def title_of(arxiv: str) -> str:
    paper = next(entry["paper"] for entry in raw(A) if entry["paper"]["id"] == arxiv)
    return " ".join(paper["title"].split())[:60]


def paper_of(entries: list[dict[str, Any]], arxiv: str) -> dict[str, Any]:
    return next(entry for entry in entries if entry["paper"]["id"] == arxiv)


@pytest.mark.parametrize(
    ("arxiv", "change", "expected"),
    [
        ("2307.03718", lambda e: e["paper"].pop("id"), "'paper.id' is missing"),
        ("2305.09636", lambda e: e["paper"].update(publishedAt="yesterday"), "'paper.publishedAt' must be a date such as 2024-06-25T13:50:56.000Z, not 'yesterday'"),
        ("2306.16940", lambda e: e["paper"].update(upvotes=-3), "'paper.upvotes' must be a whole number, not a number -3"),
        ("2306.05949", lambda e: e.update(numComments="many"), "'numComments' must be a whole number, not text \"many\""),
        ("2305.10601", lambda e: e["paper"].update(id="not-an-id"), "'paper.id' must be an arXiv id such as 2504.10479, not 'not-an-id'"),
        ("2307.09288", lambda e: e["paper"]["authors"].append(7), "'paper.authors[68]' must be an object with a 'name', not a number 7"),
    ],
    ids=["missing-id", "bad-date", "negative-count", "text-count", "bad-id", "bad-author"],
)
def test_a_malformed_entry_names_the_file_its_index_title_and_field(
    arxiv: str, change: Any, expected: str, tmp_path: Path
) -> None:
    entries = copy.deepcopy(raw(A))
    entry = paper_of(entries, arxiv)
    change(entry)
    path = tmp_path / "dump.json"
    with pytest.raises(ApiDumpInvalid) as failure:
        parse_api_dump(json.dumps(entries), path)
    (problem,) = failure.value.problems
    assert str(problem) == f"{path}: entry {entries.index(entry)} ({title_of(arxiv)!r}): {expected}"


def test_an_entry_that_is_not_an_object_is_named_by_its_index(tmp_path: Path) -> None:
    entries = [*raw(A)[:2], "a paper"]
    with pytest.raises(ApiDumpInvalid) as failure:
        parse_api_dump(json.dumps(entries), tmp_path / "dump.json")
    assert failure.value.problems[0].message == "entry 2: expected an object with a 'paper', found text \"a paper\""


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    entries = copy.deepcopy(raw(A))
    entries[0]["paper"]["upvotes"] = "x"
    entries[4]["paper"].pop("title")
    with pytest.raises(ApiDumpInvalid) as failure:
        parse_api_dump(json.dumps(entries), tmp_path / "dump.json")
    assert [problem.message.split(" (")[0].split(":")[0] for problem in failure.value.problems] == ["entry 0", "entry 4"]
    assert "'paper.upvotes'" in failure.value.problems[0].message and "'paper.title' is missing" in failure.value.problems[1].message


@pytest.mark.parametrize(
    ("text", "message"),
    [("{\"papers\": []}", "a JSON list of entries, found a dict"), ("[1, 2", "not valid JSON"), ("", "not valid JSON")],
)
def test_a_file_that_is_not_a_dump_is_one_clear_error(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(Exception) as failure:
        parse_api_dump(text, tmp_path / "x.json")
    assert message in str(failure.value) and str(tmp_path / "x.json") in str(failure.value)


def test_a_month_of_entries_parses_quickly(tmp_path: Path) -> None:
    """Not a timing assertion: 500 entries (a month) go through, each once."""
    entries = [copy.deepcopy(raw(A)[index % 6]) for index in range(500)]
    for index, entry in enumerate(entries):
        entry["paper"]["id"] = f"2401.{index:05d}"
    assert len(parse_api_dump(json.dumps(entries), tmp_path / "month.json").entries) == 500
