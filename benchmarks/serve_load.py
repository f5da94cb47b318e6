"""`sitegen serve` under load: many clients at once, on 127.0.0.1 only, for a bounded time.

Usage, from the repository root (no install needed)::

    python benchmarks/serve_load.py                          # 200 clients, 10 s per phase
    python benchmarks/serve_load.py --clients 50 --seconds 5 --json /tmp/serve-load.json

The script copies the seed project (content/, theme/, pyproject.toml) into a temporary
folder, starts ``python -m sitegen serve --port 0`` there as a subprocess and reads the
URL it prints. Then, twice, it runs ``--clients`` concurrent clients for ``--seconds``:
each loops over GET requests for the home page, a paper page, a tag page,
search/index.js and a missing page, with a fresh connection per request (as a
browser's first visit makes them), while ``--events`` reload streams stay open as
open tabs would. The first phase runs on a quiet preview; in the second a thread
rewrites one content page every ``--rebuild-every`` seconds, so the preview rebuilds
all the time.

For each phase it prints the requests answered, the failed connections (refused, timed
out, or closed before any answer; the goal is 0), the other errors (a wrong status, a
truncated answer, a time-out in the middle of an answer), p50/p99/max latency from
connecting to the last byte, the rebuilds the preview logged, the reload events the
streams received, the streams that ended early, the peak number of threads of the server
process and its CPU time per request answered (Linux's /proc).
``--json FILE`` writes the same figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TIMEOUT = 10.0
"""Give up on connecting, or on the whole answer, after this long; either counts against the server."""
MISSING = "/no/such/page/"


@dataclass
class Phase:
    name: str
    requests: int = 0
    failed_connections: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    reloads: int = 0
    streams_ended: int = 0
    rebuilds: int = 0
    peak_threads: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0

    def figures(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def percentile(share: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 1) if ordered else None

        return {
            "requests": self.requests,
            "requests_per_second": round(self.requests / self.seconds, 1) if self.seconds else None,
            "failed_connections": self.failed_connections,
            "other_errors": sum(self.errors.values()),
            "errors_by_kind": dict(self.errors),
            "p50_ms": percentile(0.50),
            "p99_ms": percentile(0.99),
            "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1) if ordered else None,
            "rebuilds": self.rebuilds,
            "reload_events": self.reloads,
            "streams_ended_early": self.streams_ended,
            "server_threads_peak": self.peak_threads,
            "server_cpu_seconds": round(self.server_cpu, 2),
            "server_cpu_ms_per_request": round(self.server_cpu * 1000 / self.requests, 3) if self.requests else None,
        }


# --- the preview under test ---------------------------------------------------------------------


class Server:
    """``python -m sitegen serve --port 0`` in a copy of the seed project."""

    def __init__(self, project: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sitegen", "serve", "--port", "0"],
            cwd=project, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.rebuilds = 0
        self.lines: list[str] = []
        found: list[str] = []
        ready = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.append(line)
                if not found and (match := re.search(r"at (http://127\.0\.0\.1:(\d+)/)", line)):
                    found.append(match[2])
                    ready.set()
                elif " changed: " in line:
                    self.rebuilds += 1
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(120) or not found:
            self.process.kill()
            raise SystemExit(f"the preview did not start; it printed:\n{''.join(self.lines)}")
        self.port = int(found[0])

    def threads(self) -> int:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0
        match = re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE)
        return int(match[1]) if match else 0

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process used so far (Linux; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> float:
        """Ctrl-C, as a person would; the seconds it took to exit."""
        started = time.perf_counter()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return float("inf")
        return time.perf_counter() - started


def make_project(folder: Path) -> Path:
    for name in ("content",):
        shutil.copytree(REPO / name, folder / name)
    shutil.copytree(REPO / "sitegen" / "theme", folder / "theme")
    shutil.copy2(REPO / "pyproject.toml", folder / "pyproject.toml")
    return folder


def request_mix(site: Path) -> dict[str, int]:
    """The paths every client loops over, with the status each must get."""
    paper = min(path.parent.name for path in (site / "papers").glob("*/index.html"))
    tag = min(path.parent.name for path in (site / "tags").glob("*/index.html"))
    return {"/": 200, f"/papers/{paper}/": 200, f"/tags/{tag}/": 200, "/search/index.js": 200, MISSING: 404}


# --- the clients --------------------------------------------------------------------------------


async def fetch(port: int, path: str, status: int, phase: Phase) -> None:
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), TIMEOUT)
    except (TimeoutError, OSError):
        phase.failed_connections += 1
        return
    data = bytearray()
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode())
        async with asyncio.timeout(TIMEOUT):
            while chunk := await reader.read(65536):
                data += chunk
    except TimeoutError:
        if data:
            phase.errors["time-out in the middle of an answer"] += 1
            return
    except OSError:
        pass
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    if not data:
        phase.failed_connections += 1  # refused in effect: closed, reset or left unanswered before any byte
        return
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    if len(status_line) < 2 or int(status_line[1]) != status:
        phase.errors[f"status {status_line[1].decode() if len(status_line) > 1 else '?'} for {path}"] += 1
    elif length is None or int(length[1]) != len(body):
        phase.errors["truncated answer"] += 1
    else:
        phase.requests += 1
        phase.latencies.append(time.perf_counter() - started)


async def client(port: int, mix: list[tuple[str, int]], offset: int, deadline: float, phase: Phase) -> None:
    number = offset
    while time.perf_counter() < deadline:
        path, status = mix[number % len(mix)]
        number += 1
        await fetch(port, path, status, phase)


async def stream(port: int, deadline: float, phase: Phase) -> None:
    """A reload stream held open for the phase, counting the reload events it gets."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), TIMEOUT)
    except (TimeoutError, OSError):
        phase.failed_connections += 1
        return
    try:
        writer.write(f"GET /__sitegen/events HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        while (left := deadline - time.perf_counter()) > 0:
            try:
                line = await asyncio.wait_for(reader.readline(), left)
            except TimeoutError:
                return  # the phase is over; the stream is still open
            if not line:
                phase.streams_ended += 1
                return
            if line.startswith(b"event: reload"):
                phase.reloads += 1
    except OSError:
        phase.streams_ended += 1
    finally:
        writer.close()


async def run_phase(port: int, mix: dict[str, int], clients: int, streams: int, seconds: float, phase: Phase) -> None:
    paths = list(mix.items())
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    tasks = [asyncio.create_task(stream(port, deadline, phase)) for _ in range(streams)]
    tasks += [asyncio.create_task(client(port, paths, number, deadline, phase)) for number in range(clients)]
    await asyncio.gather(*tasks)
    phase.seconds = time.perf_counter() - started


def measure(server: Server, project: Path, args: argparse.Namespace, name: str, rebuilding: bool) -> Phase:
    phase = Phase(name)
    done = threading.Event()

    def sample_threads() -> None:
        while not done.is_set():
            phase.peak_threads = max(phase.peak_threads, server.threads())
            done.wait(0.2)

    def rewrite() -> None:
        page = min((project / "content" / "papers").glob("*.md"))
        original = page.read_text(encoding="utf-8")
        number = 0
        while not done.wait(args.rebuild_every):
            number += 1
            page.write_text(f"{original}\nLoad test edit {number}.\n", encoding="utf-8")
        page.write_text(original, encoding="utf-8")

    helpers = [threading.Thread(target=sample_threads, daemon=True)]
    if rebuilding:
        helpers.append(threading.Thread(target=rewrite, daemon=True))
    rebuilds, cpu = server.rebuilds, server.cpu_seconds()
    for helper in helpers:
        helper.start()
    try:
        asyncio.run(run_phase(server.port, request_mix(project / "site"), args.clients, args.events, args.seconds, phase))
    finally:
        done.set()
        for helper in helpers:
            helper.join()
    phase.rebuilds = server.rebuilds - rebuilds
    phase.server_cpu = server.cpu_seconds() - cpu
    return phase


def wait_quiet(server: Server, quiet: float = 1.0, timeout: float = 60.0) -> None:
    """Until the preview logged no rebuild for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    count, since = server.rebuilds, time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.05)
        if server.rebuilds != count:
            count, since = server.rebuilds, time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (default 10)")
    parser.add_argument("--events", type=int, default=20, help="reload streams held open (default 20)")
    parser.add_argument("--rebuild-every", type=float, default=0.5, help="seconds between page rewrites in phase 2 (default 0.5)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds <= 0 or args.events < 0 or args.rebuild_every <= 0:
        parser.error("--clients must be >= 1, --seconds and --rebuild-every > 0, --events >= 0")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the clients' side needs a socket each

    with tempfile.TemporaryDirectory(prefix="sitegen-serve-load-") as temporary:
        project = make_project(Path(temporary))
        server = Server(project)
        try:
            time.sleep(1.0)  # the first build and the start of every thread
            idle_threads = server.threads()
            quiet = measure(server, project, args, "steady", rebuilding=False)
            wait_quiet(server)
            busy = measure(server, project, args, "rebuilding", rebuilding=True)
        finally:
            stopped = server.stop()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    results = {
        "clients": args.clients,
        "seconds": args.seconds,
        "event_streams": args.events,
        "rebuild_every": args.rebuild_every,
        "server_threads_idle": idle_threads,
        "stop_seconds": round(stopped, 2),
        "phases": {phase.name: phase.figures() for phase in (quiet, busy)},
    }
    print(f"sitegen serve, {args.clients} clients for {args.seconds:g} s per phase, {args.events} reload streams, 127.0.0.1")
    header = f"{'phase':<11}{'requests':>9}{'req/s':>8}{'failed conn':>12}{'errors':>8}{'p50 ms':>8}{'p99 ms':>8}" \
             f"{'max ms':>8}{'rebuilds':>9}{'reloads':>8}{'threads':>8}{'cpu ms/req':>11}"
    print(header)
    for phase in (quiet, busy):
        row = phase.figures()
        print(f"{phase.name:<11}{row['requests']:>9}{row['requests_per_second']:>8}{row['failed_connections']:>12}"
              f"{row['other_errors']:>8}{row['p50_ms']!s:>8}{row['p99_ms']!s:>8}{row['max_ms']!s:>8}"
              f"{row['rebuilds']:>9}{row['reload_events']:>8}{row['server_threads_peak']:>8}{row['server_cpu_ms_per_request']!s:>11}")
        for kind, count in row["errors_by_kind"].items():
            print(f"    {count} x {kind}")
        if row["streams_ended_early"]:
            print(f"    {row['streams_ended_early']} reload stream(s) ended early")
    print(f"server threads when idle: {idle_threads}; stopped on Ctrl-C in {stopped:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
