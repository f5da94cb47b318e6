"""api/papers.json and api/papers.schema.json (sitegen/site/data.py): the archive as open data.

The file is validated against its schema with jsonschema (formats checked),
and every value is compared with the pages' front matter read here with
plain PyYAML and tomllib, not through sitegen. Two sites: the repository's
seed and a project whose pages use every key (tests/rich_site.py).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from rich_site import build, rich_project, seed_project

from sitegen.build.load import load_papers
from sitegen.config import load_config
from sitegen.search.files import search_documents
from sitegen.search.lunr_index import short_ref
from sitegen.site.collect import collect
from sitegen.site.data import VERSION, search_ref

Validator = jsonschema.Draft202012Validator


def _built(root: Path, output: Path, *flags: str) -> Path:
    build(root, output, *flags)
    return output


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name -> (project, built site)."""
    folder = tmp_path_factory.mktemp("open-data")
    seed = seed_project(folder / "seed")
    rich = rich_project(folder / "rich")
    return {"seed": (seed, _built(seed, folder / "seed-site")), "rich": (rich, _built(rich, folder / "rich-site"))}


@pytest.fixture(params=["seed", "rich"])
def site(request: pytest.FixtureRequest, sites: dict[str, tuple[Path, Path]]) -> tuple[Path, Path]:
    return sites[request.param]


