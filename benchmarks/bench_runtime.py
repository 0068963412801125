"""Runtime budgets: payload (runtime JS + theme CSS, gzipped) and time until the first page is interactive.

Builds each course under courses/ as a web package, serves it from 127.0.0.1 and opens it in headless
Chromium (Debian's, via Playwright) N times, reporting the median time from navigation start until the
runtime has shown the first page and wired its controls (window.coursebuild.ready).

    .venv/bin/python benchmarks/bench_runtime.py [--runs 15]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import io
import statistics
import tempfile
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from coursebuild.pipeline.build import build_course
from coursebuild.pipeline.load import discover_courses

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"{'course':16} {'JS+CSS gz KB':>12} {'page gz KB':>10} {'median ms':>9} {'p90 ms':>7}")
    with tempfile.TemporaryDirectory() as root, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=root))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        for course_dir in discover_courses(REPO / "courses"):
            result = build_course(course_dir, ["web"], None, REPO)
            if not result.ok:
                continue
            files = zipfile.ZipFile(io.BytesIO(result.packages["web"]))
            folder = Path(root) / result.course.id
            files.extractall(folder)
            code = sum(
                gzipped(files.read(n))
                for n in files.namelist()
                if n.startswith(("runtime/", "theme/")) and n.endswith((".js", ".css"))
            )
            page_size = gzipped(files.read("index.html"))
            url = f"http://127.0.0.1:{server.server_address[1]}/{result.course.id}/index.html"
            times = []
            for _ in range(args.runs):
                context = browser.new_context()
                page = context.new_page()
                page.goto(url)
                page.wait_for_function("window.coursebuild && window.coursebuild.ready")
                times.append(page.evaluate("window.coursebuild.readyAt"))
                context.close()
            p90 = sorted(times)[int(0.9 * (len(times) - 1))]
            print(
                f"{result.course.id:16} {code / 1024:>12.1f} {page_size / 1024:>10.1f} {statistics.median(times):>9.0f} {p90:>7.0f}"
            )
        server.shutdown()
        browser.close()


if __name__ == "__main__":
    main()
