"""Paper <-> Markdown page text (pure): the format of content/papers/<slug>.md.

A page is a YAML front matter block between ``---`` lines, then the abstract as
Markdown. Writing then reading a page gives the same Paper back, and every problem
a person can make while editing is reported with the line it is on.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from sitegen.content.slugs import is_slug
from sitegen.errors import BuildFailed, SourceError
from sitegen.model import Loc, Notice, Organisation, Paper
from sitegen.text import FORBIDDEN, control_lines, describe, without_controls

FENCE = "---"
KEYS = (
    "title", "slug", "date", "listed", "authors", "organisation", "comments", "upvotes", "arxiv", "doi", "url", "pdf",
    "tags", "keywords", "summary", "links", "sources", "draft",
)  # fmt: skip
ARXIV = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")
"""New-style (``2504.10479``, ``2504.10479v2``) and old-style (``cs/0101001``, ``math.GT/0309136``) arXiv ids."""
DOI = re.compile(r"10\.\d{4,9}/\S+")
_URL = re.compile(r"https?://[^\s]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&!#|~{}])")
_LINE_START_MARKUP = re.compile(r"^(\s*)([-+=>]|\d+[.)])")


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _libyaml_version() -> tuple[int, ...] | None:
    try:
        from yaml import _yaml
    except ImportError:
        return None
    version: tuple[int, ...] = tuple(_yaml.get_version())
    return version


_LIBYAML_SAME = {(0, 2, 6)}
"""libyaml releases whose emitter is known to write what PyYAML's own does (but for ``_LIBYAML_DIFFERS``):
pages already written must come out byte for byte the same, so an untested release falls back to the slow one."""
_FastDumper: Any = getattr(yaml, "CSafeDumper", None) if _libyaml_version() in _LIBYAML_SAME else None
_LIBYAML_DIFFERS = re.compile("[\x85\ud800-\udfff\U00010000-\U0010ffff]")
"""Characters libyaml writes otherwise than PyYAML's emitter (found by emitting every code point with both):
it escapes those above U+FFFF and NEL in double quotes where PyYAML writes them as they are, and cannot
encode lone surrogates. A page with any of them is written by PyYAML's emitter."""
_DUMP_OPTIONS: dict[str, Any] = {"sort_keys": False, "allow_unicode": True, "width": 1_000_000, "default_flow_style": False}


_AS_TEXT = ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:float")
"""Read as the text written: dates are checked with their line, and an arXiv id such as
2504.10470 would lose its last zero as a float (no key of a page is a fraction)."""


class _DuplicateKey(yaml.MarkedYAMLError):
    """A key given twice in one mapping: a dict would keep the last silently, losing what the first said."""


class _PageLoader(_SafeLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that leaves dates and numbers with a point as text (``_AS_TEXT``) and
    refuses a key given twice in any mapping, nested ones included."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in first:
                    message = f"key {key.value!r} appears twice (first on line {first[key.value]}); keep one"
                    raise _DuplicateKey(problem=message, problem_mark=key.start_mark)
                first[key.value] = 2 + key.start_mark.line
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)
        return mapping


_PageLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _AS_TEXT]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}


