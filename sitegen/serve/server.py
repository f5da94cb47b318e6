"""`sitegen serve`: a local preview that rebuilds on every edit and reloads open pages.

Shaped after MkDocs' livereload: the HTTP server only serves files and events,
the watchdog callback only records paths and sets a flag, and one loop debounces
and calls the builder. The reload script and the error overlay are injected into
HTML as it is served, never written to disk, and a failed build keeps the last
good site on screen.

Under load the preview costs a fixed number of threads, whatever the clients do
(``_Server`` and ``EventBroadcaster`` say how): one loop accepts connections and
holds each, without a thread, until its request has arrived; a fixed pool of
workers answers them; one more thread feeds every open reload stream.
"""

from __future__ import annotations

import errno
import html
import io
import mimetypes
import os
import posixpath
import queue
import re
import selectors
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from sitegen.build.output import MARKER
from sitegen.config import CONFIG_FILE, SITE_FILE, Config
from sitegen.errors import SitegenError
from sitegen.inputs.convert import LISTING_SUFFIXES

EVENTS_PATH = "/__sitegen/events"
_BASE_HREF = re.compile(rb'<base href="[^"]*">')
DEBOUNCE_SECONDS = 0.15
"""Editors save in several events; wait this long after the last one before rebuilding."""
_HEARTBEAT_SECONDS = 15.0

WORKERS = 16
"""Threads that answer requests; a connection only reaches one once its whole request head has arrived."""
BACKLOG = 1024
"""The listen backlog (the kernel caps it at net.core.somaxconn): connections beyond what the server holds wait here."""
MAX_CONNECTIONS = 512
"""Connections accepted and not yet answered (waiting for their request, queued or being answered); past
this the loop stops accepting until one is done, and the rest wait in the backlog, costing nothing."""
HEADER_TIMEOUT = 10.0
"""A connection must send its whole request head within this many seconds of being accepted (slowloris)."""
CONNECTION_TIMEOUT = 10.0
"""The socket time-out of a worker's connection: bounds each read and each write of a response."""
MAX_EVENT_STREAMS = 256
"""Open reload streams (one per open tab); past this a new one is answered 503 (the page still works)."""
_MAX_HEAD = 256 * 1024
"""A request head that has not ended by this many bytes is refused (431) by the loop: a worker only ever
gets a whole request head, so it never waits on a client to send."""
_TOO_LARGE = b"HTTP/1.0 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

RELOAD_SCRIPT = """<script>(function () {
  if (!window.EventSource) return;
  var source = new EventSource("%s");
  source.addEventListener("reload", function () { source.close(); location.reload(); });
})();</script>"""
"""Filled in with ``EVENTS_PATH?since=N``, N being the build the page was served from, so a rebuild
that finishes between serving the page and the script connecting still reloads it."""

_OVERLAY_TEXT = (
    "all:revert;display:block;box-sizing:border-box;margin:0;padding:0;border:0;background:#2b0b0b;color:#ffe9e9;"
    "font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;text-align:left;text-shadow:none;"
)
"""Every element of the overlay states all it looks like, !important and inline, so no theme rule
(a light ``pre`` background, say) can make its text unreadable: #ffe9e9 on #2b0b0b is 16:1."""


def _important(style: str) -> str:
    return "".join(f"{rule} !important;" for rule in style.split(";") if rule)


OVERLAY = (
    '<div id="sitegen-error-overlay" role="alert" aria-live="assertive" style="'
    + _important(
        _OVERLAY_TEXT + "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:2147483647;"
        "padding:1rem 1.25rem;border-top:4px solid #ff5c5c;color-scheme:dark"
    )
    + '"><strong style="' + _important(_OVERLAY_TEXT + "font-weight:700") + '">'
    "sitegen: the last rebuild failed; showing the last good site.</strong>"
    '<pre style="' + _important(_OVERLAY_TEXT + "white-space:pre-wrap;margin-top:.5rem;overflow-wrap:anywhere") + '">%s</pre></div>'
)


