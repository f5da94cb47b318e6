"""`sitegen serve`: a real server on 127.0.0.1, real files in a project copy, real watchdog events.

Every wait is a bounded poll (``wait_until``), never a fixed sleep: the time-outs
only stop a broken build from hanging the suite, they are not timing assertions.
The last test opens a page in Chromium and watches it reload by itself.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sitegen.build.build import build
from sitegen.build.output import MARKER, MARKER_TEXT
from sitegen.cli import main
from sitegen.config import BUILTIN_THEME, Config, load_config
from sitegen.content.frontmatter import parse_page
from sitegen.errors import SitegenError
from sitegen.serve.preview import start_preview
from sitegen.serve.server import EVENTS_PATH, WORKERS, ChangeKind, EventBroadcaster, Preview, classify

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 15.0
PAPER = "ai-alignment-at-your-discretion"
"""A page the seed digest produced; the converter's state knows its hash."""
OLD_TITLE = "AI Alignment at Your Discretion"
OVERLAY_ID = b"sitegen-error-overlay"
SECRET = b"TOP-SECRET-6f1d"
"""Written next to site/ (outside it): no request may ever get these bytes back."""

T = TypeVar("T")


# --- helpers -----------------------------------------------------------------------------------


def make_project(folder: Path) -> Path:
    """A copy of the repository's sources (not its site/) to edit freely."""
    for name in ("content", "seeds"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copytree(REPO / "sitegen" / "theme", folder / "theme")
    shutil.copy2(REPO / "pyproject.toml", folder / "pyproject.toml")
    return folder


def wait_until(condition: Callable[[], T | None], what: str, timeout: float = TIMEOUT) -> T:
    """Poll ``condition`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def wait_quiet(preview: Preview, quiet: float = 1.0, timeout: float = TIMEOUT) -> int:
    """Wait until no rebuild has started for ``quiet`` seconds; the rebuild count then."""
    deadline = time.monotonic() + timeout
    count, since = preview.rebuilds, time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            pytest.fail(f"rebuilds never settled (still rebuilding after {timeout:.0f} s)")
        time.sleep(0.05)
        if preview.rebuilds != count:
            count, since = preview.rebuilds, time.monotonic()
    return count


@dataclass(frozen=True)
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def type(self) -> str:
        return self.headers.get("Content-Type", "")


def request(preview: Preview, path: str, method: str = "GET") -> Response:
    """One request with http.client, which sends ``path`` as given and follows no redirect."""
    port = preview.server.server_address[1]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return Response(response.status, response.headers, response.read())
    finally:
        connection.close()


def raw_request(preview: Preview, target: bytes) -> Response:
    """A request line sent byte for byte over a socket, so no client library normalises ``..``."""
    port = preview.server.server_address[1]
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        connection.sendall(b"GET " + target + b" HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = http.client.HTTPMessage()
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return Response(int(status_line.split()[1]), headers, body)


def page_url(slug: str) -> str:
    return f"/papers/{slug}/"


def served(preview: Preview, path: str, text: str) -> bytes | None:
    """The page body if it is served with status 200 and contains ``text``."""
    response = request(preview, path)
    return response.body if response.status == 200 and text.encode() in response.body else None


def set_title(page: Path, title: str) -> None:
    text = page.read_text(encoding="utf-8")
    new, count = re.subn(r"^title: .*$", f"title: {title}", text, count=1, flags=re.MULTILINE)
    assert count == 1, f"no title line in {page}"
    page.write_text(new, encoding="utf-8")


class EventClient:
    """An EventSource stand-in over a raw socket: collects (event, data) pairs in a queue."""

    def __init__(self, preview: Preview, since: int | None = None) -> None:
        port = preview.server.server_address[1]
        target = EVENTS_PATH if since is None else f"{EVENTS_PATH}?since={since}"
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self._socket.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        self._stream = self._socket.makefile("rb")
        self.status_line = self._stream.readline().decode("latin-1")
        self.headers: dict[str, str] = {}
        while (line := self._stream.readline().decode("latin-1").strip()):
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self._socket.settimeout(None)  # heartbeats come every 15 s; closing the socket ends the reader
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event, data = "message", list[str]()
        try:
            for raw in self._stream:
                line = raw.decode("utf-8").rstrip("\r\n")
                if not line:
                    if data or event != "message":
                        self.events.put((event, "\n".join(data)))
                    event, data = "message", []
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
        except (OSError, ValueError):
            return

    def next_event(self, timeout: float = TIMEOUT) -> tuple[str, str]:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no server-sent event within {timeout:.0f} s")

    def close(self) -> None:
        try:
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._stream.close()
        self._socket.close()
        self._thread.join(timeout=5)


# --- fixtures ----------------------------------------------------------------------------------


@contextlib.contextmanager
def running_preview(project: Path) -> Iterator[Preview]:
    running = start_preview(load_config(project), project / "site", port=0)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


@pytest.fixture
def preview(project: Path) -> Iterator[Preview]:
    """A preview of its own, for a test that edits files."""
    with running_preview(project) as running:
        yield running


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = make_project(tmp_path_factory.mktemp("shared"))
    (project / "secret.txt").write_bytes(SECRET)
    return project


@pytest.fixture(scope="module")
def shared(shared_project: Path) -> Iterator[Preview]:
    """One preview for the tests that only read: nothing may change its files."""
    with running_preview(shared_project) as running:
        yield running


@pytest.fixture
def events(preview: Preview) -> Iterator[EventClient]:
    client = EventClient(preview)
    try:
        yield client
    finally:
        client.close()


# --- serving files -----------------------------------------------------------------------------


def test_port_zero_picks_a_free_port_on_localhost(shared: Preview) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", shared.url)
    assert shared.server.server_address[1] != 0
    assert request(shared, "/").status == 200


def test_content_types(shared: Preview, shared_project: Path) -> None:
    expected = {
        "/": "text/html",
        "/index.html": "text/html",
        page_url(PAPER): "text/html",
        "/static/style.css": "text/css",
        "/feed.xml": "xml",
        "/sitemap.xml": "xml",
        "/static/vendor/lunr/lunr.js": "javascript",
        "/robots.txt": "text/plain",
    }
    for json_file in sorted((shared_project / "site").rglob("*.json")):
        expected["/" + json_file.relative_to(shared_project / "site").as_posix()] = "application/json"
    for path, kind in expected.items():
        response = request(shared, path)
        assert response.status == 200, path
        assert kind in response.type, (path, response.type)
        assert int(response.headers["Content-Length"]) == len(response.body)
    assert "charset=utf-8" in request(shared, "/").type


def test_directory_urls_serve_index_and_redirect_without_slash(shared: Preview, shared_project: Path) -> None:
    on_disk = (shared_project / "site" / "papers" / PAPER / "index.html").read_bytes()
    page = request(shared, page_url(PAPER))
    assert page.status == 200
    assert page.body.startswith(on_disk[: on_disk.rfind(b"</body>")])
    assert OLD_TITLE.encode() in page.body

    redirect = request(shared, f"/papers/{PAPER}")
    assert redirect.status == 301
    assert redirect.headers["Location"] == f"/papers/{PAPER}/"


def test_redirect_stays_on_this_server(shared: Preview) -> None:
    """A path starting ``//`` must not redirect to ``//papers/``, which a browser reads as the host
    ``papers`` (http.server collapses the leading slashes; this keeps it so)."""
    redirect = raw_request(shared, b"////papers")
    assert redirect.status == 301
    assert redirect.headers["Location"] == "/papers/"


def test_missing_path_gets_the_sites_404_page(shared: Preview, shared_project: Path) -> None:
    on_disk = (shared_project / "site" / "404.html").read_bytes()
    for path in ("/no/such/page/", "/nothing.html", "/papers/not-a-paper/"):
        response = request(shared, path)
        assert response.status == 404, path
        assert response.type.startswith("text/html")
        served_at_root = re.sub(rb'<base href="[^"]*">', b'<base href="/">', on_disk)  # the preview's site is at /
        assert response.body.startswith(served_at_root[: served_at_root.rfind(b"</body>")])
        assert b"EventSource" in response.body  # the 404 page reloads too


def test_head_sends_headers_only(shared: Preview) -> None:
    get = request(shared, page_url(PAPER))
    head = request(shared, page_url(PAPER), "HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["Content-Length"] == str(len(get.body))
    assert head.type == get.type
    assert request(shared, "/no/such/page/", "HEAD").status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_not_allowed(shared: Preview, method: str) -> None:
    response = request(shared, "/", method)
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"


# --- rebuilding and reloading ------------------------------------------------------------------


def test_edited_title_is_served_and_reload_event_sent(preview: Preview, project: Path, events: EventClient) -> None:
    assert events.status_line.split()[1] == "200"
    assert events.headers["content-type"] == "text/event-stream"
    set_title(project / "content" / "papers" / f"{PAPER}.md", "Discretion Revisited by a Preview Test")

    assert events.next_event()[0] == "reload"
    body = wait_until(lambda: served(preview, page_url(PAPER), "Discretion Revisited by a Preview Test"), "the new title")
    assert OLD_TITLE.encode() not in body
    assert preview.state.error is None


def test_page_served_before_a_rebuild_still_reloads(preview: Preview, project: Path) -> None:
    """The page's script says which generation it was served at, so a rebuild that finished
    before the event stream connected is not missed."""
    script = re.search(rb'EventSource\("/__sitegen/events\?since=(\d+)"\)', request(preview, page_url(PAPER)).body)
    assert script, "the reload script does not say which build the page came from"
    since = int(script[1])
    set_title(project / "content" / "papers" / f"{PAPER}.md", "Rebuilt Before the Stream Connected")
    wait_until(lambda: preview.state.generation != since, "a rebuild")

    late = EventClient(preview, since=since)
    try:
        assert late.next_event()[0] == "reload"
    finally:
        late.close()


def test_burst_of_writes_is_one_rebuild_or_few(preview: Preview, project: Path) -> None:
    papers = sorted((project / "content" / "papers").glob("*.md"))[:10]
    originals = {path: path.read_text(encoding="utf-8") for path in papers}
    before = preview.rebuilds
    for number in range(100):
        path = papers[number % len(papers)]
        path.write_text(f"{originals[path]}\nEdit number {number}.\n", encoding="utf-8")

    last = papers[99 % len(papers)]
    wait_until(lambda: served(preview, page_url(last.stem), "Edit number 99."), "the last edit to be served")
    rebuilds = wait_quiet(preview) - before
    assert 1 <= rebuilds <= 3


def test_debounce_waits_for_the_last_event_of_a_burst(tmp_path: Path) -> None:
    """An editor saving one file again and again faster than the debounce gives one rebuild,
    even though the set of changed paths stops growing after the first save."""
    calls: list[frozenset[Path]] = []

    def rebuild(changes: frozenset[Path]) -> str:
        calls.append(changes)
        return "rebuilt"

    config = Config(root=tmp_path)
    preview = Preview(config, tmp_path / "site", rebuild, port=0, log=lambda line: None)
    preview.start()
    try:
        page = tmp_path / "content" / "papers" / "x.md"
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            preview.record(page)
            time.sleep(0.03)
        wait_until(lambda: preview.rebuilds, "the rebuild")
        wait_quiet(preview, quiet=0.5)
    finally:
        preview.stop()
    assert calls[0] == {page}
    assert len(calls) <= 2  # one, with slack for a loaded machine whose 0.03 s sleeps overrun


def test_broken_front_matter_keeps_old_page_with_overlay(preview: Preview, project: Path) -> None:
    page = project / "content" / "papers" / f"{PAPER}.md"
    good = page.read_text(encoding="utf-8")
    page.write_text(good.replace(f"title: {OLD_TITLE}", "title: ["), encoding="utf-8")

    body = wait_until(lambda: served(preview, page_url(PAPER), "sitegen-error-overlay"), "the error overlay")
    assert OLD_TITLE.encode() in body  # the last good page
    overlay = body[body.index(OVERLAY_ID) :]
    assert re.search(rf"content/papers/{PAPER}\.md:\d+".encode(), overlay), overlay[:600]
    assert preview.state.error and f"{PAPER}.md" in preview.state.error
    assert OVERLAY_ID in request(preview, "/").body  # every page shows it
    assert OVERLAY_ID in request(preview, "/no/such/page/").body

    page.write_text(good, encoding="utf-8")
    wait_until(lambda: OVERLAY_ID not in request(preview, page_url(PAPER)).body, "the overlay to clear")
    assert preview.state.error is None


def test_template_error_shows_overlay_naming_the_template(preview: Preview, project: Path, events: EventClient) -> None:
    template = project / "theme" / "templates" / "paper.html"
    good = template.read_text(encoding="utf-8")
    lines = good.splitlines(keepends=True)
    template.write_text("".join([*lines[:2], "{% if %}\n", *lines[2:]]), encoding="utf-8")

    assert events.next_event()[0] == "reload"
    body = wait_until(lambda: served(preview, page_url(PAPER), "sitegen-error-overlay"), "the error overlay")
    overlay = body[body.index(OVERLAY_ID) :]
    assert b"theme/templates/paper.html:3" in overlay, overlay[:600]
    assert OLD_TITLE.encode() in body

    template.write_text(good, encoding="utf-8")
    assert events.next_event()[0] == "reload"
    wait_until(lambda: OVERLAY_ID not in request(preview, page_url(PAPER)).body, "the overlay to clear")


NEW_DIGEST = """Daily Papers

Dec 12

A Brand New Paper About Preview Servers

We study preview servers that rebuild static sites on every edit and reload open pages.

  • 3 authors
·
Dec 12

AI Alignment at Your Discretion

A shorter abstract from a newer digest, which must not replace the edited page.

  • 6 authors
·
Feb 10
"""


def test_new_digest_is_converted_and_edited_page_kept(preview: Preview, project: Path) -> None:
    edited = project / "content" / "papers" / f"{PAPER}.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA note written by hand.\n", encoding="utf-8")
    wait_until(lambda: served(preview, page_url(PAPER), "A note written by hand."), "the hand edit")
    edited_bytes = edited.read_bytes()

    digest = project / "seeds" / "daily-papers-2025-12-12.txt"
    partial = digest.with_name(".daily-papers-2025-12-12.txt.part")
    partial.write_text(NEW_DIGEST, encoding="utf-8")
    partial.replace(digest)  # arrives whole, as a download or an editor's atomic save does

    slug = "a-brand-new-paper-about-preview-servers"
    body = wait_until(lambda: served(preview, page_url(slug), "A Brand New Paper About Preview Servers"), "the new paper")
    assert b"We study preview servers" in body
    assert (project / "content" / "papers" / f"{slug}.md").is_file()
    assert served(preview, "/", "A Brand New Paper About Preview Servers")

    wait_quiet(preview)
    after = edited.read_text(encoding="utf-8")  # the edited abstract stays; what the listing adds arrives
    assert edited_bytes.decode("utf-8").split("\n---\n", 1)[1] == after.split("\n---\n", 1)[1]
    assert parse_page(after, edited).sources[-1] == digest.name
    page = request(preview, page_url(PAPER)).body
    assert b"A note written by hand." in page
    assert b"must not replace the edited page" not in page
    assert preview.state.error is None


def test_an_api_dump_dropped_in_is_converted_with_the_same_rules(preview: Preview, project: Path) -> None:
    """The same paper in a new listing: one page, its sources accumulated, a hand edit of its title kept."""
    page = project / "content" / "papers" / f"{PAPER}.md"
    paper = parse_page(page.read_text(encoding="utf-8"), page)
    page.write_text(page.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: Retitled ", 1), encoding="utf-8")
    wait_until(lambda: served(preview, page_url(PAPER), "Retitled"), "the hand edit")
    entry = {
        "paper": {
            "id": "2312.07000", "title": paper.title, "summary": "An abstract from the API.",
            "authors": [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}], "publishedAt": "2023-12-12T00:00:00.000Z",
            "submittedOnDailyAt": "2025-12-12T00:00:00.000Z", "upvotes": 41,
        },
        "numComments": 9,
    }
    partial = project / "seeds" / ".api.json.part"
    partial.write_text(json.dumps([entry]), encoding="utf-8")
    partial.replace(project / "seeds" / "api.json")
    body = wait_until(lambda: served(preview, page_url(PAPER), "Ada Lovelace"), "the names from the API")
    assert b"Retitled" in body
    converted = parse_page(page.read_text(encoding="utf-8"), page)
    assert converted.sources == (*paper.sources, "api.json") and converted.arxiv == "2312.07000"
    assert converted.comments == 9 and converted.title.startswith("Retitled")
    assert len(list((project / "content" / "papers").glob("*.md"))) == len(list((REPO / "content" / "papers").glob("*.md")))


# --- refusing to leave the site folder ---------------------------------------------------------

TRAVERSALS = [
    b"/../pyproject.toml",
    b"/../secret.txt",
    b"/papers/../../pyproject.toml",
    b"/../../../../../../etc/passwd",
    b"/%2e%2e/pyproject.toml",
    b"/%2E%2E/secret.txt",
    b"/.%2e/secret.txt",
    b"/%2e%2e%2fpyproject.toml",
    b"/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    b"/%252e%252e/pyproject.toml",
    b"/%252e%252e%252fsecret.txt",
    b"/..\\pyproject.toml",
    b"/..%5csecret.txt",
    b"/papers\\..\\..\\secret.txt",
    b"//etc/passwd",
    b"///etc/passwd",
    b"/etc/passwd",
    b"/%00../secret.txt",
    b"/secret.txt%00.html",
]


def assert_refused(response: Response, target: bytes) -> None:
    assert response.status == 404, target
    for leaked in (SECRET, b"[tool.sitegen]", b"root:x:0:0"):
        assert leaked not in response.body, target


@pytest.mark.parametrize("target", TRAVERSALS, ids=lambda target: target.decode("latin-1"))
def test_traversal_is_refused(shared: Preview, target: bytes) -> None:
    assert_refused(raw_request(shared, target), target)


def test_symlink_out_of_the_site_is_refused(preview: Preview, project: Path) -> None:
    (project / "secret.txt").write_bytes(SECRET)
    site = project / "site"
    (site / "leak.txt").symlink_to(project / "secret.txt")
    (site / "leak-folder").symlink_to(project, target_is_directory=True)
    (site / "papers" / PAPER / "passwd").symlink_to("/etc/passwd")
    for target in (b"/leak.txt", b"/leak-folder/secret.txt", b"/leak-folder/pyproject.toml", b"/leak-folder/",
                   b"/leak-folder", f"/papers/{PAPER}/passwd".encode()):
        assert_refused(raw_request(preview, target), target)
    assert request(preview, page_url(PAPER)).status == 200  # the real page next to the link still works


# --- serving only what build would write -------------------------------------------------------


@pytest.fixture
def no_listening(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make any bind() or listen() in this process fail the test: a refusal must come before the socket."""
    opened: list[object] = []

    def refuse(name: str) -> Callable[..., None]:
        def call(self: socket.socket, *args: object) -> None:
            opened.append((name, args))
            raise AssertionError(f"serve opened a socket ({name}{args}) for a folder it must refuse")

        return call

    monkeypatch.setattr(socket.socket, "bind", refuse("bind"))
    monkeypatch.setattr(socket.socket, "listen", refuse("listen"))
    return opened


REFUSED_OUTPUTS = {
    "the root of the file system": lambda project: Path("/"),
    "the content folder": lambda project: project / "content",
    "the project root": lambda project: project,
    "the theme folder": lambda project: project / "theme",
    "a content folder that carries a build marker": lambda project: _planted_marker(project / "content"),
}


def _planted_marker(folder: Path) -> Path:
    (folder / MARKER).write_bytes(MARKER_TEXT)  # check_owned would pass: only check_output knows it is a source
    return folder


@pytest.mark.parametrize("where", list(REFUSED_OUTPUTS))
def test_serve_refuses_an_output_folder_that_build_refuses_before_listening(
    project: Path, where: str, no_listening: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    output = str(REFUSED_OUTPUTS[where](project))
    assert main(["build", "--root", str(project), "-o", output]) == 1
    refused_by_build = capsys.readouterr().err

    assert main(["serve", "--root", str(project), "--port", "0", "-o", output]) == 1
    captured = capsys.readouterr()
    assert no_listening == []
    assert captured.err == refused_by_build  # the same check, the same words
    assert len(captured.err.strip().splitlines()) == 1 and captured.err.startswith("error: ")
    assert "serving" not in captured.out
    assert not (project / "site").exists()


def test_serve_refuses_a_missing_content_folder_before_listening(
    project: Path, no_listening: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.rmtree(project / "content")
    assert main(["build", "--root", str(project)]) == 1
    refused_by_build = capsys.readouterr().err

    assert main(["serve", "--root", str(project), "--port", "0"]) == 1
    captured = capsys.readouterr()
    assert no_listening == []
    assert captured.err == refused_by_build
    assert "no content folder" in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "serving" not in captured.out


def test_a_first_build_failing_outside_the_sources_exits_1_and_closes_the_socket(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only a failure in the sources (a bad page, a template error) is served with the overlay: a theme
    folder that is not there is a refusal, as in ``sitegen build``, and the socket opened is closed again."""
    listening: list[socket.socket] = []
    real_listen = socket.socket.listen

    def listen(self: socket.socket, *args: int) -> None:
        listening.append(self)
        real_listen(self, *args)

    monkeypatch.setattr(socket.socket, "listen", listen)
    codes: list[int] = []
    serving = threading.Thread(
        target=lambda: codes.append(main(["serve", "--root", str(project), "--port", "0", "--set", "theme_dir=no-such-theme"])),
        daemon=True,
    )
    serving.start()
    serving.join(TIMEOUT)
    assert codes == [1], "serve did not exit on a build that cannot run"
    err = capsys.readouterr().err
    assert "the theme folder (theme_dir) is not a folder" in err and len(err.strip().splitlines()) == 1, err
    assert listening and all(sock.fileno() == -1 for sock in listening)


def test_cli_serve_into_the_file_system_root_exits_1(project: Path) -> None:
    """As a person runs it: ``sitegen serve -o /`` used to print the refusal, then serve ``/``."""
    process = _sitegen("serve", "--root", str(project), "--port", "0", "-o", "/")
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT + 5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1, (stdout, stderr)
    assert "serving" not in stdout
    assert stderr.startswith("error: /: refusing to build") and len(stderr.strip().splitlines()) == 1, stderr


def _hand_built(folder: Path, marker: bool = True) -> Path:
    """A tiny site made by hand, with the build marker unless told otherwise."""
    folder.mkdir()
    if marker:
        (folder / MARKER).write_bytes(MARKER_TEXT)
    (folder / "index.html").write_text("<!doctype html><title>home</title><body><p>the home page</p></body>", encoding="utf-8")
    return folder


@contextlib.contextmanager
def hand_preview(site: Path) -> Iterator[Preview]:
    """A real server over ``site`` with no build behind it: for what only the HTTP side decides."""
    running = Preview(Config(root=site.parent), site, lambda changes: "rebuilt", port=0, log=lambda line: None)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_a_folder_never_built_is_not_served(tmp_path: Path) -> None:
    site = _hand_built(tmp_path / "site", marker=False)
    (site / "notes.txt").write_bytes(SECRET)
    with hand_preview(site) as running:
        for path in ("/", "/index.html", "/notes.txt", "/no/such/page/"):
            response = request(running, path)
            assert response.status == 503, path
            assert b"Not built yet" in response.body
            assert SECRET not in response.body and b"the home page" not in response.body
        assert b"EventSource" in request(running, "/").body  # it reloads once a build lands

        (site / MARKER).write_bytes(MARKER_TEXT)  # what a build leaves: from now on the folder is a site
        assert b"the home page" in request(running, "/").body
        assert request(running, "/notes.txt").status == 200


def test_first_build_failing_shows_not_built_with_overlay_then_the_site(project: Path) -> None:
    """No site yet and a broken page: nothing of the folder is served, the error is, and fixing it shows the site."""
    page = project / "content" / "papers" / f"{PAPER}.md"
    good = page.read_text(encoding="utf-8")
    page.write_text(good.replace(f"title: {OLD_TITLE}", "title: ["), encoding="utf-8")
    with running_preview(project) as running:
        assert running.state.error and f"{PAPER}.md" in running.state.error
        response = request(running, page_url(PAPER))
        assert response.status == 503
        assert OVERLAY_ID in response.body and b"EventSource" in response.body

        page.write_text(good, encoding="utf-8")
        body = wait_until(lambda: served(running, page_url(PAPER), OLD_TITLE), "the site once the page is fixed")
        assert b"Not built yet" not in body
        wait_until(lambda: OVERLAY_ID not in request(running, "/").body, "the overlay to clear")  # set just after the swap


def test_a_404_page_linked_out_of_the_site_is_not_served(preview: Preview, project: Path) -> None:
    (project / "secret.txt").write_bytes(b"<!doctype html><body>" + SECRET + b"</body>")
    not_found = project / "site" / "404.html"
    not_found.unlink()
    not_found.symlink_to(project / "secret.txt")
    for path in ("/no/such/page/", "/404.html"):
        response = request(preview, path)
        assert response.status == 404, path
        assert SECRET not in response.body, path
        assert b"Not found" in response.body


def test_a_fifo_in_the_site_neither_blocks_nor_is_served(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    site = _hand_built(tmp_path / "site")
    os.mkfifo(site / "pipe.html")
    with hand_preview(site) as running:
        assert request(running, "/pipe.html").status == 404  # opening it for reading would wait for a writer
        assert request(running, "/").status == 200


# --- under load --------------------------------------------------------------------------------


def _connect(port: int, data: bytes = b"") -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    if data:
        connection.sendall(data)
    return connection


def _open_stream(port: int, since: int | None = None) -> socket.socket:
    """An event stream over a raw socket, without a reader thread: its headers read, its events left to read."""
    target = EVENTS_PATH if since is None else f"{EVENTS_PATH}?since={since}"
    connection = _connect(port, f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
    head = _read_until(connection, b"\r\n\r\n")
    assert head.split()[1] == b"200", head
    return connection


def _read_until(connection: socket.socket, marker: bytes, timeout: float = TIMEOUT) -> bytes:
    """Bytes from ``connection`` up to and including ``marker``; fails after ``timeout``."""
    deadline = time.monotonic() + timeout
    data = b""
    while marker not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"no {marker!r} within {timeout:.0f} s; got {data[-200:]!r}")
        connection.settimeout(left)
        try:
            chunk = connection.recv(65536)
        except TimeoutError:
            continue
        if not chunk:
            pytest.fail(f"connection closed before {marker!r}; got {data[-200:]!r}")
        data += chunk
    return data


def _closed_by_server(connection: socket.socket, timeout: float = TIMEOUT) -> bool:
    connection.settimeout(timeout)
    try:
        while connection.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def test_idle_and_slow_connections_do_not_hold_back_requests(tmp_path: Path) -> None:
    """150 connections that send nothing, or half a request, must not keep others waiting: no thread is
    spent on them until their request has arrived."""
    site = _hand_built(tmp_path / "site")
    with hand_preview(site) as running:
        port = running.server.server_address[1]
        assert request(running, "/").status == 200  # the server is up, its workers started
        threads = threading.active_count()
        idle = [_connect(port) for _ in range(100)]
        idle += [_connect(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n") for _ in range(50)]
        try:
            for number in range(40):
                response = request(running, "/" if number % 2 else "/no/such/page/")
                assert response.status in (200, 404)
            assert threading.active_count() <= threads + 2
        finally:
            for connection in idle:
                connection.close()


def test_a_connection_that_sends_no_request_is_closed_after_the_header_timeout(tmp_path: Path) -> None:
    site = _hand_built(tmp_path / "site")
    with hand_preview(site) as running:
        running.server.header_timeout = 0.5
        port = running.server.server_address[1]
        with _connect(port) as silent, _connect(port, b"GET / HTTP/1.1\r\n") as slow:
            assert _closed_by_server(silent)
            assert _closed_by_server(slow)
        assert request(running, "/").status == 200


def test_more_event_streams_than_workers_all_get_the_reload(preview: Preview, project: Path) -> None:
    port = preview.server.server_address[1]
    count = 2 * WORKERS + 8
    assert request(preview, "/").status == 200  # the server is up, its workers started
    threads = threading.active_count()
    streams = [_open_stream(port) for _ in range(count)]
    try:
        wait_until(lambda: len(preview.events) == count, "every stream to reach the broadcaster")
        assert threading.active_count() <= threads + 1
        assert request(preview, page_url(PAPER)).status == 200  # the workers are free for pages meanwhile

        set_title(project / "content" / "papers" / f"{PAPER}.md", "Discretion Revisited for Many Tabs")
        for stream in streams:
            assert b"event: reload" in _read_until(stream, b"event: reload")
        assert served(preview, page_url(PAPER), "Discretion Revisited for Many Tabs")
    finally:
        for stream in streams:
            stream.close()
    wait_until(lambda: len(preview.events) == 0, "closed streams to be dropped")


def test_thread_count_stays_bounded_under_many_connections(tmp_path: Path) -> None:
    """Idle sockets, open event streams and a burst of requests together cost no thread each,
    and stopping the preview closes them all and leaves no thread behind."""
    before = {thread.ident for thread in threading.enumerate()}
    site = _hand_built(tmp_path / "site")
    running = Preview(Config(root=tmp_path), site, lambda changes: "rebuilt", port=0, log=lambda line: None)
    running.start()
    connections: list[socket.socket] = []
    try:
        port = running.server.server_address[1]
        request(running, "/")
        started = threading.active_count()
        connections += [_connect(port) for _ in range(100)]
        connections += [_open_stream(port) for _ in range(100)]
        burst = [_connect(port, b"GET / HTTP/1.0\r\n\r\n") for _ in range(100)]
        connections += burst
        for connection in burst:
            assert b"the home page" in _read_until(connection, b"the home page")
        assert threading.active_count() <= started + 1, [thread.name for thread in threading.enumerate()]
        assert request(running, "/").status == 200
    finally:
        stopper = threading.Thread(target=running.stop)
        stopper.start()
        stopper.join(TIMEOUT)
        assert not stopper.is_alive(), "stopping the preview hung"
    try:
        left = [thread.name for thread in threading.enumerate() if thread.ident not in before]
        assert left == []
        for connection in connections[100:200]:  # the event streams end when the preview stops
            assert _closed_by_server(connection)
    finally:
        for connection in connections:
            connection.close()


def test_a_stuck_event_stream_does_not_hold_back_the_others() -> None:
    """A client that stopped reading (its socket buffers full) is dropped, and the rest get the reload."""
    generation = [0]
    broadcaster = EventBroadcaster(lambda: generation[0])
    broadcaster.start()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        pairs: list[tuple[socket.socket, socket.socket]] = []
        try:
            for _ in range(4):
                client = socket.socket()
                client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                client.connect(listener.getsockname())
                server_side, _ = listener.accept()
                pairs.append((client, server_side))
            stuck = pairs[0][1]
            stuck.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            stuck.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                while True:
                    stuck.send(b": filler\n\n" * 1000)
            for _, server_side in pairs:
                assert broadcaster.add(server_side, 0)
            wait_until(lambda: len(broadcaster) == 4, "the streams to be taken")

            generation[0] = 1
            broadcaster.notify()
            for client, _ in pairs[1:]:
                assert b"event: reload\ndata: 1\n\n" in _read_until(client, b"data: 1\n\n")
            wait_until(lambda: len(broadcaster) == 3, "the stuck stream to be dropped")
        finally:
            broadcaster.stop()
            for client, _ in pairs:
                client.close()
    assert len(broadcaster) == 0


# --- classify ----------------------------------------------------------------------------------

CLASSIFIED = [
    ("seeds/daily-papers-2025-12-11.txt", ChangeKind.SEED),
    ("seeds/daily_papers_2024-06.json", ChangeKind.SEED),
    ("seeds/daily_papers_2024-06.json.gz", ChangeKind.SEED),
    ("seeds/notes.md", None),
    ("seeds/.daily.txt.part", None),
    ("content/papers/some-paper.md", ChangeKind.CONTENT),
    ("content/papers", ChangeKind.CONTENT),
    ("content/tags.yaml", ChangeKind.CONTENT),
    ("theme/templates/paper.html", ChangeKind.TEMPLATE),
    ("theme/templates/feed.xml", ChangeKind.TEMPLATE),
    ("templates/paper.html", ChangeKind.TEMPLATE),
    ("theme/static/style.css", ChangeKind.STATIC),
    ("theme/static/vendor/lunr/lunr.js", ChangeKind.STATIC),
    ("pyproject.toml", ChangeKind.CONFIG),
    ("sitegen.toml", ChangeKind.CONFIG),
    ("content/papers/sed4rvUVu", None),
    ("content/papers/4913", None),
    ("content/papers/.some-paper.md.swo", None),
    ("content/.convert-journal.json", None),
    ("seeds/daily_papers_2024-06.json.part", None),
    ("content/papers/.#some-paper.md", None),
    ("content/papers/#some-paper.md#", None),
    ("content/papers/some-paper.md~", None),
    ("content/papers/.some-paper.md.swp", None),
    ("theme/templates/.paper.html.swx", None),
    ("content/papers/.some-paper.md.abc123.tmp", None),
    ("content/.convert-state.json", None),
    ("site/index.html", None),
    ("site/papers/some-paper/index.html", None),
    ("README.md", None),
    ("sitegen/serve.py", None),
    ("tests/serve/test_serve.py", None),
]


@pytest.mark.parametrize(("relative", "kind"), CLASSIFIED, ids=[relative for relative, _ in CLASSIFIED])
def test_classify(tmp_path: Path, relative: str, kind: ChangeKind | None) -> None:
    (tmp_path / "theme").mkdir()  # a theme of its own: without one, the theme sitegen ships is watched
    config = Config(root=tmp_path)
    assert classify(tmp_path / relative, config) is kind
    assert classify(Path(relative), config) is kind  # relative paths are taken from the project root


def test_without_a_theme_folder_the_shipped_theme_is_watched(tmp_path: Path) -> None:
    config = Config(root=tmp_path)
    assert classify(BUILTIN_THEME / "templates" / "paper.html", config) is ChangeKind.TEMPLATE
    assert classify(BUILTIN_THEME / "static" / "style.css", config) is ChangeKind.STATIC


def test_classify_follows_configured_folders(tmp_path: Path) -> None:
    config = Config(root=tmp_path, content_dir="pages", seeds_dir="digests", templates_dir="layouts")
    assert classify(tmp_path / "pages" / "papers" / "x.md", config) is ChangeKind.CONTENT
    assert classify(tmp_path / "digests" / "d.txt", config) is ChangeKind.SEED
    assert classify(tmp_path / "layouts" / "paper.html", config) is ChangeKind.TEMPLATE
    assert classify(tmp_path / "content" / "papers" / "x.md", config) is None


# --- ports and the command line ----------------------------------------------------------------


def test_port_in_use_is_a_clear_error(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SitegenError, match=rf"port {port} on 127\.0\.0\.1 is in use.*--port 0"):
            start_preview(load_config(project), project / "site", port=port)


def test_ipv6_loopback(tmp_path: Path) -> None:
    """``--host ::1`` is offered as a local-only choice, so it must bind (no site build needed for that)."""
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    site = tmp_path / "site"
    site.mkdir()
    (site / MARKER).write_bytes(MARKER_TEXT)  # a folder sitegen built: the preview serves nothing else
    (site / "index.html").write_text("<!doctype html><title>v6</title><body><p>over IPv6</p></body>", encoding="utf-8")
    try:
        running = Preview(Config(root=tmp_path), site, lambda changes: "", host="::1", port=0, log=lambda line: None)
    except SitegenError as error:
        if "Cannot assign requested address" in str(error):
            pytest.skip(f"no IPv6 loopback here: {error}")
        raise
    running.start()
    try:
        assert re.fullmatch(r"http://\[::1\]:\d+/", running.url)
        connection = http.client.HTTPConnection("::1", running.server.server_address[1], timeout=TIMEOUT)
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200
        assert b"over IPv6" in response.read()
        connection.close()
    finally:
        running.stop()


def _sitegen(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    env.pop("PYTHONUNBUFFERED", None)  # output goes to a pipe, as under a process manager: the URL must still arrive
    return subprocess.Popen(
        [sys.executable, "-m", "sitegen", *args],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _read_line(stream: object, pattern: str, process: subprocess.Popen[str]) -> re.Match[str]:
    """The first line of ``stream`` matching ``pattern``, read in a thread so the wait is bounded."""
    found: queue.Queue[re.Match[str] | None] = queue.Queue()
    seen: list[str] = []

    def reader() -> None:
        for line in stream:  # type: ignore[attr-defined]
            seen.append(line)
            if match := re.search(pattern, line):
                found.put(match)
                return
        found.put(None)

    threading.Thread(target=reader, daemon=True).start()
    try:
        match = found.get(timeout=TIMEOUT + 5)
    except queue.Empty:
        match = None
    if match is None:
        process.kill()
        pytest.fail(f"no line matching {pattern!r}; got {''.join(seen)!r}")
    return match


def _reset_connection(port: int, data: bytes) -> None:
    """Connect, send ``data``, then abort the connection with a reset instead of a clean close."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        if data:
            connection.sendall(data)
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_cli_serve_prints_url_serves_and_stops_cleanly_on_ctrl_c(project: Path) -> None:
    process = _sitegen("serve", "--root", str(project), "--port", "0")
    try:
        url = _read_line(process.stdout, r"(http://127\.0\.0\.1:(\d+)/)", process)
        for request_bytes in (b"", f"GET {page_url(PAPER)} HTTP/1.0\r\n\r\n".encode()):
            _reset_connection(int(url[2]), request_bytes)  # a browser tab closed mid-request
        connection = http.client.HTTPConnection("127.0.0.1", int(url[2]), timeout=TIMEOUT)
        connection.request("GET", page_url(PAPER))
        response = connection.getresponse()
        assert response.status == 200
        assert OLD_TITLE.encode() in response.read()
        connection.close()

        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_cli_serve_warns_when_exposed(project: Path) -> None:
    process = _sitegen("serve", "--root", str(project), "--host", "0.0.0.0", "--port", "0")
    try:
        warning = _read_line(process.stderr, r"warning: .*0\.0\.0\.0.*", process)
        assert "reachable from other machines" in warning[0]
    finally:
        process.kill()
        process.communicate()


# --- nothing of the preview reaches the disk ---------------------------------------------------


def assert_no_reload_script(site: Path) -> None:
    files = [path for path in site.rglob("*") if path.is_file()]
    assert len(files) > 50
    for path in files:
        data = path.read_bytes()
        assert b"__sitegen" not in data, path
        assert b"EventSource" not in data, path


def test_built_site_has_no_reload_script(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "--root", str(project)]) == 0
    assert_no_reload_script(project / "site")


def test_serving_never_writes_the_reload_script(shared: Preview, shared_project: Path) -> None:
    for path in ("/", page_url(PAPER), "/no/such/page/"):
        assert b"EventSource" in request(shared, path).body
    assert_no_reload_script(shared_project / "site")


# --- in a real browser --------------------------------------------------------------------------


def test_an_open_page_reloads_by_itself_with_the_new_title(preview: Preview, browser: Any) -> None:
    new_title = "Discretion Revisited in a Real Browser"
    page_file = preview.config.papers_dir / f"{PAPER}.md"
    page = browser.new_page()
    try:
        page.goto(f"{preview.url}papers/{PAPER}/", wait_until="load")
        assert page.locator("h1").inner_text() == OLD_TITLE

        text = page_file.read_text(encoding="utf-8")
        page_file.write_text(re.sub(r"(?m)^title: .*$", f"title: {new_title}", text, count=1), encoding="utf-8")

        # No navigation from the test: only the page's own reload script can bring the new title.
        page.get_by_role("heading", level=1, name=new_title).wait_for(timeout=15_000)
        assert page.title().startswith(new_title)
        assert page.url == f"{preview.url}papers/{PAPER}/"
    finally:
        page.close()


CONTRAST = """(element) => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  let node = element, background = "rgba(0, 0, 0, 0)";
  while (node && /rgba\\(0, 0, 0, 0\\)|transparent/.test(background)) { background = getComputedStyle(node).backgroundColor; node = node.parentElement; }
  const [a, b] = [lum(rgb(getComputedStyle(element).color)), lum(rgb(background))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_error_overlay_is_readable_in_both_colour_schemes(preview: Preview, browser: Any, scheme: str) -> None:
    """The theme styles pre with a light background; the overlay's text must stay readable (4.5:1) and be announced."""
    page_file = preview.config.papers_dir / f"{PAPER}.md"
    page_file.write_text(page_file.read_text(encoding="utf-8").replace("\ntitle: ", "\ntitle: 'unclosed ", 1), encoding="utf-8")
    wait_until(lambda: preview.state.error, "the failed rebuild")
    context = browser.new_context(color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(f"{preview.url}papers/{PAPER}/", wait_until="load")
        overlay = page.locator("#sitegen-error-overlay")
        assert overlay.get_attribute("role") == "alert"
        assert "never closed" in overlay.inner_text()
        for part in ("strong", "pre"):
            ratio = overlay.locator(part).evaluate(CONTRAST)
            assert ratio >= 4.5, (scheme, part, ratio)
    finally:
        context.close()


def test_stopping_the_preview_leaves_caches_a_later_build_trusts(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview keeps the build caches in memory between saves and writes them when it stops."""
    with running_preview(project) as running:
        set_title(project / "content" / "papers" / f"{PAPER}.md", "Discretion Revisited Before Stopping")
        wait_until(lambda: served(running, page_url(PAPER), "Discretion Revisited Before Stopping"), "the new title")
    parsed: list[Path] = []
    loading = importlib.import_module("sitegen.build.load")
    real = loading.parse_page

    def counting(text: str, path: Path) -> Any:
        parsed.append(path)
        return real(text, path)

    monkeypatch.setattr(loading, "parse_page", counting)
    report = build(load_config(project), project / "site")
    assert parsed == []
    assert report.result.written == ()


def test_an_editors_temporary_files_are_not_named_in_the_log(preview: Preview, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """sed -i writes a sedXXXXXX file beside the page and renames it over the page: one change, the page's."""
    if shutil.which("sed") is None:
        pytest.skip("no sed here")
    page = project / "content" / "papers" / f"{PAPER}.md"
    capsys.readouterr()
    subprocess.run(["sed", "-i", "s/^title: /title: Sedded /", str(page)], check=True)
    wait_until(lambda: served(preview, page_url(PAPER), "Sedded"), "the sed edit")
    wait_quiet(preview)
    log = capsys.readouterr().out
    changed = [line for line in log.splitlines() if " changed: " in line]
    assert changed and all(line.startswith(f"content/papers/{PAPER}.md changed:") for line in changed), log