def escape_markdown(text: str) -> str:
    """Plain text -> Markdown that renders as exactly that text (no emphasis, links, HTML)."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return _LINE_START_MARKUP.sub(lambda m: m[1] + m[2][:-1] + "\\" + m[2][-1], escaped)


def render_page(paper: Paper) -> str:
    """The page text for a paper; stable byte for byte, so re-running convert changes nothing."""
    meta: dict[str, Any] = {"title": paper.title}
    if paper.date is not None:
        meta["date"] = paper.date
    if paper.listed is not None:
        meta["listed"] = paper.listed
    if paper.authors:
        meta["authors"] = list(paper.authors)
    elif paper.author_count is not None:
        meta["authors"] = paper.author_count
    if paper.organisation is not None:
        meta["organisation"] = {"id": paper.organisation.id, "name": paper.organisation.name}
    for key in ("comments", "upvotes", "arxiv", "doi", "url", "pdf"):
        if getattr(paper, key) is not None:
            meta[key] = getattr(paper, key)
    meta["tags"] = list(paper.tags)
    if paper.keywords:
        meta["keywords"] = list(paper.keywords)
    if paper.summary:
        meta["summary"] = paper.summary
    if paper.links:
        meta["links"] = list(paper.links)
    if paper.sources:
        meta["sources"] = list(paper.sources)
    if paper.draft:
        meta["draft"] = True
    header = _dump(meta)
    body = paper.body.strip()
    return f"{FENCE}\n{header}{FENCE}\n" + (f"\n{body}\n" if body else "")


def _dump(meta: dict[str, Any]) -> str:
    """The text PyYAML's pure-Python emitter writes for ``meta`` (what every page was written with), made
    the quickest way known to give the same: by hand for the usual page, else libyaml, else PyYAML."""
    header = _usual_header(meta)
    if header is not None:
        return header
    fast = _FastDumper is not None and not any(_holds(_LIBYAML_DIFFERS, value) for value in meta.values())
    return yaml.dump(meta, Dumper=_FastDumper if fast else yaml.SafeDumper, **_DUMP_OPTIONS)


_SINGLE_LINE = re.compile("[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]{0,100000}")
"""Text PyYAML writes plain or in single quotes, as it is: no line break, tab, control character or BOM,
and short enough never to be folded at ``width``."""
_NOT_PLAIN = re.compile(r"""\A(?:---|\.\.\.|[#,\[\]{}&*!|>'"%@`]|[?:-](?: |\Z))|: |:\Z| #|\A | \Z""")
"""What makes PyYAML's emitter quote such text: an indicator at its start, ``: `` or `` #`` in it, a space at either end."""
_RESOLVERS = yaml.SafeDumper.yaml_implicit_resolvers


def _usual_header(meta: dict[str, Any]) -> str | None:
    """PyYAML's text for a mapping of text, whole numbers, dates, True, lists of text and one mapping of
    text, by its rules for those (tests/content/test_frontmatter.py checks it against PyYAML); None for
    anything else (a line break, an odd character), which is left to PyYAML."""
    lines: list[str] = []
    containers = [value for value in meta.values() if type(value) in (list, dict)]
    if len({id(value) for value in containers}) < len(containers):
        return None  # PyYAML writes one list or mapping given twice as an anchor and an alias
    for key, value in meta.items():
        if _plain_key(key) is None:
            return None
        if type(value) is list:
            if not value:
                lines.append(f"{key}: []\n")
                continue
            lines.append(f"{key}:\n")
            for item in value:
                text = _scalar(item) if type(item) is str else None
                if text is None:
                    return None
                lines.append(f"- {text}\n")
        elif type(value) is dict:
            if not value:
                return None
            lines.append(f"{key}:\n")
            for inner, item in value.items():
                text = _scalar(item) if type(item) is str else None
                if text is None or _plain_key(inner) is None:
                    return None
                lines.append(f"  {inner}: {text}\n")
        else:
            text = _scalar(value)
            if text is None:
                return None
            lines.append(f"{key}: {text}\n")
    return "".join(lines)


def _plain_key(key: Any) -> str | None:
    return key if type(key) is str and len(key) < 128 and _scalar(key) == key else None


def _scalar(value: Any) -> str | None:
    if type(value) is str:
        return _yaml_text(value)
    if value is True:
        return "true"
    if type(value) is int and -(10**18) < value < 10**18:
        return str(value)
    if type(value) is dt.date:
        return value.isoformat()
    return None


def _holds(pattern: re.Pattern[str], value: Any) -> bool:
    """Whether text anywhere in ``value`` (text, or lists and mappings of it, keys included) matches ``pattern``."""
    if isinstance(value, str):
        return pattern.search(value) is not None
    if isinstance(value, list):
        return any(_holds(pattern, item) for item in value)
    if isinstance(value, dict):
        return any(_holds(pattern, key) or _holds(pattern, item) for key, item in value.items())
    return False


@functools.lru_cache(maxsize=1 << 14)  # tags, keys and names recur on many pages
def _yaml_text(value: str) -> str | None:
    if _SINGLE_LINE.fullmatch(value) is None:
        return None
    resolvers = _RESOLVERS.get(value[:1], []) + _RESOLVERS.get(None, [])
    if _NOT_PLAIN.search(value) or value == "" or any(pattern.match(value) for _, pattern in resolvers):
        return "'" + value.replace("'", "''") + "'"
    return value


def parse_page(text: str, path: Path, notices: list[Notice] | None = None) -> Paper:
    """Read one page; raise BuildFailed listing every problem found in it.

    Characters XML forbids are removed, with a warning per line in ``notices``.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    warnings = notices if notices is not None else []
    if FORBIDDEN.search(text):
        for line in control_lines(text):
            found = describe(text.split("\n")[line - 1])
            warnings.append(Notice(Loc(path, line), f"removed control characters ({found}) that feeds cannot carry"))
        text = without_controls(text)
    header, body = _split(text, path)
    loader = _PageLoader(header)
    try:
        document = loader.get_single_node()
        values = loader.construct_document(document) if document is not None else None
    except _DuplicateKey as error:
        line = 2 + error.problem_mark.line if error.problem_mark is not None else 1
        raise BuildFailed([SourceError(Loc(path, line), str(error.problem))]) from None
    except yaml.YAMLError as error:
        raise BuildFailed([_yaml_error(error, header, path)]) from None
    except ValueError as error:  # PyYAML's int() of a number longer than 4300 digits
        raise BuildFailed([SourceError(Loc(path, 1), f"front matter has a value sitegen cannot read: {error}")]) from None
    finally:
        loader.dispose()
    if not isinstance(values, dict) or not isinstance(document, yaml.MappingNode):
        raise BuildFailed([SourceError(Loc(path, 2), "front matter must be a mapping of keys such as 'title: ...'")])
    lines = {key.value: 2 + key.start_mark.line for key, _ in document.value if isinstance(key, yaml.ScalarNode)}
    item_lines = {
        key.value: [2 + item.start_mark.line for item in value.value]
        for key, value in document.value
        if isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.SequenceNode)
    }
    for key, value in values.items():
        if _holds(FORBIDDEN, value):  # written as escapes such as "\x07" in a quoted value
            line = lines.get(str(key), 2)
            warnings.append(Notice(Loc(path, line), f"removed control characters from {key!r} that feeds cannot carry"))
            values[key] = _cleaned(value)
    return _paper(values, lines, body, path, item_lines)


def _yaml_error(error: yaml.YAMLError, header: str, path: Path) -> SourceError:
    """Where the problem starts, what is there, and the fix: PyYAML reports an unclosed quote where
    the file ends, but its context mark is where the quote opened."""
    problem_mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None) or ""
    header_lines = header.split("\n")

    def shown(mark: Any) -> str:
        text = header_lines[mark.line].strip() if mark is not None and mark.line < len(header_lines) else ""
        return f" (line: {text[:80]!r})" if text else ""

    if "quoted scalar" in context and context_mark is not None:
        quote = header_lines[context_mark.line][context_mark.column : context_mark.column + 1] or "'"
        fix = f"the {quote} opened here is never closed; end the value with {quote}"
        if quote == "'":
            fix += " (an apostrophe inside a '...' value is written twice: '')"
        return SourceError(Loc(path, 2 + context_mark.line), f"front matter is not valid YAML: {fix}{shown(context_mark)}")
    mark = problem_mark or context_mark
    line = 2 + mark.line if mark is not None else 1
    if "mapping values are not allowed" in problem:
        fix = "a value containing ': ' must be quoted, e.g. title: 'Foo: Bar'"
    elif "tab character" in problem:
        fix = "indent with spaces, not tabs"
    elif "found character '\\t'" in problem or "cannot start any token" in problem:
        fix = f"{problem}; quote the value"
    else:
        fix = f"{context + ': ' if context else ''}{problem}"
    return SourceError(Loc(path, line), f"front matter is not valid YAML: {fix}{shown(mark)}")


class _BadItem(ValueError):
    """One item of a list field that cannot be used, with the fix to suggest."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.message = message


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return without_controls(value)
    if isinstance(value, list):
        return [_cleaned(item) for item in value]
    if isinstance(value, dict):
        return {_cleaned(key): _cleaned(item) for key, item in value.items()}
    return value


def _split(text: str, path: Path) -> tuple[str, str]:
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        raise BuildFailed(
            [SourceError(Loc(path, 1), "a page must start with a '---' line opening its front matter. Did you forget '---'?")]
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() == FENCE:
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]).strip()
    raise BuildFailed(
        [SourceError(Loc(path, 1), "front matter opened with '---' is never closed. Did you forget the second '---'?")]
    )


def _paper(
    values: dict[Any, Any], lines: dict[str, int], body: str, path: Path, item_lines: dict[str, list[int]] | None = None
) -> Paper:
    errors: list[SourceError] = []
    items = item_lines or {}

    def loc(key: str) -> Loc:
        return Loc(path, lines.get(key, 2))

    def field(key: str, check: Callable[[Any], Any], need: str) -> Any:
        if key not in values or values[key] is None:
            return None
        try:
            return check(values[key])
        except _BadItem as bad:
            where = items.get(key, [])
            line = where[bad.index] if bad.index < len(where) else lines.get(key, 2)
            errors.append(SourceError(Loc(path, line), f"'{key}': {bad.message}"))
            return None
        except (TypeError, ValueError):
            shown = repr(values[key])
            errors.append(SourceError(loc(key), f"'{key}' must be {need}, not {shown if len(shown) <= 80 else shown[:77] + '...'}"))
            return None

    for key in values:
        if key not in KEYS:
            close = difflib.get_close_matches(str(key), KEYS, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else f" Known keys: {', '.join(KEYS)}."
            errors.append(SourceError(Loc(path, lines.get(str(key), 2)), f"unknown front matter key {key!r}.{hint}"))

    title = field("title", _text, "text")
    if not title:
        errors.append(SourceError(Loc(path, lines.get("title", 2)), "missing 'title': every page needs one"))
    slug = field("slug", _slug, "lowercase words joined by hyphens (a-z, 0-9), e.g. my-paper") or path.stem
    if not is_slug(slug):
        errors.append(
            SourceError(Loc(path, 1), f"file name {path.name!r} is not a safe slug; rename it or set 'slug: my-paper'")
        )
    date = field("date", _date, "a date written YYYY-MM-DD")
    listed = field("listed", _date, "a date written YYYY-MM-DD (the day of the listing)")
    authors = field("authors", _authors, "a whole number or a list of names, e.g. [Ada Lovelace, Alan Turing]")
    comments = field("comments", _count, "a whole number")
    upvotes = field("upvotes", _count, "a whole number")
    arxiv = field("arxiv", _matching(ARXIV), "an arXiv id such as 2504.10479, 2504.10479v2 or cs/0101001")
    doi = field("doi", _matching(DOI), "a DOI such as 10.1145/3292500.3330701 (without https://doi.org/)")
    url = field("url", _matching(_URL), "an http(s) URL of the paper's own page")
    pdf = field("pdf", _matching(_URL), "an http(s) URL of the paper's PDF")
    organisation = field("organisation", _organisation, "a mapping with 'id' and 'name'")
    tags = field("tags", _tags, "a list of tag names (lowercase words joined by hyphens)") or ()
    keywords = field("keywords", _strings, "a list of key phrases") or ()
    summary = field("summary", _text, "one line of text") or ""
    links = field("links", _links, "a list of http(s) URLs") or ()
    sources = field("sources", _strings, "a list of digest file names") or ()
    draft = field("draft", _bool, "true or false") or False
    if errors:
        raise BuildFailed(sorted(errors, key=lambda error: error.loc.line or 0))
    return Paper(
        slug=slug,
        title=title,
        body=body,
        date=date,
        listed=listed,
        authors=authors if isinstance(authors, tuple) else (),
        author_count=authors if isinstance(authors, int) else None,
        organisation=organisation,
        comments=comments,
        upvotes=upvotes,
        arxiv=arxiv,
        doi=doi,
        url=url,
        pdf=pdf,
        tags=tags,
        keywords=tuple(dict.fromkeys(" ".join(keyword.split()) for keyword in keywords)),
        summary=summary,
        links=links,
        sources=sources,
        draft=draft,
        loc=Loc(path, lines["slug"] if "slug" in values else None),
    )


def _text(value: Any) -> str:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise TypeError
    return " ".join(str(value).split())


def _slug(value: Any) -> str:
    if not isinstance(value, str) or not is_slug(value):
        raise ValueError
    return value


def _date(value: Any) -> dt.date:
    if not isinstance(value, str):
        raise TypeError
    return dt.date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else _raise(ValueError)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError
    return value


def _authors(value: Any) -> int | tuple[str, ...]:
    if isinstance(value, list):
        return tuple(" ".join(name.split()) for name in _strings(value))
    return _count(value)


def _matching(pattern: re.Pattern[str]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
            raise ValueError
        return value.strip()

    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def _organisation(value: Any) -> Organisation:
    if not isinstance(value, dict) or set(value) - {"id", "name"} or "id" not in value:
        raise ValueError
    return Organisation(_text(value["id"]), _text(value.get("name") or value["id"]))


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            kind = "empty" if isinstance(item, str) or item is None else f"not text ({item!r})"
            raise _BadItem(index, f"item {index + 1} is {kind}; write text, or remove the line")
    return tuple(item.strip() for item in value)


def _tags(value: Any) -> tuple[str, ...]:
    tags = _strings(value)
    for index, tag in enumerate(tags):
        if not is_slug(tag):
            hint = "-".join(re.findall(r"[a-z0-9]+", tag.lower()))
            fix = f"; write it as {hint!r}" if hint else ""
            raise _BadItem(index, f"tag {tag!r} is not a tag name (lowercase words joined by hyphens){fix}")
    return tuple(dict.fromkeys(tags))


def _links(value: Any) -> tuple[str, ...]:
    links = _strings(value)
    for index, link in enumerate(links):
        if not re.match(r"https?://[^\s]+$", link):
            raise _BadItem(index, f"link {link[:80]!r} is not an http(s) URL; write it as https://...")
    return links


def _raise(error: type[Exception]) -> Any:
    raise error
