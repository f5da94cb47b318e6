"""`sitegen serve`: a local preview that rebuilds on every edit and reloads open pages.

Shaped after MkDocs' livereload: the HTTP server only serves files and events,
the watchdog callback only records paths and sets a flag, and one loop debounces
and calls the builder. The reload script and the error overlay are injected into
HTML as it is served, never written to disk, and a failed build keeps the last
good site on screen.
"""

from __future__ import annotations

import errno
import html
import mimetypes
import os
import posixpath
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from sitegen.config import CONFIG_FILE, Config
from sitegen.errors import SitegenError

EVENTS_PATH = "/__sitegen/events"
_BASE_HREF = re.compile(rb'<base href="[^"]*">')
DEBOUNCE_SECONDS = 0.15
"""Editors save in several events; wait this long after the last one before rebuilding."""
_HEARTBEAT_SECONDS = 15.0

RELOAD_SCRIPT = """<script>(function () {
  if (!window.EventSource) return;
  var source = new EventSource("%s");
  source.addEventListener("reload", function () { source.close(); location.reload(); });
})();</script>"""
"""Filled in with ``EVENTS_PATH?since=N``, N being the build the page was served from, so a rebuild
that finishes between serving the page and the script connecting still reloads it."""

OVERLAY = """<div id="sitegen-error-overlay" role="alert" style="position:fixed;inset:auto 0 0 0;max-height:60vh;\
overflow:auto;z-index:2147483647;margin:0;padding:1rem 1.25rem;background:#2b0b0b;color:#ffe9e9;\
font:14px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;border-top:4px solid #ff5c5c">\
<strong>sitegen: the last rebuild failed; showing the last good site.</strong><pre style="white-space:pre-wrap;margin:.5rem 0 0">%s</pre></div>"""


class ChangeKind(Enum):
    SEED = "seed"
    CONTENT = "content"
    TEMPLATE = "template"
    STATIC = "static"
    CONFIG = "config"


def classify(path: Path, config: Config) -> ChangeKind | None:
    """What kind of change a changed path is, or None when it cannot affect the site."""
    name = path.name
    if name.startswith((".#", "#")) or name.endswith(("~", ".swp", ".swx", ".tmp")) or name == ".convert-state.json":
        return None
    root = config.root.resolve()
    path = path.resolve() if path.is_absolute() else (root / path).resolve()
    if path == root / CONFIG_FILE:
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
            if kind is ChangeKind.SEED and path.suffix != ".txt":
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
        self._observer = Observer()
        self._threads: list[threading.Thread] = []
        self.on_stop: list[Callable[[], None]] = []
        """Called once the server and the rebuild loop have stopped."""

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"

    def start(self) -> None:
        handler = _Recorder(self)
        for folder in self._watched_folders():
            self._observer.schedule(handler, str(folder), recursive=True)
        self._observer.schedule(handler, str(self.config.root), recursive=False)
        self._observer.start()
        for target in (self.server.serve_forever, self._loop):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        self._observer.stop()
        self.server.shutdown()
        self.server.server_close()
        self._observer.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser that goes away mid-request (a reload, a closed tab) is normal, not a stack trace."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Server6(_Server):
    address_family = socket.AF_INET6


def _handler(preview: Preview) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "sitegen"

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
            target = resolve_request(preview.folder, request_path)
            if target is None:
                self._send_file(preview.folder / "404.html", HTTPStatus.NOT_FOUND, send_body)
            elif target.is_dir():
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", request_path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._send_file(target, HTTPStatus.OK, send_body)

        def _send_file(self, path: Path, status: HTTPStatus, send_body: bool) -> None:
            try:
                data = path.read_bytes()
            except OSError:
                data, path = b"<!doctype html><title>Not found</title><h1>Not found</h1>", Path("404.html")
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if status == HTTPStatus.NOT_FOUND:
                data = _BASE_HREF.sub(b'<base href="/">', data, count=1)  # the preview serves the site at /
            if kind == "text/html":
                state = preview.state
                data = inject(data, state.error, state.generation)
            if kind.startswith("text/") or kind in ("application/javascript", "application/json", "image/svg+xml"):
                kind += "; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if send_body:
                self.wfile.write(data)

        def _events(self, since: int | None) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = preview.state.generation if since is None else since
            try:
                self.wfile.write(b"retry: 1000\n\n")
                self.wfile.flush()
                while not preview._stopping.is_set():
                    current = preview.wait_for_generation(seen, _HEARTBEAT_SECONDS)
                    if current != seen:
                        seen = current
                        self.wfile.write(f"event: reload\ndata: {current}\n\n".encode())
                    else:
                        self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

    return Handler


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
