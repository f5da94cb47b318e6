"""Read a site's search files (sitegen/search/shards.py) in Python, and run tests/search_shards.js on them.

Each file is a script around `JSON.parse('...')`. `script_payload` undoes the
JavaScript string literal and parses the JSON; tests/search/test_shards.py
checks that it reads what Node reads.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

HARNESS = Path(__file__).parent / "search_shards.js"

_LITERAL = r"JSON\.parse\('((?:[^'\\]|\\.)*)'\)"
_SCRIPTS = (
    re.compile(rf"window\.SITEGEN_SEARCH={_LITERAL};\n", re.DOTALL),
    re.compile(rf"\(window\.SITEGEN_SEARCH_SHARDS=window\.SITEGEN_SEARCH_SHARDS\|\|\[\]\)\.push\({_LITERAL}\);\n", re.DOTALL),
)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "0": "\0"}
# Characters that end a line inside a JavaScript string literal (U+2028/9 before ES2019).
_LINE_ENDS = ("\n", "\r", "\u2028", "\u2029")


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if len(code) == 5:
        return chr(int(code[1:], 16))
    return _SIMPLE.get(code, code)


def script_payload(data: bytes) -> Any:
    """The value a search/index.js or search/shard-K.js file hands to JSON.parse."""
    text = data.decode("utf-8")
    match = _SCRIPTS[0].fullmatch(text) or _SCRIPTS[1].fullmatch(text)
    assert match is not None, f"not a search script: {text[:120]!r}"
    literal = match.group(1)
    assert not any(end in literal for end in _LINE_ENDS), "a raw line terminator inside the string literal"
    # Surrogate escapes (\\ud83d\\ude00) pair up through UTF-16.
    unescaped = _ESCAPE.sub(_unescape, literal).encode("utf-16", "surrogatepass").decode("utf-16")
    return json.loads(unescaped)


def read_search(site: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(meta, shards) of a built site: what search/index.js sets, and each shard in meta's order."""
    folder = site / "search"
    meta: dict[str, Any] = script_payload((folder / "index.js").read_bytes())
    shards = [script_payload((folder / shard["file"]).read_bytes()) for shard in meta["shards"]]
    return meta, shards


def vocabulary(shards: list[dict[str, Any]]) -> list[str]:
    """Every term of the site by lunr term number: the terms each shard defines (its last `len(df)`), in shard order."""
    return [term for shard in shards for term in shard["terms"][len(shard["terms"]) - len(shard["df"]) :]]


def write_search(folder: Path, outputs: Mapping[str, bytes]) -> Path:
    """Write `search_outputs` as a site would hold them (search/...) under ``folder``; return ``folder``."""
    for relative, data in outputs.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def need_node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.fail("node not found on PATH: the search tests run sitegen/theme/static/search.js and lunr.js in Node.js (>= 18)")
    return path


def run_harness(node: str, harness: Path, site: Path, request: Any) -> Any:
    """The JSON a Node script under tests/ prints for ``site`` and ``request`` (on stdin); it may write nothing to stderr."""
    proc = subprocess.run(
        [node, str(harness), str(site)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert proc.returncode == 0, f"{harness.name} failed:\n{proc.stderr}"
    assert proc.stderr == "", f"lunr.js or search.js wrote to stderr:\n{proc.stderr}"
    return json.loads(proc.stdout)


def load_in_node(node: str, site: Path, **request: Any) -> dict[str, Any]:
    """tests/search_shards.js on ``site`` with ``request`` (see that file)."""
    answer: dict[str, Any] = run_harness(node, HARNESS, site, request)
    return answer
