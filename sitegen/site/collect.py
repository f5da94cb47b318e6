"""Papers -> Site: ordering, tag and date groups, and the output path of every paper (pure).

Ordering is the archive's backbone: newest first, undated last, ties broken by
title then slug, so the same content always gives the same site.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby

from sitegen.config import Config
from sitegen.errors import BuildFailed, SourceError
from sitegen.model import Paper


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    papers: tuple[Paper, ...]
    """Newest first."""

    @property
    def path(self) -> str:
        return tag_path(self.name)


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int
    papers: tuple[Paper, ...]

    @property
    def path(self) -> str:
        return month_path(dt.date(self.year, self.month, 1))

    @property
    def name(self) -> str:
        return f"{dt.date(self.year, self.month, 1):%B %Y}"


@dataclass(frozen=True, slots=True)
class Year:
    year: int
    months: tuple[Month, ...]
    """Newest first."""

    @property
    def path(self) -> str:
        return year_path(self.year)

    @property
    def papers(self) -> tuple[Paper, ...]:
        return tuple(paper for month in self.months for paper in month.papers)


@dataclass(frozen=True, slots=True)
class Site:
    """Everything templates may show, computed once per build."""

    config: Config
    papers: tuple[Paper, ...]
    """Newest first, undated last."""
    tags: tuple[Tag, ...]
    """Most used first, ties by name."""
    years: tuple[Year, ...]
    """Newest first."""
    undated: tuple[Paper, ...]

    @property
    def months(self) -> tuple[Month, ...]:
        return tuple(month for year in self.years for month in year.months)


def paper_path(paper: Paper) -> str:
    return f"papers/{paper.slug}/"


def tag_path(name: str) -> str:
    return f"tags/{name}/"


def year_path(year: int) -> str:
    return f"dates/{year:04d}/"


def month_path(day: dt.date) -> str:
    return f"dates/{day.year:04d}/{day.month:02d}/"


URL_PLAN = {"paper_path": paper_path, "tag_path": tag_path, "year_path": year_path, "month_path": month_path}
"""The site paths templates may ask for, so no template spells a URL pattern itself."""


def sort_key(paper: Paper) -> tuple[bool, int, str, str]:
    """Newest first, undated last, then title and slug so ties never depend on file order."""
    ordinal = paper.date.toordinal() if paper.date else 0
    return (paper.date is None, -ordinal, paper.title.casefold(), paper.slug)


def collect(papers: Iterable[Paper], config: Config) -> Site:
    """Group papers into a Site; two pages claiming one slug are an error, never a silent overwrite."""
    ordered = tuple(sorted(papers, key=sort_key))
    _check_collisions(ordered)
    by_tag: dict[str, list[Paper]] = defaultdict(list)
    for paper in ordered:
        for tag in paper.tags:
            by_tag[tag].append(paper)
    tags = tuple(
        Tag(name, tuple(members)) for name, members in sorted(by_tag.items(), key=lambda item: (-len(item[1]), item[0]))
    )
    dated = [paper for paper in ordered if paper.date is not None]
    years = tuple(
        Year(year, tuple(Month(year, month, tuple(group)) for month, group in groupby(members, key=_month)))
        for year, members in ((year, list(group)) for year, group in groupby(dated, key=_year))
    )
    return Site(config, ordered, tags, years, tuple(paper for paper in ordered if paper.date is None))


def _year(paper: Paper) -> int:
    assert paper.date is not None
    return paper.date.year


def _month(paper: Paper) -> int:
    assert paper.date is not None
    return paper.date.month


def _check_collisions(papers: tuple[Paper, ...]) -> None:
    first: dict[str, Paper] = {}
    errors: list[SourceError] = []
    # A page that sets `slug:` by hand is the one to blame for a clash, not the page named that way.
    for paper in sorted(papers, key=lambda p: (p.loc.line is not None, str(p.loc.path))):
        if paper.slug in first:
            errors.append(
                SourceError(paper.loc, f"slug {paper.slug!r} is already used by {first[paper.slug].loc}; set another 'slug:'")
            )
        else:
            first[paper.slug] = paper
    if errors:
        raise BuildFailed(errors)
