"""The tag vocabulary: which topic tags a paper gets, from keywords in its title and abstract.

The vocabulary file (``content/tags.yaml``) is a YAML mapping from tag name to
keyword phrases, for example::

    reinforcement-learning: [reinforcement learning, RL, RLHF]

A keyword matches as a whole word, case-insensitively; spaces and hyphens inside
a phrase are interchangeable, so ``chain of thought`` also finds
``Chain-of-Thought``. Parsing is pure and compiles every pattern once;
``load_vocabulary`` is the thin reading wrapper around it.

Matching runs a keyword's pattern only on texts that hold the keyword's first
word as a whole word (one scan of a text's words finds those, through an index
from first words to keywords), since scanning every text once per keyword was
most of the time `sitegen convert` took on a big archive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sitegen.errors import SourceError
from sitegen.model import Loc

TAG_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""Tag names become URL path segments, so they stay lowercase ASCII words joined by hyphens."""

TITLE_WEIGHT = 3
"""A keyword in the title says more about the paper than one in passing in the abstract."""

_STR_TAG = "tag:yaml.org,2002:str"
_BEFORE, _BETWEEN, _AFTER = r"(?<![^\W_])", r"[\s-]+", r"(?![^\W_])"
_SEPARATOR = re.compile(r"[\s-]+")
_ASCII_HEAD = re.compile(r"[A-Za-z0-9]+")
_ASCII_PARTNERS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u212a": "k", "\u017f": "s"})
"""The letters outside ASCII that a case-insensitive pattern matches with an ASCII letter
(İ, ı, the Kelvin sign, long s: a test asks ``re`` itself), so a word holding them is still found."""
_ASCII_WORDS = bytes.maketrans(
    bytes(range(256)),
    bytes(byte if chr(byte).isascii() and chr(byte).isalnum() else 32 for byte in range(256)).lower(),
)
"""ASCII letters lowercased, digits kept, every other byte a space: a text's ASCII words, split by bytes.split()."""
_EXAMPLE = "write one `tag-name: [keyword, another phrase]` entry per line"
_KINDS = {
    "int": "a number",
    "float": "a number",
    "bool": "a yes/no value",
    "null": "empty",
    "timestamp": "a date",
}


@dataclass(frozen=True, slots=True)
class TagVocabulary:
    """tag -> keyword phrases, in file order"""

    rules: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]
    """Each tag with its compiled keyword patterns; file order breaks score ties."""
    _index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", _build_index(self.rules))

    @property
    def tags(self) -> tuple[str, ...]:
        """Every tag name in file order, e.g. to check tags typed by hand in a page."""
        return tuple(tag for tag, _ in self.rules)


def load_vocabulary(path: Path) -> TagVocabulary:
    """Read and parse a vocabulary file; unreadable files become SourceErrors naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SourceError(
            Loc(path, None), f"cannot read the tag vocabulary ({reason}); check the `tags_file` setting"
        ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(Loc(path, line), "the tag vocabulary is not UTF-8; save it as UTF-8") from exc
    return parse_vocabulary(text, path)


def parse_vocabulary(text: str, path: Path) -> TagVocabulary:
    """Validate the whole file and compile its patterns, so matching never fails later.

    The file is composed rather than loaded: PyYAML's safe composer builds no
    Python objects at all, and its nodes keep the line of every key and keyword
    (for messages) and every duplicate key (which a dict would silently merge).
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = None if mark is None else mark.line + 1
        problem = " ".join(part for part in (exc.context, exc.problem) if part) or "cannot be parsed"
        message = f"invalid YAML: {problem}; {_EXAMPLE} (quote keywords containing `:` or `#`)"
        raise SourceError(Loc(path, line), message) from exc
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        shown = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        message = f"invalid YAML: control character {shown} is not allowed; delete it"
        raise SourceError(Loc(path, line), message) from exc

    if not isinstance(root, yaml.MappingNode):
        line = None if root is None else root.start_mark.line + 1
        found = "nothing" if root is None else "a list" if isinstance(root, yaml.SequenceNode) else "a value"
        message = f"the tag vocabulary must map tag names to keyword lists, found {found}; {_EXAMPLE}"
        raise SourceError(Loc(path, line), message)

    rules: list[tuple[str, tuple[re.Pattern[str], ...]]] = []
    first_line: dict[str, int] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        tag = _tag_name(key_node, Loc(path, line))
        if tag in first_line:
            message = f"tag {tag!r} is already defined on line {first_line[tag]}; merge the two keyword lists"
            raise SourceError(Loc(path, line), message)
        first_line[tag] = line
        rules.append((tag, _keywords(tag, value_node, path)))
    return TagVocabulary(rules=tuple(rules))


