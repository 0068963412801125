"""Tests of the test LMS itself, with hand-written SCOs from fixtures/."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SCO = {"1.2": "sco12.html", "2004": "sco2004.html"}
COMMIT_ERROR = {"1.2": "101", "2004": "391"}


@pytest.fixture
def fixture_url(lms_server):
    return lambda name: f"{lms_server.url}fixtures/{name}"


def finish(session, how: str) -> None:
    if how == "button":
        session.sco.locator("#finish").click()
    else:
        session.unload()  # pagehide in the SCO
    session.wait_for_terminate()


def cmi_of(state: dict, version: str) -> dict:
    """The fields both versions share, from a state in the version's own shape."""
    cmi = state["cmi"]
    if version == "1.2":
        core = cmi["core"]
        return {
            "learner": core["student_id"],
            "location": core["lesson_location"],
            "status": core["lesson_status"],
            "raw": core["score"]["raw"],
            "suspend_data": cmi["suspend_data"],
            "exit": core["exit"],
            "interaction": cmi["interactions"]["0"],
        }
    return {
        "learner": cmi["learner_id"],
        "location": cmi["location"],
        "status": (cmi["completion_status"], cmi["success_status"]),
        "raw": cmi["score"]["raw"],
        "suspend_data": cmi["suspend_data"],
        "exit": cmi["exit"],
        "interaction": cmi["interactions"]["0"],
    }


@pytest.mark.parametrize("how", ["button", "pagehide"])
@pytest.mark.parametrize("mode", ["iframe", "popup"])
@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_well_behaved_sco_has_no_violations(page, launch_in_lms, fixture_url, version, mode, how):
    session = launch_in_lms(page, fixture_url(SCO[version]), version, mode)
    assert session.sco.evaluate("sco.found && sco.initialized") == "true"
    assert not session.terminated
    finish(session, how)

    assert session.violations() == []
    assert session.commit_before_terminate() is True
    assert page.errors == []
    state = cmi_of(session.state(), version)
    assert state["learner"] == "learner-1"
    assert state["location"] == "page-2"
    assert state["status"] == ("passed" if version == "1.2" else ("completed", "passed"))
    assert state["raw"] == "80"
    assert state["suspend_data"] == "page=2"
    assert state["exit"] == ("" if version == "1.2" else "normal")
    assert state["interaction"]["id"] == "q1" and state["interaction"]["result"] == "correct"
    assert session.committed() == session.state()

    calls = session.calls()
    assert [calls[0]["method"], calls[-1]["method"]] == (
        ["LMSInitialize", "LMSFinish"] if version == "1.2" else ["Initialize", "Terminate"]
    )
    assert set(calls[0]) == {"method", "args", "result", "errorCode", "t"}
    errors = [(call["method"], call["args"], call["errorCode"]) for call in calls if call["errorCode"] != "0"]
    # SCORM 2004: reading an element the LMS never set is error 403 "data model element value not initialized"
    assert errors == ([] if version == "1.2" else [("GetValue", ["cmi.suspend_data"], "403")])
    assert [call["t"] for call in calls] == sorted(call["t"] for call in calls)


def test_package_is_launched_from_its_manifest(page, launch_in_lms, unzip_package, tmp_path):
    manifest = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="m" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations default="org"><organization identifier="org"><title>T</title>
    <item identifier="i1" identifierref="r1" parameters="?exit=suspend"><title>Lesson</title></item>
  </organization></organizations>
  <resources><resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="content/index.html">
    <file href="content/index.html"/></resource></resources>
