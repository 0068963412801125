"""Lessons delivered one file each (issue 11): loaded when opened, the next one ahead of time, answers restored
into a lesson that arrives later, the contents folded by module, a lesson that fails to load offered again, loading without fetch or a
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
    assert {"lessons/types.js", "lessons/second.js", "lessons/search-0.js"} <= set(names)
    # One place-holder template for every lesson, not a section each; the lessons' text stays out of the page.
    assert page.count('id="cb-lesson-shell"') == 1 and 'id="page-lesson-types"' not in page
    assert f'data-question="{QUESTION}"' not in page


def test_lessons_load_when_opened_and_answers_survive_a_relaunch(page, launch_in_lms, split) -> None:
    requested = lesson_requests(page)
    session = launch_in_lms(page, split["scorm2004"], "2004")
    course = Course(session.sco)
    assert course.current_page() == "page-home"
    course.frame.wait_for_function("document.querySelector('#page-lesson-types:not([data-src])')")  # read ahead
    assert "second.js" not in requested and not any(
        r.startswith("search-") for r in requested
    )  # nothing more until it is needed
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
    assert shell.locator("h1").inner_text() == page.locator(".course-nav a[href='#page-lesson-second']").inner_text()
    assert shell.get_attribute("aria-labelledby") == shell.locator("h1").get_attribute("id")
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


def test_the_contents_fold_by_module_and_open_where_the_learner_is(page, split) -> None:
    """A large course's contents list does not lay out every lesson's link before the first page shows: each
    module folds away, the current lesson's module opens, and a module the learner folds stays folded."""
    page.goto(split["web"] + "index.html")
    course = Course(page)
    groups = page.locator("details.course-nav__group")
    assert groups.count() >= 1 and page.locator("details.course-nav__group[open]").count() == 0
    assert page.locator("#page-home .contents li").count() == groups.count()  # modules, not every lesson
    course.open("lesson-types")
    group = page.locator("details.course-nav__group:has(a[href='#page-lesson-types'])")
    assert group.evaluate("d => d.open")
    assert (
        page.locator("#page-lesson-types h1").inner_text()
        == page.locator(".course-nav a[href='#page-lesson-types']").inner_text()
    )
    group.locator("> summary").click()  # the learner folds it ...
    course.next()  # ... and moves on inside the same module
    assert not group.evaluate("d => d.open")
    assert violations(page) == []
    assert page.errors == []


def test_search_over_an_index_in_parts_finds_every_lesson_in_course_order(page, tmp_path: Path, unzip_package) -> None:
    """120 lessons: the search index comes in three files, loaded side by side; the results are the same as
    one index would give, in course order, whichever file arrives first."""
    course = tmp_path / "many"
    (course / "lessons").mkdir(parents=True)
    names = []
    for i in range(120):
        names.append(f"lessons/l{i:03d}.md")
        word = "haematology" if i == 110 else "radiology"
        (course / names[-1]).write_text(
            f"---\nid: l{i:03d}\ntitle: Lesson {i}\nminutes: 5\nlevel: awareness\nobjectives: [Find a lesson]\n---\n\n"
            f"# Lesson {i}\n\n"
            f"Every lesson mentions triage; this one is about {word}.\n",
            encoding="utf-8",
        )
    (course / "course.yml").write_text(
        "id: many-lessons\ntitle: Many lessons\nversion: 1.0.0\npathway: foundational\nformats: [web]\n"
        "base_iri: https://learning.example.org/xapi/courses/many\nlessons:\n" + "".join(f"  - {n}\n" for n in names),
        encoding="utf-8",
    )
    result = build_course(course, ["web"], tmp_path / "out")
    assert result.ok, [p.format() for p in result.problems.errors]
    with zipfile.ZipFile(tmp_path / "out" / result.package_name("web")) as archive:
        assert sorted(n for n in archive.namelist() if "search" in n) == [f"lessons/search-{n}.js" for n in range(3)]
    # the last part arrives first: the order of the results must not depend on the network
    page.route("**/lessons/search-0.js", lambda route: (page.wait_for_timeout(300), route.continue_()))
    page.goto(unzip_package(tmp_path / "out" / result.package_name("web")) + "index.html")
    results = page.locator("#cb-search-results")
    for query, count, first in (("triage", 120, "Lesson 0"), ("haematology", 1, "Lesson 110")):
        page.fill("#cb-search", query)
        page.press("#cb-search", "Enter")
        page.wait_for_function("q => document.querySelector('#cb-search-results').textContent.includes(q)", arg=query)
        assert results.inner_text().startswith(f"{count} lesson"), results.inner_text()
        assert results.locator("a").first.inner_text() == first
    assert page.errors == []
