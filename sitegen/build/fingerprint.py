"""What a rendered page depends on, hashed: so a rebuild renders only pages whose inputs changed.

A page's bytes are a pure function of its template (with everything it extends,
includes or imports), its output path and its context, plus sitegen's own code.
Contexts hold frozen data, so hashing them is exact. Hashing whole values would
make every page depend on every paper through ``site`` (and every page of a tag
on all of the tag's papers), so each template is read once to learn how it uses
each context variable: through which attributes, and whether only to count them
(``site.papers | length``). A variable used any other way, or passed on whole
(to a macro, say), counts in full; names bound by loops and macro arguments are
not context variables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes

from sitegen.model import Paper
from sitegen.site.collect import Site


@dataclass(frozen=True, slots=True)
class Reads:
    """How a template reads one context variable."""

    attributes: frozenset[str]
    """Attributes it reads in full (``tag.name``)."""
    lengths: frozenset[str]
    """Attributes it only counts (``tag.papers | length``)."""
    whole: bool
    """The variable is used other than through one attribute, so all of it counts."""


@dataclass(frozen=True, slots=True)
class TemplateUse:
    """A template's closure: its sources' digest and how it reads each context variable."""

    digest: str
    reads: Mapping[str, Reads]
    """By variable name; a variable absent here is never read, so it cannot change the page."""
    cacheable: bool
    """False when a template name is computed at render time, so the closure is unknown."""


class PaperDigests:
    """Each paper's digest, kept with the paper object it was taken of: a build session hands the
    next build the same objects for unchanged pages, and need not hash them again."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[Paper, bytes]] = {}
        self._used: dict[int, tuple[Paper, bytes]] = {}

    def digest(self, paper: Paper) -> bytes:
        kept = self._used.get(id(paper)) or self._kept.get(id(paper))
        if kept is None or kept[0] is not paper:
            kept = (paper, hashlib.sha256(repr(paper).encode("utf-8", "surrogatepass")).digest())
        self._used[id(paper)] = kept
        return kept[1]

    def keep_used(self) -> None:
        """Keep only the papers hashed since the last call (the current build's), so memory stays flat."""
        self._kept, self._used = self._used, {}


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sitegen's own source: a new version of a helper or of the page plan re-renders everything."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class TemplateMemory:
    """What a process that builds again and again (the preview) keeps of the templates while none of
    their files changes: their compiled code, and how each reads its context. Reading and compiling
    the templates was a third of a save's rebuild at 1,000 papers."""

    def __init__(self) -> None:
        self.bytecode = _BytecodeInMemory()
        self._uses: dict[str, TemplateUse] = {}
        self._seen: tuple[tuple[str, int, int], ...] | None = None

    def uses(self, folders: list[Path]) -> dict[str, TemplateUse]:
        """The template uses worked out so far, forgotten when a file in ``folders`` changed since."""
        seen = tuple(
            (str(path), status.st_size, status.st_mtime_ns)
            for folder in folders
            if folder.is_dir()
            for path in sorted(folder.rglob("*"))
            if (status := path.stat()) is not None
        )
        if seen != self._seen:
            self._uses, self._seen = {}, seen
        return self._uses


