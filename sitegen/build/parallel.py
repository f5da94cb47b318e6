"""Work over a list spread on two cores: a fork of this process takes items from the back while this one
takes them from the front, until they meet.

A fork starts with everything the build already holds (the site, the templates
compiled so far), so nothing is sent to it but the items' numbers, and it
sends back only what each item left (a page's fingerprint and whether its file
changed: it writes its own files). Taking work from the two ends balances
itself whatever the items cost, and keeps alike items together: pages whose
cards are rendered once stay in one process. If the fork cannot start or
fails, this process does its share; an error in an item is raised here, by
doing the item again in this process.

Only a process with a single thread forks (a thread holding a lock at the
fork would hold it forever in the child): the preview's server and watcher
threads make it render in one process.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sitegen.search.worker import can_fork, fork

__all__ = ["can_fork", "in_two"]

Item = TypeVar("Item")
Done = TypeVar("Done")

_CHUNK = 16
"""Items taken at a time (fewer near the end, so both processes finish together)."""


def in_two(
    items: Sequence[Item],
    work: Callable[[Item], Done],
    keep: Callable[[Item, Done], None],
    report: Callable[[Item, Done], Any],
    adopt: Callable[[Item, Any], None],
    tick: Callable[[int], None] | None = None,
) -> None:
    """``keep(item, work(item))`` for every item, half of them in a fork.

    The fork calls ``report(item, work(item))`` instead of ``keep``, and what it
    returns (small and picklable) reaches ``adopt(item, reported)`` here.
    ``tick(count)`` is told how many items the two processes have taken so far.
    """
    try:
        counters = multiprocessing.RawArray("q", [0, len(items)])
        lock = multiprocessing.Lock()
        receive, send = os.pipe()
    except OSError:  # no shared memory or semaphores here (a locked-down container): all of it in this process
        for item in items:
            keep(item, work(item))
        return
    try:
        child = fork()
    except OSError:
        child = -1
    if child == 0:  # pragma: no cover - runs in the fork, which ends with os._exit
        os.close(receive)
        _serve(items, work, report, counters, lock, send)
    os.close(send)
    try:
        while (span := _take(counters, lock, front=True)) is not None:
            for index in range(*span):
                keep(items[index], work(items[index]))
            if tick is not None:
                tick(counters[0] + len(items) - counters[1])
        reported = _collect(receive, child)
        child = -1
    finally:
        os.close(receive)
        if child > 0:  # an error or Ctrl-C here: the fork's work is no longer wanted
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
    if reported is None:  # no fork, or it failed: its share (from where the two ends met) is done here
        for index in range(counters[0], len(items)):
            keep(items[index], work(items[index]))
        return
    for index, value in reported.items():
        adopt(items[index], value)


def _take(counters: Any, lock: Any, front: bool) -> tuple[int, int] | None:
    """The next span of items from one end, or None when the two ends met."""
    with lock:
        start, end = counters[0], counters[1]
        if start >= end:
            return None
        size = max(1, min(_CHUNK, (end - start) // 8))
        if front:
            counters[0] = start + size
            return start, start + size
        counters[1] = end - size
        return end - size, end


def _serve(
    items: Sequence[Item], work: Callable[[Item], Done], report: Callable[[Item, Done], Any], counters: Any, lock: Any, send: int
) -> None:  # pragma: no cover - runs in the fork
    """The fork: take items from the back, then send what they left and leave without cleaning up."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the fork at once; this process stops it anyway
        done: dict[int, Any] = {}
        while (span := _take(counters, lock, front=False)) is not None:
            for index in range(span[1] - 1, span[0] - 1, -1):
                done[index] = report(items[index], work(items[index]))
        with os.fdopen(send, "wb") as stream:
            pickle.dump(done, stream, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    finally:  # whatever happened: an error leaves code 1, and this process redoes the fork's share, raising it itself
        os._exit(code)


def _collect(receive: int, child: int) -> dict[int, Any] | None:
    """What the fork reported, or None when there was no fork or it failed (then nothing it took counts)."""
    if child < 0:
        return None
    with os.fdopen(receive, "rb", closefd=False) as stream:
        data = stream.read()
    _, status = os.waitpid(child, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not data:
        return None
    found: dict[int, Any] = pickle.loads(data)
    return found
