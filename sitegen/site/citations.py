"""Papers -> citations: BibTeX entries and CSL-JSON items, keyed uniquely across the archive (pure).

**Keys** are the first author's family name (with no names, the first significant
word of the title), then the year (``nd`` when undated), in lowercase ASCII
(``Łukasz`` -> ``lukasz``, ``van der Berg`` -> ``vanderberg``). Papers that would
share a key are ordered by when the archive first saw them (``listed``, else
``date``), then arXiv id, then slug: the first keeps the plain key, the next ones
get ``a``, ``b``... So a key depends only on the papers that share its base:
adding an unrelated paper renames nothing, and a newly listed namesake takes the
next letter instead of renaming the paper that had the key.

**Entries** are ``@misc`` (and CSL type ``article``) for every paper: the archive
knows no venue, a DOI does not make a journal article (arXiv gives every preprint
one, 10.48550/arXiv.*), and ``@article`` without ``journal`` is what BibTeX styles
warn about. arXiv papers carry ``eprint`` and ``archivePrefix = {arXiv}`` (no
``primaryClass``: the archive does not know it); ``url`` is the arXiv abstract
page, else the paper's own page; ``doi`` only when the page gives one. An
author *count* gives no ``author`` field: names are never made up. No abstract
either: it would double every bundle, and an edited abstract would rewrite them all.

**Escaping**: text keeps its non-ASCII characters as UTF-8; ``& % $ # _`` get a
backslash, ``\\ ~ ^`` become ``\\textbackslash{}``, ``\\textasciitilde{}`` and
``\\textasciicircum{}``, braces become ``\\{ \\}`` (or ``\\textbraceleft{}``
``\\textbraceright{}`` when a field's braces do not pair up, since BibTeX counts
escaped braces too). Every title word holding a capital is braced (``{LLMs}``,
``{BERT}``, ``{Transformer}``), so no style lowercases a name or an acronym: the
title prints as its authors wrote it. URLs and DOIs are verbatim fields and stay
as they are (a brace, backslash or space would be percent-encoded).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sitegen.model import Paper
from sitegen.site.collect import Site, paper_path, tag_path

if TYPE_CHECKING:
    from sitegen.site.pages import Page

ARCHIVE_BIB = "papers.bib"
"""Every paper of the archive, as BibTeX."""
ARCHIVE_CSL = "papers.csl.json"
"""Every paper of the archive, as CSL-JSON."""
BIB_TEMPLATE = "cite.bib"
"""Prints a .bib file's text as it is: the entries are escaped for BibTeX, not HTML."""
CSL_TEMPLATE = "cite.json"

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
"""BibTeX's month macros, which every style and parser knows."""


def paper_bib_path(paper: Paper) -> str:
    return f"{paper_path(paper)}cite.bib"


def paper_csl_path(paper: Paper) -> str:
    return f"{paper_path(paper)}cite.json"


def tag_bib_path(tag: str) -> str:
    return f"{tag_path(tag)}papers.bib"


# --- names ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Name:
    """A person's name in the parts citations need: ``Jan van der Berg`` -> given Jan, particle van der, family Berg."""

    given: str = ""
    particle: str = ""
    """Lowercase words before the family name (``van der``, ``de``), kept with it when sorting (CSL's non-dropping particle)."""
    family: str = ""
    suffix: str = ""
    """``Jr.``, ``III``..."""
    literal: str = ""
    """A one-word name (a mononym, a team): shown as it is, never split."""


_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "dos", "das", "do", "la", "le", "ten", "ter", "zu"})


@lru_cache(maxsize=1 << 16)
def split_name(name: str) -> Name:
    """Family name detection for names as listings give them (``Yann LeCun``), or already inverted (``LeCun, Yann``).

    The last word is the family name; lowercase words just before it are its particles (BibTeX's
    own rule, so ``Jan van der Berg`` reads back the same); ``Jr.``, ``III``... are suffixes; one
    word alone is a literal.
    """
    text = " ".join(name.split())
    if "," in text:
        parts = [part.strip() for part in text.split(",")]
        if len(parts) == 2 and parts[1].lower() in _SUFFIXES:  # "Martin Luther King, Jr."
            inner = split_name(parts[0])
            return Name(inner.given, inner.particle, inner.family or inner.literal, parts[1])
        if len(parts) == 3 and parts[1].lower() in _SUFFIXES:  # "King, Jr., Martin Luther"
            particle, family = _family(parts[0])
            return Name(parts[2], particle, family, parts[1])
        particle, family = _family(parts[0])
        if not family:
            return Name(literal=text.strip(", "))
        return Name(", ".join(part for part in parts[1:] if part), particle, family)
    words = text.split(" ")
    if len(words) == 1:
        return Name(literal=text)
    suffix = words.pop() if len(words) > 2 and words[-1].lower() in _SUFFIXES else ""
    family = words.pop()
    particles: list[str] = []
    while words and words[-1][:1].islower() and (len(words) > 1 or words[-1] in _PARTICLES):
        particles.insert(0, words.pop())
    return Name(" ".join(words), " ".join(particles), family, suffix)


