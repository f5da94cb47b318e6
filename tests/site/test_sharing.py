"""Open Graph and Twitter card tags (sitegen/theme/templates/base.html, sitegen/site/sharing.py), read back with html5lib.

Every page says what a link preview needs: og:title, og:description, og:type
(article for a paper, website elsewhere), og:site_name, twitter:card, and,
but on the 404 page, og:url equal to the canonical link. No og:image: the site
has no images and loads nothing from other hosts.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import html5lib
import pytest
from rich_site import build, rich_project, seed_project

from sitegen.config import load_config
from sitegen.site.sharing import SHARE_LIMIT, first_sentences

ONCE = ("og:title", "og:description", "og:type", "og:site_name", "twitter:card")


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sharing")
    root = rich_project(folder / "project")
    build(root, folder / "site")
    return root, folder / "site"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("sharing-seed")
    root = seed_project(folder / "project")
    build(root, folder / "site")
    return root, folder / "site"


def head(page: Path) -> Element:
    document = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
    found = document.find("head")
    assert found is not None
    return found


def meta(page: Path) -> dict[str, list[str]]:
    """property or name -> every content given for it, in order."""
    tags: dict[str, list[str]] = {}
    for element in head(page).iter("meta"):
        key = element.get("property") or element.get("name")
        if key:
            tags.setdefault(key, []).append(element.get("content", ""))
    return tags


def canonical(page: Path) -> str | None:
    links = [link.get("href") for link in head(page).iter("link") if link.get("rel") == "canonical"]
    assert len(links) <= 1
    return links[0] if links else None


def one(tags: dict[str, list[str]], key: str) -> str:
    assert len(tags.get(key, [])) == 1, f"{key}: {tags.get(key)}"
    return tags[key][0]


def test_a_paper_with_a_summary_is_shared_as_an_article(rich: tuple[Path, Path]) -> None:
    root, out = rich
    config = load_config(root)
    page = out / "papers" / "every-key" / "index.html"
    tags = meta(page)
    assert one(tags, "og:type") == "article"
    assert one(tags, "og:title") == '"Quoted" & <b>bold</b>: a page that sets every key'
    assert one(tags, "og:description") == 'A one-line summary with "quotes", <angle brackets> & an ampersand.'
    assert one(tags, "og:url") == canonical(page) == f"{config.base_url}papers/every-key/" == "https://fixture.example/archive/papers/every-key/"
    assert one(tags, "og:site_name") == "Fixture Archive"
    assert one(tags, "article:published_time") == "2025-01-31"
    assert one(tags, "twitter:card") == "summary"
    raw = page.read_text(encoding="utf-8")
    assert '<meta property="og:title" content="&#34;Quoted&#34; &amp; &lt;b&gt;bold&lt;/b&gt;: a page that sets every key">' in raw


def test_a_paper_without_a_summary_is_described_by_its_first_sentences(rich: tuple[Path, Path], seed: tuple[Path, Path]) -> None:
    tags = meta(rich[1] / "papers" / "tiny-reasoners" / "index.html")
    # The whole abstract is shorter than a description: all of it, as plain text.
    assert one(tags, "og:description") == (
        "We show that small models can count with chain-of-thought prompts. See the benchmark for details & data. counting comparing"
    )
    tags = meta(seed[1] / "papers" / "ai-alignment-at-your-discretion" / "index.html")
    assert one(tags, "og:description") == (
        "In AI alignment, extensive latitude must be granted to annotators, either human or algorithmic, "
        "to judge which model outputs are ‘better’ or ‘safer.’ We refer to this latitude as alignment discretion."  # TeX quotes
    )
    tags = meta(seed[1] / "papers" / "alignment-faking-in-large-language-models" / "index.html")
    first = one(tags, "og:description")  # one sentence over the limit: cut at a word, as excerpts are
    assert first.startswith("We present a demonstration of a large language model engaging in alignment faking:")
    assert first.endswith("…") and len(first) <= SHARE_LIMIT + 1


def test_a_paper_without_an_abstract_or_a_date(rich: tuple[Path, Path]) -> None:
    root, out = rich
    tags = meta(out / "papers" / "an-abstract-left-empty" / "index.html")
    assert one(tags, "og:description") == load_config(root).description
    assert one(tags, "og:type") == "article"
    undated = meta(out / "papers" / "notes-without-a-date" / "index.html")
    assert one(undated, "og:type") == "article"
    assert "article:published_time" not in undated


def test_the_home_page_and_other_pages_are_websites(rich: tuple[Path, Path]) -> None:
    root, out = rich
    config = load_config(root)
    home = meta(out / "index.html")
    assert one(home, "og:type") == "website"
    assert one(home, "og:title") == config.title
    assert one(home, "og:description") == config.description
    assert one(home, "og:url") == canonical(out / "index.html") == config.base_url
    tag = meta(out / "tags" / "reasoning" / "page" / "2" / "index.html")
    assert one(tag, "og:title") == "Tag: reasoning (page 2 of 3)"
    assert one(tag, "og:url") == f"{config.base_url}tags/reasoning/page/2/"
    missing = meta(out / "404.html")
    assert one(missing, "og:type") == "website" and "og:url" not in missing and canonical(out / "404.html") is None


def test_every_page_carries_the_tags_once_and_no_image(rich: tuple[Path, Path]) -> None:
    _, out = rich
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        tags = meta(page)
        for key in ONCE:
            one(tags, key)
        assert not [key for key in tags if "image" in key], page
        is_paper = page.parent.parent.name == "papers"
        assert (one(tags, "og:type") == "article") == is_paper, page
        if page.name != "404.html":
            assert one(tags, "og:url") == canonical(page), page


def test_first_sentences() -> None:
    assert first_sentences("") == ""
    assert first_sentences("  One   short\nsentence. ") == "One short sentence."
    text = "We study X. It works, e.g. on Y, as Lee et al. show. Then more. " + "Filler words go on. " * 20
    assert first_sentences(text, 60) == "We study X. It works, e.g. on Y, as Lee et al. show."
    assert first_sentences(text, 70) == "We study X. It works, e.g. on Y, as Lee et al. show. Then more."
    assert first_sentences('He said "no." Then it "stopped!" (Really.) And ' + "x " * 100, 50) == 'He said "no." Then it "stopped!" (Really.)'
    assert first_sentences("A very long first sentence " * 20, 40) == "A very long first sentence A very long…"
    assert first_sentences("word" * 100, 10) == "wordwordwo…"
