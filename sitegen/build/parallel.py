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

import contextlib
import multiprocessing
import signal
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from sitegen.search.worker import Forked, can_fork

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
    except OSError:  # no shared memory or semaphores here (a locked-down container): all of it in this process
        for item in items:
            keep(item, work(item))
        return
    with contextlib.ExitStack() as stack:
        try:
            fork: Forked | None = stack.enter_context(Forked(_serve, items, work, report, counters, lock))
        except OSError:
            fork = None
        while (span := _take(counters, lock, front=True)) is not None:
            for index in range(*span):
                keep(items[index], work(items[index]))
            if tick is not None:
                tick(counters[0] + len(items) - counters[1])
        try:
            reported: dict[int, Any] | None = fork.result() if fork is not None else None
        except BrokenProcessPool:  # the fork failed: nothing it took counts
            reported = None
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
    items: Sequence[Item], work: Callable[[Item], Done], report: Callable[[Item, Done], Any], counters: Any, lock: Any
) -> dict[int, Any]:  # pragma: no cover - runs in the fork
    """The fork's share: items from the back, until the two ends meet; what each left, by index."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the fork at once; this process stops it anyway
    done: dict[int, Any] = {}
    while (span := _take(counters, lock, front=False)) is not None:
        for index in range(span[1] - 1, span[0] - 1, -1):
            done[index] = report(items[index], work(items[index]))
    return done