def assign_tags(vocabulary: TagVocabulary, title: str, abstract: str, limit: int = 5) -> tuple[str, ...]:
    """The ``limit`` best-supported tags, best first, so the order is stable across builds.

    A tag scores one per keyword hit in the abstract and ``TITLE_WEIGHT`` per hit
    in the title; ties go to the tag listed first in the file.
    """
    if limit < 0:
        raise ValueError(f"limit must be at least 0, got {limit}")
    index = vocabulary._index
    in_title, in_abstract = _hits(index, title), _hits(index, abstract)
    scored = sorted(
        (-(TITLE_WEIGHT * in_title.get(order, 0) + in_abstract.get(order, 0)), order)
        for order in in_title.keys() | in_abstract.keys()
    )
    return tuple(vocabulary.rules[order][0] for _, order in scored[:limit])


@dataclass(frozen=True, slots=True)
class _Keyword:
    order: int
    """The tag's place in the file."""
    pattern: re.Pattern[str]
    first_word: str
    """Casefolded: a keyword is tried only on a text that holds it (what the matching always did)."""
    words: bytes = b""
    """For an ASCII keyword, its words as ``_words`` spells them, between single spaces: it matches
    only in a text whose words, so spelled, hold these."""


@dataclass(frozen=True, slots=True)
class _Index:
    """Keywords by the lowercase ASCII letters and digits their first word starts with."""

    by_head: Mapping[bytes, tuple[_Keyword, ...]]
    everywhere: tuple[_Keyword, ...]
    """Keywords whose first word is not ASCII or starts with a symbol: tried on every text."""


def _build_index(rules: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...]) -> _Index:
    by_head: dict[bytes, list[_Keyword]] = {}
    everywhere: list[_Keyword] = []
    for order, (_, patterns) in enumerate(rules):
        for pattern in patterns:
            word = _first_word(pattern)
            keyword = _Keyword(order, pattern, word.casefold())
            head = _ASCII_HEAD.match(word) if word.isascii() else None
            if head is None:
                everywhere.append(keyword)
                continue
            key = head[0].lower().encode("ascii")
            phrase = " ".join(_words_of(pattern))
            spelled = phrase.encode("ascii").translate(_ASCII_WORDS).split() if phrase.isascii() else [key]
            by_head.setdefault(key, []).append(_Keyword(order, pattern, keyword.first_word, b" %s " % b" ".join(spelled)))
    return _Index({head: tuple(keywords) for head, keywords in by_head.items()}, tuple(everywhere))


def _hits(index: _Index, text: str) -> dict[int, int]:
    """Per tag (by file order), the places where any of its keywords match, overlapping matches counted once.

    Counting places rather than keywords keeps a vocabulary that lists both
    ``fine-tuning`` and ``supervised fine-tuning`` from scoring the phrase twice.
    A keyword can only match where its first word's leading letters and digits are a
    whole word of the text, so each indexed keyword is tried only at the starts of those
    words, left to right and never inside its own last match, as ``finditer`` would.
    """
    folded = text.casefold()
    spans: dict[int, list[tuple[int, int]]] = {}
    for keyword in index.everywhere:
        if keyword.first_word in folded:
            spans.setdefault(keyword.order, []).extend(match.span() for match in keyword.pattern.finditer(text))
    words = _words(text)
    spelled = words.split()
    present = index.by_head.keys() & spelled
    phrase = b" %s " % b" ".join(spelled) if present else b""
    for head in present:
        places: list[int] | None = None
        for keyword in index.by_head[head]:
            if keyword.words not in phrase or keyword.first_word not in folded:
                continue
            if places is None:
                places = _places_of(words, head)
            reach = 0
            for start in places:
                if start >= reach and (match := keyword.pattern.match(text, start)):
                    spans.setdefault(keyword.order, []).append(match.span())
                    reach = match.end()
    return {order: _places(found) for order, found in spans.items() if found}