</manifest>"""
    package = tmp_path / "course-scorm12.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
        archive.write(FIXTURES / "sco12.html", "content/index.html")
    url = unzip_package(package)
    assert url.endswith("/")

    session = launch_in_lms(page, url, "1.2")
    assert session.sco.url == url + "content/index.html?exit=suspend"
    finish(session, "button")
    assert session.violations() == []
    assert session.state()["cmi"]["core"]["exit"] == "suspend"


def cut(text: str) -> str:
    """A long value as violation messages show it."""
    return f'"{text[:36]}…"'


INIT_12, INIT_2004 = "api.LMSInitialize('');", "api.Initialize('');"
MISBEHAVIOUR = [  # (id, version, script run in the SCO frame, the violations expected)
    ("double initialise", "1.2", f"{INIT_12} api.LMSInitialize('')", ["LMSInitialize called 2 times"]),
    (
        "call before initialise",
        "1.2",
        f"api.LMSGetValue('cmi.core.entry'); {INIT_12}",
        ['LMSGetValue("cmi.core.entry") before LMSInitialize'],
    ),
    (
        "call after finish",
        "1.2",
        f"{INIT_12} api.LMSFinish(''); api.LMSSetValue('cmi.suspend_data', 'x')",
        ['LMSSetValue("cmi.suspend_data", "x") after LMSFinish'],
    ),
    (
        "double finish",
        "1.2",
        f"{INIT_12} api.LMSFinish(''); api.LMSFinish('')",
        ["LMSFinish called 2 times", 'LMSFinish("") after LMSFinish'],
    ),
    ("argument", "1.2", f"{INIT_12} api.LMSCommit('now')", ['LMSCommit("now"): the argument must be ""']),
    (
        "1.2 suspend_data over 4096",
        "1.2",
        f"{INIT_12} api.LMSSetValue('cmi.suspend_data', 'x'.repeat(5000))",
        ["LMSSetValue(cmi.suspend_data): 5000 characters, over the SCORM 1.2 limit of 4096"],
    ),
    (
        "1.2 lesson_location over 255",
        "1.2",
        f"{INIT_12} api.LMSSetValue('cmi.core.lesson_location', 'p'.repeat(256))",
        [
            "LMSSetValue(cmi.core.lesson_location): 256 characters, over the SCORM 1.2 limit of 255",
            f'LMSSetValue("cmi.core.lesson_location", {cut("p" * 256)}) returned "false" (error 405)',
        ],
    ),
    (
        "incorrect in 1.2",
        "1.2",
        f"{INIT_12} api.LMSSetValue('cmi.interactions.0.id', 'q1');"
        "api.LMSSetValue('cmi.interactions.0.result', 'incorrect')",
        [
            'LMSSetValue(cmi.interactions.0.result, "incorrect"): not in the SCORM 1.2 vocabulary '
            "(correct, wrong, unanticipated, neutral)"
        ],
    ),
    (
        "1.2 status vocabulary",
        "1.2",
        f"{INIT_12} api.LMSSetValue('cmi.core.lesson_status', 'complete')",
        [
            'LMSSetValue(cmi.core.lesson_status, "complete"): not in the SCORM 1.2 vocabulary '
            "(passed, completed, failed, incomplete, browsed)",
            'LMSSetValue("cmi.core.lesson_status", "complete") returned "false" (error 405)',
        ],
    ),
    (
        "1.2 set fails",
        "1.2",
        f"{INIT_12} api.LMSSetValue('cmi.core.score.raw', 'abc')",
        ['LMSSetValue("cmi.core.score.raw", "abc") returned "false" (error 405)'],
    ),
    (
        "finish without commit",
        "1.2",
        f"{INIT_12} api.LMSCommit(''); api.LMSSetValue('cmi.core.exit', 'suspend'); api.LMSFinish('')",
        ["LMSFinish without an explicit LMSCommit after the last LMSSetValue"],
    ),
    (
        "1.2 interaction field before id",
        "1.2",
        f"{INIT_12} api.LMSSetValue('cmi.interactions.0.result', 'wrong')",
        ["LMSSetValue(cmi.interactions.0.result) before cmi.interactions.0.id"],
    ),
    ("2004 double initialise", "2004", f"{INIT_2004} api.Initialize('')", ["Initialize called 2 times"]),
    (
        "2004 call after terminate",
        "2004",
        f"{INIT_2004} api.Terminate(''); api.GetValue('cmi.location')",
        ['GetValue("cmi.location") after Terminate'],
    ),
    (
        "2004 suspend_data over 64000",
        "2004",
        f"{INIT_2004} api.SetValue('cmi.suspend_data', 'x'.repeat(64001))",
        [
            "SetValue(cmi.suspend_data): 64001 characters, over the SCORM 2004 limit of 64000",
            f'SetValue("cmi.suspend_data", {cut("x" * 64001)}) returned "false" (error 406)',
        ],
    ),
    (
        "2004 location over 1000",
        "2004",
        f"{INIT_2004} api.SetValue('cmi.location', 'p'.repeat(1001))",
        [
            "SetValue(cmi.location): 1001 characters, over the SCORM 2004 limit of 1000",
            f'SetValue("cmi.location", {cut("p" * 1001)}) returned "false" (error 406)',
        ],
    ),
    (
        "wrong in 2004",
        "2004",
        f"{INIT_2004} api.SetValue('cmi.interactions.0.id', 'q1'); api.SetValue('cmi.interactions.0.result', 'wrong')",
        [
            'SetValue(cmi.interactions.0.result, "wrong"): not in the SCORM 2004 vocabulary '
            "(correct, incorrect, unanticipated, neutral)",
            'SetValue("cmi.interactions.0.result", "wrong") returned "false" (error 406)',
        ],
    ),
    (
        "2004 interaction field before id",
        "2004",
        f"{INIT_2004} api.SetValue('cmi.interactions.0.type', 'choice')",
        [
            "SetValue(cmi.interactions.0.type) before cmi.interactions.0.id",
            'SetValue("cmi.interactions.0.type", "choice") returned "false" (error 408)',
        ],
    ),
    (
        "2004 terminate without commit",
        "2004",
        f"{INIT_2004} api.SetValue('cmi.exit', 'normal'); api.Terminate('')",
        ["Terminate without an explicit Commit after the last SetValue"],
    ),
]


@pytest.mark.parametrize(("version", "script", "expected"), [pytest.param(*c[1:], id=c[0]) for c in MISBEHAVIOUR])
def test_misbehaving_sco_is_caught(page, launch_in_lms, fixture_url, version, script, expected):
    session = launch_in_lms(page, fixture_url("scripted.html"), version)
    session.sco.evaluate(script)
    assert session.violations() == expected


def test_scorm_again_accepts_what_the_harness_flags(page, launch_in_lms, fixture_url):
    """Why the recorder exists: scorm-again 3.4.3 says "true" to each of these (see README.md)."""
    session = launch_in_lms(page, fixture_url("scripted.html"), "1.2")
    results = session.sco.evaluate("""[
        api.LMSInitialize(''),
        api.LMSSetValue('cmi.suspend_data', 'x'.repeat(5000)),
        api.LMSSetValue('cmi.interactions.0.result', 'incorrect'),
        api.LMSSetValue('cmi.interactions.0.id', 'q1'),
        api.LMSFinish(''),
        api.LMSSetValue('cmi.core.lesson_location', 'after'),
    ]""")
    assert results == ["true"] * 6
    assert len(session.violations()) == 5


@pytest.mark.parametrize(
    ("version", "exit", "entry"),
    [("1.2", "suspend", "resume"), ("1.2", "", ""), ("2004", "suspend", "resume"), ("2004", "normal", "")],
)
def test_resume_preloads_the_previous_state(page, launch_in_lms, fixture_url, version, exit, entry):
    first = launch_in_lms(page, fixture_url(f"{SCO[version]}?exit={exit}&data=saved%3A42"), version)
    assert first.sco.evaluate("sco.entry") == "ab-initio"
    finish(first, "button")
    state = first.state()
    assert cmi_of(state, version)["exit"] == exit

    second = launch_in_lms(page, fixture_url(SCO[version]), version, state=state)
    assert second.sco.evaluate("[sco.entry, sco.resumedData, sco.learner]") == [entry, "saved:42", "Doe, Jane"]
    finish(second, "button")
    assert second.violations() == []
    cmi = second.state()["cmi"]
    assert (cmi["core"] if version == "1.2" else cmi)["total_time"] == ("00:00:10" if version == "1.2" else "PT10S")


@pytest.mark.parametrize("mode", ["iframe", "popup"])
@pytest.mark.parametrize("version", ["1.2", "2004"])
def test_failing_commit_is_seen_by_the_sco(page, launch_in_lms, fixture_url, version, mode):
    session = launch_in_lms(page, fixture_url(SCO[version]), version, mode, commit_failures=1)
    assert session.sco.evaluate("sco.commits") == [{"result": "false", "error": COMMIT_ERROR[version]}]
    assert session.committed() is None
    finish(session, "button")
    assert session.sco.evaluate("sco.commits")[1] == {"result": "true", "error": "0"}
    assert [call["simulated"] for call in session.calls() if "simulated" in call] == [True]
    assert session.violations() == []
    assert session.committed()["cmi"]["suspend_data"] == "page=2"
