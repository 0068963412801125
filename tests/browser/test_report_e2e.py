"""End to end: learners take the real cmi5 and TinCan packages of the quiz fixture course in Chromium; their
statements go through the strict test LMS/LRS to a fresh real Learning Locker LRS (xapi-statements); then
`coursebuild report` reads that LRS over HTTP and its figures must match what the learners did. A voiding
statement and duplicate copies are part of the data. The report page is then checked with axe."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursebuild.cli import main
from tests.browser.course_driver import Course
from tests.browser.test_runtime_xapi import leave, wait_for, xapi_packages  # noqa: F401  (fixture)
from tests.lrs import cmi5
from tests.lrs.real_lrs import RealLrs
from tests.lrs.server import TestLRS, agent_key
from tests.lrs.validators import require_tools

QUIZ = Path(__file__).resolve().parent.parent / "fixtures" / "quiz"
COURSE_IRI = "https://learning.example.org/xapi/courses/quiz-course"
ORGANISATION = "https://w3id.org/coursebuild/xapi/extension/organisation"
LRS_ENV = {"COURSEBUILD_LRS_USERNAME": "test", "COURSEBUILD_LRS_PASSWORD": "test"}


def learner(name: str) -> dict:
    return {"objectType": "Agent", "name": name, "account": {"homePage": "https://lms.example.org", "name": name}}


@pytest.fixture
def fresh_lrs():
    """A Learning Locker LRS of this test's own (so no other test's statements are in the figures), behind the
    strict test LMS/LRS."""
    require_tools()
    real = RealLrs.start()
    server = TestLRS(forward_to=real).start()
    try:
        yield server, real
    finally:
        server.stop()
        real.stop()


def cmi5_launch(lrs: TestLRS, url: str, who: dict, organisation: str) -> str:
    """A cmi5 launch whose LMS puts the learner's organisation in the contextTemplate (the runtime copies the
    contextTemplate into every statement, cmi5 §10)."""
    launch = lrs.create_launch(url, actor=who, mastery_score=0.8, publisher_activity_id=COURSE_IRI + "/au")
    session = lrs.session(launch)
    session.launch_data["contextTemplate"]["extensions"][ORGANISATION] = organisation
    key = ("state", session.activity_id, agent_key(who), session.registration, cmi5.LAUNCH_DATA)
    document = lrs.documents[key]
    lrs.documents[key] = type(document)(
        json.dumps(session.launch_data).encode(), document.content_type, document.updated
    )
    return launch


def finish(page, lrs: TestLRS, who: dict) -> None:
    leave(page)
    try:
        wait_for(
            lambda: any(
                s["verb"]["id"].endswith("terminated") and s["actor"]["account"]["name"] == who["account"]["name"]
                for s in lrs.statements
            ),
            message=f"terminated of {who['name']}",
        )
    except AssertionError:
        raise AssertionError(f"{who['name']}: no terminated; violations {lrs.violations}") from None
    page.context.close()


def new_page(browser):
    context = browser.new_context()
    context.set_default_timeout(10_000)
    return context.new_page()


def report(tmp_path: Path, endpoint: str, *extra: str):
    result = CliRunner().invoke(
        main,
        [
            "report",
            str(tmp_path / "out"),
            "--store",
            str(tmp_path / "store"),
            "--courses",
            str(QUIZ),
            "--lrs",
            endpoint,
            *extra,
        ],
        env=LRS_ENV,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result


def rows(tmp_path: Path, name: str) -> list[dict]:
    return json.loads((tmp_path / "out" / "data" / f"{name}.json").read_text())["rows"]


def by(items: list[dict], key: str) -> dict:
    return {r[key]: r for r in items}


def test_report_from_a_real_lrs_matches_what_learners_did(fresh_lrs, xapi_packages, tmp_path, browser):  # noqa: F811
    lrs, real = fresh_lrs
    ann, bob, cy = learner("ann"), learner("bob"), learner("cy")
    # Ann (cmi5, Trust A) does everything right and passes.
    page = new_page(browser)
    page.goto(cmi5_launch(lrs, xapi_packages["cmi5"], ann, "Trust A"))
    Course(page).complete(passing=True)
    finish(page, lrs, ann)
    # Bob (cmi5, Trust B) opens every lesson, gets every check wrong, takes the unsafe decision, fails.
    page = new_page(browser)
    page.goto(cmi5_launch(lrs, xapi_packages["cmi5"], bob, "Trust B"))
    course = Course(page)
    course.visit_every_lesson()
    course.answer_checks(correct=False)
    course.play("triage-list", rating="unsafe")
    course.take_assessment(correct=False)
    finish(page, lrs, bob)
    # Cy (TinCan package, no organisation from the launch) answers the checks right and takes the acceptable path.
    page = new_page(browser)
    page.goto(lrs.create_tincan_launch(xapi_packages["xapi"], cy, COURSE_IRI, registration=str(uuid.uuid4())))
    course = Course(page)
    course.answer_checks(correct=True)
    course.play("triage-list", rating="acceptable")
    finish(page, lrs, cy)
    lrs.assert_clean()

    endpoint = real.endpoint
    first = report(tmp_path, endpoint)
    stored = real.posted
    assert f"read {stored} statements" in first.output or "read " in first.output
    requirements = by(rows(tmp_path, "requirements"), "requirement")
    # T1.1 (awareness asked): Ann and Cy answered its questions right; Bob got them wrong.
    assert requirements["T1.1"]["learners_evidenced"] == 3 and requirements["T1.1"]["learners_reached_required"] == 2
    # T1.2 (familiarity asked): Ann and Cy right at familiarity (fill-in, numeric, ...); Bob wrong.
    assert requirements["T1.2"]["learners_reached_required"] == 2
    # T1.3 (scenario, familiarity tag): Ann best, Cy acceptable; Bob unsafe.
    assert requirements["T1.3"]["learners_evidenced"] == 3 and requirements["T1.3"]["learners_reached_required"] == 2
    course_row = rows(tmp_path, "courses")[0]
    assert (course_row["learners"], course_row["completed"], course_row["passed"], course_row["failed"]) == (3, 2, 1, 1)
    assert course_row["pass_rate"] == 50
    wrong = by(rows(tmp_path, "wrong_answers"), "item")
    scene = wrong[COURSE_IRI + "/scenario/triage-list/scene/start"]
    assert scene["learners_wrong"] == 1 and scene["requirements"] == "T1.3" and scene["kind"] == "decision"
    for question in ("q-single", "q-true-false", "q-fill-in", "q-numeric", "q-matching", "q-sequencing"):
        assert wrong[f"{COURSE_IRI}/question/{question}"]["learners_wrong"] == 1, question
    organisations = by(rows(tmp_path, "by_organisation"), "organisation")
    assert organisations["Trust A"]["learners"] == 1 and organisations["Trust B"]["learners"] == 1
    assert organisations["(none given)"]["learners"] == 1

    # Ann's correct answer to q-single is voided in the LRS, and one statement is re-sent (the LRS keeps one copy).
    ann_single = next(
        s
        for s in lrs.statements
        if s["actor"]["account"]["name"] == "ann" and s["object"]["id"].endswith("/question/q-single")
    )
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": ann,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": ann_single["id"]},
    }
    assert real.post([voiding])[0] == 200
    assert real.post([{k: v for k, v in ann_single.items() if k not in ("stored", "authority", "version")}])[0] == 200
    # An export of the same statements (duplicates of what the LRS gave) is read too.
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps(s) + "\n" for s in lrs.statements[:5]))
    second = report(tmp_path, endpoint, "--file", str(export))
    assert "read 1 statements from " + endpoint in second.output  # only the voiding statement is new
    quality = {r["class"]: r["statements"] for r in rows(tmp_path, "quality")}
    assert quality["voided"] == 1 and quality["voiding"] == 1 and quality["duplicate"] == 5
    assert quality.get("malformed", 0) == 0 and quality.get("untagged", 0) == 0
    requirements = by(rows(tmp_path, "requirements"), "requirement")
    # Ann still has T1.1 from q-multiple / assessment questions; the voided answer is simply not counted.
    wrong = by(rows(tmp_path, "wrong_answers"), "item")
    assert wrong[f"{COURSE_IRI}/question/q-single"]["attempts"] == 2  # Bob's and Cy's; Ann's was voided
    assert requirements["T1.1"]["learners_reached_required"] == 2

    # The page meets WCAG 2.2 AA (axe-core in Chromium), at desktop and phone widths.
    from axe_playwright_python.sync_playwright import Axe

    for width in (1280, 390):
        view = browser.new_page(viewport={"width": width, "height": 900})
        view.goto((tmp_path / "out" / "report.html").as_uri())
        results = Axe().run(
            view,
            options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}},
        )
        violations = results.response["violations"]
        assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        view.close()
