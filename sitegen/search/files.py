"""The search files of one build: made again only when a paper changed, in a second process on large sites.

The last build's record (a key over everything the files are made from, and
each file's size and digest) says whether the files on disk are still the ones
this site would make; then nothing is made or written. Otherwise the files are
made in a worker process while pages render, and their gzipped sizes (for the
build summary) are measured while the site is written, unless the record
already knows a file's bytes: an edit changes one shard of many. The whole
index as lunr serializes it (`search/lunr.json`, the `search_lunr_json`
option) is made with the shards, from the same documents and term counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from sitegen.model import Paper
from sitegen.search.lunr_index import SearchDocument, short_ref
from sitegen.search.shards import INDEX_SCRIPT, LUNR_JSON, search_fingerprint, search_outputs
from sitegen.search.worker import Forked, Measured, OneCall, SearchWorker, can_fork, gzipped_size, measured_search_outputs
from sitegen.site.collect import Site, paper_path
from sitegen.site.render import plain_text

PARALLEL_SEARCH_FROM = 2000
"""Papers from which the index is built in a second process while pages render (2 cores: about
a third off a 10,000-paper build); below it, starting that process costs more than it saves."""


@dataclass(frozen=True, slots=True)
class SearchSizes:
    """The search files with their bytes, raw and gzipped, as a phone would download them."""

    files: dict[str, tuple[int, int]]
    """Path -> (bytes, gzipped bytes)."""
    rebuilt: bool

    @property
    def shards(self) -> int:
        """Shards of the index the search page loads (index.js, the archive's statistics, not counted)."""
        return sum(path != INDEX_SCRIPT and path != LUNR_JSON for path in self.files)

    @property
    def raw(self) -> int:
        """Bytes of what the search page loads: index.js and the shards."""
        return sum(raw for path, (raw, _) in self.files.items() if path != LUNR_JSON)

    @property
    def gzipped(self) -> int:
        return sum(gzipped for path, (_, gzipped) in self.files.items() if path != LUNR_JSON)

    @property
    def lunr_json(self) -> tuple[int, int] | None:
        """(bytes, gzipped bytes) of search/lunr.json, or None when the site has none."""
        return self.files.get(LUNR_JSON)


def search_documents(site: Site, texts: Mapping[str, str] | None = None) -> list[SearchDocument]:
    """One document per paper, referred to by its position (``short_ref``).

    Authors are the paper's names; a paper that gives only a count has none
    (the count is neither indexed nor shown). Comment and upvote counts are
    stored for the page to show and sort by, never indexed.

    ``texts`` maps Markdown bodies to their plain text where it is already known.
    """
    known = texts or {}
    return [
        SearchDocument(
            ref=short_ref(position),
            title=paper.title,
            url=paper_path(paper),
            date=paper.date.isoformat() if paper.date else None,
            tags=paper.tags,
            organisation=paper.organisation.name if paper.organisation else "",
            abstract=known[paper.body] if paper.body in known else plain_text(paper.body),
            authors=paper.authors,
            keywords=paper.keywords,
            comments=paper.comments,
            upvotes=paper.upvotes,
        )
        for position, paper in enumerate(site.papers)
    ]


def search_key(site: Site, digest: Callable[[Paper], bytes]) -> str:
    """Everything the search files are made from (and a little more), without making the documents."""
    hashed = hashlib.sha256(search_fingerprint([], site.config.search_shard_kib).encode("ascii"))
    if site.config.search_lunr_json:
        hashed.update(LUNR_JSON.encode("ascii"))  # the same documents make one more file
    for paper in site.papers:
        hashed.update(digest(paper))
    return hashed.hexdigest()


class SearchFiles:
    """The search files of one build, from the moment pages start rendering to the record for the next build.

    ``previous`` is the last build's record (``finish`` gives this build's);
    ``intact(path, key)`` says whether a file on disk is as the build that
    recorded ``key`` wrote it; ``digest`` hashes a paper; ``worker`` is a
    session's long-lived process, if any. Use as a context manager: leaving it
    stops whatever is still running.
    """

    def __init__(
        self,
        site: Site,
        texts: Mapping[str, str],
        previous: Mapping[str, Any],
        intact: Callable[[str, str], bool],
        digest: Callable[[Paper], bytes],
        worker: SearchWorker | None = None,
    ) -> None:
        self.key = search_key(site, digest)
        self._previous = previous
        self._stack = ExitStack()
        self._made: dict[str, bytes] = {}
        self._digests: dict[str, str] = {}
        self._gzipped: dict[str, int | Future[int]] = {}
        lunr_json = site.config.search_lunr_json
        reusable = _recorded_sizes(previous, self.key, lunr_json)
        if reusable is not None and not all(intact(path, self.key) for path in reusable.files):
            reusable = None
        self._reused = reusable
        if reusable is None:
            known = _gzipped_by_digest(previous)
            self._wait = self._start(search_documents(site, texts), site.config.search_shard_kib, lunr_json, worker, known)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._stack.close()

    def files(self) -> dict[str, bytes | None]:
        """Path -> bytes, or None for a file already on disk as it should be; waits for the worker."""
        if self._reused is not None:
            return dict.fromkeys(self._reused.files)
        self._made, measured = self._wait()
        if measured is not None:  # the worker measured them
            self._digests, sizes = measured
            self._gzipped = dict(sizes)
            return dict(self._made)
        self._digests = {path: hashlib.sha256(data).hexdigest() for path, data in self._made.items()}
        known = _gzipped_by_digest(self._previous)
        gzipping = self._stack.enter_context(ThreadPoolExecutor(max_workers=2))  # zlib lets go of the GIL
        self._gzipped = {
            path: known[self._digests[path]] if self._digests[path] in known else gzipping.submit(gzipped_size, data)
            for path, data in self._made.items()
        }
        return dict(self._made)

    def finish(self) -> tuple[SearchSizes, dict[str, Any]]:
        """The files' sizes and the record the next build compares against; call after ``files``."""
        if self._reused is not None:
            return self._reused, dict(self._previous)
        sizes = {
            path: (len(self._made[path]), size if isinstance(size, int) else size.result())
            for path, size in self._gzipped.items()
        }
        return SearchSizes(sizes, rebuilt=True), {"key": self.key, "files": sizes, "digests": self._digests}

    def _start(
        self, documents: list[SearchDocument], shard_kib: int, lunr_json: bool, worker: SearchWorker | None, known: dict[str, int]
    ) -> Callable[[], tuple[dict[str, bytes], Measured | None]]:
        """Start making the files; the function returned waits for them (and their digests and gzipped
        sizes, when the worker measured them: ``known`` has those of the last build's files).

        A session's worker is used whatever the size (it is already up, and
        remembers the last build's work); a build from the command line forks
        one (parallel.py's reasons), or spawns one where it cannot fork. If the
        second process cannot start or dies (out of memory, killed), the files
        are made in this one: a build never fails for want of a process.
        """
        if worker is not None or len(documents) >= PARALLEL_SEARCH_FROM:
            try:
                future: Future[tuple[dict[str, bytes], Measured]] | Forked | OneCall
                if worker is not None:
                    future = worker.submit(documents, shard_kib, lunr_json, known)
                elif can_fork():
                    future = self._stack.enter_context(Forked(measured_search_outputs, documents, shard_kib, lunr_json, known))
                else:  # no thread here either: the build may still fork to render
                    future = self._stack.enter_context(OneCall(measured_search_outputs, documents, shard_kib, lunr_json, known))
            except (OSError, BrokenProcessPool):
                pass
            else:

                def wait() -> tuple[dict[str, bytes], Measured | None]:
                    try:
                        files, measured = future.result()
                    except BrokenProcessPool:
                        if worker is not None:
                            worker.drop()
                        return search_outputs(documents, shard_kib, None, lunr_json), None
                    return files, measured

                return wait
        files = search_outputs(documents, shard_kib, None, lunr_json)
        return lambda: (files, None)


def _recorded_sizes(recorded: Mapping[str, Any], key: str, lunr_json: bool) -> SearchSizes | None:
    """The sizes recorded by the build that made the search files from the same documents, if the
    record is whole: index.js, shards numbered from 0 without a gap and lunr.json if it is on,
    each with two sizes."""
    try:
        if recorded.get("key") != key:
            return None
        files = {path: (_size(raw), _size(gzipped)) for path, (raw, gzipped) in recorded["files"].items()}
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    whole = {LUNR_JSON} if lunr_json else set()
    shards = {f"search/shard-{number}.js" for number in range(len(files) - 1 - len(whole))}
    return SearchSizes(files, rebuilt=False) if set(files) == {INDEX_SCRIPT, *shards, *whole} else None


def _gzipped_by_digest(recorded: Mapping[str, Any]) -> dict[str, int]:
    try:
        return {str(recorded["digests"][path]): _size(sizes[1]) for path, sizes in recorded["files"].items()}
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return {}


def _size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise ValueError(f"not a file size: {value!r:.40}")
    return value
