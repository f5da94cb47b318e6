"""TeX in abstracts, read at build time: formulas become MathML, text-mode TeX its typographic form.

Abstracts are copied from arXiv, where authors write TeX: ``$O(n^2)$``,
``45\\%``, ````honesty''``, ``Logic~(FOL)``, ``\\emph{not}``. This module reads
such text (the text Markdown yields, not the Markdown source: see
``tex_markdown.py``) into pieces: plain strings, formulas (``Math``, with their
MathML and a readable plain-text form), emphasis, bold, code and links.

What the libraries do:

* latex2mathml turns a formula into a MathML tree. Its own serializer is not
  used: it undoes escaping (``\\text{<b>}`` would come out as raw HTML), so the
  tree is checked against the MathML elements and attributes the site allows
  (no ``href``, ``style`` or ``class`` from ``\\href``, ``\\style``,
  ``\\class``) and serialized here, with the TeX as an ``annotation`` (and
  ``alttext``) for assistive technology and copying.
* pylatexenc's latexwalker finds where a macro and its arguments end (by the
  signatures it knows), and latex2text gives the text of symbols and accents
  (``\\%``, ``\\"o``, ``\\`a``, ``\\ss``, ``\\ldots``, ``\\alpha`` in text).

What is done here, because the libraries read whole TeX documents and
abstracts are prose with TeX in it (pylatexenc would take the ``%`` of
``50% of`` for a comment and drop the rest of the line, and ``$5`` for math):
finding formulas, with heuristics for dollars that are money; the handful
of text-mode specials, with heuristics for prose (``~`` is a tie only between
two non-spaces, so ``~50%`` stays; ``--drafts`` and ``-->`` are not dashes; a
single quote closes a `` ` `` only where it is not an apostrophe); the
formatting macros (``\\emph``, ``\\textbf``, ``\\texttt``, ``\\url``,
``\\href``, ``{\\em ...}``); unknown macros, which stay as written with a
problem reported; and a formula's readable text for the search index and
feeds (``O(n^2)``, ``α ≤ 1/2``), read off the MathML tree. Nothing here
raises for what an abstract holds: what cannot be read is kept as its source
text and reported as a ``Problem``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, ClassVar, Literal
from xml.etree.ElementTree import SubElement, tostring

MAX_MATH = 500
"""Characters between a formula's delimiters; a ``$`` with no closing one within this is text (money)."""

NEEDS_TEX = re.compile(r"[\\$~`{]|--|''")
"""Text without any of these has no TeX in it (a quick test before reading)."""

_TRIGGER = re.compile(r"(?P<url>https?://[^\s`'\\$]+)|[\\$~`'{]|-{2,}")
_WORD_START = re.compile(r"[A-Za-z]")
_CONTROL_WORD = re.compile(r"[A-Za-z]+")
_CHAR_REFERENCE = re.compile(r"&#x([0-9A-Fa-f]+);")
_MACRO_TEXT = re.compile(r"\\[A-Za-z]+")
_ENVIRONMENT = re.compile(r"\\begin\s*\{([A-Za-z]+\*?)\}")
_WALKER_HIDDEN = re.compile(r"(?<!\\)[%$]")
_HIDDEN = {"%": "\ue000", "$": "\ue001"}
_SHOWN = {value: key for key, value in _HIDDEN.items()}

NBSP = "\u00a0"

_FORMATTING: dict[str, Literal["em", "strong", "code", "plain"]] = {
    "emph": "em", "textit": "em", "textsl": "em", "mathit": "em",
    "textbf": "strong", "mathbf": "strong",
    "texttt": "code", "mathtt": "code",
    "textsc": "plain", "textrm": "plain", "textsf": "plain", "textup": "plain", "textmd": "plain",
    "textnormal": "plain", "text": "plain", "mbox": "plain", "hbox": "plain", "underline": "plain", "mathrm": "plain",
}  # fmt: skip
"""Macros whose one argument is text shown with a style (``plain``: without one)."""

_DECLARATIONS: dict[str, Literal["em", "strong", "code", "plain"]] = {
    "em": "em", "it": "em", "itshape": "em", "sl": "em", "slshape": "em",
    "bf": "strong", "bfseries": "strong",
    "tt": "code", "ttfamily": "code",
    "rm": "plain", "sf": "plain", "sc": "plain", "scshape": "plain", "normalfont": "plain", "upshape": "plain",
    "mdseries": "plain", "rmfamily": "plain", "sffamily": "plain",
}  # fmt: skip
"""Style switches, read at the start of a group: ``{\\em word}``."""

