"""coursebuild preview in Chromium: the course beside its LMS data, reloaded after a save, errors shown."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

from coursebuild.preview import PreviewState, make_server, watch

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def test_preview_shows_lms_data_reloads_after_an_edit_and_shows_errors(page, tmp_path):
    shutil.copytree(FIXTURES / "minimal", tmp_path / "minimal")
    shutil.copy(FIXTURES / "requirements.yml", tmp_path / "requirements.yml")
    course = tmp_path / "minimal"
    state = PreviewState(course, "scorm12")
    state.rebuild()
    server = make_server(state, 0)
    stop = threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=watch, args=(state, stop), daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_function("document.getElementById('values').textContent.includes('cmi.core.lesson_status')")
        assert "incomplete" in page.inner_text("#values")
        frame = page.frame_locator("#frame")
        assert frame.locator("#page-home-title").inner_text() == "A minimal course"
        time.sleep(0.3)
        config = course / "course.yml"
        config.write_text(config.read_text().replace('title: "A minimal course"', 'title: "Saved a moment ago"'))
        frame.locator("#page-home-title", has_text="Saved a moment ago").wait_for(timeout=10000)
        config.write_text(config.read_text().replace("pass_mark: 75", "pass_mark: lots"))
        page.wait_for_selector("#errors:not([hidden])", timeout=10000)
        assert "course.yml:8: error" in page.inner_text("#error-list")
    finally:
        stop.set()
        server.shutdown()
