"""What a rendered page depends on, hashed: so a rebuild renders only pages whose inputs changed.

A page's bytes are a pure function of its template (with everything it extends,
includes or imports), its output path and its context, plus sitegen's own code.
Contexts hold frozen data, so hashing them is exact. The one shared value,
``site``, would make every page depend on every paper; instead each template is
read once to find which parts of ``site`` it touches, and whether only their
length (``site.papers | length``), so a paper page does not change when another
paper does. A template that passes ``site`` on whole depends on all of it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes

from sitegen.collect import Site
from sitegen.model import Paper


@dataclass(frozen=True, slots=True)
class TemplateUse:
    """A template's closure: its sources' digest and what it reads of ``site``."""

    digest: str
    site_attributes: frozenset[str]
    """Parts of ``site`` it reads in full."""
    site_lengths: frozenset[str]
    """Parts of ``site`` it only counts."""
    whole_site: bool
    """``site`` is used other than through one attribute, so all of it counts."""
    cacheable: bool
    """False when a template name is computed at render time, so the closure is unknown."""


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sitegen's own source: a new version of a helper or of the page plan re-renders everything."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class PageFingerprints:
    """Fingerprints for one build: one environment, one site, memoised per template and paper."""

    def __init__(self, env: jinja2.Environment, site: Site) -> None:
        self._env = env
        self._site = site
        self._templates: dict[str, TemplateUse] = {}
        self._papers: dict[int, bytes] = {}
        self._objects: dict[int, bytes] = {}
        """By id: the objects live as long as the site this instance was made for."""
        self._site_parts: dict[tuple[str, bool], bytes] = {}

    def of(self, template: str, path: str, context: Mapping[str, Any]) -> str | None:
        """The page's fingerprint, or None when it cannot be known (render it every time)."""
        use = self._use(template)
        if not use.cacheable:
            return None
        digest = hashlib.sha256()
        digest.update(f"{code_digest()}\0{use.digest}\0{path}\0".encode())
        for key in sorted(context):
            digest.update(key.encode() + b"\0")
            if key == "site":
                digest.update(self._site_digest(use))
            else:
                digest.update(self.value(context[key]))
        return digest.hexdigest()

    def paper(self, paper: Paper) -> bytes:
        cached = self._papers.get(id(paper))
        if cached is None:
            cached = self._papers[id(paper)] = hashlib.sha256(repr(paper).encode("utf-8", "surrogatepass")).digest()
        return cached

    def value(self, value: Any) -> bytes:
        return hashlib.sha256(b"".join(self._parts(value))).digest()

    def _parts(self, value: Any) -> Iterator[bytes]:
        if isinstance(value, Paper):
            yield self.paper(value)
        elif value is None or isinstance(value, (bool, int, float, str, dt.date, Path)):
            yield f"{type(value).__name__}:{value!s}\0".encode("utf-8", "surrogatepass")
        elif isinstance(value, (tuple, list)):
            yield f"[{len(value)}\0".encode()
            for item in value:
                yield from self._parts(item)
        elif isinstance(value, Mapping):
            yield f"{{{len(value)}\0".encode()
            for key in sorted(value, key=str):
                yield from self._parts(key)
                yield from self._parts(value[key])
        elif isinstance(value, Site):
            yield self._site_digest(None)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            # Tags, months and years are shared by many pages: hash each once per build.
            cached = self._objects.get(id(value))
            if cached is None:
                parts = [f"<{type(value).__qualname__}\0".encode()]
                for field in dataclasses.fields(value):
                    parts.extend(self._parts(getattr(value, field.name)))
                cached = self._objects[id(value)] = hashlib.sha256(b"".join(parts)).digest()
            yield cached
        else:
            raise TypeError(f"cannot fingerprint a {type(value).__name__} in a page context")

    def _site_digest(self, use: TemplateUse | None) -> bytes:
        if use is None or use.whole_site:
            names = [field.name for field in dataclasses.fields(Site)]
            return b"".join(self._site_part(name, False) for name in names)
        return b"".join(
            [self._site_part(name, False) for name in sorted(use.site_attributes)]
            + [self._site_part(name, True) for name in sorted(use.site_lengths - use.site_attributes)]
        )

    def _site_part(self, name: str, length_only: bool) -> bytes:
        key = (name, length_only)
        if key not in self._site_parts:
            part = getattr(self._site, name, None)
            self._site_parts[key] = self.value(len(part) if length_only and part is not None else part)
        return self._site_parts[key]

    def _use(self, template: str) -> TemplateUse:
        if template not in self._templates:
            self._templates[template] = template_use(self._env, template)
        return self._templates[template]


def template_use(env: jinja2.Environment, name: str) -> TemplateUse:
    """Read a template and every template it pulls in, once, without rendering anything."""
    digest = hashlib.sha256()
    attributes: set[str] = set()
    lengths: set[str] = set()
    whole = False
    cacheable = True
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        source, filename, _ = env.loader.get_source(env, current)  # type: ignore[union-attr]
        digest.update(f"{current}\0{filename}\0{source}\0".encode("utf-8", "surrogatepass"))
        tree = env.parse(source, current, filename)
        for referenced in meta.find_referenced_templates(tree):
            if referenced is None:
                cacheable = False
            else:
                todo.append(referenced)
        whole |= _site_reads(tree, None, None, attributes, lengths)
    return TemplateUse(digest.hexdigest(), frozenset(attributes), frozenset(lengths), whole, cacheable)


def _site_reads(
    node: nodes.Node, parent: nodes.Node | None, grandparent: nodes.Node | None, attributes: set[str], lengths: set[str]
) -> bool:
    """Record each ``site.x`` read; True if ``site`` is used any other way."""
    whole = False
    if isinstance(node, nodes.Name) and node.name == "site" and node.ctx == "load":
        if isinstance(parent, nodes.Getattr) and parent.node is node:
            counted = isinstance(grandparent, nodes.Filter) and grandparent.name == "length" and grandparent.node is parent
            (lengths if counted else attributes).add(parent.attr)
        else:
            whole = True
    for child in node.iter_child_nodes():
        whole |= _site_reads(child, node, parent, attributes, lengths)
    return whole
