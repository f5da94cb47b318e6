"""The command line: sub-commands -> functions, SitegenError -> one line and exit 1. Nothing else."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from sitegen import __version__
from sitegen.config import OPTION_HELP, Config, load_config, parse_override
from sitegen.errors import SitegenError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except SitegenError as error:
        print(f"error: {error}" if "\n" not in str(error) else str(error), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    width = max(map(len, OPTION_HELP))
    options = "\n".join(f"  {key:<{width}}  {text}" for key, text in OPTION_HELP.items())
    parser = argparse.ArgumentParser(
        prog="sitegen",
        description="Turn paper listings (Daily Papers digests, Hugging Face API dumps) into a fast, searchable static site.",
        epilog=f"configuration keys (sitegen.toml, or [tool.sitegen] in pyproject.toml, or --set KEY=VALUE):\n{options}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=Path("."), help="project folder (default: current folder)")
    common.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a configuration key, e.g. --set page_size=50 (repeatable)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    convert = commands.add_parser(
        "convert", parents=[common], help="listings -> content/papers/*.md",
        description="Turn listings into pages in content/papers/: one page per paper, merged across listings, "
        "never overwriting what you edited.",
    )
    convert.add_argument(
        "digests", nargs="*", type=Path, metavar="LISTING",
        help="Daily Papers text digests (.txt) or API dumps (.json, .json.gz) (default: every one in seeds/)",
    )
    convert.add_argument("--listing-date", type=_iso_date, metavar="YYYY-MM-DD", help="date of the listing (gives missing years)")
    convert.add_argument("--force", action="store_true", help="overwrite pages even if edited by hand")
    convert.add_argument(
        "-q", "--quiet", action="store_true", help="no progress line (shown only when stderr is a terminal)"
    )
    convert.set_defaults(run=_convert)

    build = commands.add_parser(
        "build", parents=[common], help="content/ -> site/",
        description="Build the site from content/ into site/ (or -o): the new site replaces the old one in one step.",
    )
    build.add_argument("-o", "--output", type=Path, help="output folder (default: site/ or output_dir)")
    build.add_argument("--drafts", action="store_true", help="include pages marked draft: true")
    build.add_argument("-v", "--verbose", action="store_true", help="list every file written or removed")
    build.add_argument("-q", "--quiet", action="store_true", help="no progress line (shown only when stderr is a terminal)")
    build.add_argument(
        "--base-url", help="absolute URL the site is published at (feeds, sitemap, canonical links); under a sub-path the build notes that robots.txt is not read there"
    )
    build.add_argument("--page-size", type=int, help="papers per listing page")
    build.set_defaults(run=_build)

    serve = commands.add_parser(
        "serve", parents=[common], help="preview at http://127.0.0.1:8000/, rebuilding on change",
        description="Build, serve the site on this machine, and rebuild and reload open pages on every change.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default: 8000; 0 picks a free one)")
    serve.add_argument("-o", "--output", type=Path, help="output folder (default: site/ or output_dir)")
    serve.add_argument("--drafts", action="store_true", help="include pages marked draft: true")
    serve.add_argument("--open", action="store_true", help="open the site in a browser")
    serve.set_defaults(run=_serve)

    init = commands.add_parser(
        "init", help="start a new archive in FOLDER",
        description="Start an archive: sitegen.toml, content/tags.yaml (the default tag vocabulary), seeds/ "
        "with a README, and a .gitignore. Never overwrites a file.",
    )
    init.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="FOLDER", help="where (default: current folder)")
    init.set_defaults(run=_init)

    new = commands.add_parser(
        "new", parents=[common], help="create a hand-written paper page",
        description="Start a page for a paper from no listing: a draft, with today's date, to fill in.",
    )
    new.add_argument("title")
    new.add_argument("--date", type=_iso_date, metavar="YYYY-MM-DD", help="paper date (default: today)")
    new.set_defaults(run=_new)
    return parser


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use a number from 0 to 65535 (0 picks a free one)")
    return int(text)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def _overrides(args: argparse.Namespace, **flags: object) -> dict[str, object]:
    overrides: dict[str, object] = dict(parse_override(item) for item in args.overrides)
    overrides.update({key: value for key, value in flags.items() if value is not None})
    return overrides


_FLAGS = {"base_url": "--base-url", "page_size": "--page-size"}


def _config(args: argparse.Namespace, **flags: object) -> Config:
    return load_config(args.root, _overrides(args, **flags), {key: _FLAGS.get(key, f"--set {key}") for key in flags})


def _convert(args: argparse.Namespace) -> int:
    from sitegen.inputs.convert import convert
    from sitegen.model import Loc

    progress = _progress_line(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
    try:
        report = convert(_config(args), args.digests, args.listing_date, args.force, progress)
    finally:
        if progress is not None:
            progress.close()
    for digest in report.digests:
        print(f"{digest.path}: {digest.papers} papers")
    for backup in report.backups:
        print(f"{Loc(backup.page)}: edited by hand; your version is saved as {Loc(backup.copy)} (--force overwrote it)")
    for notice in report.notices:
        print(notice, file=sys.stderr)
    for error in report.errors:
        print(f"{error} (nothing written for this digest)", file=sys.stderr)
    print(
        f"pages: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.kept)} kept hand edits"
    )
    return 1 if report.errors else 0


class _ProgressLine:
    """convert's and build's progress as one line on a terminal, redrawn in place (tqdm): what it is doing, how far
    it is and how long is left; the line is wiped when the run ends, before the report is printed."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar: Any = None
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        unit = " " + stage.rsplit(" ", 1)[-1]
        if self._bar is None:
            from tqdm import tqdm

            tqdm.monitor_interval = 0  # no monitor thread: a build forks to use both cores, which needs a single thread
            self._bar = tqdm(desc=stage, total=total, unit=unit, file=self._stream, leave=False, dynamic_ncols=True, mininterval=0.1)
            self._stage = stage
        if stage != self._stage:
            self._stage = stage
            self._bar.set_description_str(stage, refresh=False)
            self._bar.unit = unit
            self._bar.reset(total=total)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _progress_line(stream: TextIO) -> _ProgressLine:
    return _ProgressLine(stream)