def load(site: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    papers: dict[str, Any] = json.loads((site / "api" / "papers.json").read_text(encoding="utf-8"))
    schema: dict[str, Any] = json.loads((site / "api" / "papers.schema.json").read_text(encoding="utf-8"))
    return papers, schema


def validate(papers: Any, schema: dict[str, Any]) -> list[str]:
    validator = Validator(schema, format_checker=Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(papers)]


# --- an independent reading of the content --------------------------------------------------------


def _normal(text: Any) -> str:
    return " ".join(str(text).split())


def _day(value: Any) -> str | None:
    return None if value is None else (value if isinstance(value, str) else value.isoformat())


def expected_records(root: Path) -> list[dict[str, Any]]:
    """What papers.json should list, from the front matter and pyproject.toml alone, in site order."""
    table = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["sitegen"]
    base = table["base_url"].rstrip("/") + "/"
    pages = []
    for path in sorted((root / "content" / "papers").glob("*.md")):
        _, header, _ = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(header)
        if meta.get("draft"):
            continue
        pages.append((path, meta))

    def order(page: tuple[Path, dict[str, Any]]) -> tuple[bool, int, str, str]:
        path, meta = page
        date = meta.get("date")
        return (date is None, -(date.toordinal() if date else 0), _normal(meta["title"]).casefold(), meta.get("slug", path.stem))

    records = []
    for position, (path, meta) in enumerate(sorted(pages, key=order)):
        slug = meta.get("slug", path.stem)
        authors = meta.get("authors")
        names = [_normal(name) for name in authors] if isinstance(authors, list) else []
        organisation = meta.get("organisation")
        records.append({
            "slug": slug,
            "url": f"{base}papers/{slug}/",
            "title": _normal(meta["title"]),
            "date": _day(meta.get("date")),
            "listed": _day(meta.get("listed")),
            "authors": names,
            "author_count": len(names) if names else authors if isinstance(authors, int) else None,
            "organisation": None if organisation is None else {"id": organisation["id"], "name": organisation.get("name", organisation["id"])},
            "comments": meta.get("comments"),
            "upvotes": meta.get("upvotes"),
            "tags": list(dict.fromkeys(meta.get("tags") or [])),
            "keywords": list(dict.fromkeys(_normal(keyword) for keyword in meta.get("keywords") or [])),
            "summary": _normal(meta["summary"]) if meta.get("summary") else None,
            "identifiers": {key: meta.get(key) for key in ("arxiv", "doi", "url", "pdf")},
            "links": list(meta.get("links") or []),
            "sources": list(meta.get("sources") or []),
            "related": [],
            "search_ref": _base36(position),
        })
    return records


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = digits[number % 36]
    while number >= 36:
        number //= 36
        text = digits[number % 36] + text
    return text


# --- the file, its schema and its values ---------------------------------------------------------------


def test_papers_json_is_valid_against_its_schema(site: tuple[Path, Path]) -> None:
    papers, schema = load(site[1])
    Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert validate(papers, schema) == []


def test_papers_json_holds_what_the_front_matter_says(site: tuple[Path, Path]) -> None:
    root, out = site
    papers, _ = load(out)
    base = load_config(root).base_url
    assert papers["version"] == VERSION == 1
    assert papers["$schema"] == f"{base}api/papers.schema.json"
    assert papers["site"]["url"] == base
    expected = expected_records(root)
    assert [paper["slug"] for paper in papers["papers"]] == [record["slug"] for record in expected]
    for paper, record in zip(papers["papers"], expected, strict=True):
        assert {**paper, "related": []} == record, paper["slug"]  # related: tests/build/test_related_build.py, against the pages


def test_the_rich_site_exercises_every_field(sites: dict[str, tuple[Path, Path]]) -> None:
    """Each field of the schema has a value other than null or [] somewhere, so the checks above mean something."""
    papers, schema = load(sites["rich"][1])
    fields = schema["$defs"]["paper"]["properties"]
    for name in fields:
        assert any(paper[name] not in (None, [], "") for paper in papers["papers"]), name
    for name in ("arxiv", "doi", "url", "pdf"):
        assert any(paper["identifiers"][name] for paper in papers["papers"]), name
    every = next(paper for paper in papers["papers"] if paper["slug"] == "every-key")
    assert every["title"] == '"Quoted" & <b>bold</b>: a page that sets every key'
    assert every["identifiers"] == {
        "arxiv": "2501.01234v2", "doi": "10.1145/3292500.3330701",
        "url": "https://example.org/every-key", "pdf": "https://example.org/every-key.pdf",
    }
    assert every["comments"] == 0 and every["author_count"] == 3


def test_search_refs_are_the_search_index_refs(site: tuple[Path, Path]) -> None:
    """search_ref is the paper's ref in search/lunr.json and the shards: the search stage's refs, by slug."""
    root, out = site
    papers, _ = load(out)
    config = load_config(root)
    built = collect([paper for paper in load_papers(config) if not paper.draft], config)
    refs = {document.url: document.ref for document in search_documents(built)}
    assert {paper["search_ref"] for paper in papers["papers"]} == set(refs.values())
    for paper in papers["papers"]:
        assert refs[f"papers/{paper['slug']}/"] == paper["search_ref"]
    assert [search_ref(position) for position in (0, 9, 35, 36, 1295, 1296)] == ["0", "9", "z", "10", "zz", "100"]
    assert all(search_ref(position) == short_ref(position) for position in range(50_000))


def test_drafts_never_appear_even_in_a_drafts_build(sites: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    root, out = sites["rich"]
    with_drafts = _built(root, tmp_path / "with-drafts", "--drafts")
    assert (with_drafts / "papers" / "work-in-progress" / "index.html").is_file()
    for site in (out, with_drafts):
        papers, schema = load(site)
        assert validate(papers, schema) == []
        assert "work-in-progress" not in {paper["slug"] for paper in papers["papers"]}
        assert b"Work in Progress" not in (site / "api" / "papers.json").read_bytes()
    # The search refs still name the papers of the search index, which holds the draft in a --drafts build.
    drafted, _ = load(with_drafts)
    assert [paper["slug"] for paper in drafted["papers"]] == [paper["slug"] for paper in load(out)[0]["papers"]]
    assert drafted["papers"] != load(out)[0]["papers"]  # the refs after the draft's place moved by one


def test_schema_rejects_what_consumers_must_not_see(sites: dict[str, tuple[Path, Path]]) -> None:
    """The schema is precise: a missing field, an unknown one, a wrong type or form is an error."""
    papers, schema = load(sites["rich"][1])
    paper = papers["papers"][0]
    broken: dict[str, Any] = {
        "missing field": {key: value for key, value in paper.items() if key != "title"},
        "unknown field": {**paper, "abstract": "text"},
        "count as text": {**paper, "upvotes": "12"},
        "negative count": {**paper, "comments": -1},
        "bad date": {**paper, "date": "2024-02-30"},
        "relative url": {**paper, "url": "papers/x/"},
        "bad tag": {**paper, "tags": ["Not A Tag"]},
        "bad arxiv": {**paper, "identifiers": {**paper["identifiers"], "arxiv": "arXiv:2501.01234"}},
        "bad doi": {**paper, "identifiers": {**paper["identifiers"], "doi": "https://doi.org/10.1/x"}},
        "unknown identifier": {**paper, "identifiers": {**paper["identifiers"], "isbn": None}},
        "organisation without name": {**paper, "organisation": {"id": "x"}},
        "related as text": {**paper, "related": "a-slug"},
    }
    assert validate({**papers, "papers": [paper]}, schema) == []
    for name, value in broken.items():
        assert validate({**papers, "papers": [value]}, schema), f"{name} passed the schema"
    assert validate({**papers, "version": 2}, schema)
    assert validate({key: value for key, value in papers.items() if key != "version"}, schema)


def test_papers_json_is_one_paper_a_line_and_stable(sites: dict[str, tuple[Path, Path]], tmp_path: Path) -> None:
    root, out = sites["seed"]
    data = (out / "api" / "papers.json").read_bytes()
    lines = data.decode("utf-8").splitlines()
    assert len(lines) == 2 + len(json.loads(data)["papers"])
    assert data.endswith(b"\n]}\n")
    again = _built(root, tmp_path / "again")
    assert (again / "api" / "papers.json").read_bytes() == data
    assert (again / "api" / "papers.schema.json").read_bytes() == (out / "api" / "papers.schema.json").read_bytes()
    assert list(json.loads(data)) == ["$schema", "version", "generator", "site", "papers"]  # no build time anywhere


def test_an_empty_archive_still_validates(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    (root / "content" / "papers").mkdir(parents=True)
    (root / "pyproject.toml").write_text(f'[tool.sitegen]\ntheme_dir = {str(Path(__file__).parents[2] / "sitegen" / "theme")!r}\n', encoding="utf-8")
    out = _built(root, tmp_path / "site")
    papers, schema = load(out)
    assert papers["papers"] == []
    assert validate(papers, schema) == []
