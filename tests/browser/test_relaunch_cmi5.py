"""The cmi5 relaunch matrix, every real course, in Chromium against the strict test LMS (tests/lrs): each
statement is judged per statement inside its batch, as a strict reference LMS judges it, and forwarded to the
real Learning Locker LRS, which also answers the AU's reads of its registration. For every case: zero
refusals, zero lost answers, and moveOn satisfied exactly when the learner has done what it asks."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from coursebuild.pipeline.build import build_course
from coursebuild.pipeline.load import discover_courses
from coursebuild.tracking import EXTENSIONS
from tests.browser.course_driver import INITIALIZED_ACCEPTED, Course
from tests.lrs.fixtures import lrs, real_lrs  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parent.parent.parent
COURSES = discover_courses(REPO / "courses")
IDS = [c.name for c in COURSES]
LEARNER = {
    "objectType": "Agent",
    "name": "Sam Patel",
    "account": {"homePage": "https://lms.example.org", "name": "sam"},
}
OUTCOMES = ("completed", "passed", "failed")


@pytest.fixture(scope="session")
def cmi5_packages(tmp_path_factory, unzip_package):
    """course folder name -> (AU URL, moveOn from cmi5.xml), each course built once per test run."""
    built: dict[str, tuple[str, str]] = {}

    def package(course_dir: Path) -> tuple[str, str]:
        if course_dir.name not in built:
            out = tmp_path_factory.mktemp(f"cmi5-{course_dir.name}")
            result = build_course(course_dir, ["cmi5"], out, REPO)
            assert result.ok, [p.format() for p in result.problems.errors]
            folder = unzip_package(out / result.package_name("cmi5"))
            with zipfile.ZipFile(out / result.package_name("cmi5")) as archive:
                move_on = ElementTree.fromstring(archive.read("cmi5.xml")).find(".//{*}au").get("moveOn")
            built[course_dir.name] = (folder + "index.html", move_on)
        return built[course_dir.name]

    return package


def wait_for(condition, timeout: float = 20.0, message: str = "condition") -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")


def wait_until_quiet(lrs, quiet: float = 0.5, timeout: float = 20.0) -> None:  # noqa: F811
    """Until no request has reached the LMS/LRS for `quiet` seconds."""
    deadline = time.time() + timeout
    seen, since = len(lrs.requests), time.time()
    while time.time() - since < quiet:
        assert time.time() < deadline, "the LMS/LRS was never quiet"
        time.sleep(0.05)
        if len(lrs.requests) != seen:
            seen, since = len(lrs.requests), time.time()


class Learner:
    """One learner in one registration of one course's AU, launching it as often as a test needs."""

    def __init__(self, lrs, browser, au_url: str, move_on: str):  # noqa: F811
        self.lrs, self.browser, self.au_url, self.move_on = lrs, browser, au_url, move_on
        self.registration: str | None = None
        self.context = None
        self.page = None
        self.errors: list[str] = []

    def launch(self, *, device: str = "same", mode: str = "Normal", return_url: bool = False) -> Course:
        """Launch from the LMS: in the same browser as before, or on another device (fresh storage)."""
        if self.context is None or device == "other":
            if self.context is not None:
                self.context.close()
            self.context = self.browser.new_context()
            self.context.set_default_timeout(10_000)
            self.context.on("weberror", lambda e: self.errors.append(str(e.error)))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and "coursebuild" in m.text and self.errors.append(m.text))
        url = self.lrs.create_launch(
            self.au_url,
            actor=LEARNER,
            registration=self.registration,
            mode=mode,
            move_on=self.move_on,
            return_url=self.lrs.return_url if return_url else None,
        )
        self.registration = self.lrs.session(url).registration
        self.page.goto(url)
        course = Course(self.page)
        self.page.wait_for_function(INITIALIZED_ACCEPTED, timeout=20_000)  # as the page knows it (open_cmi5)
        assert "initialized" in self.lrs.verbs_of()
        return course

    def leave(self) -> None:
        """The learner closes the course at once, maybe while a state write is on its way; only keepalive
        requests outlive the page. What the page sent as it closed (terminated, the last state document) may
        arrive in any order; the next launch is a moment later, after all of it."""
        self.page.goto("about:blank")
        self.page.close()
        wait_for(lambda: "terminated" in self.lrs.verbs_of(), message="terminated")
        wait_until_quiet(self.lrs, 0.3)

    def outcome_verbs(self) -> list[str]:
        """completed/passed/failed accepted in the registration, in order, over every session."""
        return [
            s["verb"]["id"].rsplit("/", 1)[-1]
            for s in self.lrs.statements
            if (s.get("context") or {}).get("registration") == self.registration
            and s["verb"]["id"].rsplit("/", 1)[-1] in OUTCOMES
        ]

    def stored(self, verbs=("answered", "responded")) -> list[dict]:
        return [
            s
            for s in self.lrs.statements
            if (s.get("context") or {}).get("registration") == self.registration
            and s["verb"]["id"].rsplit("/", 1)[-1] in verbs
        ]

    def close(self) -> None:
        if self.context is not None:
            self.context.close()


