"""sitegen.inputs.daily_text: digest text -> ListingEntry list, one test (or fixture case) per rule of the format."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.errors import SitegenError, SourceError
from sitegen.inputs.daily_text import (
    AUTHORS_LINE,
    DATE_LINE,
    LONGEST_TITLE,
    MONTH_WORDS,
    TERMINAL_CODE,
    Digest,
    listing_date_from_name,
    parse_digest,
)
from sitegen.model import ListingEntry, Organisation
from sitegen.text import FORBIDDEN, without_controls

REPO = Path(__file__).resolve().parents[2]
FIXTURE_DIR = Path(__file__).parents[1] / "fixtures" / "digest"
FIXTURES = FIXTURE_DIR / "cases.txt"
FIXTURE_FILES = sorted(FIXTURE_DIR.glob("*.txt"))
SEED = REPO / "seeds" / "daily-papers-2025-12-11.txt"
LISTING = dt.date(2025, 12, 11)
CHROME = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\n"


# --- helpers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    title: str
    text: str
    expected: str
    line: int
    path: Path = FIXTURES


def read_fixture_file(path: Path) -> list[Case]:
    """Cases written as: title, '.', input, '.', expected, '.' (markdown-it-py's fixture layout)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cases: list[Case] = []
    index = 0
    while index < len(lines):
        if not lines[index].strip() or lines[index].startswith("#"):
            index += 1
            continue
        title, start = lines[index], index + 1
        assert lines[index + 1] == ".", (
            f"{path}:{index + 2}: expected '.' after the case title"
        )
        index += 2
        parts: list[list[str]] = [[], []]
        for part in parts:
            while lines[index] != ".":
                part.append(lines[index])
                index += 1
            index += 1
        text = "".join(line + "\n" for line in parts[0])
        cases.append(Case(title, text, "\n".join(parts[1]), start, path))
    return cases


def describe(digest: Digest) -> tuple[str, list[tuple[str, str]]]:
    """Entries in the fixture notation, and warnings as (line, message) pairs."""
    out: list[str] = []
    for entry in digest.entries:
        out.append(f"paper {entry.loc.line}: {entry.title}")
        for paragraph in entry.abstract.split("\n\n") if entry.abstract else ():
            out.append(f"  abstract: {paragraph}")
        if entry.date is not None:
            out.append(f"  date: {entry.date.isoformat()}")
        if entry.author_count is not None:
            out.append(f"  authors: {entry.author_count}")
        if entry.organisation is not None:
            out.append(
                f"  organisation: {entry.organisation.id} / {entry.organisation.name}"
            )
        if entry.comments is not None:
            out.append(f"  comments: {entry.comments}")
    warnings = [
        ("-" if n.loc.line is None else str(n.loc.line), n.message)
        for n in digest.notices
    ]
    return "\n".join(out), warnings


def parse(
    text: str, listing_date: dt.date | None = LISTING, name: str = "digest.txt"
) -> Digest:
    return parse_digest(text, Path(name), listing_date)


def _expected_warning(line: str) -> tuple[str, str]:
    """``warning LINE: WORD`` from a fixture, as (line, word)."""
    match = re.fullmatch(r"warning (\S+): (.+)", line)
    assert match, f"bad expected warning line {line!r}"
    return match[1], match[2]


def paper(title: str, abstract: str, metadata: str = "  • 3 authors\n·\nJan 7") -> str:
    return (
        f"{title}\n\n{abstract}\n\n{metadata}\n\n"
        if metadata
        else f"{title}\n\n{abstract}\n\n"
    )


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line equal to ``needle`` (stripped)."""
    return next(
        i for i, line in enumerate(text.splitlines(), 1) if line.strip() == needle
    )


# --- the format, rule by rule (data-driven) --------------------------------------------------------


CASES = read_fixture_file(FIXTURES)
ALL_CASES = [case for path in FIXTURE_FILES for case in read_fixture_file(path)]


@pytest.mark.parametrize(
    "case", ALL_CASES, ids=[f"{c.path.stem}: {c.title}" for c in ALL_CASES]
)
def test_fixture_case(case: Case) -> None:
    where = f"{case.path}:{case.line}"
    expected_lines = case.expected.split("\n") if case.expected else []
    if expected_lines and expected_lines[0].startswith("error "):
        assert len(expected_lines) == 1, f"{where}: an error case expects the error alone"
        line, word = re.fullmatch(r"error (\d+): (.+)", expected_lines[0]).groups()  # type: ignore[union-attr]
        with pytest.raises(SourceError) as caught:
            parse_digest(case.text, Path("fixture.txt"), LISTING)
        assert caught.value.loc.line == int(line), f"{where}: {caught.value}"
        assert word in caught.value.message, f"{where}: {caught.value} should mention {word!r}"
        assert str(caught.value).startswith(f"fixture.txt:{line}: ")
        return
    digest = parse_digest(case.text, Path("fixture.txt"), LISTING)
    entries, warnings = describe(digest)
    expected_warnings = [line for line in expected_lines if line.startswith("warning ")]
    expected_entries = "\n".join(
        line for line in expected_lines if not line.startswith("warning ")
    )
    assert entries == expected_entries, f"{where}: {case.title}"
    wanted = [_expected_warning(line) for line in expected_warnings]
    assert [line for line, _ in warnings] == [line for line, _ in wanted], (
        f"{where}: {warnings}"
    )
    for (_, message), (_, word) in zip(warnings, wanted):
        assert word in message, (
            f"{where}: warning {message!r} should mention {word!r}"
        )


def test_fixture_file_has_every_case() -> None:
    assert len(CASES) >= 15


def test_every_fixture_file_is_read_and_has_cases() -> None:
    shapes = {path.stem for path in FIXTURE_FILES}
    assert {"cases", "trending", "undated", "empty_abstracts", "wraps", "search", "headers", "not_a_listing"} <= shapes
    for path in FIXTURE_FILES:
        assert len(read_fixture_file(path)) >= 2, path


# --- individual rules ------------------------------------------------------------------------------


def test_organisation_entry_is_an_organisation_not_authors() -> None:
    digest = parse(
        CHROME + "Dec 11\n\n" + paper("T", "A", "kaist-ai KAIST AI\n·\nSep 26 4")
    )
    (entry,) = digest.entries
    assert entry.organisation == Organisation("kaist-ai", "KAIST AI")
    assert entry.author_count is None
    assert (entry.date, entry.comments) == (dt.date(2025, 9, 26), 4)


@pytest.mark.parametrize(
    ("date_line", "date", "comments"),
    [
        ("Jan 7", dt.date(2025, 1, 7), None),
        ("Oct 16, 2024", dt.date(2024, 10, 16), None),
        ("Sep 26 4", dt.date(2025, 9, 26), 4),
        ("Dec 18, 2024 2", dt.date(2024, 12, 18), 2),
        ("Dec 12", dt.date(2024, 12, 12), None),
        ("Dec 12 10", dt.date(2024, 12, 12), 10),
        ("Feb 29, 2024", dt.date(2024, 2, 29), None),
    ],
)
def test_date_lines(date_line: str, date: dt.date, comments: int | None) -> None:
    (entry,) = parse(
        CHROME + "Dec 11\n\n" + paper("T", "A", f"  • 2 authors\n·\n{date_line}")
    ).entries
    assert (entry.date, entry.comments, entry.author_count) == (date, comments, 2)


def test_listing_date_decides_the_year_of_yearless_dates() -> None:
    text = CHROME + "Jun 1\n\n" + paper("T", "A", "  • 2 authors\n·\nMar 3")
    assert parse(text, dt.date(2020, 6, 1)).entries[0].date == dt.date(2020, 3, 3)
    assert parse(text, dt.date(2020, 3, 2)).entries[0].date == dt.date(2019, 3, 3)


def test_yearless_feb_29_follows_the_listing_year() -> None:
    text = CHROME + "Dec 11\n\n" + paper("Leap", "A", "  • 2 authors\n·\nFeb 29")
    assert parse(text, dt.date(2024, 12, 11)).entries[0].date == dt.date(2024, 2, 29)
    with pytest.raises(SourceError) as caught:
        parse(text, dt.date(2025, 12, 11))
    assert caught.value.loc.line == line_of(text, "Feb 29")


def test_missing_abstract_does_not_shift_the_papers_after_it() -> None:
    titles = [f"Paper {n}" for n in range(6)]
    text = CHROME + "Dec 11\n\n"
    for n, title in enumerate(titles):
        if n == 2:
            text += f"{title}\n\n  • 1 authors\n·\nJan {n + 1}\n\n"
        else:
            text += paper(
                title, f"Abstract {n}.", f"  • {n + 10} authors\n·\nJan {n + 1}"
            )
    digest = parse(text)
    assert [e.title for e in digest.entries] == titles
    assert [e.abstract for e in digest.entries] == [
        f"Abstract {n}." if n != 2 else "" for n in range(6)
    ]
    assert [e.date for e in digest.entries] == [
        dt.date(2025, 1, n + 1) for n in range(6)
    ]
    (warning,) = digest.notices
    assert (
        warning.loc.line == line_of(text, "Paper 2") and "abstract" in warning.message
    )


def test_warnings_carry_file_and_line() -> None:
    text = CHROME + "Dec 11\n\n" + paper("No Metadata", "A", "")
    digest = parse_digest(text, Path("seeds/x-2025-12-11.txt"), LISTING)
    (warning,) = digest.notices
    assert str(warning).startswith(
        f"seeds/x-2025-12-11.txt:{line_of(text, 'No Metadata')}: warning:"
    )


def test_entries_remember_their_title_line() -> None:
    text = CHROME + "Dec 11\n\n" + paper("One", "A") + paper("Two\nwrapped", "B")
    digest = parse(text)
    assert [(e.loc.path, e.loc.line) for e in digest.entries] == [
        (Path("digest.txt"), line_of(text, "One")),
        (Path("digest.txt"), line_of(text, "Two")),
    ]


# --- whitespace and encoding noise is read as if absent -------------------------------------------

BASE = (
    CHROME
    + "Dec 11\n\n"
    + paper(
        "First Paper Title", "First abstract, hard\nwrapped.", "  • 5 authors\n·\nJan 7"
    )
    + paper("Second", "Second abstract.", "kaist-ai KAIST AI\n·\nSep 26 4")
    + paper("Third", "Third abstract.", "")
    + paper("Fourth", "Fourth abstract.", "  • 20 authors\n·\nDec 18, 2024 2")
)


def _tabs(text: str) -> str:
    return "\n".join(
        "\t" + line.strip() + "\t" if line.strip() else line
        for line in text.split("\n")
    )


NOISE: dict[str, Callable[[str], str]] = {
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "bom": lambda t: "\ufeff" + t,
    "tabs": _tabs,
    "trailing spaces": lambda t: t.replace("\n", "   \n"),
    "whitespace-only blank lines": lambda t: t.replace("\n\n", "\n \t \n"),
    "no final newline": lambda t: t.rstrip("\n"),
    "all at once": lambda t: (
        "\ufeff" + _tabs(t).replace("\n", "  \r\n").rstrip("\r\n ")
    ),
}


@pytest.mark.parametrize("noise", NOISE.values(), ids=NOISE.keys())
def test_noise_is_ignored(noise: Callable[[str], str]) -> None:
    clean = parse(BASE)
    assert len(clean.entries) == 4
    noisy = parse(noise(BASE))
    assert noisy.entries == clean.entries
    assert noisy.notices == clean.notices


def test_last_entry_without_trailing_newline_keeps_its_metadata() -> None:
    (entry,) = parse(
        CHROME + "Dec 11\n\nT\n\nA\n\n  • 4 authors\n·\nDec 18, 2024 2"
    ).entries
    assert (entry.abstract, entry.author_count, entry.date, entry.comments) == (
        "A",
        4,
        dt.date(2024, 12, 18),
        2,
    )


@pytest.mark.parametrize(
    "text",
    ["", "\n\n\n", "\ufeff", CHROME, CHROME + "Dec 11\n", CHROME.replace("\n", "\r\n")],
)
def test_empty_or_chrome_only_gives_zero_papers_and_a_warning(text: str) -> None:
    digest = parse(text)
    assert digest.entries == ()
    (warning,) = digest.notices
    assert warning.loc.path == Path("digest.txt")
    assert "no papers" in warning.message


# --- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "date_line", ["Feb 30, 2024", "Feb 30", "Apr 31", "Jan 32", "Feb 29, 2023", "Foo 7"]
)
def test_impossible_date_is_a_source_error_naming_file_and_line(date_line: str) -> None:
    text = (
        CHROME
        + "Dec 11\n\n"
        + paper("Fine", "A")
        + paper("Broken", "B", f"  • 2 authors\n·\n{date_line}")
    )
    with pytest.raises(SourceError) as caught:
        parse_digest(text, Path("seeds/bad-2025-12-11.txt"), LISTING)
    assert caught.value.loc == type(caught.value.loc)(
        Path("seeds/bad-2025-12-11.txt"), line_of(text, date_line)
    )
    assert str(caught.value).startswith(
        f"seeds/bad-2025-12-11.txt:{line_of(text, date_line)}: "
    )
    assert date_line in str(caught.value) or "date" in str(caught.value)


def test_separator_without_a_date_is_a_source_error() -> None:
    text = CHROME + "Dec 11\n\n" + paper("T", "A", "  • 2 authors\n·\nnot a date")
    with pytest.raises(SourceError) as caught:
        parse(text)
    assert caught.value.loc.line == line_of(text, "not a date")


def test_missing_listing_year_says_how_to_give_it() -> None:
    text = CHROME + "Dec 11\n\n" + paper("T", "A", "  • 2 authors\n·\nJan 7")
    with pytest.raises(SourceError) as caught:
        parse(text, listing_date=None)
    assert caught.value.loc.line == line_of(text, "Jan 7")
    assert "--listing-date" in caught.value.message


def test_listing_year_is_only_needed_for_yearless_dates() -> None:
    text = CHROME + "Dec 11\n\n" + paper("T", "A", "  • 2 authors\n·\nOct 16, 2024")
    assert parse(text, listing_date=None).entries[0].date == dt.date(2024, 10, 16)


@pytest.mark.parametrize(
    ("name", "date"),
    [
        ("daily-papers-2025-12-11.txt", dt.date(2025, 12, 11)),
        ("2024-02-29.txt", dt.date(2024, 2, 29)),
        ("digest.txt", None),
        ("daily-papers-2025-02-30.txt", None),
    ],
)
def test_listing_date_from_file_name(name: str, date: dt.date | None) -> None:
    assert listing_date_from_name(Path("seeds") / name) == date


def test_huge_counts_are_not_a_crash() -> None:
    huge = "9" * 5000
    for metadata in (
        f"  • 2 authors\n·\nJan 7 {huge}",
        f"  • {huge} authors\n·\nJan 7",
    ):
        try:
            parse(CHROME + "Dec 11\n\n" + paper("T", "A", metadata))
        except SourceError:
            pass


# --- the real seed ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> Digest:
    return parse_digest(
        SEED.read_text(encoding="utf-8"), SEED, listing_date_from_name(SEED)
    )


def test_seed_counts(seed: Digest) -> None:
    entries = seed.entries
    assert len(entries) == 46
    years = Counter(e.date.year for e in entries if e.date is not None)
    assert years == {2025: 19, 2024: 14, 2023: 11}
    assert sum(e.date is None for e in entries) == 2
    assert sum(e.author_count is not None for e in entries) == 43
    assert [e.organisation for e in entries if e.organisation] == [
        Organisation("kaist-ai", "KAIST AI")
    ]
    assert sum(e.comments is not None for e in entries) == 5
    assert all(e.title and e.abstract for e in entries)
    assert len({e.title for e in entries}) == 46


def test_seed_entries_match_the_raw_text(seed: Digest) -> None:
    """Independent of the parser: in the seed every title is a line followed by a blank line and its abstract."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    for entry in seed.entries:
        assert entry.loc.line is not None
        assert lines[entry.loc.line - 1].strip() == entry.title
        assert lines[entry.loc.line + 1].strip() == entry.abstract
    undated = [e.loc.line for e in seed.entries if e.date is None]
    assert [n.loc.line for n in seed.notices] == undated
    assert all(
        str(n).startswith(f"{os.path.relpath(SEED)}:{n.loc.line}: warning:")
        for n in seed.notices
    )


def test_seed_known_papers(seed: Digest) -> None:
    by_title: dict[str, ListingEntry] = {e.title: e for e in seed.entries}
    meta = by_title[
        "Meta-Awareness Enhances Reasoning Models: Self-Alignment Reinforcement Learning"
    ]
    assert (meta.date, meta.comments, meta.organisation) == (
        dt.date(2025, 9, 26),
        4,
        Organisation("kaist-ai", "KAIST AI"),
    )
    first = seed.entries[0]
    assert (
        first.title
        == "Context-Alignment: Activating and Enhancing LLM Capabilities in Time Series"
    )
    assert (first.date, first.author_count) == (dt.date(2025, 1, 7), 5)
    faking = by_title["Alignment faking in large language models"]
    assert (faking.date, faking.author_count, faking.comments) == (
        dt.date(2024, 12, 18),
        20,
        2,
    )


# --- properties ------------------------------------------------------------------------------------

PIECES = [
    "new",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
    "Dec 11",
    "·",
    "·",
    "  • 5 authors",
    "• 0 authors",
    "kaist-ai KAIST AI",
    "Jan 7",
    "Feb 30, 2024",
    "Oct 16, 2024 2",
    "Sep 26 4",
    "Feb 29",
    "Zzz 7",
    "A Title: With a Colon",
    "An abstract with <think> and $x$ and • bullets.",
    "",
    "",
    "\t",
    "\r",
    "\ufeff",
    "   ",
]
line_strategy = st.one_of(st.sampled_from(PIECES), st.text(max_size=20))
digest_text = st.lists(line_strategy, max_size=40).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(
    digest_text,
    st.sampled_from([None, LISTING, dt.date(2024, 2, 29), dt.date(2023, 1, 1)]),
)
def test_random_text_only_ever_raises_source_error(
    text: str, listing_date: dt.date | None
) -> None:
    try:
        digest = parse_digest(text, Path("random.txt"), listing_date)
    except SourceError as error:
        assert error.loc.path == Path("random.txt")
        assert (
            error.loc.line is None
            or 1 <= error.loc.line <= text.count("\n") + text.count("\r") + 1
        )
        return
    for entry in digest.entries:
        assert entry.title and entry.title == entry.title.strip()
        assert "\n" not in entry.title
        paragraphs = entry.abstract.split("\n\n") if entry.abstract else []
        assert all(p and p == p.strip() and "\n" not in p for p in paragraphs)
        assert entry.loc.path == Path("random.txt")
    assert bool(digest.entries) or any("no papers" in n.message for n in digest.notices)


def _as_parsed(text: str) -> str:
    """What the parser keeps of one line: spacing normalised, BOMs, forbidden characters and terminal codes gone."""
    text = " ".join(text.replace("\ufeff", "").split())
    return " ".join(without_controls(TERMINAL_CODE.sub("", text)).split()) if FORBIDDEN.search(text) else text


def _reads_as_metadata(line: str) -> bool:
    """A '·', an author line or a date: never a title or an abstract, so no part of a well-formed paper."""
    date = DATE_LINE.fullmatch(line)
    return line == "·" or bool(AUTHORS_LINE.fullmatch(line)) or bool(date and (date["month"] + date["rest"]).lower() in MONTH_WORDS)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(
                st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
                min_size=1,
                max_size=15,
            ),
            st.text(
                st.characters(exclude_characters="\ufeff"), min_size=1, max_size=30
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_well_formed_digests_keep_every_paper(papers: list[tuple[str, str]]) -> None:
    """Any titles and abstracts, laid out as the format says, come back as they were
    (spacing normalised, BOMs, characters XML forbids and terminal codes removed)."""
    papers = [(_as_parsed(t), _as_parsed(a)) for t, a in papers]
    papers = [(t, a) for t, a in papers if t and a and not _reads_as_metadata(t) and not _reads_as_metadata(a)]
    text = (
        CHROME
        + "Dec 11\n\n"
        + "".join(
            paper(title, abstract, f"  • {n + 1} authors\n·\nOct 16, 2024")
            for n, (title, abstract) in enumerate(papers)
        )
    )
    digest = parse(text)
    assert [(e.title, e.abstract, e.author_count) for e in digest.entries] == [
        (t, a, n + 1) for n, (t, a) in enumerate(papers)
    ]


# --- characters XML forbids ------------------------------------------------------------------------


def test_control_characters_are_removed_with_a_warning_naming_the_line() -> None:
    text = CHROME + "Dec 11\n\n" + paper("A \x07Bell\x00 Title", "An \x1b[1;31mabstract\x1b[0m,\x0bspaced.")
    digest = parse(text)
    (entry,) = digest.entries
    assert (entry.title, entry.abstract) == ("A Bell Title", "An abstract, spaced.")
    lines = text.split("\n")
    title_line = lines.index("A \x07Bell\x00 Title") + 1
    abstract_line = lines.index("An \x1b[1;31mabstract\x1b[0m,\x0bspaced.") + 1
    assert [(notice.loc.line, notice.message) for notice in digest.notices] == [
        (title_line, "removed control characters (U+0007, U+0000) that feeds cannot carry"),
        (abstract_line, "removed control characters (U+001B) that feeds cannot carry"),
    ]


def test_a_line_of_control_characters_only_is_a_blank_line() -> None:
    text = CHROME + "Dec 11\n\n" + "First Title\n\x07\x1b[0m\nFirst abstract.\n\n  • 3 authors\n·\nJan 7\n"
    (entry,) = parse(text).entries
    assert (entry.title, entry.abstract) == ("First Title", "First abstract.")


noisy_line = st.text(st.sampled_from("ab Z.·•\x00\x07\x08\x0b\x0c\x0e\x1b\x1f[31m;\x7f\x85\u2028\ud800\udfff\ufeff\ufffe\uffff"), max_size=16)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), noisy_line, st.text(max_size=10)), max_size=30).map("\n".join))
def test_no_forbidden_character_survives_and_each_is_reported_on_its_line(text: str) -> None:
    try:
        digest = parse_digest(text, Path("random.txt"), LISTING)
    except SourceError as error:
        assert error.loc.path == Path("random.txt")
        return
    for entry in digest.entries:
        assert not FORBIDDEN.search(entry.title) and not FORBIDDEN.search(entry.abstract)
        assert not TERMINAL_CODE.search(entry.title + entry.abstract)
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    reported = {notice.loc.line for notice in digest.notices if "control characters" in notice.message}
    assert reported == {n for n, line in enumerate(lines, 1) if FORBIDDEN.search(" ".join(line.split()))}


