"""The builder the preview server calls: convert changed digests, reload a changed configuration, build.

Kept apart from server.py so the server knows nothing about sitegen's stages (beyond
the marker file that says a folder is a built site), and apart from cli.py so tests
can start a real preview without a terminal. ``start_preview`` refuses, before it
listens, every folder ``sitegen build`` would refuse.
"""

from __future__ import annotations

from pathlib import Path

from sitegen.build.build import BuildSession, build, check_folders
from sitegen.config import Config, load_config
from sitegen.errors import BuildFailed, SourceError
from sitegen.inputs.convert import convert
from sitegen.serve.server import ChangeKind, Preview, classify


class _Rebuilder:
    """Holds the current configuration, which a change to pyproject.toml replaces."""

    def __init__(self, config: Config, overrides: dict[str, object], output: Path | None, drafts: bool) -> None:
        self.config = config
        self.overrides = overrides
        self.output = output
        self.drafts = drafts
        self.preview: Preview | None = None
        self.session = BuildSession()

    @property
    def folder(self) -> Path:
        return self.output if self.output is not None else self.config.path("output_dir")

    def __call__(self, changes: frozenset[Path]) -> str:
        kinds = {classify(path, self.config) for path in changes}
        if ChangeKind.CONFIG in kinds:
            self.config = load_config(self.config.root, self.overrides)
            if self.preview is not None:
                self.preview.config = self.config
        notes = ""
        digests = sorted(path for path in changes if classify(path, self.config) is ChangeKind.SEED and path.is_file())
        if digests:
            report = convert(self.config, digests)
            if report.errors:
                raise BuildFailed(report.errors)
            notes = f"converted {len(digests)} digest(s): {len(report.created)} created, {len(report.updated)} updated; "
        return notes + build(self.config, self.folder, self.drafts, self.session).summary()


def start_preview(
    config: Config,
    output: Path | None = None,
    drafts: bool = False,
    host: str = "127.0.0.1",
    port: int = 8000,
    overrides: dict[str, object] | None = None,
) -> Preview:
    """Check the folders as a build would (raising SitegenError before listening), listen, build once, and
    return the Preview. A first build that fails in the sources (a bad page, a template error) still
    serves the last good site, with the error overlay; any other failure closes the socket and raises."""
    rebuild = _Rebuilder(config, overrides or {}, output, drafts)
    check_folders(config, rebuild.folder)
    preview = Preview(config, rebuild.folder, rebuild, host, port)
    rebuild.preview = preview
    preview.on_stop.append(rebuild.session.close)
    try:
        print(rebuild(frozenset()))
    except (BuildFailed, SourceError) as error:
        preview.state.error = str(error)
        print(error)
    except BaseException:
        preview.stop()
        raise
    return preview
