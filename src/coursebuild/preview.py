"""`coursebuild preview`: the course inside a local LMS page, rebuilt within a second of every save.

The server listens on 127.0.0.1 only. Beside the course it shows what the package reports: the SCORM
data model as it is written, or the xAPI statements (for cmi5 and xapi, this server is also the LRS and
the cmi5 LMS). A build error replaces the course with the error list instead of stopping the server.
This LMS records and shows; it is not a conformance checker (the test suite's strict harness is).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from coursebuild.pipeline.build import CourseBuild, compile_course
from coursebuild.pipeline.live import LiveCourse
from coursebuild.targets import get_target

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".xml": "application/xml",
    ".xsd": "application/xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".pdf": "application/pdf",
}
ACTOR = {
    "objectType": "Agent",
    "name": "Preview Learner",
    "account": {"homePage": "http://127.0.0.1", "name": "preview"},
}


class _QuietCollector:
    """Python's cycle collector, held off while preview rebuilds and the page reloads.

    A rebuild of a large course allocates about 100,000 objects, which starts a collection of the whole heap
    (the kept build included) in the middle of it: 50-60 ms of a 1,000-lesson course's rebuild. Preview
    pauses the collector while it rebuilds, and collects once no rebuild has run for a second.
    """

    QUIET_SECONDS = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            gc.disable()
        try:
            yield
        finally:
            with self._lock:
                self._timer = threading.Timer(self.QUIET_SECONDS, self._collect)
                self._timer.daemon = True
                self._timer.start()

    def _collect(self) -> None:
        with self._lock:
            gc.enable()
        gc.collect()


_collector = _QuietCollector()


@dataclass
class PreviewState:
    """What the server shows: the latest good build, or the errors of the latest failed one."""

    course_dir: Path
    fmt: str
    files: dict[str, bytes] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    version: int = 0
    statements: list[dict[str, Any]] = field(default_factory=list)
    documents: dict[str, Any] = field(default_factory=dict)
    registration: str = field(default_factory=lambda: str(uuid.uuid4()))
    changed: threading.Condition = field(default_factory=threading.Condition)

    live: LiveCourse = field(default_factory=LiveCourse)

    def rebuild(self) -> None:
        """Compile and package the course in memory: the same files the zip would hold, without zipping
        them only to unzip them again, and with what was made from unchanged files reused from the
        previous build (see coursebuild.pipeline.live)."""
        with _collector.paused():
            result = compile_course(self.course_dir, Path.cwd(), live=self.live)
            package = None
            if result.site is not None and not result.problems.errors:
                package = get_target(self.fmt).package(result.site, result.problems)
            self._publish(result, package)

    def _publish(self, result: CourseBuild, package: dict[str, bytes] | None) -> None:
        with self.changed:
            if package is not None and not result.problems.errors:
                self.files = package
                self.errors = [p.format() for p in result.problems.warnings]
            else:
                self.errors = [p.format() for p in result.problems.items] or ["the build failed"]
            self.version += 1
            self.changed.notify_all()

    def launch_url(self, base: str) -> str:
        if self.fmt not in ("cmi5", "xapi"):
            return "/content/index.html"
        actor = quote(json.dumps(ACTOR))
        endpoint = quote(f"{base}/xapi/")
        if self.fmt == "xapi":
            return f"/content/index.html?endpoint={endpoint}&auth=Basic%20cHJldmlldzpwcmV2aWV3&actor={actor}&registration={self.registration}"
        return (
            f"/content/index.html?endpoint={endpoint}&fetch={quote(base + '/fetch')}&actor={actor}"
            f"&registration={self.registration}&activityId={quote('http://127.0.0.1/preview/au')}"
        )

    def launch_data(self) -> dict[str, Any]:
        return {
            "contextTemplate": {
                "contextActivities": {"grouping": [{"id": "http://127.0.0.1/preview/au", "objectType": "Activity"}]},
                "extensions": {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": str(uuid.uuid4())},
            },
            "launchMode": "Normal",
            "moveOn": "CompletedAndPassed",
            "masteryScore": 0.8,
        }


def _page() -> bytes:
    return (files("coursebuild") / "templates" / "preview.html").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    state: PreviewState
    server_version = "coursebuild-preview"

    def log_message(self, format: str, *args: Any) -> None:  # keep the terminal for build messages
        pass

    def _send(
        self, status: int, body: bytes, content_type: str = "application/json", extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        extra = {"Cache-Control": "no-store", **(extra or {})}
        self.send_header("Access-Control-Allow-Origin", "*")
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _status(self) -> dict[str, Any]:
        state = self.state
        base = f"http://{self.headers.get('Host', '127.0.0.1')}"
        return {"version": state.version, "errors": state.errors, "format": state.fmt, "launch": state.launch_url(base)}

    def _content(self, data: bytes, content_type: str) -> None:
        """A file of the course, revalidated on every load: a file the rebuild left unchanged is a 304, so
        the browser reuses what it made of it (compiled scripts, decoded images) when the page reloads."""
        tag = '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'
        revalidate = {"ETag": tag, "Cache-Control": "no-cache"}
        if self.headers.get("If-None-Match") == tag:
            self.send_response(304)
            for key, value in revalidate.items():
                self.send_header(key, value)
            self.end_headers()
        else:
            self._send(200, data, content_type, revalidate)

    def _json(self, value: Any, status: int = 200) -> None:
        self._send(status, json.dumps(value).encode("utf-8"))

    def do_OPTIONS(self) -> None:  # noqa: N802 - CORS preflight for the xAPI endpoint
        self._send(
            204,
            b"",
            extra={
                "Access-Control-Allow-Methods": "GET, PUT, POST, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Experience-API-Version",
            },
        )

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        state = self.state
        if url.path == "/":
            self._send(200, _page(), "text/html; charset=utf-8")
        elif url.path == "/status":
            self._json(self._status())
        elif url.path == "/wait":
            seen = int(parse_qs(url.query).get("version", ["0"])[0])
            with state.changed:
                state.changed.wait_for(lambda: state.version != seen, timeout=25)
                status = self._status()
            self._json(status)
        elif url.path.startswith("/content/"):
            name = url.path[len("/content/") :]
            data = state.files.get(name)
            if data is None:
                self._send(404, b"not found", "text/plain")
            else:
                self._content(data, CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream"))
        elif url.path == "/xapi/statements":
            self._json({"statements": list(reversed(state.statements)), "more": ""})
        elif url.path in ("/xapi/activities/state", "/xapi/agents/profile"):
            query = parse_qs(url.query)
            key = query.get("stateId", query.get("profileId", [""]))[0]
            if key == "LMS.LaunchData":
                self._json(state.launch_data())
            elif key in state.documents:
                self._json(state.documents[key])
            else:
                self._send(404, b"", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except json.JSONDecodeError:
            return raw.decode("utf-8", "replace")

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path == "/fetch":
            self._json({"auth-token": "cHJldmlldzpwcmV2aWV3"})
        elif url.path == "/xapi/statements":
            body = self._body()
            batch = body if isinstance(body, list) else [body]
            self.state.statements.extend(batch)
            self._json([s.get("id") for s in batch if isinstance(s, dict)])
        else:
            self.do_PUT()

    def do_PUT(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path in ("/xapi/activities/state", "/xapi/agents/profile"):
            query = parse_qs(url.query)
            self.state.documents[query.get("stateId", query.get("profileId", [""]))[0]] = self._body()
            self._send(204, b"")
        elif url.path == "/xapi/statements":
            self.state.statements.append(self._body())
            self._send(204, b"")
        else:
            self._send(404, b"not found", "text/plain")


def make_server(state: PreviewState, port: int) -> ThreadingHTTPServer:
    handler = type("PreviewHandler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def watch(state: PreviewState, stop: threading.Event, on_rebuild: Any = None) -> None:
    """Rebuild whenever a file of the course (or its themes and catalogue) changes."""
    from watchfiles import watch as watch_changes

    for _changes in watch_changes(state.course_dir, stop_event=stop, debounce=40, step=10, rust_timeout=500):
        state.rebuild()
        if on_rebuild:
            on_rebuild(state)
