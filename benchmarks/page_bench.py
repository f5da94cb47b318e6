"""The search page of a built site in real Chromium: when the first results show, when they are complete.

    python benchmarks/page_bench.py SITE_DIR [--query reasoning] [--runs 3]

Opens SITE_DIR/search/index.html?q=QUERY from `file://` in headless Chromium
(/usr/bin/chromium, or CHROMIUM) and records, with a MutationObserver, every
change of the status line, timed from navigation start: the first one that
counts matches is the first results (index.js and the newest shard loaded
and searched), the first one without "Still loading" the complete results.
Prints the medians over the runs, each in a fresh page, and the status texts.
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from playwright.sync_api import sync_playwright

_RECORD = """
window.__statusLog = [];
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("search-status");
  if (status) {
    new MutationObserver(() => window.__statusLog.push([performance.now(), status.textContent]))
      .observe(status, {childList: true, characterData: true, subtree: true});
  }
});
"""


def measure(site: Path, query: str, runs: int) -> dict[str, object]:
    firsts: list[float] = []
    completes: list[float] = []
    texts: tuple[str, str] = ("", "")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
        try:
            for _ in range(runs):
                page = browser.new_page()
                page.add_init_script(_RECORD)
                page.goto((site / "search" / "index.html").resolve().as_uri() + f"?q={query}")
                page.wait_for_function(
                    "(() => { const s = document.getElementById('search-status').textContent;"
                    " return s.includes('match') && !s.includes('Still loading'); })()",
                    timeout=120_000,
                )
                log: list[tuple[float, str]] = [tuple(row) for row in page.evaluate("window.__statusLog")]
                first = next(row for row in log if "match" in row[1])
                complete = next(row for row in log if "match" in row[1] and "Still loading" not in row[1])
                firsts.append(first[0])
                completes.append(complete[0])
                texts = (first[1], complete[1])
                page.close()
        finally:
            browser.close()
    return {
        "first_results_ms": round(statistics.median(firsts)),
        "complete_ms": round(statistics.median(completes)),
        "first_status": texts[0],
        "complete_status": texts[1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a built site folder")
    parser.add_argument("--query", default="reasoning")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for key, value in measure(args.site, args.query, args.runs).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