def _build(args: argparse.Namespace) -> int:
    from sitegen.build.build import build

    config = _config(args, base_url=args.base_url, page_size=args.page_size)
    progress = _progress_line(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
    try:
        report = build(config, args.output, args.drafts, progress=progress)
    finally:
        if progress is not None:
            progress.close()
    for notice in report.notices:
        print(notice, file=sys.stderr)
    if args.verbose:
        for path in report.result.written:
            print(f"  wrote   {path}")
        for path in report.result.removed:
            print(f"  removed {path}")
    print(report.summary())
    return 0


def _serve(args: argparse.Namespace) -> int:
    from sitegen.serve.preview import start_preview
    from sitegen.serve.server import run

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {args.host}: the preview is reachable from other machines", file=sys.stderr)
    overrides = _overrides(args)
    preview = start_preview(load_config(args.root, overrides), args.output, args.drafts, args.host, args.port, overrides)
    run(preview, args.open)
    return 0


def _init(args: argparse.Namespace) -> int:
    from sitegen.content.starter import start_archive

    for path in start_archive(args.folder):
        print(f"created {path}")
    where = "" if args.folder == Path(".") else f"cd {args.folder}, "
    print(f"next: {where}copy a listing into seeds/, then sitegen convert && sitegen serve")
    return 0


def _new(args: argparse.Namespace) -> int:
    from sitegen.inputs.convert import new_page

    path = new_page(_config(args), args.title, args.date or dt.date.today())
    print(f"created {path}: a draft (see it with sitegen serve --drafts; delete its draft: true line to publish it)")
    return 0
