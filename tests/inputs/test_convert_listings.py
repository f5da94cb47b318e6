"""One paper, many listings: API JSON and text digests, day after day, merged into one page each
without undoing a person's edits (sitegen convert through the command line)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from test_convert import CHROME, convert, make_project, page_files, pages, snapshot

from sitegen.content.frontmatter import parse_page
from sitegen.inputs.merge import combine
from sitegen.model import ListingEntry, Loc

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "hf"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_project(tmp_path / "project", seed=False)


def dump(root: Path, name: str, entries: list[dict[str, Any]]) -> Path:
    path = root / "seeds" / name
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def fixture(name: str = "daily_papers_a.json") -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def by_arxiv(root: Path) -> dict[str, Any]:
    papers = (parse_page(path.read_text(encoding="utf-8"), path) for path in page_files(root))
    return {paper.arxiv: paper for paper in papers}


def test_api_dumps_give_pages_with_ids_names_counts_and_links(project: Path) -> None:
    for name in ("daily_papers_a.json", "daily_papers_b.json"):
        shutil.copy(FIXTURES / name, project / "seeds" / name)
    run = convert(project)
    assert run.code == 0, run.err
    entries = fixture("daily_papers_a.json") + fixture("daily_papers_b.json")
    assert len(entries) == 10 and len(page_files(project)) == 9  # one arXiv id is listed on two days
    papers = by_arxiv(project)
    for entry in entries:
        page, source = papers[entry["paper"]["id"]], entry["paper"]
        assert page.title == " ".join(source["title"].split())
        assert page.authors == tuple(author["name"] for author in source["authors"]) and page.author_count is None
        assert page.date == dt.date.fromisoformat(source["publishedAt"][:10])
        assert page.upvotes == source["upvotes"] and page.comments == entry["numComments"]
        assert page.summary == " ".join(source.get("ai_summary", "").split())
        assert {link for link in (source.get("githubRepo"), source.get("projectPage")) if link} <= set(page.links)
    repeated = papers["2404.03648"]
    assert repeated.listed == dt.date(2024, 4, 5) and repeated.sources == ("daily_papers_b.json",)
    assert "merged into one page" in run.err


def test_two_papers_with_one_title_stay_two_pages(project: Path) -> None:
    shutil.copy(FIXTURES / "daily_papers_b.json", project / "seeds" / "b.json")
    assert convert(project).code == 0
    fusechat = [parse_page(path.read_text(encoding="utf-8"), path) for path in page_files(project) if path.name.startswith("fusechat")]
    assert sorted(paper.arxiv for paper in fusechat) == ["2402.16107", "2408.07990"]
    assert len({paper.slug for paper in fusechat}) == 2


def test_a_page_with_an_id_is_never_merged_with_another_id(project: Path) -> None:
    first, second = [entry for entry in fixture("daily_papers_b.json") if entry["paper"]["title"].startswith("FuseChat")]
    dump(project, "one.json", [first])
    assert convert(project).code == 0
    (page,) = page_files(project)
    before = page.read_bytes()
    dump(project, "two.json", [second])
    assert convert(project, str(project / "seeds" / "two.json")).code == 0
    assert page.read_bytes() == before and len(page_files(project)) == 2


def digest(*blocks: str, day: str = "Jun 30") -> str:
    return CHROME + f"{day}\n\n" + "".join(blocks)


def test_a_text_digest_and_the_api_give_one_page(project: Path) -> None:
    bedlam = next(entry for entry in fixture() if entry["paper"]["id"] == "2306.16940")
    title = " ".join(bedlam["paper"]["title"].split())
    text = digest(f"{title}\n\nA shorter abstract from the page.\n\n  • 4 authors\n·\nJun 29 3\n\n")
    (project / "seeds" / "daily-papers-2023-06-30.txt").write_text(text, encoding="utf-8")
    dump(project, "api.json", [bedlam])
    run = convert(project)
    assert run.code == 0, run.err
    (page,) = pages(project).values()
    assert page.arxiv == "2306.16940" and page.authors == tuple(author["name"] for author in bedlam["paper"]["authors"])
    assert page.sources == ("api.json", "daily-papers-2023-06-30.txt")


def test_sources_accumulate_day_after_day_and_counts_are_the_latest(project: Path) -> None:
    day1 = digest("Steady Steps\n\nWe take steady steps.\n\n  • 2 authors\n·\nDec 9 1\n\n", day="Dec 10")
    day2 = digest("Steady Steps\n\nWe take steady steps.\n\n  • 2 authors\n·\nDec 9 7\n\n", day="Dec 11")
    one = project / "seeds" / "daily-papers-2025-12-10.txt"
    two = project / "seeds" / "daily-papers-2025-12-11.txt"
    one.write_text(day1, encoding="utf-8")
    assert convert(project, str(one)).code == 0
    two.write_text(day2, encoding="utf-8")
    assert convert(project, str(two)).code == 0
    (page,) = pages(project).values()
    assert page.sources == (one.name, two.name) and page.comments == 7
    assert page.listed == dt.date(2025, 12, 10)
    assert convert(project, str(one)).code == 0  # an older listing converted again does not undo newer counts
    (page,) = pages(project).values()
    assert page.comments == 7 and page.sources == (one.name, two.name)
    state = json.loads((project / "content" / ".convert-state.json").read_text(encoding="utf-8"))
    assert state["steady-steps"]["sources"] == [one.name, two.name]


def test_an_edited_field_is_kept_while_the_others_follow_the_listings(project: Path) -> None:
    entry = next(entry for entry in fixture() if entry["paper"]["id"] == "2307.09288")
    dump(project, "d.json", [entry])
    assert convert(project).code == 0
    (path,) = page_files(project)
    path.write_text(path.read_text(encoding="utf-8").replace("title: 'Llama 2:", "title: 'Llama Two:", 1), encoding="utf-8")
    entry["numComments"] += 5
    entry["paper"]["upvotes"] += 10
    dump(project, "d.json", [entry])
    run = convert(project)
    assert run.code == 0, run.err
    page = parse_page(path.read_text(encoding="utf-8"), path)
    assert page.title.startswith("Llama Two:")
    assert (page.comments, page.upvotes) == (entry["numComments"], entry["paper"]["upvotes"])
    assert f"{path.name}: warning: edited by hand: kept your title" in run.err, run.err
    assert run.counts() == {"created": 0, "updated": 1, "unchanged": 0, "kept": 1}
    forced = convert(project, "--force")
    assert parse_page(path.read_text(encoding="utf-8"), path).title.startswith("Llama 2:")
    assert "your version is saved as" in forced.out


def test_a_gzipped_dump_is_read(project: Path) -> None:
    (project / "seeds" / "month.json.gz").write_bytes(gzip.compress((FIXTURES / "daily_papers_a.json").read_bytes()))
    assert convert(project).code == 0
    assert len(page_files(project)) == 6


def test_a_malformed_dump_writes_nothing_and_every_error_of_every_file_is_said(project: Path) -> None:
    good = fixture()
    bad_a = fixture()
    bad_a[1]["paper"]["upvotes"] = "lots"
    bad_b = fixture("daily_papers_b.json")
    bad_b[0]["paper"].pop("id")
    bad_b[2]["paper"]["publishedAt"] = 5
    dump(project, "good.json", good[:2])
    dump(project, "bad-a.json", bad_a)
    dump(project, "bad-b.json", bad_b)
    run = convert(project)
    assert run.code == 1
    errors = [line for line in run.err.splitlines() if "(nothing written for this digest)" in line]
    assert len(errors) == 3 and "bad-a.json: entry 1" in errors[0] and "'paper.upvotes'" in errors[0]
    assert {paper.arxiv for paper in pages(project).values()} == {entry["paper"]["id"] for entry in good[:2]}


def test_a_json_file_named_txt_is_refused_not_made_a_page(project: Path) -> None:
    (project / "seeds" / "x.txt").write_text(json.dumps(fixture()), encoding="utf-8")
    before = snapshot(project)
    run = convert(project)
    assert run.code == 1 and "x.txt" in run.err and "JSON" in run.err, run.err
    assert snapshot(project) == before


def test_combine_folds_entries_by_id_then_title_in_listing_order() -> None:
    day = dt.date(2025, 1, 1)
    loc = Loc(Path("a.txt"), 1)
    entries = [
        ListingEntry("A Title", "Later abstract.", Loc(Path("b.json")), listed=day + dt.timedelta(2), arxiv="2501.00001v2", comments=9),
        ListingEntry("a title", "Early abstract.", loc, listed=day, author_count=3, comments=2),
        ListingEntry("A Title", "Another paper.", Loc(Path("c.json")), listed=day, arxiv="2501.99999"),
    ]
    found, notices = combine(entries)
    assert [(paper.arxiv, paper.abstract, paper.comments, paper.author_count, paper.title) for paper in found] == [
        ("2501.00001v2", "Later abstract.", 9, 3, "a title"),  # the first listing's title, the latest counts
        ("2501.99999", "Another paper.", None, None, "A Title"),
    ]
    assert found[0].listed == day and found[0].sources == ["a.txt", "b.json"]
    assert [notice.loc for notice in notices] == [loc, loc]  # a shared title; merged into the paper seen first