def _family(text: str) -> tuple[str, str]:
    """``van der Berg`` -> (``van der``, ``Berg``)."""
    words = text.split(" ")
    cut = 0
    while cut < len(words) - 1 and words[cut][:1].islower():
        cut += 1
    return " ".join(words[:cut]), " ".join(words[cut:])


# --- keys ----------------------------------------------------------------------------------------


_LETTERS = str.maketrans({
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ħ": "h", "Ħ": "H",
    "ı": "i", "ŀ": "l", "Ŀ": "L", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH",
})
"""Latin letters that Unicode does not decompose into a base letter and an accent."""
_NOT_KEY = re.compile(r"[^a-z0-9]+")
_STOPWORDS = frozenset({
    "a", "an", "the", "on", "of", "in", "for", "to", "and", "or", "with", "at", "by", "from", "into", "is", "are", "do", "does",
    "how", "what", "why", "when", "where", "which", "who", "towards", "toward", "via", "as", "its", "it", "we", "our", "can", "be",
    "not", "no", "your", "you", "this", "that", "these", "those",
})
"""Words a title key skips: "On the Origin of Species" -> ``origin``."""


def ascii_key(text: str) -> str:
    """Lowercase ASCII letters and digits only: accents dropped, ``Ł`` -> ``l``, ``ß`` -> ``ss``, the rest removed."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return _NOT_KEY.sub("", decomposed.encode("ascii", "ignore").decode("ascii").lower())


def base_key(paper: Paper) -> str:
    """The key before disambiguation: ``lecun2024``, ``vaswani2017``, ``attention2017`` (no names), ``smithnd`` (undated)."""
    stem = ""
    if paper.authors:
        first = split_name(paper.authors[0])
        stem = ascii_key(first.particle + first.family or first.literal)
    if not stem:
        stem = next((key for word in paper.title.split() if (key := ascii_key(word)) and key not in _STOPWORDS), "")
    if not stem:
        stem = next((key for word in paper.title.split() if (key := ascii_key(word))), "anon")
    return stem + (f"{paper.date.year:04d}" if paper.date else "nd")


def _seniority(paper: Paper) -> tuple[str, tuple[int, int, str], str]:
    """Who had a key first: the paper the archive saw first (listed, else dated), then arXiv order, then slug."""
    seen = paper.listed or paper.date
    return (seen.isoformat() if seen else "9999", _arxiv_order(paper.arxiv), paper.slug)


def _arxiv_order(arxiv: str | None) -> tuple[int, int, str]:
    """arXiv ids in submission order: ``cs/9912001`` (1999) before ``0704.0001`` (2007) before ``2504.10479``."""
    if not arxiv:
        return (999999, 0, "")
    plain = re.sub(r"v\d+$", "", arxiv)
    archive, _, number = plain.rpartition("/")
    yymm, _, serial = number.partition(".")
    if not yymm[:4].isdigit():
        return (999999, 0, plain)
    year = int(yymm[:2])
    century = 1900 if archive and year >= 91 else 2000
    return ((century + year) * 100 + int(yymm[2:4]), int(serial or yymm[4:] or 0), plain)


def _suffix(index: int) -> str:
    """0 -> '', 1 -> 'a', ..., 26 -> 'z', 27 -> 'aa': the plain key, then letters."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def citation_keys(papers: Iterable[Paper]) -> dict[str, str]:
    """Slug -> a BibTeX key, unique among ``papers`` and stable across builds (see the module's docstring)."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        groups[base_key(paper)].append(paper)
    keys: dict[str, str] = {}
    taken = set(groups)
    for base in sorted(groups):
        members = sorted(groups[base], key=_seniority)
        keys[members[0].slug] = base
        index = 0
        for paper in members[1:]:
            index += 1
            while base + _suffix(index) in taken:  # in theory another base key; a key is never given twice
                index += 1
            taken.add(base + _suffix(index))
            keys[paper.slug] = base + _suffix(index)
    return keys


# --- BibTeX --------------------------------------------------------------------------------------


_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_ESCAPES = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile(r"[&%$#_\\~^{}]")
_AND = re.compile(r"\band\b", re.IGNORECASE)


def _braces_pair(text: str) -> bool:
    depth = 0
    for character in text:
        if character in "{}":
            depth += 1 if character == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def escape(text: str) -> str:
    """``text`` as BibTeX field text that prints as itself (see the module's docstring)."""
    if not _SPECIAL.search(text):
        return text
    paired = _braces_pair(text)
    braces = {"{": r"\{", "}": r"\}"} if paired else {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
    return _SPECIAL.sub(lambda match: _ESCAPES.get(match[0]) or braces[match[0]], text)


def bibtex_title(title: str) -> str:
    """The escaped title with every word holding a capital braced, so styles keep its case.

    Escaping first is safe: the escapes hold no capital and end in a non-word character.
    """
    return _WORD.sub(_protect, escape(" ".join(title.split())))


def _protect(match: re.Match[str]) -> str:
    word = match[0]
    return word if word.lower() == word else f"{{{word}}}"


@lru_cache(maxsize=1 << 16)
def bibtex_name(name: str) -> str:
    """One name as BibTeX reads names: ``LeCun, Yann``, ``van der Berg, Jan``, ``King, Jr., Martin Luther``, ``{Ilya}``."""
    parts = split_name(name)

    def text(part: str) -> str:
        return _AND.sub(lambda match: f"{{{match[0]}}}", escape(part))  # "and" would split the name list

    if parts.literal:
        return f"{{{text(parts.literal)}}}"
    last = text(f"{parts.particle} {parts.family}".strip())
    if parts.suffix:
        return f"{last}, {text(parts.suffix)}, {text(parts.given)}".rstrip()
    return f"{last}, {text(parts.given)}" if parts.given else last


def _verbatim(value: str) -> str:
    """A URL or DOI: verbatim in BibTeX, so only what would break the entry itself is percent-encoded."""
    return "".join(f"%{ord(character):02X}" if character in "{}\\" or character.isspace() else character for character in value)


def paper_url(paper: Paper) -> str | None:
    """Where a reader finds the paper: its arXiv abstract page, else its own page."""
    if paper.arxiv:
        return f"https://arxiv.org/abs/{paper.arxiv}"
    return paper.url


def bibtex_entry(paper: Paper, key: str) -> str:
    """One ``@misc`` entry, ending with a newline."""
    fields: list[tuple[str, str]] = [("title", f"{{{bibtex_title(paper.title)}}}")]
    if paper.authors:
        fields.append(("author", "{" + " and ".join(bibtex_name(name) for name in paper.authors) + "}"))
    if paper.date:
        fields += [("year", f"{{{paper.date.year:04d}}}"), ("month", MONTHS[paper.date.month - 1])]
    if paper.arxiv:
        fields += [("eprint", f"{{{_verbatim(paper.arxiv)}}}"), ("archivePrefix", "{arXiv}")]
    if paper.doi:
        fields.append(("doi", f"{{{_verbatim(paper.doi)}}}"))
    url = paper_url(paper)
    if url:
        fields.append(("url", f"{{{_verbatim(url)}}}"))
    if paper.tags:
        fields.append(("keywords", "{" + escape(", ".join(paper.tags)) + "}"))
    body = ",\n".join(f"  {name} = {value}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


# --- CSL-JSON ------------------------------------------------------------------------------------


def csl_name(name: str) -> dict[str, str]:
    parts = split_name(name)
    if parts.literal:
        return {"literal": parts.literal}
    item = {"family": parts.family}
    if parts.given:
        item["given"] = parts.given
    if parts.particle:
        item["non-dropping-particle"] = parts.particle
    if parts.suffix:
        item["suffix"] = parts.suffix
    return item


def csl_item(paper: Paper, key: str) -> dict[str, Any]:
    """One CSL-JSON item (https://resource.citationstyles.org/schema/v1.0/input/json/csl-data.json).

    An arXiv paper is a preprint as Zotero exports one: ``number`` ``arXiv:ID`` and ``publisher``
    ``arXiv`` (the repository), which APA prints as "Title (arXiv:ID). arXiv.".
    """
    item: dict[str, Any] = {"id": key, "type": "article", "title": paper.title}
    if paper.authors:
        item["author"] = [csl_name(name) for name in paper.authors]
    if paper.date:
        item["issued"] = {"date-parts": [[paper.date.year, paper.date.month, paper.date.day]]}
    if paper.arxiv:
        item["number"] = f"arXiv:{paper.arxiv}"
        item["publisher"] = "arXiv"
    if paper.doi:
        item["DOI"] = paper.doi
    url = paper_url(paper)
    if url:
        item["URL"] = url
    if paper.tags:
        item["keyword"] = ", ".join(paper.tags)
    return item


def csl_json(items: Sequence[Mapping[str, Any]]) -> str:
    """A CSL-JSON file: a list of items, one a line (small diffs, still readable)."""
    return _csl_file([json.dumps(item, ensure_ascii=False) for item in items])


def _csl_file(lines: Sequence[str]) -> str:
    return "[\n" + ",\n".join(lines) + "\n]\n"


# --- the archive's citations and their pages ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaperCitation:
    """What a paper page's Cite block shows (``cite`` in paper.html's context)."""

    key: str
    bibtex: str
    """The entry, as in cite.bib."""
    bib_path: str
    """``papers/<slug>/cite.bib``: give it to url()."""
    csl_path: str
    """``papers/<slug>/cite.json``."""
    topics: tuple[tuple[str, str], ...]
    """(tag, ``tags/<tag>/papers.bib``) for each of the paper's tags."""
    archive_bib: str = ARCHIVE_BIB
    archive_csl: str = ARCHIVE_CSL


@dataclass(frozen=True, slots=True)
class _Archive:
    keys: Mapping[str, str]
    entries: Mapping[str, str]
    """Slug -> BibTeX entry."""
    items: Mapping[str, str]
    """Slug -> CSL-JSON item, serialised on one line."""


@lru_cache(maxsize=1 << 15)
def _paper_texts(paper: Paper, key: str) -> tuple[str, str]:
    """One paper's BibTeX entry and CSL-JSON line, kept: a rebuild in the same process (the preview) makes only
    those of the papers that changed."""
    return bibtex_entry(paper, key), json.dumps(csl_item(paper, key), ensure_ascii=False)


_LAST: list[tuple[Site, _Archive]] = []
"""The last site's citations: plan() asks for them twice (the paper pages, then the files)."""


def _archive(site: Site) -> _Archive:
    if _LAST and _LAST[0][0] is site:
        return _LAST[0][1]
    keys = citation_keys(site.papers)
    texts = {paper.slug: _paper_texts(paper, keys[paper.slug]) for paper in site.papers}
    archive = _Archive(keys, {slug: entry for slug, (entry, _) in texts.items()}, {slug: item for slug, (_, item) in texts.items()})
    _LAST[:] = [(site, archive)]
    return archive


def paper_citation(site: Site, paper: Paper) -> PaperCitation:
    archive = _archive(site)
    return PaperCitation(
        archive.keys[paper.slug],
        archive.entries[paper.slug],
        paper_bib_path(paper),
        paper_csl_path(paper),
        tuple((tag, tag_bib_path(tag)) for tag in paper.tags),
    )


def bibliography(entries: Iterable[str]) -> str:
    """Entries one after another, a blank line between them."""
    return "\n".join(entries)


def citation_pages(site: Site) -> list[Page]:
    """cite.bib and cite.json beside every paper page, papers.bib and papers.csl.json for the archive,
    papers.bib for each tag. Each page's context is only the text it prints, so a file is rewritten
    only when its own entries change."""
    from sitegen.site.pages import Page  # pages.py plans these pages by calling this function

    archive = _archive(site)
    pages: list[Page] = []
    for paper in site.papers:
        pages.append(Page(paper_bib_path(paper), BIB_TEMPLATE, {"text": archive.entries[paper.slug]}))
        pages.append(Page(paper_csl_path(paper), CSL_TEMPLATE, {"text": _csl_file([archive.items[paper.slug]])}))
    pages.append(Page(ARCHIVE_BIB, BIB_TEMPLATE, {"text": bibliography(archive.entries[paper.slug] for paper in site.papers)}))
    pages.append(Page(ARCHIVE_CSL, CSL_TEMPLATE, {"text": _csl_file([archive.items[paper.slug] for paper in site.papers])}))
    for tag in site.tags:
        text = bibliography(archive.entries[paper.slug] for paper in tag.papers)
        pages.append(Page(tag_bib_path(tag.name), BIB_TEMPLATE, {"text": text}))
    return pages
