"""What a process that builds again and again (the preview) keeps from one build to the next."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sitegen.build.cache import (
    OutputRecord,
    ParsedPage,
    read_page_records,
    read_parsed_pages,
    read_related,
    write_page_records,
    write_parsed_pages,
    write_related,
)
from sitegen.build.fingerprint import PaperDigests, TemplateMemory
from sitegen.build.output import Spare
from sitegen.build.state import BuildState
from sitegen.model import Notice
from sitegen.search.related import RelatedMemory
from sitegen.search.worker import SearchWorker


class BuildSession:
    """The parsed pages, the records of written files, the spare tree's state, paper digests, the
    compiled templates and a search worker, kept in memory.

    The build caches are neither read back nor rewritten on every save: they
    are written when the session closes (if it never does, the next build finds
    older records, which only cost it some parsing and rendering). The search
    files are made by one worker process that stays up and remembers each
    paper's terms and each shard's text, so a save tokenizes one paper and
    encodes one shard.
    """

    def __init__(self) -> None:
        self._state: BuildState | None = None
        self._parsed: dict[str, ParsedPage] = {}
        self._parsed_on_disk: Mapping[str, ParsedPage] = {}
        self._records: dict[str, OutputRecord] = {}
        self._records_on_disk: Mapping[str, OutputRecord] = {}
        self.spare: Spare | None = None
        self.search_worker = SearchWorker()
        self.papers = PaperDigests()
        self.templates = TemplateMemory()
        self.written: set[str] | None = None
        """The files of the last build into the current folder: `publish`'s ``last``."""
        self.related: RelatedMemory | None = None
        """The related papers of the last build, with the term counts an update starts from."""
        self._related_on_disk: RelatedMemory | None = None

    def caches(
        self, state: BuildState, papers_dir: Path, notices: list[Notice]
    ) -> tuple[Mapping[str, ParsedPage], Mapping[str, OutputRecord], Spare]:
        """The parsed pages, output records and spare tree of ``state``'s folder: kept ones, else read."""
        if self._state is None or state.folder != self._state.folder:
            self.flush()
            self._state = state
            self.written = None
            self.spare = Spare.of(state)
            self._parsed = self._parsed_on_disk = read_parsed_pages(state, papers_dir, notices)
            self._records = self._records_on_disk = read_page_records(state, notices)
            self.related = self._related_on_disk = read_related(state, notices)
        assert self.spare is not None
        return self._parsed, self._records, self.spare

    def keep(self, parsed: dict[str, ParsedPage], records: dict[str, OutputRecord]) -> None:
        self._parsed, self._records = parsed, records

    def flush(self) -> None:
        """Write the caches of the current folder where they changed since read."""
        if self._state is not None:
            write_page_records(self._state, self._records, self._records_on_disk)
            write_parsed_pages(self._state, self._parsed, self._parsed_on_disk)
            self._parsed_on_disk, self._records_on_disk = self._parsed, self._records
            if self.related is not None:
                write_related(self._state, self.related, self._related_on_disk)
                self._related_on_disk = self.related

    def close(self) -> None:
        self.flush()
        self.search_worker.drop()
