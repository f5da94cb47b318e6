"""The second process that makes search files while the first renders pages (2 cores: a third off a large build).

A build borrows the same kind of process to parse half the pages of a first
build. Processes are spawned, not forked: forking a threaded process (the
preview's) can deadlock. A worker ignores Ctrl-C; the parent stops it.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sitegen.search.lunr_index import SearchDocument
from sitegen.search.shards import SearchMemory, search_outputs

_WORKER_MEMORY = SearchMemory()


def start_worker() -> None:
    """Initializer of a worker process: Ctrl-C is for the parent, which stops the worker itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_pool() -> ProcessPoolExecutor:
    """One worker process, for search files or for parsing."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=start_worker)


def remembering_search_outputs(documents: Sequence[SearchDocument], shard_kib: int, lunr_json: bool = False) -> dict[str, bytes]:
    """`search_outputs` with this process's memory: for a worker process that serves build after build."""
    return search_outputs(documents, shard_kib, _WORKER_MEMORY, lunr_json)


class SearchWorker:
    """A worker that stays up from one build to the next (the preview's) and remembers each paper's terms
    and each shard's text (`SearchMemory`), so a save tokenizes one paper and encodes one shard."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, documents: Sequence[SearchDocument], shard_kib: int, lunr_json: bool = False) -> Future[dict[str, bytes]]:
        """Raises OSError or BrokenProcessPool (after forgetting the dead process) if no process can take it."""
        if self._pool is None:
            self._pool = worker_pool()
        try:
            return self._pool.submit(remembering_search_outputs, documents, shard_kib, lunr_json)
        except (OSError, BrokenProcessPool):
            self.drop()
            raise

    def drop(self) -> None:
        """Let the process go (it died, or the session ends); the next submit starts a new one."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