# --- listings in other shapes: trending, lost dates, wraps, files that are no listing -------------


def test_json_read_as_text_is_refused_saying_what_it_is() -> None:
    """`sitegen convert seeds/x.json` once made one page whose title was the whole document."""
    dump = [{"paper": {"id": "2510.04618", "title": "Agentic Context Engineering", "summary": "An abstract."}}]
    for text, line in [(json.dumps(dump, indent=2), 1), ("\ufeff\n\n" + json.dumps(dump), 3)]:
        with pytest.raises(SourceError) as caught:
            parse_digest(text, Path("seeds/x.json"), LISTING)
        assert caught.value.loc == type(caught.value.loc)(Path("seeds/x.json"), line)
        assert "looks like JSON" in caught.value.message and "*.json" in caught.value.message


def test_a_listing_whose_first_title_starts_with_a_bracket_is_not_json() -> None:
    text = "[Re] Reproducing a Paper\n\nAn abstract.\n\n  • 2 authors\n·\nJan 7\n"
    (entry,) = parse(text).entries
    assert (entry.title, entry.abstract, entry.author_count) == ("[Re] Reproducing a Paper", "An abstract.", 2)


def test_no_page_is_named_after_an_author_line_or_an_abstract() -> None:
    """What a trending page once became: pages named '5-authors' and pages titled with an abstract."""
    abstract = "We study a thing. It works well, and we say so at length. " * 3
    text = "Daily Papers\n\n" + "".join(
        f"Title {n}\n\n{abstract}\n\n  • {n + 1} authors\n\n" if n % 2 else f"Title {n}\n\n{abstract}\n\n"
        for n in range(8)
    )
    digest = parse(text)
    assert [e.title for e in digest.entries] == [f"Title {n}" for n in range(8)]
    assert [e.author_count for e in digest.entries] == [None, 2, None, 4, None, 6, None, 8]
    assert all(e.abstract == abstract.strip() for e in digest.entries)


