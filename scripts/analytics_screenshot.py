"""Take docs/screenshots/analytics-report.png: a report of 20,000 synthetic statements from the real courses
(benchmarks/bench_report.py), rendered by Debian's Chromium through Playwright.

    .venv/bin/python scripts/analytics_screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
OUT = REPO / "docs" / "screenshots" / "analytics-report.png"


def main() -> None:
    from bench_report import generate
    from playwright.sync_api import sync_playwright

    from coursebuild.analytics.report import Options, run
    from coursebuild.pipeline.load import discover_courses

    with tempfile.TemporaryDirectory(prefix="coursebuild-analytics-shot-") as folder:
        work = Path(folder)
        generate(work / "statements.jsonl", 20_000)
        run(
            Options(
                out=work / "out",
                course_dirs=discover_courses(REPO / "courses"),
                store_dir=work / "store",
                files=[work / "statements.jsonl"],
            )
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1200, "height": 1100})
            page.goto((work / "out" / "report.html").as_uri())
            page.screenshot(path=str(OUT))
            browser.close()
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
