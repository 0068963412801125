"""WCAG 2.2 AA with axe-core in Chromium: every page type of every theme, at phone and desktop widths.

The foundational course is built once per theme (a copy with `theme:` changed); pages are put into each
state a learner meets (feedback shown, assessment reviewed, scenario ended, certificate earned).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from coursebuild.pipeline.build import build_course
from tests.browser.course_driver import Course

REPO = Path(__file__).resolve().parent.parent.parent
THEMES = sorted(p.parent.name for p in (REPO / "themes").glob("*/theme.yml"))
WIDTHS = {"phone": 320, "desktop": 1280}
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def themed(tmp_path_factory, unzip_package):
    """theme -> {format: served folder URL} for the foundational course in that theme."""
    root = tmp_path_factory.mktemp("themed")
    shutil.copy(REPO / "courses" / "requirements.yml", root / "requirements.yml")
    served = {}
    for theme in THEMES:
        course = root / f"foundational-{theme}"
        shutil.copytree(REPO / "courses" / "foundational", course)
        config = course / "course.yml"
        config.write_text(re.sub(r"(?m)^theme: .*$", f"theme: {theme}", config.read_text()))
        # The course's own themes are found through the repository when building a copy outside it.
        (root / "themes").mkdir(exist_ok=True)
        if not (root / "themes" / theme).exists():
            (root / "themes" / theme).symlink_to(REPO / "themes" / theme)
        result = build_course(course, ["web", "scorm12"], root / "dist")
        assert result.ok, [p.format() for p in result.problems.errors]
        served[theme] = {fmt: unzip_package(root / "dist" / result.package_name(fmt)) for fmt in ("web", "scorm12")}
    return served


def violations(page) -> list[str]:
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]})
    found = results.response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in found]


def open_course(browser, url: str, width: int):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(url + "index.html")
    return page, Course(page)


STATES = {
    "home": lambda c: None,
    "lesson": lambda c: c.open("lesson-decisions-and-bias"),
    "knowledge-check-feedback": lambda c: _wrong_check(c),
    "scenario-ending": lambda c: c.play("trix-user", "unsafe"),
    "assessment-review": lambda c: c.take_assessment(correct=False),
    "results-certificate": lambda c: c.complete(passing=True, checks=False),
}


def _wrong_check(course: Course) -> None:
    lesson_id, lesson = next((k, v) for k, v in course.data["lessons"].items() if v["questions"])
    course.open(f"lesson-{lesson_id}")
    for question_id in lesson["questions"]:
        course.fill(question_id, "check", correct=False)
        course.check(question_id)


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("state", list(STATES))
def test_no_axe_violations(browser, themed, theme, width, state):
    page, course = open_course(browser, themed[theme]["web"], WIDTHS[width])
    STATES[state](course)
    assert violations(page) == []
    page.close()


@pytest.mark.parametrize("theme", THEMES)
def test_no_lms_notice_page(browser, themed, theme):
    page, _ = open_course(browser, themed[theme]["scorm12"], 1280)
    assert page.is_visible("#page-no-lms") and "not being recorded" in page.inner_text("#page-no-lms")
    assert violations(page) == []
    page.close()


@pytest.mark.parametrize("theme", THEMES)
def test_reflow_at_320_css_pixels_without_horizontal_scrolling(browser, themed, theme):
    """400% zoom of a 1280 px window is a 320 px viewport (WCAG 1.4.10)."""
    page, course = open_course(browser, themed[theme]["web"], 320)
    for target in ("lesson-what-is-ai", "lesson-evaluation-and-validation", "scenario-trix-user", "assessment"):
        course.open(target)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, target
    page.close()


@pytest.mark.parametrize("theme", THEMES)
def test_lang_skip_link_and_visible_focus(browser, themed, theme):
    page, _ = open_course(browser, themed[theme]["web"], 1280)
    assert page.get_attribute("html", "lang") == "en-GB"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.is_visible(".skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "getComputedStyle(document.activeElement).outlineStyle + getComputedStyle(document.activeElement).boxShadow"
    )
    assert outline != "nonenone", "focus must be visible"
    page.close()


@pytest.mark.parametrize("theme", THEMES)
def test_session_ended_notice_page(browser, themed, theme):
    page, _ = open_course(browser, themed[theme]["web"], 320)
    page.evaluate("""() => {
        document.querySelectorAll('.page').forEach(p => p.classList.remove('is-current'));
        const notice = document.getElementById('page-session-ended');
        notice.hidden = false; notice.classList.add('is-current');
        notice.querySelector('[data-return]').parentNode.hidden = false;
    }""")
    assert violations(page) == []
    page.close()


@pytest.mark.parametrize("theme", THEMES)
def test_printing_the_certificate_prints_only_the_certificate(browser, themed, theme):
    page, course = open_course(browser, themed[theme]["web"], 1280)
    course.complete(passing=True, checks=False)
    page.evaluate("window.print = () => {}; document.body.classList.add('is-printing-certificate')")
    page.emulate_media(media="print")
    assert page.is_visible("#cb-certificate")
    assert not page.is_visible("#page-lesson-what-is-ai") and not page.is_visible(".course-nav")
    page.evaluate("document.body.classList.remove('is-printing-certificate'); coursebuild.show('lesson-what-is-ai')")
    assert page.is_visible("#page-lesson-what-is-ai")  # printing from a lesson prints the lesson
    page.close()
