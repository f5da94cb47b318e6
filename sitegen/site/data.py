"""The archive as open data: `api/papers.json` and the JSON Schema that describes it (pure).

`api/papers.json` is a stable interface (README.md, "Open data"): every
published paper's metadata, in site order (newest first, undated last),
with a `version` that changes only when a field is removed, renamed or
changes type or meaning. Fields may be added within a version; the schema
published beside the file (`api/papers.schema.json`) always describes that
build's file exactly, unknown fields included as errors, so a consumer
validates against the schema of the same site and ignores fields it does not
know.

The text is a pure function of the site: no timestamps, no dictionary
order left to chance, so two builds of the same content give the same bytes.
A draft never appears, not even in a ``--drafts`` build.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from sitegen import __version__
from sitegen.config import Config
from sitegen.content.frontmatter import ARXIV, DOI
from sitegen.content.slugs import SLUG
from sitegen.model import Paper
from sitegen.site.collect import Site, paper_path

PAPERS_JSON = "api/papers.json"
SCHEMA_JSON = "api/papers.schema.json"
DATA_TEMPLATE = "data.json"
"""The template that writes a data file: its context's ``data`` is the file's text, already serialized."""

VERSION = 1
"""The version of the papers.json format: bump it when a field is removed, renamed or changes type or meaning."""


def related_slugs(site: Site, paper: Paper) -> tuple[str, ...]:
    """Slugs of the papers related to ``paper``, most related first: those its page lists (``site.related``,
    found by sitegen/search/related.py; drafts are never among them, so every one is in the file)."""
    return tuple(other.slug for other in site.related.get(paper.slug, ()))


def data_files(site: Site) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(path, template, context) of each data file, for the page plan (pages.py makes them `Page` entries)."""
    return [
        (PAPERS_JSON, DATA_TEMPLATE, {"data": Markup(papers_json(site))}),
        (SCHEMA_JSON, DATA_TEMPLATE, {"data": Markup(schema_json(site.config))}),
    ]


def paper_record(site: Site, paper: Paper, ref: str) -> dict[str, Any]:
    """One paper as papers.json lists it; ``ref`` is its ref in the search index."""
    return {
        "slug": paper.slug,
        "url": site.config.base_url + paper_path(paper),
        "title": paper.title,
        "date": paper.date.isoformat() if paper.date else None,
        "listed": paper.listed.isoformat() if paper.listed else None,
        "authors": list(paper.authors),
        "author_count": paper.author_total,
        "organisation": {"id": paper.organisation.id, "name": paper.organisation.name} if paper.organisation else None,
        "comments": paper.comments,
        "upvotes": paper.upvotes,
        "tags": list(paper.tags),
        "keywords": list(paper.keywords),
        "summary": paper.summary or None,
        "identifiers": {"arxiv": paper.arxiv, "doi": paper.doi, "url": paper.url, "pdf": paper.pdf},
        "links": list(paper.links),
        "sources": list(paper.sources),
        "related": list(related_slugs(site, paper)),
        "search_ref": ref,
    }


def papers_document(site: Site) -> dict[str, Any]:
    """The whole of papers.json as a value."""
    config = site.config
    return {
        "$schema": config.base_url + SCHEMA_JSON,
        "version": VERSION,
        "generator": f"sitegen {__version__}",
        "site": {"title": config.title, "description": config.description, "url": config.base_url, "language": config.language},
        "papers": [
            paper_record(site, paper, search_ref(position)) for position, paper in enumerate(site.papers) if not paper.draft
        ],
    }


