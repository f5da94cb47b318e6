"""The second process that makes search files while the first renders pages (2 cores: a third off a large build).

A build from the command line forks it: a fork starts at once with the search
documents already in memory, nothing imported or sent again. A process with
other threads (the preview's) spawns it instead, since forking a threaded
process can deadlock; the preview keeps its worker from one build to the next.
A spawned worker ignores Ctrl-C; the parent stops it.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import multiprocessing
import os
import pickle
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Self

from sitegen.search.lunr_index import SearchDocument
from sitegen.search.shards import SearchMemory, search_outputs

_WORKER_MEMORY = SearchMemory()


def start_worker() -> None:
    """Initializer of a worker process: Ctrl-C is for the parent, which stops the worker itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def worker_pool() -> ProcessPoolExecutor:
    """One worker process, for search files or for parsing."""
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=start_worker)


def can_fork() -> bool:
    """A second core, fork itself, and no other thread in this process (one holding a lock at the fork
    would hold it forever in the child)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return hasattr(os, "fork") and cores >= 2 and threading.active_count() == 1


def fork() -> int:
    """``os.fork()`` with the collector's objects frozen for it: a collection in the child would
    otherwise write to every object this process holds, copying all its memory page by page."""
    gc.freeze()
    try:
        return os.fork()
    finally:
        gc.unfreeze()


class Forked:
    """``function(*args)`` in a fork of this process, started at once; ``result()`` waits for it.

    Use as a context manager: leaving it stops the fork if it is still running. Raises OSError
    when the fork cannot start.
    """

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        self._receive, send = os.pipe()
        try:
            self._pid = fork()
        except OSError:
            os.close(self._receive)
            os.close(send)
            raise
        if self._pid == 0:  # pragma: no cover - runs in the fork, which ends with os._exit
            code = 1
            try:
                os.close(self._receive)
                value = function(*args)
                with os.fdopen(send, "wb") as stream:
                    pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:  # an error leaves code 1: the caller does the work itself and raises it there
                os._exit(code)
        os.close(send)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._pid > 0:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0
        if self._receive >= 0:
            os.close(self._receive)
            self._receive = -1

    def result(self) -> Any:
        """The function's result; BrokenProcessPool when the fork ended without one (killed, out of memory, or
        an error in the function: the caller's own call then raises it where it can be reported)."""
        with os.fdopen(self._receive, "rb", closefd=False) as stream:
            data = stream.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not data:
            raise BrokenProcessPool("the worker process ended without an answer")
        return pickle.loads(data)


class OneCall:
    """One call of ``function(*args)`` in a spawned process, with no thread in this one.

    A process pool runs two threads in the process that uses it, and a build
    that spreads its rendering over two cores forks (sitegen/build/parallel.py),
    which only a single-threaded process may do. Use as a context manager:
    leaving it stops the process if it is still running.
    """

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        """Raises OSError when the process cannot start."""
        context = multiprocessing.get_context("spawn")
        self._answer, answering = context.Pipe(duplex=False)
        self._process = context.Process(target=_answer, args=(answering, function, args), daemon=True)
        try:
            self._process.start()
        finally:
            answering.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._answer.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join()

    def result(self) -> Any:
        """The function's result; BrokenProcessPool when the process died first (killed, out of memory, or an
        error in the function: the caller's own call then raises it where it can be reported)."""
        try:
            return self._answer.recv()
        except (EOFError, OSError):
            raise BrokenProcessPool("the worker process ended without an answer") from None


def _answer(answering: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    start_worker()
    answering.send(function(*args))
    answering.close()


Measured = tuple[dict[str, str], dict[str, int]]
"""Each search file's digest and gzipped size, by path."""


def measured_search_outputs(
    documents: Sequence[SearchDocument], shard_kib: int, lunr_json: bool, known: Mapping[str, int], memory: SearchMemory | None = None
) -> tuple[dict[str, bytes], Measured]:
    """`search_outputs`, and each file's digest and gzipped size (``known``: sizes by digest), for a worker
    process: gzipping the index there (lunr.json is 25 MB at 10,000 papers) costs the build nothing while
    it renders."""
    files = search_outputs(documents, shard_kib, memory, lunr_json)
    digests = {path: hashlib.sha256(data).hexdigest() for path, data in files.items()}
    sizes = {path: known[digests[path]] if digests[path] in known else gzipped_size(data) for path, data in files.items()}
    return files, (digests, sizes)


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def remembering_search_outputs(
    documents: Sequence[SearchDocument], shard_kib: int, lunr_json: bool, known: Mapping[str, int]
) -> tuple[dict[str, bytes], Measured]:
    """`measured_search_outputs` with this process's memory: for a worker process that serves build after build."""
    return measured_search_outputs(documents, shard_kib, lunr_json, known, _WORKER_MEMORY)


class SearchWorker:
    """A worker that stays up from one build to the next (the preview's) and remembers each paper's terms
    and each shard's text (`SearchMemory`), so a save tokenizes one paper and encodes one shard."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def submit(
        self, documents: Sequence[SearchDocument], shard_kib: int, lunr_json: bool = False, known: Mapping[str, int] | None = None
    ) -> Future[tuple[dict[str, bytes], Measured]]:
        """Raises OSError or BrokenProcessPool (after forgetting the dead process) if no process can take it.
        ``known``: gzipped sizes by digest of files made before, not gzipped again."""
        if self._pool is None:
            self._pool = worker_pool()
        try:
            return self._pool.submit(remembering_search_outputs, documents, shard_kib, lunr_json, dict(known or {}))
        except (OSError, BrokenProcessPool):
            self.drop()
            raise

    def drop(self) -> None:
        """Let the process go (it died, or the session ends); the next submit starts a new one."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
