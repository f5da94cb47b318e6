"""Jinja2 and markdown-it set up safely, plus the helpers templates call.

Safe by default: every template autoescapes (HTML and XML alike), undefined
names fail loudly, raw HTML in Markdown is off and unsafe link schemes
(``javascript:``, ``vbscript:``, ``file:``, ``data:``) never become links.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup

from sitegen.site.identifiers import card_links, finding_links, reading_links
from sitegen.site.sharing import first_sentences
from sitegen.site.tex_markdown import PROBLEMS, math_text, tex_plugin
from sitegen.text import without_controls

_SAFE_SCHEMES = ("http:", "https:", "mailto:")


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable(["table", "strikethrough"]).use(tex_plugin)

    def validate_link(url: str) -> bool:
        lowered = url.strip().lower()
        return ":" not in lowered.split("/", 1)[0] or lowered.startswith(_SAFE_SCHEMES)

    md.validateLink = validate_link  # type: ignore[method-assign]  # markdown-it-py's documented hook
    md.add_render_rule("image", _image)
    md.add_render_rule("link_open", _link_open)
    return md


def _link_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """A link that leaves the site opens nothing of this page to the other one: ``rel="noopener"``, as every
    link of the theme carries."""
    token = tokens[idx]
    if _is_remote(str(token.attrGet("href") or "")):
        token.attrSet("rel", "noopener")
    return self.renderToken(tokens, idx, options, env)


def _image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """A remote image becomes a link labelled with its alt text: the site loads nothing from other hosts
    (a tracking pixel in an abstract would report every reader). Images of the site itself stay images."""
    token = tokens[idx]
    source = str(token.attrGet("src") or "")
    if not _is_remote(source):
        return self.image(tokens, idx, options, env)
    label = self.renderInlineAsText(token.children or [], options, env) or source
    title = token.attrGet("title")
    hint = f' title="{escapeHtml(str(title))}"' if title else ""
    return f'<a class="remote-image" href="{escapeHtml(source)}" rel="noopener"{hint}>{escapeHtml(label)}</a>'


def _is_remote(url: str) -> bool:
    """An address on another host: with a scheme (``https:``) or protocol-relative (``//host/``)."""
    lowered = url.strip().lower()
    return lowered.startswith("//") or ":" in lowered.split("/", 1)[0]


MARKDOWN = _markdown()


@dataclass(frozen=True, slots=True)
class RenderedMarkdown:
    """One Markdown text rendered once: its HTML, its plain text and the TeX it could not read."""

    html: Markup
    text: str
    problems: tuple[tuple[int, str], ...]
    """(line, message) of each distinct problem, the line 1-based in the Markdown text (its first occurrence)."""


@lru_cache(maxsize=16384)
def rendered_markdown(text: str) -> RenderedMarkdown:
    """Markdown with its TeX read (tex_markdown.py): parsed once for the HTML, the plain text and the problems."""
    env: dict[str, Any] = {}
    tokens = MARKDOWN.parse(text, env)
    html = MARKDOWN.renderer.render(tokens, MARKDOWN.options, env)
    words: list[str] = []
    for block in tokens:
        if block.type == "inline" and block.children is not None:
            words.extend(
                child.content if child.type in _TEXT else math_text(child) if child.type == "math_inline" else " "
                for child in block.children
                if child.type in _SHOWN_AS_TEXT
            )
            words.append(" ")
    found: dict[str, tuple[int, int]] = {}
    for line, message in env.get(PROBLEMS, ()):
        first, count = found.get(message, (line, 0))
        found[message] = (first, count + 1)
    problems = tuple((first + 1, message if count == 1 else f"{message} ({count} times)") for message, (first, count) in found.items())
    return RenderedMarkdown(Markup(html), " ".join("".join(words).split()), problems)


_TEXT = ("text", "code_inline")
_SHOWN_AS_TEXT = ("text", "code_inline", "math_inline", "softbreak", "hardbreak")


def markdown_html(text: str) -> Markup:
    """Rendered Markdown; safe to insert because raw HTML is disabled (the MathML is generated, not the author's)."""
    return rendered_markdown(text).html


def plain_text(text: str) -> str:
    """Markdown -> the text a reader sees, for excerpts, feeds and the search index (formulas as readable text)."""
    return rendered_markdown(text).text


def markdown_problems(text: str) -> tuple[tuple[int, str], ...]:
    """What of the TeX in a Markdown text is shown as written, and why: (1-based line, message)."""
    return rendered_markdown(text).problems


def excerpt(text: str, limit: int = 280) -> str:
    """The first sentences of a plain text, cut at a word boundary."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip(" ,;:") + "…"


def relative_url(target: str, from_path: str) -> str:
    """A link from the page at ``from_path`` to the site path ``target``.

    Folders get an explicit ``index.html`` so the site also works from ``file://``.
    Plain string work on normalised site paths: templates call this hundreds of
    thousands of times in a large build, where posixpath.relpath was a third of it.
    """
    if target.startswith(("http://", "https://", "mailto:", "#")):
        return target
    target, hash_sign, fragment = target.partition("#")
    if target == "" or target.endswith("/"):
        target += "index.html"
    here = from_path.split("/")[:-1]
    there = target.split("/")
    common, limit = 0, min(len(here), len(there) - 1)
    while common < limit and here[common] == there[common]:
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:]) + hash_sign + fragment


def date_label(day: dt.date | None) -> str:
    return f"{day:%b} {day.day}, {day.year}" if day else "undated"


def environment(template_dirs: list[Path]) -> jinja2.Environment:
    """Templates from the first folder that has them: a project's templates/ before the theme's."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(path) for path in template_dirs if path.is_dir()]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date_label"] = date_label
    env.filters["excerpt"] = excerpt
    env.filters["sentences"] = first_sentences
    env.globals.update(reading_links=reading_links, finding_links=finding_links, card_links=card_links)
    env.globals["markdown"] = lambda paper: markdown_html(paper.body)
    env.globals["plain"] = lambda paper: plain_text(paper.body)
    return env


def render(env: jinja2.Environment, template: str, path: str, context: Mapping[str, Any]) -> bytes:
    """One output file; ``url`` is bound to its location so every link is relative."""
    url: Callable[[str], str] = lambda target: relative_url(target, path)
    text = env.get_template(template).render(context, url=url, page_path=path)
    if path.endswith(".xml"):  # inputs are cleaned on reading; a template could still bring a control character
        text = without_controls(text)
    return text.encode("utf-8")