def _generated_digest(papers: int, seed: int = 1) -> str:
    """A digest of the seed's abstracts in every layout this parser reads, as a big listing would be."""
    abstracts = [
        block.strip() for block in SEED.read_text(encoding="utf-8").split("\n\n") if len(block) > LONGEST_TITLE
    ]
    rng = random.Random(seed)
    parts = [CHROME + "Dec 11\n"]
    for n in range(papers):
        title, abstract = f"Paper Number {n}: A Study of Things", rng.choice(abstracts)
        layout = n % 6
        if layout == 0:
            parts.append(f"{title}\n\n{abstract}\n\n  • {n % 30 + 1} authors\n·\nJan {n % 28 + 1}\n")
        elif layout == 1:
            parts.append(f"{title}\n\n{abstract}\n\n  • 3 authors\n")
        elif layout == 2:
            parts.append(f"{title}\n\n{abstract}\n")
        elif layout == 3:
            parts.append(f"{title}\n\n{abstract}\n\n  • 3 authors\n·\n")
        elif layout == 4:
            parts.append(f"{title}\n\n\n\n  • 3 authors\n·\nOct 16, 2024 2\n")
        else:
            wrapped = "\n".join(abstract[i : i + 70] for i in range(0, len(abstract), 70))
            parts.append(f"{title}\n  Wrapped\n\n{wrapped}\n\nhttps://github.com/x/y\n\nkaist-ai KAIST AI\n·\nSep 26 4\n")
    return "\n".join(parts)


