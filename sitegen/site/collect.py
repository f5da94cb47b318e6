"""Papers -> Site: ordering, tag, organisation and date groups, and the output path of every paper (pure).

Ordering is the archive's backbone: newest first, undated last, ties broken by
title then slug, so the same content always gives the same site. "Most
discussed" orders by comments, then upvotes, then that same order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import groupby

from sitegen.config import Config
from sitegen.content.slugs import slugify
from sitegen.errors import BuildFailed, SourceError
from sitegen.model import Organisation, Paper


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    papers: tuple[Paper, ...]
    """Newest first."""

    @property
    def path(self) -> str:
        return tag_path(self.name)


@dataclass(frozen=True, slots=True)
class Org:
    """An organisation and the papers submitted under it."""

    id: str
    """The hub id the listings give (``kaist-ai``, ``HuggingFaceFW``)."""
    name: str
    """The display name of its newest paper (``KAIST AI``)."""
    slug: str
    """Its URL segment: ``org_slug(id)``, or that with a suffix when another id makes the same one."""
    papers: tuple[Paper, ...]
    """Newest first."""

    @property
    def path(self) -> str:
        return f"orgs/{self.slug}/"


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
    orgs: tuple[Org, ...] = ()
    """Most papers first, ties by name."""
    discussed: tuple[Paper, ...] = ()
    """Papers with a comment or upvote count, most discussed first (``most_discussed``)."""
    org_renames: Mapping[str, str] = field(default_factory=dict)
    """Organisation id -> slug, for the ids whose slug is not ``org_slug(id)`` (they clash with another id's)."""
    related: Mapping[str, tuple[Paper, ...]] = field(default_factory=dict)
    """Slug -> the paper's related papers, most related first (the build fills it: sitegen/search/related.py)."""

    @property
    def months(self) -> tuple[Month, ...]:
        return tuple(month for year in self.years for month in year.months)

    def org_path(self, organisation: Organisation) -> str:
        """The site path of an organisation's page (``orgs/kaist-ai/``)."""
        return f"orgs/{self.org_renames.get(organisation.id) or org_slug(organisation.id)}/"


def paper_path(paper: Paper) -> str:
    return f"papers/{paper.slug}/"


def tag_path(name: str) -> str:
    return f"tags/{name}/"


def year_path(year: int) -> str:
    return f"dates/{year:04d}/"


def month_path(day: dt.date) -> str:
    return f"dates/{day.year:04d}/{day.month:02d}/"


@lru_cache(maxsize=1 << 14)
def org_slug(org_id: str) -> str:
    """An organisation id as a URL segment: lowercase ASCII words joined by hyphens (``HuggingFaceFW`` ->
    ``huggingfacefw``, ``MPI-IS`` -> ``mpi-is``); an id with no ASCII letter or digit gets ``org-`` and a
    digest of itself. Safe whatever the id says (``../x``, markup), and the same in every build."""
    return slugify(org_id, fallback="") or f"org-{_digest(org_id, 6)}"


def _digest(text: str, length: int) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


URL_PLAN = {"paper_path": paper_path, "tag_path": tag_path, "year_path": year_path, "month_path": month_path}
"""The site paths templates may ask for, so no template spells a URL pattern itself. ``org_path`` joins
them for each build (``url_plan``): which slug an organisation gets depends on the other ids."""


def url_plan(site: Site) -> dict[str, object]:
    """URL_PLAN and this site's ``org_path``."""
    return {**URL_PLAN, "org_path": site.org_path}


def sort_key(paper: Paper) -> tuple[bool, int, str, str]:
    """Newest first, undated last, then title and slug so ties never depend on file order."""
    ordinal = paper.date.toordinal() if paper.date else 0
    return (paper.date is None, -ordinal, paper.title.casefold(), paper.slug)


def is_discussed(paper: Paper) -> bool:
    """A paper has a comment or an upvote count (zero counts too: the listing gave them)."""
    return paper.comments is not None or paper.upvotes is not None


def most_discussed(papers: Sequence[Paper]) -> tuple[Paper, ...]:
    """The papers with a count, by comments, then upvotes (an unknown count as 0), then date (newest first,
    undated last), then their order in ``papers`` (the site's order: title, then slug)."""
    found = [(index, paper) for index, paper in enumerate(papers) if is_discussed(paper)]

    def key(item: tuple[int, Paper]) -> tuple[int, int, bool, int, int]:
        index, paper = item
        ordinal = paper.date.toordinal() if paper.date else 0
        return (-(paper.comments or 0), -(paper.upvotes or 0), paper.date is None, -ordinal, index)

    return tuple(paper for _, paper in sorted(found, key=key))


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
    orgs, renames = _orgs(ordered)
    undated = tuple(paper for paper in ordered if paper.date is None)
    return Site(config, ordered, tags, years, undated, orgs, most_discussed(ordered), renames)


def _orgs(papers: tuple[Paper, ...]) -> tuple[tuple[Org, ...], dict[str, str]]:
    """Papers grouped by organisation id, and the slugs of ids that clash.

    Two ids that make one slug (``MPI-IS`` and ``mpi-is``, ``a_b`` and ``a-b``) are told apart
    deterministically, from the ids alone: the one written exactly as the slug keeps it, else the
    first in code point order; each other one gets ``-`` and the first 6 hex digits of its id's
    SHA-1 (more, in the unlikely case that is taken too).
    """
    by_id: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        if paper.organisation is not None:
            by_id[paper.organisation.id].append(paper)
    by_slug: dict[str, list[str]] = defaultdict(list)
    for org_id in by_id:
        by_slug[org_slug(org_id)].append(org_id)
    taken = set(by_slug)
    renames: dict[str, str] = {}
    for slug, ids in sorted(by_slug.items()):
        for org_id in sorted(ids, key=lambda org_id: (org_id != slug, org_id))[1:]:
            length = 6
            while (candidate := f"{slug[:72].strip('-')}-{_digest(org_id, length)}") in taken:
                length += 1
            taken.add(candidate)
            renames[org_id] = candidate
    orgs = [Org(org_id, _name(members[0]), renames.get(org_id) or org_slug(org_id), tuple(members)) for org_id, members in by_id.items()]
    orgs.sort(key=lambda org: (-len(org.papers), org.name.casefold(), org.name, org.id))
    return tuple(orgs), renames


def _name(paper: Paper) -> str:
    assert paper.organisation is not None
    return paper.organisation.name


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
