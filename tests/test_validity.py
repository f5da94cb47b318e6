"""Every file a build writes is valid: HTML that parses without errors, unique ids and references that
name them, well-formed XML with complete Atom feeds and sitemap, strict JSON, UTF-8 throughout.

Two sites are built (tests/a11y.py ``built_site``): the repository's seed and the rich fixture site
(tests/rich_site.py: author names, arXiv ids, organisations, links, an undated page). The files are
found in the output, never listed here, so a new kind of page or file is checked as soon as a build
writes it. The guard tests at the end feed broken snippets to the same functions.
"""

from __future__ import annotations

import json
from pathlib import Path

import a11y
import pytest

from sitegen.config import load_config


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    folder = tmp_path_factory.getbasetemp() / "a11y-sites"
    return {name: a11y.built_site(name, folder) for name in a11y.SITES}


@pytest.fixture(scope="module", params=a11y.SITES)
def site(request: pytest.FixtureRequest, sites: dict[str, tuple[Path, Path]]) -> Path:
    return sites[request.param][1]


@pytest.fixture(scope="module")
def pages(site: Path) -> dict[str, a11y.Doc]:
    return a11y.load_pages(site)


def files(site: Path, *suffixes: str) -> list[Path]:
    found = [path for path in a11y.site_files(site) if path.name.endswith(suffixes)]
    assert found, f"no {suffixes} file in {site}"
    return found


def report(problems: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}: {problem}" for where, found in problems.items() for problem in found)


# --- HTML ----------------------------------------------------------------------------------


def test_every_page_parses_without_errors_and_declares_utf8(site: Path, pages: dict[str, a11y.Doc]) -> None:
    problems = {path: a11y.html_problems(doc, (site / path).read_bytes()) for path, doc in pages.items()}
    assert not any(problems.values()), report(problems)


def test_ids_are_unique_and_every_id_reference_names_one(pages: dict[str, a11y.Doc]) -> None:
    problems = {path: a11y.id_problems(doc) + a11y.reference_problems(doc) for path, doc in pages.items()}
    assert not any(problems.values()), report(problems)
    assert sum(len(doc.ids) for doc in pages.values()) > len(pages)  # the pages do use ids (main, headings, the search box)


def test_links_with_a_fragment_to_another_page_name_an_id_there(site: Path, pages: dict[str, a11y.Doc]) -> None:
    assert a11y.fragment_problems(site, pages) == []


# --- XML -----------------------------------------------------------------------------------


def test_every_xml_file_is_well_formed(site: Path) -> None:
    problems = {
        path.relative_to(site).as_posix(): a11y.xml_problems(path.read_bytes())[1] for path in files(site, ".xml", ".svg")
    }
    assert not any(problems.values()), report(problems)


def test_every_atom_feed_has_the_required_elements(site: Path) -> None:
    feeds = {}
    for path in files(site, ".xml"):
        root, _ = a11y.xml_problems(path.read_bytes())
        if root is not None and root.tag == a11y.ATOM + "feed":
            feeds[path.relative_to(site).as_posix()] = root
    assert "feed.xml" in feeds and any(name.startswith("tags/") for name in feeds)
    problems = {name: a11y.atom_problems(feed) for name, feed in feeds.items()}
    assert not any(problems.values()), report(problems)
    assert all(feed.findall(a11y.ATOM + "entry") for feed in feeds.values())


def test_the_sitemap_lists_every_page_but_404_by_its_address(sites: dict[str, tuple[Path, Path]], site: Path) -> None:
    project = next(root for root, out in sites.values() if out == site)
    base = load_config(project).base_url
    root, problems = a11y.xml_problems((site / "sitemap.xml").read_bytes())
    assert root is not None and problems == []
    assert a11y.sitemap_problems(root) == []
    listed = set()
    for loc in root.iter(a11y.SITEMAP + "loc"):
        url = (loc.text or "").strip()
        assert url.startswith(base), url
        path = url[len(base) :]
        listed.add(path + "index.html" if path == "" or path.endswith("/") else path)
    built = {path.relative_to(site).as_posix() for path in site.rglob("*.html")} - {"404.html"}
    assert listed == built


# --- JSON, UTF-8 ---------------------------------------------------------------------------


def test_every_json_file_is_strict_json(site: Path) -> None:
    problems = {path.relative_to(site).as_posix(): a11y.json_problems(path.read_bytes()) for path in files(site, ".json")}
    assert not any(problems.values()), report(problems)


def test_every_file_is_utf8(site: Path) -> None:
    every = a11y.site_files(site)
    assert len(every) > 50
    problems = {
        path.relative_to(site).as_posix(): a11y.utf8_problems(path.read_bytes())
        for path in every
        if path.suffix.lower() not in a11y.BINARY_SUFFIXES
    }
    assert not any(problems.values()), report(problems)