_UNREADABLE = frozenset({
    "cite", "citep", "citet", "citealp", "ref", "eqref", "cref", "Cref", "autoref", "pageref", "label", "footnote",
    "footnotemark", "input", "include", "newcommand", "renewcommand", "def", "includegraphics",
})  # fmt: skip
"""Macros pylatexenc knows that have no readable form on a web page (``\\cite{x}`` would read "<cit.>")."""

_EXTRA_TEXT = {"LaTeX": "LaTeX", "TeX": "TeX", "LaTeXe": "LaTeX2ε", "BibTeX": "BibTeX"}
"""Logos pylatexenc 2 does not know (it would drop them)."""

_MATHML_ELEMENTS = frozenset({
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
    "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded", "mphantom", "mfenced", "menclose", "munder", "mover",
    "munderover", "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "mlabeledtr", "maligngroup",
    "malignmark",
})  # fmt: skip
_MATHML_ATTRIBUTES = frozenset({
    "display", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "mathcolor", "mathbackground", "stretchy",
    "fence", "separator", "form", "lspace", "rspace", "minsize", "maxsize", "movablelimits", "largeop", "symmetric",
    "accent", "accentunder", "linethickness", "width", "height", "depth", "voffset", "notation", "columnalign",
    "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "framespacing", "equalrows",
    "equalcolumns", "linebreak", "open", "close", "separators", "align", "encoding",
})  # fmt: skip
_ATTRIBUTE_VALUE = re.compile(r"[\w#.,%() +-]*")


@dataclass(frozen=True, slots=True)
class Math:
    """A formula that became MathML."""

    tex: str
    """What was between the delimiters."""
    display: bool
    html: str
    """The ``<math>`` element, safe to insert."""
    text: str
    """Its readable plain text (``O(n^2)``, ``α``), for search and feeds."""


@dataclass(frozen=True, slots=True)
class Styled:
    kind: Literal["em", "strong", "code"]
    children: tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    """As written; the Markdown stage checks its scheme."""
    children: tuple[Piece, ...]


Piece = str | Math | Styled | Link


@dataclass(frozen=True, slots=True)
class Problem:
    """TeX that could not be read, kept as written."""

    offset: int
    """Where it starts in the text read."""
    message: str


class TexError(ValueError):
    """A formula that does not become MathML; the message says why."""


def read_tex(text: str) -> tuple[list[Piece], list[Problem]]:
    """The pieces of ``text`` and the problems found; the pieces always show all of the text."""
    if not NEEDS_TEX.search(text):
        return [text], []
    reader = _Reader(text)
    try:
        pieces = reader.read(0, len(text))
    except RecursionError:
        return [text], [Problem(0, "TeX nested too deeply to read; shown as written")]
    return pieces, reader.problems


def plain(pieces: list[Piece] | tuple[Piece, ...]) -> str:
    """The text a reader sees in ``pieces``."""
    return "".join(
        piece if isinstance(piece, str) else piece.text if isinstance(piece, Math) else plain(piece.children) for piece in pieces
    )


# --- formulas ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """A formula found in a text: its delimiters and content."""

    start: int
    content_start: int
    content_end: int
    end: int
    display: bool


def find_math(text: str, start: int, end: int | None = None) -> Span | None:
    """The formula opening at ``text[start]`` (``$``, ``$$``, ``\\(``, ``\\[``), or None where that is text.

    A ``$`` opens a formula only when a non-space follows it, and the next
    ``$`` closes it only when it follows a non-space and no digit follows it
    (as Pandoc reads dollars): ``$250``, ``$5 and $10`` and ``$5-$10`` stay
    text. The closing delimiter must come within ``MAX_MATH`` characters; a
    ``\\$`` inside is a dollar sign, not a delimiter.
    """
    stop = len(text) if end is None else end
    if text.startswith("$$", start):
        close = _closing(text, start + 2, stop, "$$")
        if close is None or not text[start + 2 : close].strip():
            return None
        return Span(start, start + 2, close, close + 2, True)
    if text.startswith("$", start):
        if start + 1 >= stop or text[start + 1].isspace():
            return None
        close = _closing(text, start + 1, stop, "$")
        if close is None or text[close - 1].isspace() or (close + 1 < stop and text[close + 1].isdigit()):
            return None
        return Span(start, start + 1, close, close + 1, False)
    if text.startswith(("\\(", "\\["), start):
        closer = "\\)" if text[start + 1] == "(" else "\\]"
        close = _closing(text, start + 2, stop, closer)
        if close is None or not text[start + 2 : close].strip():
            return None
        return Span(start, start + 2, close, close + 2, closer == "\\]")
    return None