def _words(text: str) -> bytes:
    """The text as bytes, one per character (so offsets stay the text's), with its ASCII words
    lowercased between spaces and a space at either end. Any other character is a space: none of
    them starts a keyword of the index but the few ``_ASCII_PARTNERS``, replaced by their letter."""
    if not text.isascii():
        text = text.translate(_ASCII_PARTNERS)
    return b" " + text.encode("ascii", "replace").translate(_ASCII_WORDS) + b" "


def _places_of(words: bytes, head: bytes) -> list[int]:
    """The offsets in the text where the whole word ``head`` starts."""
    needle = b" " + head + b" "
    places = []
    at = words.find(needle)
    while at >= 0:
        places.append(at)  # the leading space of ``words`` makes ``at`` the text's offset of the word
        at = words.find(needle, at + len(head) + 1)
    return places


def _places(spans: list[tuple[int, int]]) -> int:
    count, reach = 0, -1
    for start, end in sorted(spans):
        if start >= reach:
            count += 1
        reach = max(reach, end)
    return count


def _first_word(pattern: re.Pattern[str]) -> str:
    """A keyword's first word as written (unescaped)."""
    return _words_of(pattern)[0]


def _words_of(pattern: re.Pattern[str]) -> list[str]:
    """A keyword's words as written (unescaped), from its pattern."""
    escaped = pattern.pattern.removeprefix(_BEFORE).removesuffix(_AFTER).split(_BETWEEN)
    return [re.sub(r"\\(.)", r"\1", word) for word in escaped]


def compile_keyword(keyword: str) -> re.Pattern[str]:
    """One keyword as a whole-word, case-insensitive pattern.

    "Whole word" means no letter or digit right before or after, rather than
    ``\\b``: ``\\b`` fails next to keywords that end in a symbol (``C++``) and
    treats ``_`` as a letter. Spaces and hyphens in the keyword both become
    "any run of whitespace or hyphens", since abstracts spell phrases both ways.
    """
    words = [re.escape(word) for word in _SEPARATOR.split(keyword) if word]
    if not words:
        raise ValueError(f"keyword {keyword!r} has no words")
    return re.compile(_BEFORE + _BETWEEN.join(words) + _AFTER, re.IGNORECASE)


def _tag_name(node: yaml.Node, loc: Loc) -> str:
    if not _is_text(node):
        raise SourceError(loc, _not_text("tag name", node))
    name: str = node.value
    if not TAG_NAME.fullmatch(name):
        hint = _slug(name)
        fix = f"; try {hint!r}" if hint else ""
        rule = "use lowercase a-z, 0-9 and single hyphens between words"
        raise SourceError(loc, f"tag name {name!r} cannot be a URL segment: {rule}{fix}")
    return name


def _keywords(tag: str, node: yaml.Node, path: Path) -> tuple[re.Pattern[str], ...]:
    loc = Loc(path, node.start_mark.line + 1)
    if _is_text(node) and node.value.strip():
        raise SourceError(loc, f"tag {tag!r} needs a list of keywords; write `{tag}: [{node.value}]`")
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise SourceError(loc, f"tag {tag!r} has no keywords; list at least one, as in `{tag}: [keyword]`")
    patterns: list[re.Pattern[str]] = []
    for item in node.value:
        line = item.start_mark.line + 1
        if not _is_text(item):
            raise SourceError(Loc(path, line), _not_text(f"tag {tag!r}: keyword", item))
        keyword: str = item.value
        if not _SEPARATOR.sub("", keyword):
            raise SourceError(Loc(path, line), f"tag {tag!r} has an empty keyword; remove it or write the phrase")
        patterns.append(compile_keyword(keyword))
    return tuple(patterns)


def _is_text(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _STR_TAG


def _not_text(what: str, node: yaml.Node) -> str:
    """Why a node is not text, worded to point at the quoting fix."""
    if isinstance(node, yaml.SequenceNode):
        return f"{what} is a list, not text; write plain phrases, one per item"
    if isinstance(node, yaml.MappingNode):
        return f"{what} is a mapping, not text; quote it if it contains `: `"
    kind = node.tag.removeprefix("tag:yaml.org,2002:")
    return f"{what} {node.value!r} reads as {_KINDS.get(kind, kind)}, not text; quote it: \"{node.value}\""


def _slug(name: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", name.lower()))