def test_a_generated_digest_of_10000_papers_parses_in_well_under_a_second() -> None:
    text = _generated_digest(10_000)
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        digest = parse_digest(text, Path("big.txt"), LISTING)
        best = min(best, time.perf_counter() - started)
    assert len(digest.entries) == 10_000
    assert [e.title for e in digest.entries[:2]] == ["Paper Number 0: A Study of Things", "Paper Number 1: A Study of Things"]
    assert digest.entries[5].title == "Paper Number 5: A Study of Things Wrapped"
    assert digest.entries[5].abstract.endswith("\n\nhttps://github.com/x/y")
    assert sum(e.abstract == "" for e in digest.entries) == 10_000 // 6 + (10_000 % 6 > 4)
    assert best < 1.0, f"{best:.2f} s for {len(text) / 1e6:.0f} MB"


WORDS = [
    "Scaling", "Language", "Models", "Reasoning", "with", "Tiny", "Networks", "for", "Alignment", "Agents", "via",
    "Reinforcement", "Learning", "of", "the", "Vision", "Diffusion", "Benchmark", "3D", "LLM", "Self-Improving",
    "Context", "Efficient", "Long", "Video", "Generation", "and", "Robust", "Data",
]  # fmt: skip
word = st.sampled_from(WORDS)
title_text = st.lists(word, min_size=2, max_size=12).map(" ".join).map(lambda t: t[0].upper() + t[1:])
sentence = st.lists(word, min_size=3, max_size=18).map(lambda w: " ".join(w).capitalize() + ".")
abstract_text = st.one_of(st.just(""), st.lists(sentence, min_size=1, max_size=6).map(" ".join))
month_day = st.tuples(st.integers(1, 12), st.integers(1, 28), st.sampled_from([None, 2019, 2024]), st.sampled_from([None, 3]))
LAYOUTS = ("daily", "organisation", "tight", "trending", "bare", "lost date")


