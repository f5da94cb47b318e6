"""The errors sitegen reports to people, as opposed to bugs.

Everything a user can cause derives from ``SitegenError``; the command line
prints those as one line each and exits 1, so a traceback always means a bug::

    SitegenError                 anything the user can fix
     +-- SourceError(loc, msg)   one problem at one place in one file
     +-- ConfigError             a bad [tool.sitegen] key or command-line option
     +-- BuildFailed(errors)     several SourceErrors found before writing anything
     +-- OutputError             refusing to touch a folder sitegen does not own
"""

from __future__ import annotations

from collections.abc import Sequence

from sitegen.model import Loc


class SitegenError(Exception):
    """A problem in the user's input or environment, worth one clear line."""


class SourceError(SitegenError):
    """One problem at a known place, printed as ``path:line: message``."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(f"{loc}: {message}")
        self.loc = loc
        self.message = message

    def __reduce__(self) -> tuple[type[SourceError], tuple[Loc, str]]:
        """Pickle by its two arguments (the default would pass the formatted text alone), so
        problems found in a worker process reach the build as themselves."""
        return type(self), (self.loc, self.message)


class ConfigError(SitegenError):
    """A configuration value that cannot be used; the message names the key."""


class OutputError(SitegenError):
    """The output folder is not one sitegen may write to or clean."""


class BuildFailed(SitegenError):
    """Every problem found in the sources, so a user fixes them all in one go."""

    def __init__(self, errors: Sequence[SourceError]) -> None:
        self.errors = tuple(errors)
        count = len(self.errors)
        noun = "problem" if count == 1 else "problems"
        super().__init__("\n".join([*map(str, self.errors), f"{count} {noun} found; nothing was written."]))