def _closing(text: str, start: int, stop: int, closer: str) -> int | None:
    limit = min(stop, start + MAX_MATH + len(closer))
    at = start
    while at < limit:
        if text.startswith(closer, at):
            return at if at + len(closer) <= stop else None
        at += 2 if text[at] == "\\" else 1
    return None


@lru_cache(maxsize=8192)
def formula(tex: str, display: bool = False) -> tuple[str, str]:
    """The ``<math>`` element for a formula and its readable text; TexError if latex2mathml cannot read it,
    it uses a macro or environment latex2mathml does not know, or it would make markup the site does not allow."""
    from latex2mathml.commands import MATRICES
    from latex2mathml.converter import convert_to_element

    for environment in _ENVIRONMENT.findall(tex):
        if "\\" + environment not in MATRICES:
            raise TexError(f"uses the environment {environment}, which latex2mathml does not know")
    try:
        root = convert_to_element(tex, display="block" if display else "inline")
    except Exception as error:  # noqa: BLE001  latex2mathml raises its own errors, and IndexError, RecursionError...
        raise TexError(f"does not parse ({_reason(error)})") from None
    for element in root.iter():
        if element.tag not in _MATHML_ELEMENTS:
            raise TexError(f"makes <{element.tag}>, which is not MathML this site shows")
        for name, value in element.attrib.items():
            if name == "xmlns":
                continue
            if name not in _MATHML_ATTRIBUTES or not _ATTRIBUTE_VALUE.fullmatch(value):
                raise TexError(f"uses \\href, \\style or \\class (it sets {name}=), which this site does not render")
        if element.text:
            element.text = _characters(element.text)
            if element.tag in ("mi", "mo", "mtext") and _MACRO_TEXT.fullmatch(element.text):
                raise TexError(f"uses {element.text}, a macro latex2mathml does not know")
        if element.tail:
            element.tail = _characters(element.tail)
    root.attrib.pop("xmlns", None)
    presentation = list(root)
    for child in presentation:
        root.remove(child)
    semantics = SubElement(root, "semantics")
    if len(presentation) == 1:
        semantics.append(presentation[0])
    else:
        SubElement(semantics, "mrow").extend(presentation)
    readable = _tidy(_linear(semantics[0])) or tex
    annotation = SubElement(semantics, "annotation", encoding="application/x-tex")
    annotation.text = tex
    root.set("alttext", tex)
    return tostring(root, encoding="unicode"), readable


def mathml(tex: str, display: bool = False) -> str:
    """The ``<math>`` element for a formula (see ``formula``)."""
    return formula(tex, display)[0]


def math_text(tex: str) -> str:
    """A formula as readable plain text (``\\alpha_i`` -> ``α_i``, ``\\frac{a}{b+1}`` -> ``a/(b+1)``), for
    search and feeds; its TeX when it does not become MathML."""
    try:
        return formula(tex)[1]
    except TexError:
        return tex


def _characters(text: str) -> str:
    """latex2mathml writes symbols as character references (``&#x003B1;``) inside text; the serializer escapes."""
    return _CHAR_REFERENCE.sub(lambda match: chr(int(match[1], 16)), text)


def _reason(error: Exception) -> str:
    detail = str(error).strip()
    name = type(error).__name__
    return f"{name}: {detail}" if detail and len(detail) < 80 else name


_SPACED = frozenset("=<>≤≥≠≈∼≃≡∝≪≫∈∉⊂⊆⊃⊇→←⇒⇐↦↔⟺⟹+−±∓×·*∗∣∀∃∧∨")
"""Operators whose readable text gets a space either side: "α ≤ 1/2", not "α≤1/2"."""
_COMBINING = {"^": "\u0302", "ˆ": "\u0302", "~": "\u0303", "˜": "\u0303", "¯": "\u0304", "―": "\u0304",
              "→": "\u20d7", "˙": "\u0307", "¨": "\u0308", "ˇ": "\u030c"}  # fmt: skip
"""Accents over one letter, as combining characters: \\hat{y} reads ŷ."""