@pytest.fixture
def learner(lrs, browser, cmi5_packages, request):  # noqa: F811
    course_dir = request.node.callspec.params["course_dir"]
    au_url, move_on = cmi5_packages(course_dir)
    person = Learner(lrs, browser, au_url, move_on)
    yield person
    person.close()


def assert_no_refusals(lrs, learner, allow_abandoned: bool = False) -> None:  # noqa: F811
    lrs.assert_clean(allow_abandoned=allow_abandoned)
    refused = [
        r
        for r in lrs.requests
        if r.get("path", "").startswith("/xapi/") and (r.get("status") or 0) >= 400 and r.get("status") != 404
    ]
    assert refused == [], refused
    assert learner.errors == [], learner.errors


def has_assessment(course: Course) -> bool:
    return bool(course.data["assessment"])


def retake(course: Course, correct: bool) -> None:
    course.open("assessment")
    retry = course.frame.locator("#cb-assessment-result [data-retry]")
    if retry.count() and retry.is_visible():
        retry.click()
    course.take_assessment(correct=correct)


def all_answered(course: Course) -> None:
    course.visit_every_lesson()
    course.answer_checks()
    for scenario_id in course.data["scenarios"]:
        course.play(scenario_id)


@pytest.mark.parametrize("course_dir", COURSES, ids=IDS)
def test_fail_then_relaunch_and_pass(lrs, learner, course_dir):  # noqa: F811
    course = learner.launch()
    if not has_assessment(course):  # no assessment: stop half-way, relaunch, finish
        course.open(course.data["pages"][1]["id"])
        learner.leave()
        assert learner.outcome_verbs() == [] and not lrs.satisfied(learner.registration)
        course = learner.launch()
        course.complete()
        learner.leave()
        assert learner.outcome_verbs() == ["completed"] and lrs.satisfied(learner.registration)
        assert_no_refusals(lrs, learner)
        return
    all_answered(course)
    course.take_assessment(correct=False)
    learner.leave()
    assert learner.outcome_verbs() == ["completed", "failed"]
    assert not lrs.satisfied(learner.registration)
    course = learner.launch()
    retake(course, correct=True)
    learner.leave()
    # cmi5 §9.3: completed once per registration; passed after a failure in an earlier session is allowed.
    assert learner.outcome_verbs() == ["completed", "failed", "passed"]
    assert lrs.satisfied(learner.registration)
    assert_no_refusals(lrs, learner)


@pytest.mark.parametrize("course_dir", COURSES, ids=IDS)
def test_pass_then_relaunch_here_elsewhere_and_in_review(lrs, learner, course_dir):  # noqa: F811
    """First launch to a pass; then relaunches in the same browser, with cleared storage (another device) and
    in Review mode. The LRS, not the browser, says completed and passed are already recorded, so neither is
    sent again (9.3.0.0-6/-7), and Review sends no outcome (10.2.2.0-3)."""
    course = learner.launch()
    course.complete(passing=True, checks=False)  # every check's statements: test_fail_then_relaunch_and_pass
    learner.leave()
    verbs = lrs.verbs_of()
    assert verbs[0] == "initialized" and verbs[-1] == "terminated"
    expected = ["completed", "passed"] if has_assessment(course) else ["completed"]
    assert learner.outcome_verbs() == expected
    assert lrs.satisfied(learner.registration)
    for device, mode in (("same", "Normal"), ("other", "Normal"), ("same", "Review")):
        course = learner.launch(device=device, mode=mode)
        assert course.current_page() == "page-results", (device, mode)  # resumed from the state document
        course.open(course.data["pages"][0]["id"])
        course.open("results")
        learner.leave()
        assert learner.outcome_verbs() == expected, (device, mode)
        assert lrs.verbs_of()[0] == "initialized" and lrs.verbs_of()[-1] == "terminated"
    assert lrs.satisfied(learner.registration)
    assert_no_refusals(lrs, learner)


@pytest.mark.parametrize("course_dir", COURSES, ids=IDS)
def test_tab_closed_mid_attempt_then_relaunch(lrs, learner, course_dir):  # noqa: F811
    course = learner.launch()
    lesson = next(
        p["id"]
        for p in course.data["pages"]
        if p["kind"] == "lesson" and course.data["lessons"][p["lesson"]]["questions"]
    )
    course.open(lesson)
    question = course.data["lessons"][lesson.removeprefix("lesson-")]["questions"][0]
    course.fill(question, "check")
    course.check(question)
    learner.page.close()  # the tab, not the course's own exit
    wait_until_quiet(lrs)  # the learner reopens it a moment later, after what the closing tab sent has arrived
    course = learner.launch()
    assert course.current_page() == f"page-{lesson}"
    assert question in course.frame.evaluate("Object.keys(coursebuild.state().answers)")
    learner.leave()
    assert any(
        s["object"]["id"].endswith(f"/question/{question}") or f"/question/{question}/" in s["object"]["id"]
        for s in learner.stored(("answered",))
    )
    assert learner.outcome_verbs() == []
    assert_no_refusals(lrs, learner, allow_abandoned=True)


