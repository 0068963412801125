"""A Welsh package in Chromium: under the strict SCORM harness, in the cmi5 test LMS (every statement in
Welsh, `context.language` cy-GB, the same IRIs as English) and with axe on every page type.

The quiz fixture (every question type, a scenario, an assessment) is exported, every unit "translated"
(a numbered mark before each run of text, as tests/test_translation.py does), imported and built with
`--lang cy`; the interface strings are the real Welsh ones.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursebuild.cli import main
from coursebuild.pipeline.build import build_course
from tests.browser.course_driver import Course, finish
from tests.browser.test_accessibility import violations
from tests.browser.test_runtime_xapi import LEARNER, leave, wait_for
from tests.lrs.fixtures import lrs, real_lrs  # noqa: F401  (fixtures)
from tests.test_translation import translate_every_unit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FORMATS = ["scorm12", "scorm2004", "cmi5", "web"]


@pytest.fixture(scope="session")
def welsh(tmp_path_factory, unzip_package):
    """format -> served folder URL of the Welsh quiz course, and "english" -> its English cmi5 package."""
    root = tmp_path_factory.mktemp("welsh")
    shutil.copy(FIXTURES / "requirements.yml", root / "requirements.yml")
    course = root / "quiz"
    shutil.copytree(FIXTURES / "quiz", course)
    xlf = root / "quiz-cy.xlf"
    runner = CliRunner()
    assert runner.invoke(main, ["translate", "export", str(course), "--lang", "cy", "-o", str(xlf)]).exit_code == 0
    xlf.write_bytes(translate_every_unit(xlf.read_bytes())[0])
    result = runner.invoke(main, ["translate", "import", str(xlf), "--course", str(course)])
    assert result.exit_code == 0, result.output
    built = build_course(course, FORMATS, root / "dist", language="cy")
    assert built.ok, [p.format() for p in built.problems.errors]
    english = build_course(course, ["cmi5"], root / "dist")
    served = {fmt: unzip_package(root / "dist" / built.package_name(fmt)) for fmt in FORMATS}
    served["english"] = unzip_package(root / "dist" / english.package_name("cmi5"))
    return served


@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_the_welsh_package_runs_cleanly_under_the_strict_scorm_harness(page, launch_in_lms, welsh, version):
    session = launch_in_lms(page, welsh["scorm12" if version == "1.2" else "scorm2004"], version)
    course = Course(session.sco)
    assert session.sco.get_attribute("html", "lang") == "cy-GB"
    course.open("lesson-types")
    course.fill("q-single", "check")
    assert course.check("q-single") == "Cywir."
    assert "adran wedi’u cwblhau" in session.sco.inner_text("#cb-progress")
    course.complete(passing=True)
    assert (
        "Rydych chi wedi pasio" in session.sco.inner_text("#cb-assessment-result")
        or course.current_page() == "page-results"
    )
    finish(session)
    state = session.committed()["cmi"]
    status = state["core"]["lesson_status"] if version == "1.2" else state["success_status"]
    assert status == "passed"
    ids = [i["id"] for i in state["interactions"].values()]
    assert "q-single" in ids  # interaction ids as in English


def test_welsh_cmi5_statements_carry_cy_gb_and_the_english_iris(page, lrs, welsh):  # noqa: F811
    page.goto(lrs.create_launch(welsh["cmi5"] + "index.html", actor=LEARNER, mastery_score=0.8))
    course = Course(page)
    course.complete(passing=True)
    leave(page)
    wait_for(lambda: "terminated" in lrs.verbs_of(), message="terminated")
    lrs.assert_clean()
    statements = lrs.statements_of()
    assert {"initialized", "experienced", "answered", "responded", "completed", "passed", "terminated"} <= set(
        lrs.verbs_of()
    )
    assert {s["context"].get("language") for s in statements} == {"cy-GB"}
    answered = [s for s in statements if s["verb"]["id"].endswith("/answered")]
    for statement in answered:
        names = statement["object"]["definition"]["name"]
        assert set(names) == {"en-GB", "cy-GB"} and names["cy-GB"].startswith("⟦"), names
    base = course.data["course"]["baseIri"]
    assert {s["object"]["id"].split("/question/")[-1] for s in answered} >= {"q-single", "q-matching"}
    assert all(s["object"]["id"].startswith(base) for s in answered)


WIDTHS = {"phone": 320, "desktop": 1280}
STATES = {
    "home": lambda c: None,
    "lesson-feedback": lambda c: (
        [c.open("lesson-types")]
        + [(c.fill(q, "check", correct=False), c.check(q)) for q in c.data["lessons"]["types"]["questions"]]
    ),
    "scenario-ending": lambda c: c.play("triage-list", "unsafe"),
    "assessment-review": lambda c: c.take_assessment(correct=False),
    "results-certificate": lambda c: c.complete(passing=True),
}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("state", list(STATES))
def test_the_welsh_pages_pass_axe(browser, welsh, state, width):
    page = browser.new_page(viewport={"width": WIDTHS[width], "height": 800})
    page.goto(welsh["web"] + "index.html")
    course = Course(page)
    assert page.get_attribute("html", "lang") == "cy-GB"
    STATES[state](course)
    assert violations(page) == []
    page.close()


def test_the_welsh_no_lms_notice_passes_axe(browser, welsh):
    page = browser.new_page()
    page.goto(welsh["scorm12"] + "index.html")
    assert "Nid yw eich cynnydd yn cael ei gofnodi" in page.inner_text("#page-no-lms")
    assert violations(page) == []
    page.close()