def _linear(element: Any, first: bool = False) -> str:
    """A MathML tree read as one line of text: ``x_i``, ``n^2``, ``(a + b)/2``, ``√(x)``, ``∑_(i=1)^n x_i``. Read
    off the tree latex2mathml made, so a formula is parsed once (pylatexenc's latex2text, tried first, took
    as long again as latex2mathml and read \\frac{a+b}{2} as a+b/2)."""
    tag, children = element.tag, list(element)
    if tag in ("mi", "mn", "mtext", "ms"):
        text = (element.text or "").replace(NBSP, " ")
        return f" {text} " if tag == "mi" and len(text) > 1 else text  # log, max: words of their own
    if tag == "mo":
        text = element.text or ""
        if text in (",", ";", ":"):
            return text + " "
        if first:  # a sign, not an operation: -3
            return text
        return f" {text} " if text in _SPACED or len(text) > 1 else text
    if tag == "mspace":
        return " "
    if tag in ("mphantom", "annotation", "none", "mprescripts"):
        return ""
    parts = [_linear(child, index == 0) for index, child in enumerate(children)]
    if tag in ("msub", "msup", "munder", "mover", "msubsup", "munderover") and len(parts) in (2, 3):
        base = parts[0].strip()
        accent = _COMBINING.get((children[1].text or "").strip()) if tag == "mover" else None
        if accent and len(base) == 1:
            return base + accent
        marks = "^" if tag in ("msup", "mover") else "_^"
        return base + "".join(mark + _script(part) for mark, part in zip(marks, parts[1:])) + " "
    if tag == "mfrac" and len(parts) == 2:
        return _grouped(parts[0]) + "/" + _grouped(parts[1])
    if tag == "msqrt":
        return "√(" + "".join(parts).strip() + ")"
    if tag == "mroot" and len(parts) == 2:
        return "(" + parts[0].strip() + ")^(1/" + parts[1].strip() + ")"
    if tag == "mtable":
        return "; ".join(part.strip() for part in parts)
    if tag == "mtd":
        return "".join(parts).strip() + " "
    return "".join(parts)


