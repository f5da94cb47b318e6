"""sitegen convert / sitegen new, end to end through the command line in a scratch project.

Every run goes through ``sitegen.cli.main`` (in-process, so a stray exception fails the
test instead of hiding in a subprocess), with ``--root`` pointing at a copy of the
seed digest and the shipped tag vocabulary.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import html
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from sitegen.cli import main
from sitegen.content.frontmatter import parse_page
from sitegen.content.slugs import MAX_LENGTH, is_slug, slugify
from sitegen.inputs.daily_text import listing_date_from_name, parse_digest
from sitegen.model import ListingEntry, Organisation, Paper

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "daily-papers-2025-12-11.txt"
TAGS = REPO / "content" / "tags.yaml"
CHROME = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\n"
MD = MarkdownIt("commonmark", {"html": False})


# --- helpers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

    def counts(self) -> dict[str, int]:
        """The 'pages: ...' summary line as numbers."""
        line = next(line for line in self.out.splitlines() if line.startswith("pages:"))
        return {
            name: int(n)
            for n, name in re.findall(r"(\d+) (created|updated|unchanged|kept)", line)
        }


def sitegen(*args: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return Run(code, out.getvalue(), err.getvalue())


def convert(root: Path, *args: str) -> Run:
    return sitegen("convert", "--root", str(root), *args)


def make_project(root: Path, *, seed: bool = True) -> Path:
    (root / "seeds").mkdir(parents=True)
    (root / "content").mkdir()
    shutil.copy(TAGS, root / "content" / "tags.yaml")
    if seed:
        shutil.copy(SEED, root / "seeds" / SEED.name)
    return root


def papers_dir(root: Path) -> Path:
    return root / "content" / "papers"


def page_files(root: Path) -> list[Path]:
    return sorted(papers_dir(root).glob("*.md")) if papers_dir(root).is_dir() else []


def pages(root: Path) -> dict[str, Paper]:
    """Every page, read back with the real page reader, keyed by title."""
    return {
        p.title: p
        for p in (
            parse_page(path.read_text(encoding="utf-8"), path)
            for path in page_files(root)
        )
    }


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted((root / "content").rglob("*"))
        if path.is_file()
    }


def rendered_text(markdown: str) -> str:
    out = MD.render(markdown)
    match = re.fullmatch(r"<p>(.*)</p>\n", out, re.DOTALL)
    assert match, f"not a single paragraph: {out!r}"
    return html.unescape(match[1])


def paper(title: str, abstract: str, metadata: str = "  • 3 authors\n·\nJan 7") -> str:
    return (
        f"{title}\n\n{abstract}\n\n{metadata}\n\n"
        if metadata
        else f"{title}\n\n{abstract}\n\n"
    )


def digest(*papers: str) -> str:
    return CHROME + "Dec 11\n\n" + "".join(papers)


def write_digest(root: Path, name: str, text: str | bytes) -> Path:
    path = root / "seeds" / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


def line_of(text: str, needle: str) -> int:
    return next(
        i for i, line in enumerate(text.splitlines(), 1) if line.strip() == needle
    )


def seed_entries() -> list[ListingEntry]:
    return list(
        parse_digest(
            SEED.read_text(encoding="utf-8"), SEED, listing_date_from_name(SEED)
        ).entries
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the seed, not converted yet; the working directory is its root."""
    monkeypatch.chdir(tmp_path)
    return make_project(tmp_path / "project")


