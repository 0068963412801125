"""Fixtures for browser tests: a local HTTP server, Debian's Chromium driven by Playwright, and a strict test
LMS (harness/lms.html) that launches a SCO and records every SCORM API call. See README.md beside this file."""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import threading
import uuid
import zipfile
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Frame, Page

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
SCORM_AGAIN = HERE / "node_modules" / "scorm-again" / "dist"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


def require_browser_tools() -> None:
    """Fail (under CI) or skip (elsewhere) when Chromium, scorm-again or Playwright is missing."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if not SCORM_AGAIN.is_dir():
        missing.append("tests/browser/node_modules (cd tests/browser && npm ci)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright (pip install -e '.[test]')")
    if missing:
        message = "browser tests need " + "; ".join(missing) + ". `bash scripts/test.sh` installs all of them."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


class _QuietHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@dataclass
class LmsServer:
    url: str  # ends with "/"
    root: Path

    def path_of(self, url: str) -> Path:
        assert url.startswith(self.url), f"{url} is not served by {self.url}"
        return self.root / url[len(self.url) :].split("?")[0]

    def add_file(self, folder: str, name: str, text: str) -> str:
        """Write a file under a unique subfolder of `folder` and return its URL."""
        target = self.root / folder / uuid.uuid4().hex[:12] / name
        target.parent.mkdir(parents=True)
        target.write_text(text, encoding="utf-8")
        return self.url + target.relative_to(self.root).as_posix()


@pytest.fixture(scope="session")
def lms_server():
    """A threaded HTTP server on 127.0.0.1 (random port) over a temporary root holding harness/ (the test
    LMS), scorm-again/ (node_modules/scorm-again/dist), fixtures/ (hand-written SCOs) and packages/."""
    require_browser_tools()
    root = Path(tempfile.mkdtemp(prefix="coursebuild-lms-"))
    (root / "harness").symlink_to(HERE / "harness")
    (root / "fixtures").symlink_to(HERE / "fixtures")
    (root / "scorm-again").symlink_to(SCORM_AGAIN)
    (root / "packages").mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LmsServer(f"http://127.0.0.1:{server.server_address[1]}/", root)
    server.shutdown()
    server.server_close()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def unzip_package(lms_server: LmsServer):
    """unzip_package(zip_path) -> URL (ending in "/") of the package unzipped into a unique served folder."""

    def unzip(zip_path: str | os.PathLike) -> str:
        target = lms_server.root / "packages" / f"{Path(zip_path).stem}-{uuid.uuid4().hex[:8]}"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(target)
        return lms_server.url + target.relative_to(lms_server.root).as_posix() + "/"

    return unzip


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through Playwright's sync API (never a downloaded browser)."""
    require_browser_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser):
    """A page in a fresh browser context; uncaught errors in any of its pages (the LMS, SCO frames and popups)
    are collected in page.errors."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    errors: list[str] = []
    context.on("weberror", lambda web_error: errors.append(str(web_error.error)))
    new_page.errors = errors  # type: ignore[attr-defined]
    yield new_page
    context.close()


def launch_href(package_dir: Path) -> str:
    """The href (with the item's parameters) of the first launchable item of the default organisation."""
    tree = ElementTree.parse(package_dir / "imsmanifest.xml")
    local = lambda element: element.tag.rsplit("}", 1)[-1]  # noqa: E731
    by_tag: dict[str, list[ElementTree.Element]] = {}
    for element in tree.iter():
        by_tag.setdefault(local(element), []).append(element)
    organizations = by_tag["organizations"][0]
    default = organizations.get("default")
    organization = next(
        (o for o in by_tag["organization"] if o.get("identifier") == default), by_tag["organization"][0]
    )
    item = next(i for i in organization.iter() if local(i) == "item" and i.get("identifierref"))
    resource = next(r for r in by_tag["resource"] if r.get("identifier") == item.get("identifierref"))
    return resource.get("href", "") + item.get("parameters", "")


class LmsSession:
    """One launch of a SCO in the test LMS."""

    def __init__(self, page: Page, mode: str, sco: Frame | Page):
        self.page = page
        self.mode = mode
        self.sco = sco  # the SCO's Frame (iframe mode) or Page (popup mode); both have evaluate/locator

    def calls(self) -> list[dict[str, Any]]:
        """Every API call: {method, args, result, errorCode, t} (and simulated: true for a forced failure)."""
        return self.page.evaluate("window.lmsCalls")

    def violations(self) -> list[str]:
        return self.page.evaluate("window.lmsViolations")

    def state(self) -> dict[str, Any]:
        """The current CMI, {"cmi": {...}}, as an LMS would store it on terminate (total_time included)."""
        return self.page.evaluate("window.lmsState()")

    def committed(self) -> dict[str, Any] | None:
        """The CMI as of the last successful Commit or Terminate (None before any)."""
        return self.page.evaluate("window.lmsCommitted")

    @property
    def terminated(self) -> bool:
        return self.page.evaluate("window.lmsTerminated")

    def commit_before_terminate(self) -> bool | None:
        """Whether an explicit commit followed the last SetValue before Terminate (None if not terminated)."""
        return self.page.evaluate("window.lmsCommitBeforeTerminate")

    def wait_for_terminate(self, timeout: float = TIMEOUT_MS) -> None:
        self.page.wait_for_function("window.lmsTerminated === true", timeout=timeout)

    def unload(self) -> None:
        """Unload the SCO as a learner leaving it would: the iframe navigates away, or the popup is closed."""
        self.page.evaluate("window.lmsUnload()")


@pytest.fixture
def launch_in_lms(lms_server: LmsServer):
    """launch_in_lms(page, package_url, version, mode="iframe", state=None, commit_failures=0) -> LmsSession.

    package_url is the SCO's URL, or an unzipped package's folder URL (ending in "/"), whose manifest names
    the SCO. version is "1.2" or "2004"; mode "iframe" or "popup"; state a previous LmsSession.state()."""

    def launch(
        page: Page,
        package_url: str,
        version: str,
        mode: str = "iframe",
        state: dict[str, Any] | None = None,
        commit_failures: int = 0,
    ) -> LmsSession:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        assert version in ("1.2", "2004"), f"version must be '1.2' or '2004', not {version!r}"
        assert mode in ("iframe", "popup"), f"mode must be 'iframe' or 'popup', not {mode!r}"
        sco_url = package_url
        if package_url.endswith("/"):
            sco_url = package_url + launch_href(lms_server.path_of(package_url))
        query = {"version": version, "sco": sco_url, "mode": mode, "commit_failures": commit_failures}
        if state is not None:
            query["state"] = lms_server.add_file("states", "state.json", json.dumps(state))
        url = f"{lms_server.url}harness/lms.html?{urlencode(query)}"
        try:
            if mode == "popup":
                with page.expect_popup() as popup_info:
                    page.goto(url)
                sco: Frame | Page = popup_info.value
            else:
                page.goto(url)
            page.wait_for_function("window.lmsReady === true || window.lmsError !== undefined")
        except PlaywrightTimeout:
            pass  # reported below, with the harness's own error when it has one
        error = page.evaluate("window.lmsError ?? (window.lmsReady ? null : 'not ready')")
        assert error is None, f"test LMS failed to start ({url}): {error}"
        if mode == "iframe":
            sco = page.locator("iframe#sco").element_handle().content_frame()
        sco.wait_for_url(lambda address: address != "about:blank", wait_until="load")
        return LmsSession(page, mode, sco)

    return launch


@pytest.fixture(scope="session")
def packages(tmp_path_factory, unzip_package):
    """The quiz fixture course (every question type) built in both SCORM formats, unzipped and served."""
    from coursebuild.pipeline.build import build_course
    from tests.browser.course_driver import FIXTURES, VERSIONS

    out = tmp_path_factory.mktemp("packages")
    result = build_course(FIXTURES / "quiz", list(VERSIONS), out)
    assert result.ok, [p.format() for p in result.problems.errors]
    return {fmt: unzip_package(out / result.package_name(fmt)) for fmt in VERSIONS}
