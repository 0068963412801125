"""Lessons delivered one file each (issue 11): loaded when opened, the next one ahead of time, answers restored
into a lesson that arrives later, a lesson that fails to load offered again, loading without fetch or a
server (file://), search inside the course, and WCAG 2.2 AA for the new states."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from coursebuild.pipeline.build import build_course
from tests.browser.course_driver import FIXTURES, Course, cmi
from tests.browser.test_accessibility import violations

QUESTION = "q-single"


@pytest.fixture(scope="module")
def split(tmp_path_factory, unzip_package):
    """The quiz fixture in SCORM 2004 and web, split: {format: served URL, "web-zip": path}."""
    out = tmp_path_factory.mktemp("split")
    result = build_course(FIXTURES / "quiz", ["scorm2004", "web"], out, delivery="split")
    assert result.ok, [p.format() for p in result.problems.errors]
    served = {fmt: unzip_package(out / result.package_name(fmt)) for fmt in ("scorm2004", "web")}
    served["web-zip"] = out / result.package_name("web")
    return served


def lesson_requests(page) -> list[str]:
    seen: list[str] = []
    page.context.on("request", lambda r: seen.append(r.url.rsplit("/", 1)[-1]) if "/lessons/" in r.url else None)
    return seen


def test_the_package_carries_each_lesson_once_and_lists_it(split) -> None:
    with zipfile.ZipFile(split["web-zip"]) as archive:
        names = archive.namelist()
        page = archive.read("index.html").decode()
    assert {"lessons/types.js", "lessons/second.js", "lessons/search.js"} <= set(names)
    assert 'data-src="lessons/types.js"' in page and f'data-question="{QUESTION}"' not in page


def test_lessons_load_when_opened_and_answers_survive_a_relaunch(page, launch_in_lms, split) -> None:
    requested = lesson_requests(page)
    session = launch_in_lms(page, split["scorm2004"], "2004")
    course = Course(session.sco)
    assert course.current_page() == "page-home"
    course.frame.wait_for_function("document.querySelector('#page-lesson-types:not([data-src])')")  # read ahead
    assert "second.js" not in requested and "search.js" not in requested  # nothing more until it is needed
    course.open("lesson-types")
    course.fill(QUESTION, "check")
    assert course.check(QUESTION)
    course.frame.wait_for_function("document.querySelector('#page-lesson-second:not([data-src])')")  # read ahead
    assert requested.count("types.js") == 1
    session.unload()
    session.wait_for_terminate()
    assert session.violations() == []
    saved = session.state()

    again = launch_in_lms(page, split["scorm2004"], "2004", state=saved)
    course = Course(again.sco)
    course.open("lesson-types")
    box = course.question(QUESTION, "check")
    wanted = course.data["questions"][QUESTION]["correct"][0]
    assert box.locator(f'input[value="{wanted}"]').is_checked()
    assert box.locator("[data-feedback]").inner_text().startswith("Correct")
    assert cmi(again)["entry"] == "resume"
    assert page.errors == []


def test_a_lesson_that_fails_to_load_is_offered_again(page, split) -> None:
    blocked = {"on": True}
    page.route("**/lessons/second.js", lambda route: route.abort() if blocked["on"] else route.continue_())
    page.goto(split["web"] + "index.html#page-lesson-second")
    course = Course(page)
    course.open("lesson-second")
    shell = page.locator("#page-lesson-second")
    shell.locator("[data-load-failed]").wait_for(state="visible")
    assert violations(page) == []
    blocked["on"] = False
    page.click("#page-lesson-second [data-load-lesson]")
    page.wait_for_function("!document.querySelector('#page-lesson-second[data-src]')")
    assert "bookmark" in page.locator("#page-lesson-second .prose").inner_text()
    assert page.evaluate("document.activeElement.id") != "page-lesson-second"


def test_lessons_load_without_fetch_or_a_server(page, split, tmp_path: Path) -> None:
    """From file:// and with fetch and XMLHttpRequest gone, as in the strictest LMS sandboxes."""
    with zipfile.ZipFile(split["web-zip"]) as archive:
        archive.extractall(tmp_path)
    page.add_init_script("window.fetch = undefined; window.XMLHttpRequest = undefined;")
    page.goto((tmp_path / "index.html").as_uri())
    course = Course(page)
    course.open("lesson-types")
    course.question(QUESTION, "check").wait_for()
    course.fill(QUESTION, "check")
    assert course.check(QUESTION)
    assert page.errors == []


def test_search_finds_lessons_by_their_text_and_opens_them(page, split) -> None:
    page.goto(split["web"] + "index.html")
    course = Course(page)
    page.fill("#cb-search", "bookmark")
    page.press("#cb-search", "Enter")
    results = page.locator("#cb-search-results")
    results.locator("li").first.wait_for()
    assert results.locator("li").count() == 1
    assert "1 lesson mentions" in results.inner_text() and results.locator("mark").inner_text() == "bookmark"
    assert violations(page) == []
    results.locator("a").first.click()
    assert course.current_page() == "page-lesson-second"
    page.fill("#cb-search", "zebra crossing")
    page.press("#cb-search", "Enter")
    page.wait_for_function("document.querySelector('#cb-search-results').textContent.includes('No lesson')")
    assert page.errors == []
