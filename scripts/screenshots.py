"""Render every page type of every theme with Chromium into docs/screenshots/ (referenced from the README).

    .venv/bin/python scripts/screenshots.py

Builds the foundational course once per theme (a copy under .cache/, with `theme:` changed), serves the
web package from 127.0.0.1 and photographs each page type at desktop and phone widths.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from coursebuild.pipeline.build import build_course

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"
CACHE = REPO / ".cache" / "screenshots"
WIDTHS = {"desktop": 1280, "phone": 320}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]

# page type -> JavaScript that brings it on screen (the runtime's test hook)
PAGES = {
    "home": "",
    "lesson": "coursebuild.show('lesson-decisions-and-bias')",
    "knowledge-check": "coursebuild.show('lesson-what-is-ai'); document.querySelector('.question--check').scrollIntoView()",
    "scenario": "coursebuild.show('scenario-trix-user'); document.querySelector('.scene.is-current .choice__button').click()",
    "assessment": "coursebuild.show('assessment')",
    "results": "coursebuild.show('results')",
}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        pass


def themes() -> list[str]:
    return sorted(p.parent.name for p in (REPO / "themes").glob("*/theme.yml"))


def build_with_theme(theme: str, fmt: str) -> dict[str, bytes]:
    source = REPO / "courses" / "foundational"
    copy = CACHE / "courses" / f"foundational-{theme}"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy)
    shutil.copy(REPO / "courses" / "requirements.yml", CACHE / "courses" / "requirements.yml")
    config = copy / "course.yml"
    config.write_text(re.sub(r"(?m)^theme: .*$", f"theme: {theme}", config.read_text()))
    result = build_course(copy, [fmt], None, REPO)
    if not result.ok:
        raise SystemExit("\n".join(p.format() for p in result.problems.errors))
    with zipfile.ZipFile(io.BytesIO(result.packages[fmt])) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    (CACHE / "themes").mkdir(parents=True, exist_ok=True)
    root = CACHE / "site"
    shutil.rmtree(root, ignore_errors=True)
    for theme in themes():
        for fmt in ("web", "scorm12"):
            for name, data in build_with_theme(theme, fmt).items():
                path = root / theme / fmt / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for theme in themes():
            for size, width in WIDTHS.items():
                for page_type, script in PAGES.items():
                    page = browser.new_page(viewport={"width": width, "height": 900 if size == "desktop" else 640})
                    page.goto(f"{base}/{theme}/web/index.html")
                    page.wait_for_function("window.coursebuild && window.coursebuild.ready")
                    if script:
                        page.evaluate(script)
                    page.wait_for_timeout(150)
                    page.screenshot(path=str(OUT / f"{theme}-{page_type}-{size}.png"))
                    page.close()
                # A SCORM package opened without an LMS explains that progress is not being saved.
                page = browser.new_page(viewport={"width": width, "height": 900 if size == "desktop" else 640})
                page.goto(f"{base}/{theme}/scorm12/index.html")
                page.wait_for_function("window.coursebuild && window.coursebuild.ready")
                page.screenshot(path=str(OUT / f"{theme}-no-lms-{size}.png"))
                page.close()
        browser.close()
    server.shutdown()
    print(f"wrote {len(list(OUT.glob('*.png')))} screenshots to {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
