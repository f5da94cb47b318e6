"""TeX in Markdown: a markdown-it plugin that reads TeX in the text Markdown yields (see ``tex.py``).

Where TeX is read: after Markdown, in its text. Converted pages are
``escape_markdown(abstract)``, so the text markdown-it yields for them is the
abstract exactly as the listing gave it (``\\\\%`` in the file is ``\\%`` in the
text, ``\\_`` is ``_``): reading TeX there reads what the author wrote, for
converted and hand-written pages alike, and code spans, link targets and raw
HTML (shown as text) are never read as TeX.

Formulas are protected before Markdown can touch them: an inline rule, run
before markdown-it's backslash escapes, finds each formula (``$…$``, ``$$…$$``,
``\\(…\\)``, ``\\[…\\]``, judged on the text the source stands for) and keeps it
as text, so ``$a*b*c$`` is not emphasis and ``$x\\_i$`` is ``x_i``. A dollar
escaped in Markdown (``\\$``) is a dollar sign, as ``\\$`` is in TeX.

Then a core rule after ``text_join`` reads every text token with
``read_tex`` and replaces it with text, ``math_inline`` (MathML, rendered by
this plugin; generated here, so trusted), emphasis, bold, code and link tokens
(a ``\\url`` must pass the parser's ``validateLink``, and is plain text inside a
Markdown link). Problems go to ``env["tex_problems"]`` as (line, message), the
line 0-based in the Markdown text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from sitegen.site.tex import MAX_MATH, NEEDS_TEX, Link, Math, Piece, Styled, find_math, plain, read_tex

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
"""What a backslash escapes in CommonMark."""

PROBLEMS = "tex_problems"


def tex_plugin(md: MarkdownIt) -> None:
    md.inline.ruler.before("escape", "tex_math", _protect_math)
    md.core.ruler.after("text_join", "tex", _read_tex)
    md.add_render_rule("math_inline", _render_math)


def _render_math(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return str(tokens[idx].meta["html"])


def math_text(token: Token) -> str:
    """The readable text of a ``math_inline`` token."""
    return str(token.meta["text"])


# --- inline: formulas kept whole, as text ------------------------------------------------------------


class _Window:
    """The text a stretch of Markdown source stands for (backslash escapes resolved), mapped back to the source."""

    def __init__(self, source: str, start: int, stop: int) -> None:
        chars: list[str] = []
        ends: list[int] = []
        at = start
        while at < stop:
            char = source[at]
            if char == "\\" and at + 1 < stop and source[at + 1] in _PUNCTUATION:
                escaped = source[at + 1]
                resolved = "\\$" if escaped == "$" else escaped  # an escaped dollar is a dollar sign: TeX's \$
                chars.append(resolved)
                ends.extend([at + 2] * len(resolved))
                at += 2
            else:
                chars.append(char)
                ends.append(at + 1)
                at += 1
        self.text = "".join(chars)
        self._ends = ends

    def source_end(self, end: int) -> int:
        """The source position after the first ``end`` characters of the text."""
        return self._ends[end - 1]


def _protect_math(state: StateInline, silent: bool) -> bool:
    source, at, stop = state.src, state.pos, state.posMax
    char = source[at]
    if char == "\\":
        following = source[at + 1] if at + 1 < stop else ""
        if following == "$":  # \$ in Markdown: a dollar sign, never a delimiter
            if not silent:
                state.append_pending("\\$")
            state.pos = at + 2
            return True
        if following != "\\":
            return False
        after = source[at + 2 : at + 4]  # the character the text has after this backslash, escaped or not
        if (after[1:] if after[:1] == "\\" and after[1:] in _PUNCTUATION else after[:1]) not in ("(", "[", "$"):
            return False
    elif char != "$":
        return False
    window = _Window(source, at, min(stop, at + 2 * MAX_MATH + 8))
    text = window.text
    if text.startswith("\\$"):  # \\$ in Markdown: the text says \$, a dollar sign
        if not silent:
            state.append_pending("\\$")
        state.pos = window.source_end(2)
        return True
    if char == "\\" and not text.startswith(("\\(", "\\[")):
        return False
    span = find_math(text, 0)
    if span is None:
        return False
    if not silent:
        state.append_pending(text[: span.end])
    state.pos = window.source_end(span.end)
    return True


# --- core: text tokens read as TeX -------------------------------------------------------------------


def _read_tex(state: StateCore) -> None:
    problems: list[tuple[int, str]] = state.env.setdefault(PROBLEMS, [])
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        line = block.map[0] if block.map else 0
        links = 0
        children: list[Token] = []
        changed = False
        for child in block.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "link_open":
                links += 1
            elif child.type == "link_close":
                links -= 1
            if child.type != "text" or not NEEDS_TEX.search(child.content):
                children.append(child)
                continue
            content = child.content
            pieces, found = read_tex(content)
            problems.extend((line + content.count("\n", 0, problem.offset), problem.message) for problem in found)
            line += content.count("\n")
            children.extend(_tokens(pieces, state.md, links == 0))
            changed = True
        if changed:
            block.children = children


def _tokens(pieces: Sequence[Piece], md: MarkdownIt, links: bool) -> list[Token]:
    tokens: list[Token] = []
    for piece in pieces:
        if isinstance(piece, str):
            tokens.append(Token("text", "", 0, content=piece))
        elif isinstance(piece, Math):
            meta: dict[Any, Any] = {"html": piece.html, "text": piece.text}
            tokens.append(Token("math_inline", "math", 0, content=piece.tex, meta=meta, markup="$$" if piece.display else "$"))
        elif isinstance(piece, Styled) and piece.kind == "code":
            tokens.append(Token("code_inline", "code", 0, content=plain(piece.children), markup="`"))
        elif isinstance(piece, Styled):
            tag = "em" if piece.kind == "em" else "strong"
            tokens.append(Token(f"{tag}_open", tag, 1, markup="_" if tag == "em" else "**"))
            tokens.extend(_tokens(piece.children, md, links))
            tokens.append(Token(f"{tag}_close", tag, -1, markup="_" if tag == "em" else "**"))
        elif isinstance(piece, Link):
            href = md.normalizeLink(piece.href)
            if links and piece.href and md.validateLink(href):
                tokens.append(Token("link_open", "a", 1, attrs={"href": href}, markup="autolink", info="auto"))
                tokens.extend(_tokens(piece.children, md, False))
                tokens.append(Token("link_close", "a", -1, markup="autolink", info="auto"))
            else:
                tokens.extend(_tokens(piece.children, md, links))
    return tokens
