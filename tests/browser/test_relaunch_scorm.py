"""The SCORM relaunch journey, every real course, SCORM 1.2 and 2004, in the strict SCORM test LMS (scorm-again
plus the harness's recorder, which flags any call after LMSFinish/Terminate): resume by `cmi.core.entry` /
`cmi.entry`, every answer kept across launches, and completion or a pass, once recorded, never taken back."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from coursebuild.pipeline.build import build_course
from coursebuild.pipeline.load import discover_courses
from tests.browser.course_driver import VERSIONS, Course

REPO = Path(__file__).resolve().parent.parent.parent
COURSES = discover_courses(REPO / "courses")


def status(state: dict, version: str) -> tuple[str, str]:
    """(completion, success) as the LMS holds them."""
    cmi = state["cmi"]
    if version == "1.2":
        lesson = cmi["core"]["lesson_status"]
        return (
            "completed" if lesson in ("completed", "passed", "failed") else lesson,
            lesson if lesson in ("passed", "failed") else "unknown",
        )
    return cmi["completion_status"], cmi["success_status"]


def entry(session, version: str) -> str:
    """What the SCO read from cmi.core.entry / cmi.entry at launch (from the LMS's record of API calls)."""
    element = "cmi.core.entry" if version == "1.2" else "cmi.entry"
    reads = [c["result"] for c in session.calls() if c["method"].endswith("GetValue") and c["args"][:1] == [element]]
    assert reads, f"the SCO never read {element}"
    return reads[0]


def close(session) -> dict:
    session.unload()
    session.wait_for_terminate()
    assert session.violations() == []  # includes: nothing written after the session finished
    return session.state()


@pytest.mark.parametrize("fmt", list(VERSIONS))
@pytest.mark.parametrize("course_dir", COURSES, ids=[c.name for c in COURSES])
def test_relaunch_journey(page, launch_in_lms, unzip_package, tmp_path, course_dir, fmt):
    version = VERSIONS[fmt]
    result = build_course(course_dir, [fmt], tmp_path, REPO)
    assert result.ok, [p.format() for p in result.problems.errors]
    package = unzip_package(tmp_path / result.package_name(fmt))

    # 1. The learner answers a knowledge check and closes the window mid-attempt.
    session = launch_in_lms(page, package, version)
    course = Course(session.sco)
    lesson = next(lesson_id for lesson_id, v in course.data["lessons"].items() if v["questions"])
    question = course.data["lessons"][lesson]["questions"][0]
    course.open(f"lesson-{lesson}")
    course.fill(question, "check")
    course.check(question)
    state = close(session)
    assert status(state, version)[0] == "incomplete"

    # 2. Relaunch: the LMS says resume, and the answer and the place are back.
    session = launch_in_lms(page, package, version, state=state)
    course = Course(session.sco)
    assert entry(session, version) == "resume"
    assert course.current_page() == f"page-lesson-{lesson}"
    assert question in course.frame.evaluate("Object.keys(coursebuild.state().answers)")
    has_assessment = bool(course.data["assessment"])
    if has_assessment:  # fail first ...
        course.visit_every_lesson()
        course.take_assessment(correct=False)
        state = close(session)
        assert status(state, version)[1] == "failed"
        session = launch_in_lms(page, package, version, state=state)
        course = Course(session.sco)
        course.open("assessment")
        course.frame.click("#cb-assessment-result [data-retry]")
    # ... then complete (and pass). Every knowledge check of every course is answered in test_courses_smoke.py.
    course.complete(passing=True, checks=False)
    done = close(session)
    expected = ("completed", "passed" if has_assessment else "unknown")
    assert status(done, version) == expected

    # 3. Relaunch after a normal exit: entry is "" (a new session of a finished attempt); nothing regresses.
    session = launch_in_lms(page, package, version, state=done)
    course = Course(session.sco)
    assert entry(session, version) == ""
    course.open(course.data["pages"][0]["id"])
    assert status(close(session), version) == expected

    # 4. Relaunch where the LMS kept the status but not the resume data (a new attempt of the content, another
    #    LMS's policy): the learner starts over, and the recorded completion or pass still stands.
    bare = copy.deepcopy(done)
    bare["cmi"].pop("suspend_data", None)
    session = launch_in_lms(page, package, version, state=bare)
    course = Course(session.sco)
    course.open(course.data["pages"][0]["id"])
    course.open(f"lesson-{lesson}")
    course.fill(question, "check", correct=False)
    course.check(question)
    assert status(close(session), version) == expected
    assert page.errors == []
