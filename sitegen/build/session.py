"""What a process that builds again and again (the preview) keeps from one build to the next."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sitegen.build.cache import (
    OutputRecord,
    ParsedPage,
    read_page_records,
    read_parsed_pages,
    write_page_records,
    write_parsed_pages,
)
from sitegen.build.fingerprint import PaperDigests
from sitegen.search.worker import SearchWorker


class BuildSession:
    """The parsed pages, the records of written files, paper digests and a search worker, kept in memory.

    The build caches are neither read back nor rewritten on every save: they
    are written when the session closes (if it never does, the next build finds
    older records, which only cost it some parsing and rendering). The search
    files are made by one worker process that stays up and remembers each
    paper's terms and each shard's text, so a save tokenizes one paper and
    encodes one shard.
    """

    def __init__(self) -> None:
        self._folder: Path | None = None
        self._parsed: dict[str, ParsedPage] = {}
        self._parsed_on_disk: Mapping[str, ParsedPage] = {}
        self._records: dict[str, OutputRecord] = {}
        self._records_on_disk: Mapping[str, OutputRecord] = {}
        self.search_worker = SearchWorker()
        self.papers = PaperDigests()
        self.written: set[str] | None = None
        """The files of the last build into the current folder: `write_tree`'s ``last``."""

    def caches(self, folder: Path, papers_dir: Path) -> tuple[Mapping[str, ParsedPage], Mapping[str, OutputRecord]]:
        """The parsed pages and the output records of ``folder``: kept ones, else read from its cache."""
        if folder != self._folder:
            self.flush()
            self._folder = folder
            self.written = None
            self._parsed = self._parsed_on_disk = read_parsed_pages(folder, papers_dir)
            self._records = self._records_on_disk = read_page_records(folder)
        return self._parsed, self._records

    def keep(self, parsed: dict[str, ParsedPage], records: dict[str, OutputRecord]) -> None:
        self._parsed, self._records = parsed, records

    def flush(self) -> None:
        """Write the caches of the current folder where they changed since read."""
        if self._folder is not None:
            write_page_records(self._folder, self._records, self._records_on_disk)
            write_parsed_pages(self._folder, self._parsed, self._parsed_on_disk)
            self._parsed_on_disk, self._records_on_disk = self._parsed, self._records

    def close(self) -> None:
        self.flush()
        self.search_worker.drop()