# --- guard the guards: each check reports what it is for -------------------------------------

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body>{}</body></html>"""


def problems_of(body: str) -> list[str]:
    doc = a11y.parse(PAGE.format(body))
    return a11y.html_problems(doc, PAGE.format(body).encode())


def test_guard_a_clean_snippet_has_no_problems() -> None:
    assert problems_of('<main id="m"><h1 id="t">T</h1><a href="#t">top</a><label for="q">Q</label><input id="q"></main>') == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>one<div>block in a paragraph</div></p>", "parse error"),
        ("<p>a <b>b</p>", "parse error"),
        ('<a href="x" href="y">twice</a>', "parse error: line 1"),
        ('<h1 id="x">a</h1><h2 id="x">b</h2>', "id 'x' is used 2 times"),
        ('<section aria-labelledby="nowhere"><h2>s</h2></section>', "aria-labelledby='nowhere' names no element"),
        ('<input aria-describedby="hint more" id="i"><p id="hint">h</p>', "aria-describedby='more' names no element"),
        ('<label for="q">Search</label><input id="query">', "for='q' names no element"),
        ('<a href="#gone">jump</a>', "'#gone' names no element"),
        ('<a href="#">nowhere</a>', "goes nowhere"),
        ('<p id="">empty</p>', "is empty or holds a space"),
    ],
)
def test_guard_html_checks_report_broken_snippets(body: str, expected: str) -> None:
    found = problems_of(body)
    assert any(expected in problem for problem in found), found


def test_guard_a_fragment_link_under_base_is_reported() -> None:
    doc = a11y.parse(
        '<!doctype html><html lang="en"><head><base href="/p/"><title>t</title></head><body><a href="#main">x</a><main id="main"></main></body></html>'
    )
    assert any("leads to the base page" in problem for problem in a11y.reference_problems(doc))


def test_guard_a_missing_charset_is_reported() -> None:
    data = b'<!doctype html><html lang="en"><head><title>t</title></head><body></body></html>'
    assert 'no <meta charset="utf-8">' in " ".join(a11y.html_problems(a11y.parse(data), data))


def test_guard_fragments_into_other_pages_are_checked(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        PAGE.format('<a href="b.html#here">ok</a> <a href="b.html#gone">broken</a>'), encoding="utf-8"
    )
    (tmp_path / "b.html").write_text(PAGE.format('<p id="here">here</p>'), encoding="utf-8")
    assert a11y.fragment_problems(tmp_path) == ["a.html: <a href='b.html#gone'>: b.html has no id 'gone'"]


FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>t</title><id>https://example.org/feed.xml</id><updated>2024-01-01T00:00:00Z</updated>
  <link rel="self" href="https://example.org/feed.xml"/><author><name>a</name></author>
  <entry><title>e</title><id>https://example.org/e</id><updated>2024-01-01T00:00:00Z</updated><link href="https://example.org/e"/></entry>
</feed>"""


def test_guard_a_complete_feed_passes() -> None:
    root, problems = a11y.xml_problems(FEED.encode())
    assert root is not None and problems == [] and a11y.atom_problems(root) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("<updated>2024-01-01T00:00:00Z</updated>\n", "\n"), "feed: 0 <updated> elements"),
        (("<title>e</title>", ""), "entry 1 (''): 0 <title> elements"),
        (('<link href="https://example.org/e"/>', ""), "no <link>"),
        (('<link href="https://example.org/e"/>', '<link href="e.html"/>'), "no absolute href"),
        (("<updated>2024-01-01T00:00:00Z</updated><link", "<updated>2024-01-01</updated><link"), "not an RFC 3339 date-time"),
        (("<author><name>a</name></author>", ""), "no <author>"),
        (("<id>https://example.org/e</id>", "<id>e</id>"), "is not an absolute IRI"),
        (('<link rel="self" href="https://example.org/feed.xml"/>', ""), 'no absolute <link rel="self">'),
    ],
)
def test_guard_atom_check_reports_a_missing_element(change: tuple[str, str], expected: str) -> None:
    text = FEED.replace(*change, 1)
    assert text != FEED
    root, _ = a11y.xml_problems(text.encode())
    assert root is not None
    found = a11y.atom_problems(root)
    assert any(expected in problem for problem in found), found


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'<?xml version="1.0" encoding="utf-8"?><a><b></a>', "not well-formed"),
        (b'<?xml version="1.0" encoding="utf-8"?><a>&nbsp;</a>', "not well-formed"),  # an HTML entity, undefined in XML
        (b'<?xml version="1.0" encoding="utf-8"?><a>\x1b[31m</a>', "not well-formed"),  # a character XML forbids
        (b'<?xml version="1.0" encoding="utf-8"?><x:a/>', "not well-formed"),  # unbound prefix
        (b"<a/>", "no XML declaration"),
        (b'<?xml version="1.0" encoding="iso-8859-1"?><a/>', "not utf-8"),
    ],
)
def test_guard_xml_check_reports_broken_xml(data: bytes, expected: str) -> None:
    _, found = a11y.xml_problems(data)
    assert any(expected in problem for problem in found), found


def test_guard_sitemap_check_reports_relative_and_repeated_urls() -> None:
    root, _ = a11y.xml_problems(
        b'<?xml version="1.0" encoding="utf-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<url><loc>papers/x/</loc></url><url><loc>https://e.org/</loc></url><url><loc>https://e.org/</loc></url></urlset>"
    )
    assert root is not None
    found = a11y.sitemap_problems(root)
    assert any("not an absolute" in problem for problem in found) and any("listed 2 times" in problem for problem in found)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"a": 1,}', "not strict JSON"),
        (b'{"a": NaN}', "NaN is not JSON"),
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b'{"a": "\xff"}', "not strict JSON"),
    ],
)
def test_guard_json_check_reports_broken_json(data: bytes, expected: str) -> None:
    found = a11y.json_problems(data)
    assert any(expected in problem for problem in found), found
    assert a11y.json_problems(json.dumps({"a": [1, 2.5, None, "é"]}).encode()) == []


def test_guard_utf8_check_reports_other_encodings() -> None:
    assert a11y.utf8_problems("café".encode("latin-1"))[0].startswith("not UTF-8")
    assert a11y.utf8_problems(b"\xef\xbb\xbfhello") == ["starts with a byte order mark"]
    assert a11y.utf8_problems("café ✓".encode()) == []