def search_ref(position: int) -> str:
    """The ref of the paper at ``position`` in ``site.papers`` in the search index (search/lunr.json and the
    shards): the position in base 36. The search stage's `short_ref` makes the refs; this stage cannot
    import it, so tests/site/test_data.py checks the two agree."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        position, digit = divmod(position, 36)
        text = digits[digit] + text
        if position == 0:
            return text


def papers_json(site: Site) -> str:
    """The text of papers.json: the header, then one paper a line (compact, and a diff shows which papers changed)."""
    document = papers_document(site)
    papers = document.pop("papers")
    head = ",".join(f"{_compact(key)}:{_compact(value)}" for key, value in document.items())
    lines = ",\n".join(_compact(paper) for paper in papers)
    return f'{{{head},"papers":[\n{lines}\n]}}\n' if lines else f'{{{head},"papers":[]}}\n'


def schema_json(config: Config) -> str:
    return json.dumps(papers_schema(config), ensure_ascii=False, indent=2) + "\n"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def papers_schema(config: Config) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of papers.json: every field required, nothing else allowed."""
    nullable_count = {"type": ["integer", "null"], "minimum": 0}
    text = {"type": "string", "minLength": 1}
    texts = {"type": "array", "items": text}
    paper = {
        "type": "object",
        "description": "One published paper.",
        "additionalProperties": False,
        "required": [
            "slug", "url", "title", "date", "listed", "authors", "author_count", "organisation", "comments", "upvotes",
            "tags", "keywords", "summary", "identifiers", "links", "sources", "related", "search_ref",
        ],
        "properties": {
            "slug": {"$ref": "#/$defs/slug", "description": "The paper's id in this archive and the last segment of its URL; unique."},
            "url": {"$ref": "#/$defs/webUrl", "description": "Absolute URL of the paper's page on this site."},
            "title": text,
            "date": {"$ref": "#/$defs/date", "description": "The paper's own date (published), or null when unknown."},
            "listed": {"$ref": "#/$defs/date", "description": "The day of the first listing that showed it, or null."},
            "authors": {**texts, "description": "Author names in order; empty when only their number is known."},
            "author_count": {
                **nullable_count,
                "description": "How many authors: the number of names when they are known, else the count the listing gave; "
                "null when unknown.",
            },
            "organisation": {
                "description": "The group the paper was submitted under, or null.",
                "oneOf": [
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "name"],
                        "properties": {
                            "id": {**text, "description": "Hub id, e.g. kaist-ai."},
                            "name": {**text, "description": "Display name, e.g. KAIST AI."},
                        },
                    },
                    {"type": "null"},
                ],
            },
            "comments": {**nullable_count, "description": "Comment count on the listing, or null."},
            "upvotes": {**nullable_count, "description": "Upvote count on the listing, or null."},
            "tags": {
                "type": "array",
                "items": {"$ref": "#/$defs/slug"},
                "uniqueItems": True,
                "description": "Tag names; the tag's page is <site url>tags/<name>/.",
            },
            "keywords": {**texts, "uniqueItems": True, "description": "Key phrases."},
            "summary": {"type": ["string", "null"], "minLength": 1, "description": "A one-line summary, or null."},
            "identifiers": {
                "type": "object",
                "description": "The paper's identifiers elsewhere; each null when unknown.",
                "additionalProperties": False,
                "required": ["arxiv", "doi", "url", "pdf"],
                "properties": {
                    "arxiv": {
                        "type": ["string", "null"],
                        "pattern": f"^{ARXIV.pattern}$",
                        "description": "arXiv id: 2504.10479, 2504.10479v2 or cs/0101001.",
                    },
                    "doi": {"type": ["string", "null"], "pattern": f"^{DOI.pattern}$", "description": "DOI, without https://doi.org/."},
                    "url": {"oneOf": [{"$ref": "#/$defs/webUrl"}, {"type": "null"}], "description": "The paper's own page."},
                    "pdf": {"oneOf": [{"$ref": "#/$defs/webUrl"}, {"type": "null"}], "description": "The paper's PDF."},
                },
            },
            "links": {"type": "array", "items": {"$ref": "#/$defs/webUrl"}, "description": "Code repositories, project pages."},
            "sources": {**texts, "description": "File names of the listings the paper was converted from."},
            "related": {
                "type": "array",
                "items": {"$ref": "#/$defs/slug"},
                "uniqueItems": True,
                "description": "Slugs of related papers in this file, most related first (at most 5, those its page lists).",
            },
            "search_ref": {
                "type": "string",
                "pattern": "^[0-9a-z]+$",
                "description": "The paper's ref in search/lunr.json and the search shards.",
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": config.base_url + SCHEMA_JSON,
        "title": f"{config.title}: papers",
        "description": "Every published paper of the archive, newest first, undated last. Version 1 of the format.",
        "type": "object",
        "additionalProperties": False,
        "required": ["$schema", "version", "generator", "site", "papers"],
        "properties": {
            "$schema": {"type": "string", "format": "uri", "description": "This schema's URL."},
            "version": {"const": VERSION, "description": "Format version: changes when a field is removed, renamed or retyped."},
            "generator": {**text, "description": "The program and version that wrote the file."},
            "site": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title", "description", "url", "language"],
                "properties": {
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "url": {"$ref": "#/$defs/webUrl", "description": "Where the site is published; ends with /."},
                    "language": {"type": "string"},
                },
            },
            "papers": {"type": "array", "items": {"$ref": "#/$defs/paper"}},
        },
        "$defs": {
            "paper": paper,
            "slug": {"type": "string", "pattern": f"^{SLUG.pattern}$"},
            "date": {"type": ["string", "null"], "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "webUrl": {"type": "string", "format": "uri", "pattern": r"^https?://\S+$"},
        },
    }
