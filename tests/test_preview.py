"""The preview server: serves the build, rebuilds on save, reports errors instead of stopping."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest

from coursebuild.preview import PreviewState, make_server, watch
from tests.conftest import edit


@pytest.fixture
def preview(course):
    state = PreviewState(course, "scorm2004")
    state.rebuild()
    server = make_server(state, 0)
    stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=watch, args=(state, stop), daemon=True).start()
    time.sleep(0.3)  # let the watcher start
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    stop.set()
    server.shutdown()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def status(base: str) -> dict:
    return json.loads(get(base + "/status")[1])


def wait_for_version(base: str, version: int) -> dict:
    deadline = time.time() + 20
    while time.time() < deadline:
        current = status(base)
        if current["version"] > version:
            return current
        get(f"{base}/wait?version={current['version']}")
    raise AssertionError("no rebuild happened")


def test_serves_the_lms_page_and_the_course(preview):
    _, base = preview
    assert b"coursebuild preview" in get(base + "/")[1]
    code, page = get(base + "/content/index.html")
    assert code == 200 and b"A minimal course" in page
    assert get(base + "/content/imsmanifest.xml")[0] == 200
    assert get(base + "/content/nothing.html")[0] == 404
    assert status(base)["errors"] == [] and status(base)["launch"] == "/content/index.html"


def test_rebuilds_after_a_saved_change(preview, course):
    state, base = preview
    before = status(base)["version"]
    edit(course / "course.yml", 'title: "A minimal course"', 'title: "Edited while previewing"')
    wait_for_version(base, before)
    assert b"Edited while previewing" in get(base + "/content/index.html")[1]


def test_build_errors_are_shown_and_the_server_keeps_running(preview, course):
    _, base = preview
    before = status(base)["version"]
    edit(course / "course.yml", "pass_mark: 75", "pass_mark: lots")
    after = wait_for_version(base, before)
    assert any("course.yml:8: error" in e for e in after["errors"])
    edit(course / "course.yml", "pass_mark: lots", "pass_mark: 75")
    assert wait_for_version(base, after["version"])["errors"] == []


def test_cmi5_preview_is_its_own_lms_and_lrs(course):
    state = PreviewState(course, "cmi5")
    state.rebuild()
    server = make_server(state, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        launch = status(base)["launch"]
        assert "fetch=" in launch and "endpoint=" in launch and "registration=" in launch
        token = json.loads(urllib.request.urlopen(urllib.request.Request(base + "/fetch", method="POST")).read())
        assert "auth-token" in token
        launch_data = json.loads(get(base + "/xapi/activities/state?stateId=LMS.LaunchData")[1])
        assert launch_data["launchMode"] == "Normal" and "contextTemplate" in launch_data
    finally:
        server.shutdown()


def test_unchanged_course_files_are_revalidated_not_sent_again(preview, course):
    """The page reloads after every save; files the save did not change are 304s, so the browser keeps
    what it compiled and decoded. A changed file gets a new tag."""
    _, base = preview

    def fetch(name: str, tag: str | None = None):
        request = urllib.request.Request(f"{base}/content/{name}", headers={"If-None-Match": tag} if tag else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers.get("ETag"), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("ETag"), error.read()

    code, tag, body = fetch("index.html")
    assert code == 200 and tag and body
    assert fetch("index.html", tag)[:2] == (304, tag)
    before = status(base)["version"]
    edit(course / "course.yml", 'title: "A minimal course"', 'title: "Edited while previewing"')
    answer = json.loads(get(f"{base}/wait?version={before}")[1])  # the whole status, once rebuilt
    assert answer["version"] > before and answer["launch"] == "/content/index.html" and answer["errors"] == []
    code, new_tag, body = fetch("index.html", tag)
    assert code == 200 and new_tag != tag and b"Edited while previewing" in body