NOT_BUILT_PAGE = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Not built yet</title><body><h1>Not built yet</h1>"
    b"<p>sitegen has not built this folder yet; this page reloads once a build succeeds.</p></body></html>"
)
"""Answered (503) for every path while the folder has no build marker: the preview serves a built site only."""
NOT_FOUND_PAGE = b"<!doctype html><title>Not found</title><body><h1>Not found</h1></body>"
"""The 404 body when the site has no usable 404.html of its own."""


class ChangeKind(Enum):
    SEED = "seed"
    CONTENT = "content"
    TEMPLATE = "template"
    STATIC = "static"
    CONFIG = "config"


_SED_TEMPORARY = re.compile(r"sed[A-Za-z0-9]{6}")
_TEMPORARY_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".part", ".crdownload")


def is_temporary(name: str) -> bool:
    """Files editors and tools make while saving (vim's .x.swp and 4913, emacs's #x# and .#x, sed -i's
    sedXXXXXX, downloads' .part), and hidden files, which no stage reads: never a change worth a rebuild."""
    return (
        name.startswith((".", "#"))
        or name.endswith(_TEMPORARY_SUFFIXES)
        or name == "4913"
        or _SED_TEMPORARY.fullmatch(name) is not None
    )


def classify(path: Path, config: Config) -> ChangeKind | None:
    """What kind of change a changed path is, or None when it cannot affect the site."""
    if is_temporary(path.name):
        return None
    root = config.root.resolve()
    path = path.resolve() if path.is_absolute() else (root / path).resolve()
    if path in (root / CONFIG_FILE, root / SITE_FILE):
        return ChangeKind.CONFIG
    folders = [
        (config.path("seeds_dir"), ChangeKind.SEED),
        (config.path("theme_dir") / "templates", ChangeKind.TEMPLATE),
        (config.path("templates_dir"), ChangeKind.TEMPLATE),
        (config.path("theme_dir") / "static", ChangeKind.STATIC),
        (config.path("content_dir"), ChangeKind.CONTENT),
    ]
    for folder, kind in folders:
        if path.is_relative_to(folder.resolve()):
            if kind is ChangeKind.SEED and not path.name.endswith(LISTING_SUFFIXES):
                return None
            return kind
    return None


@dataclass
class BuildState:
    """What the server shows: a generation that bumps on every rebuild, and the last error if any."""

    generation: int = 0
    error: str | None = None