@st.composite
def listed_paper(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """One paper in one of the layouts, and what a reader would take from it."""
    title, abstract = draw(title_text), draw(abstract_text)
    layout = draw(st.sampled_from(LAYOUTS))
    authors, (month, day, year, comments) = draw(st.integers(1, 60)), draw(month_day)
    written = f"{dt.date(2000, month, day):%b} {day}" + (f", {year}" if year else "") + (f" {comments}" if comments else "")
    date = dt.date(year, month, day) if year else dt.date(2025 if (month, day) <= (12, 11) else 2024, month, day)
    shown_title = title
    if draw(st.booleans()) and " " in title:
        head, tail = title.rsplit(" ", 1)
        shown_title = f"{head}\n  {tail}"
    shown_abstract = abstract
    if draw(st.booleans()):
        shown_abstract = re.sub(r"(.{1,60})(?: |$)", lambda m: m[1] + "\n", abstract).strip()
    body = f"{shown_title}\n\n{shown_abstract}\n\n" if abstract else f"{shown_title}\n\n\n\n"
    expected: dict[str, object] = {"title": title, "abstract": abstract, "date": None, "authors": None, "org": None, "comments": None}
    if layout == "daily":
        body += f"  • {authors} authors\n·\n{written}\n\n"
        expected.update(date=date, authors=authors, comments=comments)
    elif layout == "organisation":
        body += f"kaist-ai KAIST AI\n·\n{written}\n\n"
        expected.update(date=date, org=Organisation("kaist-ai", "KAIST AI"), comments=comments)
    elif layout == "tight" and abstract:
        body = f"{shown_title}\n\n{shown_abstract}\n  • {authors} authors\n·\n{written}\n\n"
        expected.update(date=date, authors=authors, comments=comments)
    elif layout in ("trending", "tight"):
        body += f"  • {authors} authors\n\n"
        expected.update(authors=authors)
    elif layout == "lost date":
        body += f"  • {authors} authors\n·\n\n"
        expected.update(authors=authors)
    return body, expected


@settings(max_examples=150, deadline=None)
@given(st.booleans(), st.lists(listed_paper(), min_size=1, max_size=8))
def test_every_layout_mixed_on_one_page_reads_as_a_reader_would(
    header: bool, papers: list[tuple[str, dict[str, object]]]
) -> None:
    text = (CHROME + "Dec 11\n\n" if header else "") + "".join(body for body, _ in papers)
    if not header and all(set(expected.values()) == {expected["title"], "", None} for _, expected in papers):
        with pytest.raises(SourceError, match="does not look like a Daily Papers text listing"):
            parse(text)  # titles alone: nothing says this file is a listing
        return
    digest = parse(text)
    got = [
        {
            "title": e.title,
            "abstract": e.abstract,
            "date": e.date,
            "authors": e.author_count,
            "org": e.organisation,
            "comments": e.comments,
        }
        for e in digest.entries
    ]
    assert got == [expected for _, expected in papers]
    assert all(notice.loc.line is not None for notice in digest.notices)


MORE_PIECES = [
    *PIECES,
    "Get trending papers in your email inbox once a day!",
    "5 authors",
    "· ",
    "September 3, 2024",
    "https://github.com/example/code",
    "• GitHub: https://github.com/example/code",
    "We propose a method. It works. Results are strong.",
    "A very long abstract sentence that goes on and on about the method and its results. " * 5,
    "{",
    "[",
    '{"title": "x"}',
    "<!DOCTYPE html>",
    "<div class=\"card\">",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(MORE_PIECES), st.text(max_size=30)), max_size=60).map("\n".join),
    st.sampled_from([None, LISTING, dt.date(2024, 2, 29)]),
)
def test_no_title_is_ever_an_author_line_a_date_or_an_abstract(text: str, listing_date: dt.date | None) -> None:
    try:
        digest = parse_digest(text, Path("random.txt"), listing_date)
    except SitegenError as error:
        assert isinstance(error, SourceError) and error.loc.path == Path("random.txt")
        return
    for entry in digest.entries:
        assert entry.title and entry.title != "·" and not AUTHORS_LINE.fullmatch(entry.title)
        assert not _reads_as_metadata(entry.title)
        assert len(entry.title) <= LONGEST_TITLE and not entry.title.startswith("• ")