class _BytecodeInMemory(jinja2.BytecodeCache):
    """Jinja's compiled templates kept in memory; Jinja keys them by name and checks the source's checksum."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


class PageFingerprints:
    """Fingerprints for one build: one environment, one site, memoised per template and paper."""

    def __init__(
        self, env: jinja2.Environment, site: Site, papers: PaperDigests | None = None, uses: dict[str, TemplateUse] | None = None
    ) -> None:
        self._env = env
        self.site = site
        """Kept alive with the build: memos are keyed by the id of objects inside it."""
        self._templates: dict[str, TemplateUse] = uses if uses is not None else {}
        self._papers: dict[int, bytes] = {}
        self._earlier = papers if papers is not None else PaperDigests()
        self._objects: dict[int, bytes] = {}
        """By id: the objects live as long as the site this instance was made for."""
        self._attributes: dict[tuple[int, str, bool], bytes] = {}
        self._plan = self.value(tuple(sorted(site.org_renames.items())))
        """The part of the URL plan that depends on the site (``org_path``: slugs of clashing organisation
        ids), which any page may link through without a context variable: every page depends on it."""

    def of(self, template: str, path: str, context: Mapping[str, Any]) -> str | None:
        """The page's fingerprint, or None when it cannot be known (render it every time)."""
        use = self._use(template)
        if not use.cacheable:
            return None
        digest = hashlib.sha256()
        digest.update(f"{code_digest()}\0{use.digest}\0{path}\0".encode())
        digest.update(self._plan)
        for key in sorted(context):
            reads = use.reads.get(key)
            if reads is None:
                continue
            digest.update(key.encode() + b"\0")
            value = context[key]
            if reads.whole:
                digest.update(self.value(value))
                continue
            for name in sorted(reads.attributes):
                digest.update(self._attribute(value, name, counted=False))
            for name in sorted(reads.lengths - reads.attributes):
                digest.update(self._attribute(value, name, counted=True))
        return digest.hexdigest()

    def paper(self, paper: Paper) -> bytes:
        cached = self._papers.get(id(paper))
        if cached is None:
            cached = self._papers[id(paper)] = self._earlier.digest(paper)
        return cached

    def value(self, value: Any) -> bytes:
        return hashlib.sha256(b"".join(self._parts(value))).digest()

    def _parts(self, value: Any) -> Iterator[bytes]:
        if isinstance(value, Paper):
            yield self.paper(value)
        elif value is None or isinstance(value, (bool, int, float, str, dt.date, Path)):
            yield f"{type(value).__name__}:{value!s}\0".encode("utf-8", "surrogatepass")
        elif isinstance(value, tuple) and len(value) > 8:
            # Long tuples (a listing's page paths, a tag's papers) are shared by many pages too.
            cached = self._objects.get(id(value))
            if cached is None:
                cached = self._objects[id(value)] = self.value(list(value))
            yield cached
        elif isinstance(value, (tuple, list)):
            yield f"[{len(value)}\0".encode()
            for item in value:
                yield from self._parts(item)
        elif isinstance(value, Mapping):
            yield f"{{{len(value)}\0".encode()
            for key in sorted(value, key=str):
                yield from self._parts(key)
                yield from self._parts(value[key])
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

    def _attribute(self, owner: Any, name: str, counted: bool) -> bytes:
        """One attribute as Jinja reads it (attribute, else item), or only its length."""
        key = (id(owner), name, counted)
        if key not in self._attributes:
            part = getattr(owner, name, None)
            if part is None and isinstance(owner, Mapping):
                part = owner.get(name)
            if callable(part):  # a method such as date.isoformat: its result depends on the owner
                part = owner
            elif counted and part is not None and hasattr(part, "__len__"):
                part = len(part)
            self._attributes[key] = name.encode() + b"\0" + self.value(part)
        return self._attributes[key]

    def _use(self, template: str) -> TemplateUse:
        if template not in self._templates:
            self._templates[template] = template_use(self._env, template)
        return self._templates[template]


def template_use(env: jinja2.Environment, name: str) -> TemplateUse:
    """Read a template and every template it pulls in, once, without rendering anything."""
    digest = hashlib.sha256()
    found: dict[str, _Found] = {}
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
        _reads(tree, None, None, frozenset(), found)
    reads = {key: Reads(frozenset(f.attributes), frozenset(f.lengths), f.whole) for key, f in found.items()}
    return TemplateUse(digest.hexdigest(), reads, cacheable)


@dataclass
class _Found:
    attributes: set[str] = field(default_factory=set)
    lengths: set[str] = field(default_factory=set)
    whole: bool = False


def _reads(
    node: nodes.Node, parent: nodes.Node | None, grandparent: nodes.Node | None, local: frozenset[str], found: dict[str, _Found]
) -> None:
    """Record every read of a context variable; names bound by loops and macro arguments are not context."""
    if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in local:
        reads = found.setdefault(node.name, _Found())
        if isinstance(parent, nodes.Getattr) and parent.node is node:
            counted = isinstance(grandparent, nodes.Filter) and grandparent.name in ("length", "count") and grandparent.node is parent
            (reads.lengths if counted else reads.attributes).add(parent.attr)
        else:
            reads.whole = True
        return
    if isinstance(node, nodes.For):
        inner = local | _bound(node.target)
        _reads(node.iter, node, parent, local, found)
        for child in [*node.body, *([node.test] if node.test else [])]:
            _reads(child, node, parent, inner, found)
        for child in node.else_:
            _reads(child, node, parent, local, found)
        return
    if isinstance(node, (nodes.Macro, nodes.CallBlock)):
        inner = local | {arg.name for arg in node.args} | {"caller", "varargs", "kwargs"}
        for child in node.defaults:
            _reads(child, node, parent, local, found)
        if isinstance(node, nodes.CallBlock):
            _reads(node.call, node, parent, local, found)
        for child in node.body:
            _reads(child, node, parent, inner, found)
        return
    if isinstance(node, nodes.With):
        for child in node.values:
            _reads(child, node, parent, local, found)
        inner = local | {name for target in node.targets for name in _bound(target)}
        for child in node.body:
            _reads(child, node, parent, inner, found)
        return
    for child in node.iter_child_nodes():
        _reads(child, node, parent, local, found)


def _bound(target: nodes.Node) -> frozenset[str]:
    return frozenset(name.name for name in target.find_all(nodes.Name)) | (
        frozenset({target.name}) if isinstance(target, nodes.Name) else frozenset()
    )