class Preview:
    """Server + watcher + rebuild loop. ``rebuild`` gets the changed paths and raises SitegenError on failure."""

    def __init__(
        self,
        config: Config,
        folder: Path,
        rebuild: Callable[[frozenset[Path]], str],
        host: str = "127.0.0.1",
        port: int = 8000,
        log: Callable[[str], None] = print,
    ) -> None:
        self.config = config
        self.folder = folder
        self._rebuild = rebuild
        self._log = log
        self.state = BuildState()
        self._changed = threading.Condition()
        self._pending: set[Path] = set()
        self._last_event = 0.0
        self._stopping = threading.Event()
        self.rebuilds = 0
        try:
            server_class = _Server6 if ":" in host else _Server
            self.server = server_class((host, port), _handler(self))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise SitegenError(f"port {port} on {host} is in use; choose another with --port, or --port 0 for a free one") from None
            raise SitegenError(f"cannot listen on {host}:{port}: {error.strerror}") from None
        self.events = EventBroadcaster(lambda: self.state.generation)
        self._observer = Observer()
        self._threads: list[threading.Thread] = []
        self._started = False
        self.on_stop: list[Callable[[], None]] = []
        """Called once the server and the rebuild loop have stopped."""

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"

    def start(self) -> None:
        self._started = True
        handler = _Recorder(self)
        for folder in self._watched_folders():
            self._observer.schedule(handler, str(folder), recursive=True)
        self._observer.schedule(handler, str(self.config.root), recursive=False)
        self._observer.start()
        self.events.start()
        for name, target in (("sitegen-serve-accept", self.server.serve_forever), ("sitegen-serve-rebuild", self._loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop serving, watching and rebuilding, close every connection and join every thread.

        Also right for a preview that was never started (its socket is closed)."""
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        if self._started:
            self._observer.stop()
        self.server.shutdown()
        self.events.stop()
        for thread in self._threads:
            thread.join(timeout=5)
        self.server.server_close()
        if self._started:
            self._observer.join(timeout=5)
        for callback in self.on_stop:
            callback()

    def record(self, path: Path) -> None:
        if classify(path, self.config) is None:
            return
        with self._changed:
            self._pending.add(path)
            self._last_event = time.monotonic()
            self._changed.notify_all()

    def wait_for_generation(self, seen: int, timeout: float) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self.state.generation != seen or self._stopping.is_set(), timeout)
            return self.state.generation

    def _watched_folders(self) -> Iterable[Path]:
        candidates = [
            self.config.path("content_dir"),
            self.config.path("theme_dir"),
            self.config.path("seeds_dir"),
            self.config.path("templates_dir"),
        ]
        return [folder for folder in candidates if folder.is_dir()]

    def _loop(self) -> None:
        while not self._stopping.is_set():
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending) or self._stopping.is_set())
                if self._stopping.is_set():
                    return
            self._settle()
            with self._changed:
                changes = frozenset(self._pending)
                self._pending.clear()
            self._run(changes)

    def _settle(self) -> None:
        """Wait until no new event arrived for DEBOUNCE_SECONDS, so a burst is one rebuild.

        Timed from the last event, not from the size of the set of changed paths: an editor
        saving one file over and over adds no new path, yet its burst is not over.
        """
        while not self._stopping.is_set():
            with self._changed:
                quiet = time.monotonic() - self._last_event
            if quiet >= DEBOUNCE_SECONDS:
                return
            time.sleep(DEBOUNCE_SECONDS - quiet)

    def _run(self, changes: frozenset[Path]) -> None:
        started = time.perf_counter()
        shown = ", ".join(sorted(_short(path, self.config.root) for path in changes)[:3])
        more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
        try:
            summary = self._rebuild(changes)
            error = None
        except SitegenError as failure:
            summary, error = "build failed", str(failure)
        self.rebuilds += 1
        elapsed = time.perf_counter() - started
        with self._changed:
            self.state = BuildState(self.state.generation + 1, error)
            self._changed.notify_all()
        self.events.notify()
        self._log(f"{shown}{more} changed: {summary} ({elapsed:.2f} s)")
        if error:
            self._log(error)


class _Recorder(FileSystemEventHandler):
    """The watchdog callback: record paths, nothing else (the loop does the work)."""

    def __init__(self, preview: Preview) -> None:
        self._preview = preview

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self._preview.record(Path(os.fsdecode(raw)))


# --- the HTTP server ----------------------------------------------------------------------------


class _Waker:
    """A socket pair that interrupts a ``select`` from another thread."""

    def __init__(self) -> None:
        self.reader, self._writer = socket.socketpair()
        self.reader.setblocking(False)
        self._writer.setblocking(False)

    def wake(self) -> None:
        try:
            self._writer.send(b"\0")
        except OSError:
            pass  # full (a wake-up is pending anyway) or closed (stopped)

    def drain(self) -> None:
        try:
            while self.reader.recv(4096):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self.reader.close()
        self._writer.close()


@dataclass(slots=True)
class _Waiting:
    """A connection accepted whose request head has not all arrived yet."""

    address: Any
    deadline: float
    head: bytearray = field(default_factory=bytearray)
    registered: bool = False
    """In the selector (only once a first read did not bring the whole head)."""


class _Server(HTTPServer):
    """HTTP/1.0, one request per connection, in a fixed number of threads.

    ``serve_forever`` is one loop over non-blocking sockets: it accepts connections
    and keeps each, without a thread, until its request head has arrived (an idle
    or slow connection is dropped after HEADER_TIMEOUT), then queues it for one of
    WORKERS threads, which answers with a CONNECTION_TIMEOUT on the socket. Past
    MAX_CONNECTIONS held at once it stops accepting, and the rest wait in the
    kernel's backlog (BACKLOG). An event stream is handed on to the
    EventBroadcaster, so it holds no worker either.
    """

    allow_reuse_address = True
    request_queue_size = BACKLOG
    workers = WORKERS
    max_connections = MAX_CONNECTIONS
    header_timeout = HEADER_TIMEOUT

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._lock = threading.Lock()
        self._waker = _Waker()
        self._ready: queue.SimpleQueue[tuple[socket.socket, Any, bytes] | None] = queue.SimpleQueue()
        self._held = 0
        self._answering: set[socket.socket] = set()
        self._closing = False
        self._running = False
        self._stop_requested = False
        self._stopped = threading.Event()
        self._accept_again = 0.0
        self._local = threading.local()
        super().__init__(address, handler)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        with self._lock:
            if self._stop_requested or self._running:
                return
            self._running = True
            self._stopped.clear()
        workers = [threading.Thread(target=self._work, name=f"sitegen-serve-worker-{number}", daemon=True)
                   for number in range(self.workers)]
        for worker in workers:
            worker.start()
        selector = selectors.DefaultSelector()
        waiting: dict[socket.socket, _Waiting] = {}
        try:
            self.socket.setblocking(False)
            selector.register(self._waker.reader, selectors.EVENT_READ)
            listening = False
            while not self._stop_requested:
                if self._accept_again and time.monotonic() >= self._accept_again:
                    self._accept_again = 0.0
                wanted = self._held < self.max_connections and not self._accept_again
                if wanted != listening:
                    if wanted:
                        selector.register(self.socket, selectors.EVENT_READ)
                    else:
                        selector.unregister(self.socket)
                    listening = wanted
                timeout = None
                if waiting:
                    timeout = max(0.0, next(iter(waiting.values())).deadline - time.monotonic())
                if self._accept_again:
                    pause = max(0.0, self._accept_again - time.monotonic())
                    timeout = pause if timeout is None else min(timeout, pause)
                for key, _ in selector.select(timeout):
                    if key.fileobj is self._waker.reader:
                        self._waker.drain()
                    elif key.fileobj is self.socket:
                        self._accept(selector, waiting)
                    else:
                        self._receive(key.fileobj, selector, waiting)  # type: ignore[arg-type]
                self._expire(selector, waiting)
        finally:
            selector.close()
            for connection in waiting:
                connection.close()
            self._finish(workers)

    def _accept(self, selector: selectors.BaseSelector, waiting: dict[socket.socket, _Waiting]) -> None:
        for _ in range(64):  # a burst at a time, then the connections already held get their turn
            if self._held >= self.max_connections:
                return
            try:
                connection, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self._accept_again = time.monotonic() + 0.1  # out of files: let the backlog hold them a moment
                return
            self._accept_again = 0.0
            with self._lock:
                self._held += 1
            connection.setblocking(False)
            waiting[connection] = _Waiting(address, time.monotonic() + self.header_timeout)
            self._receive(connection, selector, waiting)  # the request has often arrived with the connection

    def _receive(self, connection: socket.socket, selector: selectors.BaseSelector, waiting: dict[socket.socket, _Waiting]) -> None:
        pending = waiting[connection]
        try:
            data = connection.recv(65536)
        except (BlockingIOError, InterruptedError):
            data = None
        except OSError:
            data = b""
        if data:
            pending.head += data
        complete = bool(data) and _head_complete(pending.head)
        if data is None or (data and not complete and len(pending.head) < _MAX_HEAD):
            if not pending.registered:
                selector.register(connection, selectors.EVENT_READ)
                pending.registered = True
            return
        if pending.registered:
            selector.unregister(connection)
        del waiting[connection]
        if complete:
            self._ready.put((connection, pending.address, bytes(pending.head)))
            return
        if data:  # too long to be a request head
            try:
                connection.send(_TOO_LARGE)
            except OSError:
                pass
        connection.close()  # or closed before it sent a whole request
        self._release()

    def _expire(self, selector: selectors.BaseSelector, waiting: dict[socket.socket, _Waiting]) -> None:
        """Drop the connections whose request head did not arrive in time (oldest first: deadlines are in order)."""
        now = time.monotonic()
        while waiting:
            connection, pending = next(iter(waiting.items()))
            if pending.deadline > now:
                return
            if pending.registered:
                selector.unregister(connection)
            del waiting[connection]
            connection.close()
            self._release()

    def _release(self) -> None:
        with self._lock:
            self._held -= 1
            paused = self._held == self.max_connections - 1
        if paused:
            self._waker.wake()

    def _work(self) -> None:
        while (item := self._ready.get()) is not None:
            connection, address, head = item
            with self._lock:
                closing = self._closing
                if not closing:
                    self._answering.add(connection)
            if closing:
                connection.close()
            else:
                self._answer(connection, address, head)
                with self._lock:
                    self._answering.discard(connection)
            self._release()

    def _answer(self, connection: socket.socket, address: Any, head: bytes) -> None:
        handed_off = False
        self._local.head = head
        try:
            connection.settimeout(CONNECTION_TIMEOUT)
            make_handler: Callable[..., object] = self.RequestHandlerClass
            handler = make_handler(connection, address, self)
            handed_off = bool(getattr(handler, "handed_off", False))
        except Exception:  # noqa: BLE001 - as socketserver does: one failed request must not end the worker
            self.handle_error(connection, address)
        finally:
            self._local.head = b""
            if handed_off:
                connection.close()  # without shutdown(): the event stream goes on on its duplicate
            else:
                self.shutdown_request(connection)

    def take_head(self) -> bytes:
        """The request head the loop read for the connection this worker thread is answering."""
        head: bytes = getattr(self._local, "head", b"")
        self._local.head = b""
        return head

    def _finish(self, workers: list[threading.Thread]) -> None:
        """Close what is queued, cut the connections being answered, and join the workers."""
        with self._lock:
            self._closing = True
            for connection in self._answering:
                try:
                    connection.shutdown(socket.SHUT_RDWR)  # a worker blocked on a slow client returns at once
                except OSError:
                    pass
        for _ in workers:
            self._ready.put(None)
        for worker in workers:
            worker.join(timeout=CONNECTION_TIMEOUT + 1)
        while True:
            try:
                item = self._ready.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].close()
        with self._lock:
            self._running = False
        self._stopped.set()

    def shutdown(self) -> None:
        """Stop ``serve_forever`` and wait until it has; returns at once if it is not running."""
        with self._lock:
            self._stop_requested = True
            running = self._running
        if running:
            self._waker.wake()
            self._stopped.wait()

    def server_close(self) -> None:
        super().server_close()
        self._waker.close()

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that goes away mid-request (a reload, a closed tab) or stalls is normal, not a stack trace."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Server6(_Server):
    address_family = socket.AF_INET6


def _head_complete(head: bytes | bytearray) -> bool:
    """Has the whole request head arrived (or enough for the handler to answer or refuse it)?"""
    if b"\r\n\r\n" in head or b"\n\n" in head:
        return True
    end = head.find(b"\n")
    return end >= 0 and len(head[:end].split()) < 3  # an HTTP/0.9 line has no headers; junk is the handler's to refuse


class _Prefixed(io.RawIOBase):
    """A connection's reader that first gives back the bytes the server loop already read from it."""

    def __init__(self, head: bytes, rest: io.BufferedIOBase) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read1(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._rest.close()
        super().close()


# --- live reload ---------------------------------------------------------------------------------


class EventBroadcaster:
    """Every open reload stream, fed by one thread instead of holding a worker each.

    The handler answers the request and hands over a duplicate of its socket with
    the build the page was served from (``since``); this thread writes ``event:
    reload`` to every stream whose build is not the current one, ``: ping`` to all
    every heartbeat, and drops a stream once its peer has closed it or a write
    does not go through at once: writes never block, so one stuck client cannot
    delay the others (a browser reconnects by itself, with its ``since``, and
    misses no reload).
    """

    def __init__(
        self, generation: Callable[[], int], heartbeat: float = _HEARTBEAT_SECONDS, limit: int = MAX_EVENT_STREAMS
    ) -> None:
        self._generation = generation
        self._heartbeat = heartbeat
        self._limit = limit
        self._lock = threading.Lock()
        self._waker = _Waker()
        self._new: list[tuple[socket.socket, int]] = []
        self._streams: dict[socket.socket, int] = {}
        """Each stream and the build it was last told about."""
        self._count = 0
        self._stopping = False
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        return self._count

    def has_room(self) -> bool:
        return self._count < self._limit and not self._stopping

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sitegen-serve-events", daemon=True)
        self._thread.start()

    def add(self, stream: socket.socket, seen: int) -> bool:
        """Take over ``stream``, whose page came from build ``seen``; False (and the caller keeps it) when full or stopped."""
        with self._lock:
            if self._stopping or self._thread is None or self._count >= self._limit:
                return False
            self._count += 1
            self._new.append((stream, seen))
        self._waker.wake()
        return True

    def notify(self) -> None:
        """The build changed: tell every stream."""
        self._waker.wake()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
        self._waker.wake()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._waker.close()

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._waker.reader, selectors.EVENT_READ)
        next_ping = time.monotonic() + self._heartbeat
        try:
            while True:
                for key, _ in selector.select(max(0.0, next_ping - time.monotonic())):
                    if key.fileobj is self._waker.reader:
                        self._waker.drain()
                    else:
                        self._readable(key.fileobj, selector)  # type: ignore[arg-type]
                with self._lock:
                    if self._stopping:
                        return
                    new, self._new = self._new, []
                for stream, seen in new:
                    stream.setblocking(False)
                    selector.register(stream, selectors.EVENT_READ)
                    self._streams[stream] = seen
                current = self._generation()
                reload = f"event: reload\ndata: {current}\n\n".encode()
                for stream, seen in list(self._streams.items()):
                    if seen != current and self._send(stream, reload, selector):
                        self._streams[stream] = current
                if time.monotonic() >= next_ping:
                    for stream in list(self._streams):
                        self._send(stream, b": ping\n\n", selector)
                    next_ping = time.monotonic() + self._heartbeat
        finally:
            with self._lock:
                self._stopping = True
                leftover = [stream for stream, _ in self._new]
                self._new = []
            for stream in [*self._streams, *leftover]:
                _close(stream)
            self._streams.clear()
            self._count = 0
            selector.close()

    def _readable(self, stream: socket.socket, selector: selectors.BaseSelector) -> None:
        """A stream's client sends nothing after its request: readable means it closed (or misbehaves)."""
        try:
            if stream.recv(4096):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._drop(stream, selector)

    def _send(self, stream: socket.socket, data: bytes, selector: selectors.BaseSelector) -> bool:
        try:
            if stream.send(data) == len(data):
                return True
        except OSError:
            pass
        self._drop(stream, selector)  # a part written would leave the stream garbled: end it, the browser reconnects
        return False

    def _drop(self, stream: socket.socket, selector: selectors.BaseSelector) -> None:
        selector.unregister(stream)
        del self._streams[stream]
        _close(stream)
        with self._lock:
            self._count -= 1


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()


# --- the request handler -------------------------------------------------------------------------


def _handler(preview: Preview) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "sitegen"
        timeout = CONNECTION_TIMEOUT
        handed_off = False
        """Set once the connection belongs to the EventBroadcaster."""

        def setup(self) -> None:
            super().setup()
            take_head = getattr(self.server, "take_head", None)
            head = take_head() if take_head is not None else b""
            if head:
                self.rfile = io.BufferedReader(_Prefixed(head, self.rfile))

        def do_GET(self) -> None:
            self._respond(send_body=True)

        def do_HEAD(self) -> None:
            self._respond(send_body=False)

        def _not_allowed(self) -> None:
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _respond(self, send_body: bool) -> None:
            url = urlsplit(self.path)
            request_path = url.path
            if request_path == EVENTS_PATH and send_body:
                self._events(_since(url.query))
                return
            folder = preview.folder
            if not is_built(folder):
                self._send(HTTPStatus.SERVICE_UNAVAILABLE, NOT_BUILT_PAGE, "text/html", send_body, {"Retry-After": "1"})
                return
            target = resolve_request(folder, request_path)
            if target is not None and target.is_dir():
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", request_path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = read_regular_file(target) if target is not None else None
            if target is None or data is None:
                self._not_found(folder, send_body)
            else:
                self._send(HTTPStatus.OK, data, mimetypes.guess_type(target.name)[0] or "application/octet-stream", send_body)

        def _not_found(self, folder: Path, send_body: bool) -> None:
            """The site's own 404 page, found as any request is: never through a link out of the site."""
            page = resolve_request(folder, "/404.html")
            data = read_regular_file(page) if page is not None else None
            data = _BASE_HREF.sub(b'<base href="/">', data, count=1) if data is not None else NOT_FOUND_PAGE  # the preview serves the site at /
            self._send(HTTPStatus.NOT_FOUND, data, "text/html", send_body)

        def _send(self, status: HTTPStatus, data: bytes, kind: str, send_body: bool, headers: dict[str, str] | None = None) -> None:
            if kind == "text/html":
                state = preview.state
                data = inject(data, state.error, state.generation)
            if kind.startswith("text/") or kind in ("application/javascript", "application/json", "image/svg+xml"):
                kind += "; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(data)

        def _events(self, since: int | None) -> None:
            """Answer the request, then hand the socket to the broadcaster: the worker is free again."""
            if not preview.events.has_room():
                self.send_response(HTTPStatus.SERVICE_UNAVAILABLE)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            seen = preview.state.generation if since is None else since
            stream = self.connection.dup()
            if preview.events.add(stream, seen):
                self.handed_off = True
            else:
                stream.close()  # stopping or full: the stream ends here and the browser retries

    return Handler


def is_built(folder: Path) -> bool:
    """Does ``folder`` hold a site sitegen built (its marker file), rather than anything else?"""
    try:
        return stat.S_ISREG(os.lstat(folder / MARKER).st_mode)
    except OSError:
        return False


def read_regular_file(path: Path) -> bytes | None:
    """The bytes of ``path`` if it is a regular file; None for anything else (a folder, a FIFO that
    would block a worker, a device) or when it cannot be read."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with open(handle, "rb") as stream:
        try:
            if not stat.S_ISREG(os.fstat(handle).st_mode):
                return None
            return stream.read()
        except OSError:
            return None


def resolve_request(folder: Path, request_path: str) -> Path | None:
    """The file a URL path names inside ``folder``, or None for anything that is not strictly inside it.

    Decoded once only: ``%252e%252e`` stays a literal name that does not exist.
    Symlinks are resolved, so a link pointing out of the folder is refused too.
    """
    decoded = unquote(request_path)
    if "\x00" in decoded or "\\" in decoded:
        return None
    parts = [part for part in decoded.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        return None
    root = folder.resolve()
    candidate = root.joinpath(*parts) if parts else root
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if real != root and not real.is_relative_to(root):
        return None
    if real.is_dir():
        if request_path.endswith("/") or not parts:
            index = real / "index.html"
            return index if index.is_file() else None
        return real
    return real


def inject(page: bytes, error: str | None, generation: int | None = None) -> bytes:
    """The reload script (and the error overlay after a failed rebuild), before ``</body>``.

    ``generation`` is the build the page comes from; the script hands it back to the event stream.
    """
    addition = RELOAD_SCRIPT % (EVENTS_PATH if generation is None else f"{EVENTS_PATH}?since={generation}")
    if error:
        addition = OVERLAY % html.escape(error) + addition
    encoded = addition.encode("utf-8")
    marker = page.rfind(b"</body>")
    return page + encoded if marker < 0 else page[:marker] + encoded + page[marker:]


def _since(query: str) -> int | None:
    """The ``since`` parameter of an events URL, or None if absent or not a number."""
    values = parse_qs(query).get("since", [])
    return int(values[0]) if values and values[0].isascii() and values[0].isdigit() and len(values[0]) < 19 else None


def _short(path: Path, root: Path) -> str:
    try:
        return posixpath.join(*path.resolve().relative_to(root.resolve()).parts)
    except ValueError:
        return str(path)


def run(preview: Preview, open_browser: bool) -> None:
    """Serve until Ctrl-C, then stop the watcher and the server without a stack trace."""
    preview.start()
    try:  # from here on Ctrl-C stops cleanly, even while the browser is still being opened
        print(f"serving {preview.folder} at {preview.url} (Ctrl-C to stop)", flush=True)
        if open_browser:
            import webbrowser

            webbrowser.open(preview.url)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping", file=sys.stderr)
    finally:
        preview.stop()