def _grouped(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 1 or text.isalnum() else f"({text})"


def _script(text: str) -> str:
    return _grouped("".join(text.split()))


def _tidy(text: str) -> str:
    """One space between words, none inside brackets or before punctuation; accents composed (y + ̂ is ŷ)."""
    return unicodedata.normalize("NFC", _AFTER_OPENING.sub(r"\1", _BEFORE_CLOSING.sub(r"\1", " ".join(text.split()))))


_BEFORE_CLOSING = re.compile(r" ([,;:)\]}])")
_AFTER_OPENING = re.compile(r"([(\[{]) ")


# --- text-mode TeX -----------------------------------------------------------------------------------


@cache
def _contexts() -> tuple[Any, Any]:
    """pylatexenc's macro signatures (for latexwalker) and text replacements (for latex2text), plus ours."""
    from pylatexenc import latexwalker, macrospec
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    signatures = latexwalker.get_default_latex_context_db()
    signatures.add_context_category("sitegen", prepend=True, macros=[macrospec.MacroSpec("href", "{{")])
    texts = get_default_latex_context_db()
    texts.add_context_category("sitegen", prepend=True, macros=[MacroTextSpec(name, text) for name, text in _EXTRA_TEXT.items()])
    return signatures, LatexNodes2Text(latex_context=texts, math_mode="verbatim", strict_latex_spaces="based-on-source")


@lru_cache(maxsize=1024)
def _symbol(name: str) -> str | None:
    """The text of an argument-less macro (``%`` -> ``%``, ``ldots`` -> ``…``), or None when pylatexenc does not know it."""
    to_text = _contexts()[1]
    if to_text.latex_context.get_macro_spec(name) is None:
        return None
    return str(to_text.latex_to_text("\\" + name)).replace("\n", " ") if name != " " else " "


def _takes_arguments(name: str) -> bool:
    spec = _contexts()[0].get_macro_spec(name)
    parser = getattr(spec, "args_parser", None)
    return bool(getattr(parser, "argspec", ""))


def _shown(source: str) -> str:
    return source if len(source) <= 60 else source[:57] + "…"


class _Reader:
    """One text read left to right; nested arguments are read from the same text, by position."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.problems: list[Problem] = []
        self._closers: set[int] = set()
        self._walker: Any = None

    def read(self, start: int, end: int) -> list[Piece]:
        text = self.text
        out: list[Piece] = []
        at = start
        while at < end:
            found = _TRIGGER.search(text, at, end)
            if found is None:
                _add(out, text[at:end])
                break
            if found.start() > at:
                _add(out, text[at : found.start()])
            at = found.start()
            if found.lastgroup == "url":  # a bare address is not TeX: its ~ and -- stay
                _add(out, found.group())
                at = found.end()
                continue
            at = self._HANDLERS[text[at]](self, at, end, found.group(), out)
        return out

    # Each handler reads what starts at ``at`` into ``out`` and returns where reading goes on.

    def _dollar(self, at: int, end: int, token: str, out: list[Piece]) -> int:
        return self._math(at, end, out) or at + 1  # after a $$ that opens nothing, the second $ may open a formula

    def _math(self, at: int, end: int, out: list[Piece]) -> int | None:
        span = find_math(self.text, at, end)
        if span is None:
            if self.text.startswith("$", at):
                _add(out, "$")
            return None
        source = self.text[span.start : span.end]
        tex = self.text[span.content_start : span.content_end]
        try:
            html, readable = formula(tex, span.display)
            out.append(Math(tex, span.display, html, readable))
        except TexError as error:
            self._problem(at, f"the formula {_shown(source)} {error}; shown as written")
            _add(out, source)
        return span.end

    def _backslash(self, at: int, end: int, token: str, out: list[Piece]) -> int:
        text = self.text
        following = text[at + 1] if at + 1 < end else ""
        if following in ("(", "["):
            done = self._math(at, end, out)
            if done is not None:
                return done
            _add(out, text[at : at + 2])
            return at + 2
        if not following:
            _add(out, "\\")
            return at + 1
        word = _CONTROL_WORD.match(text, at + 1, end)
        name = word.group() if word else following
        after = at + 1 + len(name)
        if name in ("begin", "end"):
            self._problem(at, f"\\{name}{{…}}: environments are read only inside formulas; shown as written")
            _add(out, "\\" + name)
            return after
        if name not in _FORMATTING and name not in _UNREADABLE and name not in ("url", "href") and not _takes_arguments(name):
            symbol = _symbol(name)
            if symbol is None:
                self._problem(at, f"unknown TeX macro \\{name}; shown as written")
                _add(out, "\\" + name)
                return after
            _add(out, symbol)
            return after + 2 if text.startswith("{}", after) else after
        node = self._node(at, end)
        if node is None or getattr(node, "macroname", None) != name:
            self._problem(at, f"\\{name} is missing its argument, or a '{{' of it is never closed; shown as written")
            _add(out, "\\" + name)
            return after
        stop = node.pos + node.len
        arguments = [arg for arg in (node.nodeargd.argnlist if node.nodeargd else []) if arg is not None]
        if name in _UNREADABLE:
            self._problem(at, f"\\{name} has no readable form on a web page; shown as written")
            _add(out, text[at:stop])
        elif name in _FORMATTING and arguments:
            self._styled(_FORMATTING[name], *_inside(arguments[-1]), out)
        elif name == "url" and arguments:
            address = text[slice(*_inside(arguments[-1]))].strip()
            out.append(Link(address, (address,)))
        elif name == "href" and len(arguments) == 2:
            out.append(Link(text[slice(*_inside(arguments[0]))].strip(), tuple(self.read(*_inside(arguments[1])))))
        else:
            readable = self._text_of(node)
            if readable is None:
                self._problem(at, f"unknown TeX macro \\{name}; shown as written")
                _add(out, text[at:stop])
            else:
                _add(out, readable)
        return stop

    def _group(self, at: int, end: int, token: str, out: list[Piece]) -> int:
        """``{\\em word}``, ``{\\"u}``: a group that starts with a macro; any other brace is text."""
        if not self.text.startswith("{\\", at):
            _add(out, "{")
            return at + 1
        node = self._node(at, end)
        if node is None or not hasattr(node, "nodelist"):
            _add(out, "{")
            return at + 1
        stop = node.pos + node.len
        inner = [child for child in node.nodelist if not (hasattr(child, "chars") and not child.chars.strip())]
        first = inner[0] if inner else None
        style = _DECLARATIONS.get(getattr(first, "macroname", ""))
        if first is not None and style is not None:
            self._styled(style, first.pos + first.len, stop - 1, out)
        else:
            out.extend(self.read(at + 1, stop - 1))
        return stop

    def _styled(self, kind: Literal["em", "strong", "code", "plain"], start: int, end: int, out: list[Piece]) -> None:
        children = self.read(start, end)
        if kind == "plain":
            for child in children:
                if isinstance(child, str):
                    _add(out, child)
                else:
                    out.append(child)
        else:
            out.append(Styled(kind, tuple(children)))

    def _tie(self, at: int, end: int, token: str, out: list[Piece]) -> int:
        text = self.text
        between = 0 < at and not text[at - 1].isspace() and at + 1 < len(text) and not text[at + 1].isspace()
        _add(out, NBSP if between else "~")  # "~50%" after a space means "about"
        return at + 1

    def _backtick(self, at: int, end: int, token: str, out: list[Piece]) -> int:
        text = self.text
        if text.startswith("``", at):  # closing where it ends a word (a common slip for ''): ``you may be attacked``
            closing = at > 0 and not text[at - 1].isspace() and text[at - 1] not in "([{\u2018\u201c"
            _add(out, "”" if closing else "“")
            return at + 2
        close = self._single_closer(at + 1, min(end, at + 400))
        if close is None:
            _add(out, "`")
        else:
            self._closers.add(close)
            _add(out, "‘")
        return at + 1

    def _single_closer(self, start: int, stop: int) -> int | None:
        """The ``'`` closing a `` ` `` opened before ``start``: not an apostrophe (``LLM's``), not ``''``."""
        text = self.text
        at = start
        while at < stop:
            char = text[at]
            if char == "`":
                return None
            if char == "'":
                if text.startswith("''", at):
                    at += 2
                    continue
                if not (at + 1 < len(text) and text[at + 1].isalnum()):
                    return at
            at += 1
        return None

    def _quote(self, at: int, end: int, token: str, out: list[Piece]) -> int:
        if at in self._closers:
            self._closers.discard(at)
            _add(out, "’")
            return at + 1
        if self.text.startswith("''", at):
            _add(out, "”")
            return at + 2
        _add(out, "'")
        return at + 1

    def _dashes(self, at: int, end: int, token: str, out: list[Piece]) -> int:
        text, after = self.text, at + len(token)
        arrow = (at > 0 and text[at - 1] == "<") or text.startswith(">", after)
        option = (at == 0 or text[at - 1].isspace() or text[at - 1] in "([") and bool(_WORD_START.match(text, after))
        if len(token) > 3 or arrow or option:  # a rule, an arrow (-->), a command-line option (--drafts)
            _add(out, token)
        else:
            _add(out, "–" if len(token) == 2 else "—")
        return after

    _HANDLERS: ClassVar[dict[str, Callable[[_Reader, int, int, str, list[Piece]], int]]] = {
        "$": _dollar, "\\": _backslash, "{": _group, "~": _tie, "`": _backtick, "'": _quote, "-": _dashes,
    }  # fmt: skip

    # --- pylatexenc ---

    def _node(self, at: int, end: int) -> Any:
        """The macro or group pylatexenc reads at ``at`` (arguments by its signatures), or None if it cannot."""
        from pylatexenc.latexwalker import LatexWalker, LatexWalkerError

        if self._walker is None:  # % and $ are text in an abstract: hidden from the walker, same positions
            hidden = _WALKER_HIDDEN.sub(lambda match: _HIDDEN[match[0]], self.text)
            self._walker = LatexWalker(hidden, latex_context=_contexts()[0], tolerant_parsing=False)
        try:
            nodes, _, _ = self._walker.get_latex_nodes(pos=at, read_max_nodes=1)
        except (LatexWalkerError, IndexError, RecursionError):
            return None
        node = nodes[0] if nodes else None
        return node if node is not None and node.pos + node.len <= end else None

    def _text_of(self, node: Any) -> str | None:
        """latex2text's reading of a macro with arguments (accents: ``\\"o``, ``\\c{c}``), or None if unknown."""
        to_text = _contexts()[1]
        if to_text.latex_context.get_macro_spec(node.macroname) is None:
            return None
        readable = str(to_text.nodelist_to_text([node])).replace("\n", " ")
        return "".join(_SHOWN.get(char, char) for char in readable)

    def _problem(self, at: int, message: str) -> None:
        self.problems.append(Problem(at, message))


def _inside(argument: Any) -> tuple[int, int]:
    """The text of an argument: inside its braces, or the one token given without them."""
    if hasattr(argument, "delimiters") and argument.delimiters:
        return argument.pos + 1, argument.pos + argument.len - 1
    return argument.pos, argument.pos + argument.len


def _add(out: list[Piece], text: str) -> None:
    if out and isinstance(out[-1], str):
        out[-1] += text
    else:
        out.append(text)
