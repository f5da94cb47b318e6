"""A small project whose pages use every front matter key, for the open-data, sharing and lunr.json tests.

It is the fixture site (tests/fixtures/site: hand-written pages, an undated
one, a draft) plus the Hugging Face API samples (tests/fixtures/hf: author
names, arXiv ids, organisations, upvotes, summaries, key phrases, links)
converted by `sitegen convert`, plus two hand-written pages: one that sets
every key (DOI, URL, PDF, its own slug, quotes and markup in its title) and
one with an empty abstract.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

from sitegen.cli import main

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "site"
HF = sorted((REPO / "tests" / "fixtures" / "hf").glob("*.json"))
THEME = REPO / "sitegen" / "theme"

EVERY_KEY_PAGE = """---
title: '"Quoted" & <b>bold</b>: a page that sets every key'
slug: every-key
date: 2025-01-31
listed: 2025-02-03
authors:
- Ada Lovelace
- Alan Turing
- Grace Hopper
organisation:
  id: analytical-engines
  name: Analytical Engines & Co.
comments: 0
upvotes: 12
arxiv: '2501.01234v2'
doi: 10.1145/3292500.3330701
url: https://example.org/every-key
pdf: https://example.org/every-key.pdf
tags:
- reasoning
- benchmarks
keywords:
- difference engines
- punched cards
summary: 'A one-line summary with "quotes", <angle brackets> & an ampersand.'
links:
- https://github.com/example/every-key
sources:
- hand-written.txt
---

The first sentence says what it does. The second one, e.g. with an abbreviation, adds detail. A third sentence is here to make the abstract run well past the two hundred characters of a shared description, so it is cut.
"""

EMPTY_ABSTRACT_PAGE = """---
title: An abstract left empty
date: 2022-06-01
---
"""


def rich_project(destination: Path) -> Path:
    """Create the project at ``destination`` (which must not exist) and return it."""
    shutil.copytree(FIXTURE, destination)
    config = destination / "pyproject.toml"
    text = config.read_text(encoding="utf-8")
    assert 'theme_dir = "../../../sitegen/theme"' in text
    config.write_text(text.replace('theme_dir = "../../../sitegen/theme"', f"theme_dir = {str(THEME)!r}"), encoding="utf-8")
    shutil.copy(REPO / "content" / "tags.yaml", destination / "content" / "tags.yaml")
    papers = destination / "content" / "papers"
    (papers / "a-page-that-sets-every-key.md").write_text(EVERY_KEY_PAGE, encoding="utf-8")
    (papers / "an-abstract-left-empty.md").write_text(EMPTY_ABSTRACT_PAGE, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["convert", "--root", str(destination), *map(str, HF)])
    assert code == 0, err.getvalue()
    return destination


def build(root: Path, output: Path, *flags: str) -> str:
    """``sitegen build`` of ``root`` into ``output``; returns what it printed (the summary)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["build", "--root", str(root), "-o", str(output), *flags])
    assert code == 0, f"build of {root} failed:\n{err.getvalue()}"
    return out.getvalue()


def seed_project(destination: Path) -> Path:
    """The repository's own content and configuration as a project of its own, with the repository's theme."""
    destination.mkdir()
    shutil.copytree(REPO / "content", destination / "content")
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    table = text[text.index("[tool.sitegen]") :]
    table = table[: table.find("\n[", 1)] if "\n[" in table else table
    (destination / "pyproject.toml").write_text(f"{table}\ntheme_dir = {str(THEME)!r}\n", encoding="utf-8")
    return destination