@pytest.fixture
def empty_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with the tag vocabulary and no digest."""
    monkeypatch.chdir(tmp_path)
    return make_project(tmp_path / "project", seed=False)


@pytest.fixture(scope="module")
def converted_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run]:
    """The seed converted once (tag matching makes this the slow step), shared read-only."""
    root = make_project(tmp_path_factory.mktemp("seed") / "project")
    return root, convert(root)


@pytest.fixture
def converted(
    converted_once: tuple[Path, Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A private copy of the converted seed project, to change at will."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "project"
    shutil.copytree(converted_once[0], root)
    return root


# --- the seed --------------------------------------------------------------------------------------


def test_seed_gives_46_pages(converted_once: tuple[Path, Run]) -> None:
    root, run = converted_once
    assert run.code == 0, run.err
    assert len(page_files(root)) == 46
    assert re.search(rf"{re.escape(SEED.name)}: 46 papers$", run.out, re.MULTILINE)
    assert run.counts() == {"created": 46, "updated": 0, "unchanged": 0, "kept": 0}
    assert {p.title for p in pages(root).values()} == {e.title for e in seed_entries()}
    assert all(
        is_slug(path.stem) and len(path.stem) <= MAX_LENGTH for path in page_files(root)
    )
    assert "Traceback" not in run.err


def test_the_seed_converts_to_exactly_the_committed_content(converted_once: tuple[Path, Run]) -> None:
    """content/ in this repository is what `sitegen convert` makes of the seed, byte for byte."""
    root, _ = converted_once
    made = {path.relative_to(root / "content").as_posix(): path.read_bytes() for path in (root / "content").rglob("*") if path.is_file()}
    committed = {path.relative_to(REPO / "content").as_posix(): path.read_bytes() for path in (REPO / "content").rglob("*") if path.is_file()}
    assert made == committed


def test_seed_warnings_carry_file_and_line(converted_once: tuple[Path, Run]) -> None:
    _, run = converted_once
    undated = [e for e in seed_entries() if e.date is None]
    for entry in undated:
        assert any(
            re.search(rf"{re.escape(SEED.name)}:{entry.loc.line}: warning:", line)
            for line in run.err_lines
        )
    assert len(run.err_lines) == len(undated)


def test_pages_carry_the_digest_metadata(converted_once: tuple[Path, Run]) -> None:
    root, _ = converted_once
    by_title = pages(root)
    for entry in seed_entries():
        page = by_title[entry.title]
        assert (page.date, page.author_count, page.organisation, page.comments) == (
            entry.date,
            entry.author_count,
            entry.organisation,
            entry.comments,
        )
        assert page.sources == (SEED.name,)
        assert page.slug == slugify(entry.title)
    meta = by_title[
        "Meta-Awareness Enhances Reasoning Models: Self-Alignment Reinforcement Learning"
    ]
    assert (meta.date, meta.comments, meta.organisation) == (
        dt.date(2025, 9, 26),
        4,
        Organisation("kaist-ai", "KAIST AI"),
    )


def test_pages_render_as_the_digest_abstract(converted_once: tuple[Path, Run]) -> None:
    root, _ = converted_once
    by_title = pages(root)
    raw = SEED.read_text(encoding="utf-8").split("\n")
    for entry in seed_entries():
        assert entry.loc.line is not None
        abstract = raw[
            entry.loc.line + 1
        ].strip()  # straight from the file: the line after the blank line
        assert rendered_text(by_title[entry.title].body) == abstract


def test_seed_tag_coverage(converted_once: tuple[Path, Run]) -> None:
    """With the shipped vocabulary every page has 1-5 tags and no tag is on more than 60% of pages."""
    root, _ = converted_once
    all_pages = list(pages(root).values())
    assert len(all_pages) == 46
    untagged = [p.title for p in all_pages if not 1 <= len(p.tags) <= 5]
    assert not untagged, f"pages without 1-5 tags: {untagged}"
    usage = Counter(tag for p in all_pages for tag in p.tags)
    too_common = {tag: n for tag, n in usage.items() if n > 0.6 * len(all_pages)}
    assert not too_common, f"tags on more than 60% of pages: {too_common}"


# --- edits are sacred ------------------------------------------------------------------------------


def _age(root: Path) -> None:
    """Backdate every file, so a rewrite shows in mtime even on a coarse-clock file system."""
    for path in (root / "content").rglob("*"):
        if path.is_file():
            os.utime(path, ns=(1_000_000_000, 1_000_000_000))


def test_rerun_changes_no_file(converted: Path) -> None:
    _age(converted)
    before = snapshot(converted)
    run = convert(converted)
    assert run.code == 0, run.err
    assert snapshot(converted) == before
    assert run.counts() == {"created": 0, "updated": 0, "unchanged": 46, "kept": 0}
    assert not [
        p for p in (converted / "content").rglob("*") if p.name.endswith(".tmp")
    ]


def test_edited_page_is_kept_and_reported_until_force(converted: Path) -> None:
    victim = page_files(converted)[3]
    original = victim.read_bytes()
    edited = original.decode("utf-8") + "\nMy own note, written by hand.\n"
    victim.write_text(edited, encoding="utf-8")

    run = convert(converted)
    assert run.code == 0, run.err
    assert victim.read_text(encoding="utf-8") == edited
    assert run.counts() == {"created": 0, "updated": 0, "unchanged": 45, "kept": 1}
    assert any(victim.name in line and "edit" in line for line in run.err_lines)

    forced = convert(converted, "--force")
    assert forced.code == 0
    assert victim.read_bytes() == original
    assert forced.counts() == {"created": 0, "updated": 1, "unchanged": 45, "kept": 0}


def test_pages_of_papers_no_longer_in_a_digest_are_kept(converted: Path) -> None:
    before = snapshot(converted)
    first = seed_entries()[0]
    text = SEED.read_text(encoding="utf-8")
    cut = text.index(
        "\n", text.index(seed_entries()[1].title) - 2
    )  # keep only the first paper
    write_digest(converted, SEED.name, text[:cut] + "\n")
    run = convert(converted)
    assert run.code == 0, run.err
    assert re.search(rf"{re.escape(SEED.name)}: 1 papers?$", run.out, re.MULTILINE)
    assert snapshot(converted) == before
    assert run.counts() == {"created": 0, "updated": 0, "unchanged": 1, "kept": 0}
    assert first.title in pages(converted)


def test_lost_state_file_does_not_duplicate_pages(empty_project: Path) -> None:
    root = empty_project
    write_digest(
        root,
        "d-2025-12-11.txt",
        digest(*(paper(f"Paper {n}", f"Abstract {n}.") for n in range(5))),
    )
    assert convert(root).code == 0
    (root / "content" / ".convert-state.json").unlink()
    before = [(path, path.read_bytes()) for path in page_files(root)]
    run = convert(root)
    assert run.code == 0, run.err
    assert [(path, path.read_bytes()) for path in page_files(root)] == before
    assert run.counts() == {"created": 0, "updated": 0, "unchanged": 5, "kept": 0}


# --- merging and slugs -----------------------------------------------------------------------------


def test_same_paper_in_two_digests_is_one_merged_page(empty_project: Path) -> None:
    root = empty_project
    a = digest(
        paper(
            "Shared Paper: A Study", "The shared abstract.", "  • 3 authors\n·\nDec 1"
        ),
        paper("Only In A", "A."),
    )
    b_text = digest(
        paper("Only In B", "B."),
        paper(
            "shared paper - a study",
            "The shared abstract.",
            "  • 3 authors\n·\nDec 1 5",
        ),
    )
    write_digest(root, "a-2025-12-10.txt", a)
    write_digest(root, "b-2025-12-11.txt", b_text)
    run = convert(root)
    assert run.code == 0, run.err
    assert len(page_files(root)) == 3
    shared = pages(root)["Shared Paper: A Study"]
    assert shared.sources == ("a-2025-12-10.txt", "b-2025-12-11.txt")
    assert (shared.date, shared.author_count, shared.comments) == (
        dt.date(2025, 12, 1),
        3,
        5,
    )
    line = line_of(b_text, "shared paper - a study")
    merged = [l for l in run.err_lines if "merged" in l]
    assert len(merged) == 1 and re.search(
        rf"b-2025-12-11\.txt:{line}: warning:", merged[0]
    )
    assert "a-2025-12-10.txt" in merged[0]
    _age(root)
    before = snapshot(root)
    assert convert(root).counts()["unchanged"] == 3
    assert snapshot(root) == before


LONG = "Towards a Unified Framework for Measuring and Improving the Alignment of Large Language Models with Human"


def test_slug_collision_gets_a_deterministic_suffix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    a, b, c = f"{LONG} Values", f"{LONG} Preferences", f"{LONG} Intentions"
    base = slugify(a)
    assert slugify(b) == slugify(c) == base, "the titles must collide for this test"

    def slugs(name: str, titles: list[str]) -> dict[str, str]:
        root = make_project(tmp_path / name, seed=False)
        write_digest(
            root, "d-2025-12-11.txt", digest(*(paper(t, f"About {t}.") for t in titles))
        )
        assert convert(root).code == 0
        assert convert(root).counts()["unchanged"] == len(titles)  # stable on a re-run
        return {
            p.title: path.stem
            for path, p in (
                (path, parse_page(path.read_text(), path)) for path in page_files(root)
            )
        }

    first = slugs("one", [a, b])
    assert first[a] == base
    suffixed = re.fullmatch(r"(.+)-[0-9a-f]{6}", first[b])
    assert suffixed and base.startswith(suffixed[1]), first[
        b
    ]  # the base, shortened to make room for the suffix
    assert is_slug(first[b]) and len(first[b]) <= MAX_LENGTH
    second = slugs("two", [c, b])
    assert second[b] == first[b], (
        "the suffix depends on the paper, not on what it collided with"
    )
    assert second[c] == base
    assert slugs("three", [a, b]) == first


HOSTILE = [
    "<script>alert(1)</script>",
    "../../x",
    "/",
    ":",
    "..\\..\\boot.ini",
    "CON",
    "日本語の論文",
]


def test_hostile_titles_give_safe_files_and_keep_their_text(
    empty_project: Path,
) -> None:
    root = empty_project
    abstract = "We use <think> tags, \\emph{x}, $O(n^2)$, 45\\% • more *stars* _under_ [a](b) &amp; # 1. 🤔"
    write_digest(
        root, "h-2025-12-11.txt", digest(*(paper(t, abstract) for t in HOSTILE))
    )
    run = convert(root)
    assert run.code == 0, run.err
    files = page_files(root)
    assert len(files) == len(HOSTILE)
    created = [p for p in root.rglob("*") if p.is_file() and p.suffix == ".md"]
    assert sorted(created) == files, "nothing is written outside content/papers"
    assert all(is_slug(f.stem) for f in files)
    by_title = pages(root)
    assert set(by_title) == set(HOSTILE)
    assert all(rendered_text(p.body) == abstract for p in by_title.values())


def test_links_found_in_the_abstract(empty_project: Path) -> None:
    root = empty_project
    abstract = "Code: https://github.com/org/repo. Project page (https://example.org/p) and https://github.com/org/repo again."
    write_digest(root, "l-2025-12-11.txt", digest(paper("Linked", abstract)))
    assert convert(root).code == 0
    page = pages(root)["Linked"]
    assert page.links == ("https://github.com/org/repo", "https://example.org/p")
    assert rendered_text(page.body) == abstract


# --- listing year ----------------------------------------------------------------------------------

YEARLESS = digest(paper("Late Paper", "A.", "  • 2 authors\n·\nDec 20"))


def test_no_listing_year_is_an_error_that_says_how(empty_project: Path) -> None:
    path = write_digest(empty_project, "digest.txt", YEARLESS)
    run = convert(empty_project, str(path))
    assert run.code == 1
    (line,) = run.err_lines
    assert (
        f"digest.txt:{line_of(YEARLESS, 'Dec 20')}:" in line
        and "--listing-date" in line
    )
    assert page_files(empty_project) == []


@pytest.mark.parametrize(
    ("name", "flags", "config", "expected"),
    [
        pytest.param(
            "digest.txt",
            ["--listing-date", "2025-12-11"],
            "",
            dt.date(2024, 12, 20),
            id="flag",
        ),
        pytest.param(
            "digest.txt",
            ["--listing-date", "2025-12-20"],
            "",
            dt.date(2025, 12, 20),
            id="flag same day",
        ),
        pytest.param("d-2025-12-11.txt", [], "", dt.date(2024, 12, 20), id="file name"),
        pytest.param(
            "d-2025-12-11.txt",
            ["--listing-date", "2026-01-05"],
            "",
            dt.date(2025, 12, 20),
            id="flag beats name",
        ),
        pytest.param(
            "digest.txt",
            [],
            '"digest.txt" = 2025-12-25',
            dt.date(2025, 12, 20),
            id="config",
        ),
        pytest.param(
            "d-2025-12-11.txt",
            [],
            '"d-2025-12-11.txt" = 2026-01-05',
            dt.date(2024, 12, 20),
            id="name beats config",
        ),
        pytest.param(
            "digest.txt",
            ["--listing-date", "2025-12-11"],
            '"digest.txt" = 2026-01-05',
            dt.date(2024, 12, 20),
            id="flag beats config",
        ),
    ],
)
def test_where_the_listing_year_comes_from(
    empty_project: Path, name: str, flags: list[str], config: str, expected: dt.date
) -> None:
    if config:
        (empty_project / "pyproject.toml").write_text(
            f"[tool.sitegen.listing_dates]\n{config}\n", encoding="utf-8"
        )
    write_digest(empty_project, name, YEARLESS)
    run = convert(empty_project, *flags)
    assert run.code == 0, run.err
    assert pages(empty_project)["Late Paper"].date == expected


# --- bad input -------------------------------------------------------------------------------------


def _missing(root: Path) -> Path:
    return root / "seeds" / "missing-2025-12-11.txt"


def _directory(root: Path) -> Path:
    path = root / "seeds" / "folder-2025-12-11.txt"
    path.mkdir()
    return path


def _latin1(root: Path) -> Path:
    data = (
        digest(paper("Caf\u00e9 Paper", "Abstract."))
        .encode("utf-8")
        .replace("\u00e9".encode("utf-8"), b"\xe9")
    )
    return write_digest(
        root, "latin1-2025-12-11.txt", data
    )  # one Latin-1 byte in otherwise UTF-8 text


def _binary(root: Path) -> Path:
    return write_digest(root, "binary-2025-12-11.txt", bytes(range(256)) * 4)


def _png(root: Path) -> Path:
    return write_digest(
        root,
        "image-2025-12-11.txt",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(200, 256)),
    )


IMPOSSIBLE = digest(
    paper("Good Paper", "Fine."),
    paper("Bad Paper", "Broken.", "  • 2 authors\n·\nFeb 30, 2024"),
)


def _impossible(root: Path) -> Path:
    return write_digest(root, "impossible-2025-12-11.txt", IMPOSSIBLE)


def _no_date(root: Path) -> Path:
    return write_digest(
        root,
        "nodate-2025-12-11.txt",
        digest(paper("Good Paper", "Fine."), paper("X", "Y", "  • 2 authors\n·\nsoon")),
    )


BAD: dict[str, tuple[Callable[[Path], Path], int | None]] = {
    "missing file": (_missing, None),
    "directory": (_directory, None),
    "non-UTF-8": (
        _latin1,
        line_of(digest(paper("Caf\u00e9 Paper", "Abstract.")), "Caf\u00e9 Paper"),
    ),
    "binary garbage": (_binary, None),
    "binary without NUL first": (_png, None),
    "impossible date": (_impossible, line_of(IMPOSSIBLE, "Feb 30, 2024")),
    "separator without a date": (_no_date, None),
}


@pytest.mark.parametrize(("make", "line"), BAD.values(), ids=BAD.keys())
def test_bad_input_is_one_line_naming_the_file(
    empty_project: Path, make: Callable[[Path], Path], line: int | None
) -> None:
    bad = make(empty_project)
    run = convert(empty_project, str(bad))
    assert run.code == 1
    (message,) = run.err_lines
    assert bad.name in message
    if line is not None:
        assert f"{bad.name}:{line}:" in message
    assert "Traceback" not in run.err
    assert page_files(empty_project) == []


def test_a_bad_digest_does_not_stop_the_good_ones(empty_project: Path) -> None:
    root = empty_project
    write_digest(
        root,
        "a-2025-12-11.txt",
        digest(paper("First Good", "A."), paper("Second Good", "B.")),
    )
    bad = _impossible(root)
    run = convert(root)  # every seeds/*.txt: the good one and the bad one
    assert run.code == 1
    assert re.search(r"a-2025-12-11\.txt: 2 papers$", run.out, re.MULTILINE)
    assert set(pages(root)) == {"First Good", "Second Good"}, (
        "nothing is written for the digest with the error"
    )
    (error,) = run.err_lines
    assert f"{bad.name}:{line_of(IMPOSSIBLE, 'Feb 30, 2024')}:" in error


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", CHROME, CHROME + "Dec 11\n"],
    ids=["empty", "blank", "chrome", "chrome+date"],
)
def test_empty_digest_gives_zero_papers_and_a_warning(
    empty_project: Path, text: str
) -> None:
    path = write_digest(empty_project, "empty-2025-12-11.txt", text)
    run = convert(empty_project)
    assert run.code == 0, run.err
    assert re.search(rf"{re.escape(path.name)}: 0 papers$", run.out, re.MULTILINE)
    (warning,) = run.err_lines
    assert path.name in warning and "warning" in warning
    assert page_files(empty_project) == []


def test_no_digests_at_all_is_an_error(empty_project: Path) -> None:
    run = convert(empty_project)
    assert run.code == 1 and len(run.err_lines) == 1 and "seeds" in run.err


def _splice(text: str, garbage: bytes, position: int) -> bytes:
    """A digest-like text with a few random bytes dropped in somewhere."""
    data = text.encode("utf-8")
    at = position % (len(data) + 1)
    return data[:at] + garbage + data[at:]


digest_like = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "Daily Papers",
                "Dec 11",
                "A Title",
                "An abstract.",
                "  • 4 authors",
                "·",
                "Jan 7",
                "Dec 18, 2024 2",
                "kaist-ai KAIST AI",
                "Feb 30",
                "",
                "",
                "\r",
                "\ufeff",
                "<think>",
            ]
        ),
        st.text(max_size=12),
    ),
    max_size=30,
).map("\n".join)
random_bytes = st.one_of(
    st.binary(max_size=200),
    digest_like.map(lambda t: t.encode("utf-8")),
    st.tuples(
        digest_like, st.binary(min_size=1, max_size=6), st.integers(0, 10_000)
    ).map(lambda parts: _splice(*parts)),
)


@contextlib.contextmanager
def scratch_project() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield make_project(Path(folder) / "project", seed=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_bytes)
def test_random_bytes_never_crash_the_converter(data: bytes) -> None:
    with scratch_project() as root:
        path = write_digest(root, "random-2025-12-11.txt", data)
        run = convert(
            root
        )  # an exception other than the converter's own would escape main() here
        assert run.code in (0, 1)
        assert "Traceback" not in run.err
        if run.code == 1:
            assert any(path.name in line for line in run.err_lines)
            assert page_files(root) == []
        for page in page_files(root):  # whatever was written is a valid page
            parse_page(page.read_text(encoding="utf-8"), page)


# --- atomic writes ---------------------------------------------------------------------------------


def _fail_replace(monkeypatch: pytest.MonkeyPatch) -> None:
    def replace(src: Any, dst: Any) -> None:
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", replace)


def _fail_midway(monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen

    class HalfWriter(io.RawIOBase):
        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def write(self, data: Any) -> int:
            self.stream.write(bytes(data)[: len(data) // 2])
            self.stream.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self) -> None:
            self.stream.close()
            super().close()

    monkeypatch.setattr(
        os, "fdopen", lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k))
    )


@pytest.mark.parametrize(
    "failure", [_fail_replace, _fail_midway], ids=["rename fails", "write fails midway"]
)
def test_failed_write_leaves_the_previous_page_and_no_temp_file(
    empty_project: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: Callable[[pytest.MonkeyPatch], None],
) -> None:
    root = empty_project
    write_digest(
        root, "d-2025-12-11.txt", digest(paper("Stable Paper", "Old abstract."))
    )
    assert convert(root).code == 0
    (page,) = page_files(root)
    before = page.read_bytes()
    write_digest(
        root, "d-2025-12-11.txt", digest(paper("Stable Paper", "New abstract."))
    )

    with monkeypatch.context() as patch:
        failure(patch)
        run = convert(root)
    assert run.code == 1
    assert page.read_bytes() == before
    assert not [
        p.name
        for p in (root / "content").rglob("*")
        if p.name.endswith(".tmp") or p.name.startswith(".Stable")
    ]
    assert not [p.name for p in (root / "content").rglob("*.tmp")]
    (message,) = run.err_lines
    assert page.name in message and "Traceback" not in run.err

    healed = convert(root)
    assert healed.code == 0 and healed.counts()["updated"] == 1
    assert rendered_text(pages(root)["Stable Paper"].body) == "New abstract."


# --- sitegen new -----------------------------------------------------------------------------------


def test_a_new_page_is_a_dated_draft_that_no_build_publishes(empty_project: Path, tmp_path: Path) -> None:
    """sitegen new used to put an empty page at the top of the index and the feed."""
    root = empty_project
    (root / "templates").mkdir()
    today = dt.date.today()
    assert sitegen("new", "--root", str(root), "Not Ready Yet").code == 0
    (path,) = page_files(root)
    assert parse_page(path.read_text(encoding="utf-8"), path).date == today
    out = tmp_path / "out"
    theme = f"theme_dir={REPO / 'sitegen' / 'theme'}"
    assert sitegen("build", "--root", str(root), "-o", str(out), "--set", theme).code == 0
    assert "Not Ready Yet" not in (out / "index.html").read_text(encoding="utf-8")
    assert "Not Ready Yet" not in (out / "feed.xml").read_text(encoding="utf-8")
    assert sitegen("build", "--root", str(root), "-o", str(tmp_path / "drafts"), "--set", theme, "--drafts").code == 0
    assert "Not Ready Yet" in (tmp_path / "drafts" / "index.html").read_text(encoding="utf-8")


def test_new_creates_a_page_and_refuses_to_overwrite(empty_project: Path) -> None:
    root = empty_project
    run = sitegen(
        "new", "--root", str(root), "A Hand-Written Paper", "--date", "2025-01-02"
    )
    assert run.code == 0, run.err
    (path,) = page_files(root)
    assert path.name == "a-hand-written-paper.md"
    assert path.read_text(encoding="utf-8").startswith("---\n")
    page = parse_page(path.read_text(encoding="utf-8"), path)
    assert (page.title, page.date, page.draft) == ("A Hand-Written Paper", dt.date(2025, 1, 2), True)
    assert "Write the paper's abstract here" in page.body and "draft: true" in page.body
    assert "a draft" in run.out
    path.write_text(
        path.read_text(encoding="utf-8") + "\nMy summary.\n", encoding="utf-8"
    )
    edited = path.read_bytes()

    again = sitegen("new", "--root", str(root), "A Hand-Written Paper")
    assert again.code == 1
    (message,) = again.err_lines
    assert path.name in message and "exists" in message
    assert path.read_bytes() == edited


def test_new_with_hostile_or_empty_title(empty_project: Path) -> None:
    root = empty_project
    assert (
        sitegen(
            "new", "--root", str(root), "../../etc/passwd", "--date", "2025-01-02"
        ).code
        == 0
    )
    assert [p.name for p in page_files(root)] == ["etc-passwd.md"]
    assert not (root.parent / "etc").exists()
    empty = sitegen("new", "--root", str(root), "   ")
    assert empty.code == 1 and len(empty.err_lines) == 1


def test_digest_paper_with_a_hand_written_page_is_not_duplicated(
    empty_project: Path,
) -> None:
    root = empty_project
    assert (
        sitegen("new", "--root", str(root), "Shared Paper", "--date", "2025-01-02").code
        == 0
    )
    (path,) = page_files(root)
    before = path.read_bytes()
    write_digest(
        root, "d-2025-12-11.txt", digest(paper("Shared Paper", "From the digest."))
    )
    run = convert(root)
    assert run.code == 0, run.err
    assert page_files(root) == [path]
    assert path.read_bytes() == before
    assert run.counts()["kept"] == 1


# --- the command itself ----------------------------------------------------------------------------


def _python_m_sitegen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO), os.environ.get("PYTHONPATH")])
        ),
    }
    return subprocess.run(
        [sys.executable, "-m", "sitegen", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_python_m_sitegen_help(tmp_path: Path) -> None:
    result = _python_m_sitegen("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "convert" in result.stdout and "new" in result.stdout
    convert_help = _python_m_sitegen("convert", "--help", cwd=tmp_path)
    assert (
        convert_help.returncode == 0
        and "--listing-date" in convert_help.stdout
        and "--force" in convert_help.stdout
    )


def test_python_m_sitegen_bad_input_has_no_traceback(tmp_path: Path) -> None:
    make_project(tmp_path / "project", seed=False)
    result = _python_m_sitegen(
        "convert", "--root", "project", "project/seeds/missing.txt", cwd=tmp_path
    )
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "missing.txt" in result.stderr
    assert "Traceback" not in result.stderr
