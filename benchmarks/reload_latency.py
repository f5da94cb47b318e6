"""Reload latency of `sitegen serve`: from saving a file to the ``reload`` event reaching a browser.

Usage, from the repository root (no install needed)::

    python benchmarks/reload_latency.py                    # seed site, then a 1,000-paper site; 5 edits each
    python benchmarks/reload_latency.py --edits 9 --papers 2000
    python benchmarks/reload_latency.py --papers 0         # the seed site only

For each site the script copies content/, theme/, seeds/ and pyproject.toml into a
temporary folder (for the large site, content/papers/ is replaced by pages generated
deterministically from the seed's pages: varied titles, abstracts, dates and tags),
starts a real preview on 127.0.0.1 with a free port, and connects an event-stream
client as a browser's EventSource would. Each edit rewrites one paper's ``title:``
line; the clock runs from just before the write to the moment the ``reload`` event is
read from the socket. That time is the watcher's delay + the debounce (0.15 s) + the
rebuild + delivery. Edits are made one at a time, each after the server went quiet.

Prints one row per site: papers, the first full build, the median and worst
save-to-reload time, and the median rebuild time the server logged.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import queue
import random
import re
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run from a checkout without installing

from sitegen.config import load_config
from sitegen.content.frontmatter import parse_page, render_page
from sitegen.content.slugs import slugify
from sitegen.serve.preview import start_preview
from sitegen.serve.server import EVENTS_PATH, Preview

EVENT_TIMEOUT = 300.0
"""Give up on an edit after this long: a rebuild of a large site is slow, but not this slow."""

QUALIFIERS = ["Revisited", "at Scale", "for Low-Resource Settings", "Made Simple", "in the Wild", "Without Labels",
              "with Fewer Parameters", "Under Distribution Shift", "for Long Contexts", "Beyond English"]


@dataclass(frozen=True)
class Result:
    name: str
    papers: int
    first_build: float
    latencies: list[float]
    rebuilds: list[float]


def make_project(folder: Path, papers: int) -> Path:
    """A copy of the repository's sources; with ``papers`` > 0, that many generated paper pages instead of the seed's."""
    for name in ("content", "seeds"):
        shutil.copytree(REPO / name, folder / name)
    shutil.copytree(REPO / "sitegen" / "theme", folder / "theme")
    shutil.copy2(REPO / "pyproject.toml", folder / "pyproject.toml")
    if papers:
        generate_papers(folder / "content" / "papers", papers)
    return folder


def generate_papers(folder: Path, count: int) -> None:
    """Replace the pages in ``folder`` by ``count`` pages mixed from them (deterministic: seeded per page)."""
    seeds = [parse_page(path.read_text(encoding="utf-8"), path) for path in sorted(folder.glob("*.md"))]
    for path in folder.glob("*.md"):
        path.unlink()
    for number in range(count):
        rng = random.Random(number)
        base, other = seeds[number % len(seeds)], rng.choice(seeds)
        title = f"{base.title} {QUALIFIERS[number // len(seeds) % len(QUALIFIERS)]} ({number})"
        sentences = [s for s in re.split(r"(?<=\.) ", base.body + " " + other.body) if s]
        body = " ".join(rng.sample(sentences, k=min(len(sentences), rng.randint(4, 9))))
        date = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(3 * 365))
        tags = tuple(sorted(set(base.tags) | set(rng.sample(other.tags, k=min(len(other.tags), 2)))))
        slug = f"{slugify(base.title)[:60].strip('-')}-{number:04d}"  # slugify(title) would cut the number off
        paper = replace(base, slug=slug, title=title, body=body, date=date, tags=tags,
                        author_count=rng.randint(1, 30), comments=rng.choice([None, rng.randint(1, 40)]))
        (folder / f"{paper.slug}.md").write_text(render_page(paper), encoding="utf-8")
    assert len(list(folder.glob("*.md"))) == count


class EventClient:
    """The browser's EventSource, reduced to a socket and a queue of event names."""

    def __init__(self, preview: Preview) -> None:
        port = preview.server.server_address[1]
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._socket.sendall(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        self._stream = self._socket.makefile("rb")
        while self._stream.readline().strip():  # status line and headers
            pass
        self._socket.settimeout(None)
        self.events: queue.Queue[tuple[str, float]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in self._stream:
                if line.startswith(b"event:"):
                    self.events.put((line[6:].strip().decode(), time.perf_counter()))

    def wait_for(self, name: str) -> float:
        """The arrival time of the next ``name`` event."""
        while True:
            event, arrived = self.events.get(timeout=EVENT_TIMEOUT)
            if event == name:
                return arrived

    def drain(self) -> None:
        """Forget events already received, so the next wait is for the next edit's."""
        with contextlib.suppress(queue.Empty):
            while True:
                self.events.get_nowait()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()


def wait_quiet(preview: Preview, quiet: float = 0.5) -> None:
    count, since = preview.rebuilds, time.monotonic()
    while time.monotonic() - since < quiet:
        time.sleep(0.02)
        if preview.rebuilds != count:
            count, since = preview.rebuilds, time.monotonic()


def measure(name: str, project: Path, edits: int) -> Result:
    log = io.StringIO()
    with contextlib.redirect_stdout(log):  # the preview prints a line per rebuild; keep them for the rebuild times
        started = time.perf_counter()
        preview = start_preview(load_config(project), project / "site", port=0)
        first_build = time.perf_counter() - started
        preview.start()
        client = EventClient(preview)
        try:
            pages = sorted((project / "content" / "papers").glob("*.md"))
            latencies = []
            for number in range(edits):
                page = pages[number * len(pages) // edits]
                text = page.read_text(encoding="utf-8")
                edited = re.sub(r"(?m)^title: .*$", f"title: Edited Title Number {number}", text, count=1)
                wait_quiet(preview)
                client.drain()
                saved = time.perf_counter()
                page.write_text(edited, encoding="utf-8")
                latencies.append(client.wait_for("reload") - saved)
                if preview.state.error:
                    raise SystemExit(f"{name}: rebuild failed: {preview.state.error}")
        finally:
            client.close()
            preview.stop()
    rebuilds = [float(m[1]) for m in re.finditer(r" changed: .*\((\d+\.\d+) s\)$", log.getvalue(), re.MULTILINE)]
    return Result(name, len(pages), first_build, latencies, rebuilds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=5, help="edits per site (default: 5)")
    parser.add_argument("--papers", type=int, default=1000, help="papers in the generated site; 0 skips it (default: 1000)")
    args = parser.parse_args()
    sites = [("seed", 0)] + ([("generated", args.papers)] if args.papers else [])
    results = []
    for name, papers in sites:
        with tempfile.TemporaryDirectory(prefix=f"sitegen-bench-{name}-") as folder:
            print(f"measuring {name} site ({args.edits} edits)...", file=sys.stderr)
            results.append(measure(name, make_project(Path(folder), papers), args.edits))

    print(f"{'site':<10} {'papers':>6} {'first build':>12} {'reload median':>14} {'reload worst':>13} {'rebuild median':>15}")
    for r in results:
        rebuild = f"{statistics.median(r.rebuilds):.2f} s" if r.rebuilds else "-"
        print(
            f"{r.name:<10} {r.papers:>6} {r.first_build:>10.2f} s {statistics.median(r.latencies):>12.2f} s "
            f"{max(r.latencies):>11.2f} s {rebuild:>15}"
        )
    print(f"reload = save -> 'reload' event at an SSE client, {args.edits} edits per site, debounce included")


if __name__ == "__main__":
    main()
