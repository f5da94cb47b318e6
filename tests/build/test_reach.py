"""Reach every paper: a converted API dump and the seed built together, read back as a reader's browser would.

Expectations come from the API fixtures themselves and from PyYAML's reading of the
pages, not from sitegen's own link helpers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import linkcheck
import pytest
import yaml

from sitegen.cli import main

REPO = Path(__file__).resolve().parents[2]
HF = REPO / "tests" / "fixtures" / "hf"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("reach")
    project = base / "project"
    shutil.copytree(REPO / "content", project / "content")
    (project / "seeds").mkdir()
    for dump in HF.glob("*.json"):
        shutil.copy(dump, project / "seeds" / dump.name)
    (project / "pyproject.toml").write_text(
        f'[tool.sitegen]\nbase_url = "https://example.org/papers/"\ntheme_dir = {str(REPO / "sitegen" / "theme")!r}\n', encoding="utf-8"
    )
    assert main(["convert", "--root", str(project)]) == 0
    assert main(["build", "--root", str(project), "-o", str(base / "site")]) == 0
    return project, base / "site"


def front_matter(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    return data


def anchors(html: Path) -> dict[str, str]:
    document, _ = linkcheck.parse_html(html.read_bytes())
    return {
        element.get("href", ""): element.get("rel", "")
        for element in linkcheck.elements(document)
        if linkcheck.local_name(element) == "a"
    }


def api_entries() -> list[dict[str, Any]]:
    return [entry for dump in sorted(HF.glob("*.json")) for entry in json.loads(dump.read_text(encoding="utf-8"))]


def test_every_paper_with_an_id_links_to_arxiv_the_pdf_and_hugging_face(site: tuple[Path, Path]) -> None:
    project, out = site
    checked = 0
    for page in sorted((project / "content" / "papers").glob("*.md")):
        meta = front_matter(page)
        links = anchors(out / "papers" / page.stem / "index.html")
        if "arxiv" not in meta:
            continue
        arxiv = str(meta["arxiv"])
        for url in (f"https://arxiv.org/abs/{arxiv}", f"https://arxiv.org/pdf/{arxiv}", f"https://huggingface.co/papers/{arxiv}"):
            assert links.get(url) == "noopener", (page.name, url)
        checked += 1
    assert checked == len({entry["paper"]["id"] for entry in api_entries()}) == 9


def test_a_paper_without_an_id_gets_searches_for_its_title(site: tuple[Path, Path]) -> None:
    project, out = site
    page = project / "content" / "papers" / "alignment-for-honesty.md"
    title = front_matter(page)["title"]
    searches = [url for url in anchors(out / "papers" / page.stem / "index.html") if "search" in url or "papers?q=" in url]
    queries = {urlsplit(url).hostname: parse_qs(urlsplit(url).query) for url in searches}
    assert queries == {"arxiv.org": {"query": [title], "searchtype": ["title"]}, "huggingface.co": {"q": [title]}}


def test_author_names_on_the_page_on_cards_and_in_the_feed(site: tuple[Path, Path]) -> None:
    project, out = site
    llama = next(entry for entry in api_entries() if entry["paper"]["id"] == "2307.09288")
    names = [author["name"] for author in llama["paper"]["authors"]]
    slug = next(path.stem for path in (project / "content" / "papers").glob("*.md") if front_matter(path).get("arxiv") == "2307.09288")
    text = (out / "papers" / slug / "index.html").read_text(encoding="utf-8")
    assert all(name in text for name in names) and "and 48 more" in text  # 68 names: twenty, then folded
    cards = (out / "dates" / "2023" / "07" / "index.html").read_text(encoding="utf-8")
    assert f"{', '.join(names[:3])} et al." in cards
    feed = ElementTree.fromstring((out / "feed.xml").read_bytes())
    entries = {entry.findtext(f"{ATOM}title"): entry for entry in feed.findall(f"{ATOM}entry")}
    honesty = entries["Alignment for Honesty"]  # a count only: no names invented
    assert honesty.findall(f"{ATOM}author") == []
    by_tag = ElementTree.fromstring((out / "tags" / "reasoning" / "feed.xml").read_bytes())
    tree = next(entry for entry in by_tag.findall(f"{ATOM}entry") if (entry.findtext(f"{ATOM}title") or "").startswith("Tree of Thoughts"))
    tot = next(entry for entry in api_entries() if entry["paper"]["id"] == "2305.10601")
    assert [author.findtext(f"{ATOM}name") for author in tree.findall(f"{ATOM}author")] == [a["name"] for a in tot["paper"]["authors"]]


def test_cards_carry_compact_arxiv_and_pdf_links(site: tuple[Path, Path]) -> None:
    _, out = site
    listing = anchors(out / "dates" / "2023" / "05" / "index.html")
    assert "https://arxiv.org/abs/2305.10601" in listing and "https://arxiv.org/pdf/2305.10601" in listing


def test_every_internal_link_of_the_site_resolves(site: tuple[Path, Path]) -> None:
    _, out = site
    assert linkcheck.check_links(out) == []