@pytest.mark.parametrize("course_dir", COURSES, ids=IDS)
def test_browse_sends_no_outcome(lrs, learner, course_dir):  # noqa: F811
    course = learner.launch(mode="Browse")
    course.complete(passing=True, checks=False)
    learner.leave()
    assert learner.outcome_verbs() == []
    assert not lrs.satisfied(learner.registration) or learner.move_on == "NotApplicable"
    assert_no_refusals(lrs, learner)


@pytest.mark.parametrize("course_dir", COURSES, ids=IDS)
def test_network_drop_during_exit(lrs, learner, course_dir):  # noqa: F811
    """The connection drops as the learner finishes and leaves: the last answers, the outcome, terminated and
    the state never arrive. The next launch in the same browser settles them by id: answers are carried into
    the new session (marked with the statement they replace), the old session's own statements are dropped
    (the LMS has abandoned that session) and the outcome is reported in the new one. Nothing is refused and
    no answer is lost."""
    course = learner.launch()
    course.visit_every_lesson()
    wait_for(lambda: learner.page.evaluate("coursebuild.tracker.primary.queue.length") == 0, message="queue drained")
    lrs.fail_next(10_000, mode="drop", path="/xapi/")
    course.answer_checks()
    for scenario_id in course.data["scenarios"]:
        course.play(scenario_id)
    if has_assessment(course):
        course.take_assessment(correct=True)
    course.open("results")
    undelivered = learner.page.evaluate("coursebuild.tracker.primary.queue")
    learner.page.goto("about:blank")
    learner.page.close()
    lrs.faults.clear()
    course = learner.launch()
    assert course.current_page() == "page-results"  # the state the LRS never got was kept in the browser
    wait_for(lambda: learner.page.evaluate("coursebuild.tracker.primary.queue.length") == 0, message="queue drained")
    learner.leave()
    stored = {s["id"]: s for s in lrs.statements}
    replaced = {
        s["context"]["extensions"].get(EXTENSIONS["replaces"]): s
        for s in stored.values()
        if s.get("context", {}).get("extensions", {}).get(EXTENSIONS["replaces"])
    }
    answers = [s for s in undelivered if s["verb"]["id"].rsplit("/", 1)[-1] in ("answered", "responded")]
    assert answers, "the test should have left answers undelivered"
    for statement in answers:
        carried = stored.get(statement["id"]) or replaced.get(statement["id"])
        assert carried is not None, f"answer {statement['object']['id']} was lost"
        assert carried["object"]["id"] == statement["object"]["id"] and carried["result"] == statement["result"]
    expected = ["completed", "passed"] if has_assessment(course) else ["completed"]
    assert learner.outcome_verbs() == expected
    assert lrs.satisfied(learner.registration)
    assert lrs.sessions[0].abandoned
    assert_no_refusals(lrs, learner, allow_abandoned=True)


@pytest.mark.parametrize("method", ["AnyWindow-frame", "OwnWindow-new-window", "OwnWindow-redirect"])
def test_launch_methods_and_return_url(lrs, page, lms_server, cmi5_packages, method):  # noqa: F811
    """cmi5 §8.1: the LMS may put an AnyWindow AU in a frame, and must give an OwnWindow AU a new window or
    redirect its own; §10.2.6: on exit the AU sends the window or frame it is in to returnURL."""
    au_url, move_on = cmi5_packages(COURSES[0])
    url = lrs.create_launch(au_url, actor=LEARNER, move_on=move_on, return_url=lrs.return_url)
    if method == "AnyWindow-frame":
        player = lms_server.add_file(
            "players",
            "player.html",
            f'<!doctype html><html lang="en"><title>LMS</title>'
            f'<iframe id="au" title="course" src="{url}" width="1000" height="800"></iframe>',
        )
        page.goto(player)
        au = page.locator("iframe#au").element_handle().content_frame()
    elif method == "OwnWindow-new-window":
        page.goto(lms_server.add_file("players", "lms.html", '<!doctype html><html lang="en"><title>LMS</title>'))
        with page.expect_popup() as popup:
            page.evaluate("url => window.open(url, 'au')", url)
        au = popup.value
    else:
        page.goto(url)
        au = page
    course = Course(au)
    wait_for(lambda: "initialized" in lrs.verbs_of(), message="initialized")
    course.open(course.data["pages"][1]["id"])
    au.click("[data-exit]")
    au.wait_for_url(lrs.return_url + "*")
    assert len(lrs.returned) == 1
    if method == "AnyWindow-frame":
        assert page.url == player  # only the frame went back; the LMS page stayed
    wait_for(lambda: "terminated" in lrs.verbs_of(), message="terminated")
    lrs.assert_clean()
