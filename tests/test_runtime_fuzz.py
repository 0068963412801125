"""Properties of the learner runtime's resume codec and xAPI statement queue, on the real ES modules.

One long-lived `node tests/runtime_node/harness.mjs` per test session imports `state.js`, `adapters/scorm.js`
and `adapters/xapi.js` from `src/coursebuild/runtime/src/` and answers JSON lines; hypothesis generates the
courses, learner states and statement sequences here.

- Resume codec: for any learner state consistent with a course (every question type's answers, results,
  scenario paths, assessment attempts), decoding the encoding gives the state back (answers longer than 250
  characters are cut, as documented in `packResponse`); what a SCORM LMS is handed is well-formed text; it
  is stored as suspend data exactly when it fits the version's limit (4,096 / 64,000), and then the next
  launch resumes the same state, else nothing is written and the next launch starts afresh.
- Statement queue: across sends, failed and lost deliveries, hanging requests, reloads and leaving, every
  statement the adapter queues is stored by the LRS exactly once and in order, or (invalid) refused and
  dropped; nothing is posted again once the LRS has confirmed it; this browser's stored copy of the queue
  always matches the queue.

Profiles: bounded and derandomised by default (`runtime-ci`), `HYPOTHESIS_PROFILE=long` explores (as in
`tests/fuzz/`). Node is needed; without it the tests fail, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

HARNESS = Path(__file__).resolve().parent / "runtime_node" / "harness.mjs"

settings.register_profile(
    "runtime-ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "runtime-long",
    max_examples=3_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("runtime-long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "runtime-ci")


class Node:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(HARNESS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=HARNESS.parent,
        )

    def ask(self, op: str, **request: Any) -> Any:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"op": op, **request}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the node harness stopped (exit {self.proc.poll()})"
        answer = json.loads(line)
        assert answer["ok"], answer["error"]
        return answer["result"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="session")
def node():
    if shutil.which("node") is None:
        pytest.fail(
            "tests/test_runtime_fuzz.py runs the runtime's modules in Node.js, which is not installed (apt-get install nodejs)"
        )
    harness = Node()
    yield harness
    harness.close()


# ------------------------------------------------------------------ courses and learner states

SLUG = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)
TEXT = st.text(min_size=1, max_size=40).map(str.strip).filter(bool)
VERSION = st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}(-[a-z0-9]{1,4})?", fullmatch=True)
QUESTION_TYPES = ["single", "multiple", "true-false", "fill-in", "numeric", "matching", "sequencing", "likert"]


@st.composite
def question(draw: st.DrawFn, qid: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(QUESTION_TYPES))
    q: dict[str, Any] = {"id": qid, "type": kind, "points": draw(st.sampled_from([0, 1, 2])), "requirements": []}
    if kind in ("single", "multiple"):
        q["options"] = draw(st.lists(SLUG, min_size=2, max_size=26, unique=True))
        q["correct"] = q["options"][:1]
    elif kind == "true-false":
        q["correct"] = draw(st.booleans())
    elif kind == "matching":
        q["sources"] = draw(st.lists(TEXT, min_size=2, max_size=9, unique=True))
        q["targets"] = draw(st.lists(TEXT, min_size=2, max_size=26, unique=True))
        q["correct"] = {s: q["targets"][0] for s in q["sources"]}
    elif kind == "sequencing":
        q["correct"] = draw(st.lists(TEXT, min_size=2, max_size=26, unique=True))
    elif kind == "likert":
        q["scale"] = draw(st.lists(TEXT, min_size=2, max_size=9))
        q["statements"] = draw(st.lists(TEXT, min_size=1, max_size=8))
    return q


def answer(q: dict[str, Any]) -> st.SearchStrategy[Any]:
    """An answer as the runtime's readResponse returns it for a question the learner answered."""
    kind = q["type"]
    if kind == "single":
        return st.sampled_from(q["options"]).map(lambda o: [o])
    if kind == "multiple":  # in page order, which a shuffle changes
        return st.lists(st.sampled_from(q["options"]), min_size=1, unique=True)
    if kind == "true-false":
        return st.sampled_from([["true"], ["false"]])
    if kind in ("fill-in", "numeric"):  # any text; some near the 250 characters kept, with characters outside the BMP
        near_the_cut = st.text(st.sampled_from("ab \u00e9\u2019\U0001f600\U00010348"), min_size=240, max_size=260)
        return st.one_of(st.text(min_size=1, max_size=300), near_the_cut).map(str.strip).filter(bool)
    if kind == "matching":
        return st.fixed_dictionaries({s: st.sampled_from(q["targets"]) for s in q["sources"]})
    if kind == "sequencing":
        return st.permutations(q["correct"])
    points = st.sampled_from([""] + [str(i + 1) for i in range(len(q["scale"]))])
    return st.lists(points, min_size=len(q["statements"]), max_size=len(q["statements"])).filter(lambda r: any(r))


@st.composite
def scenario(draw: st.DrawFn) -> dict[str, Any]:
    scenes = draw(st.lists(SLUG, min_size=2, max_size=6, unique=True))
    graph = {}
    for i, scene in enumerate(scenes):
        ending = i == len(scenes) - 1 or draw(st.booleans())
        choices = (
            []
            if ending
            else [
                {
                    "id": c,
                    "goto": draw(st.sampled_from(scenes[i + 1 :])),
                    "rating": draw(st.sampled_from(["best", "acceptable", "unsafe"])),
                    "requirements": [],
                }
                for c in draw(st.lists(SLUG, min_size=1, max_size=4, unique=True))
            ]
        )
        graph[scene] = {"choices": choices, "ending": ending}
    return {"start": scenes[0], "scenes": graph}


@st.composite
def course(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(SLUG, min_size=0, max_size=30, unique=True))
    questions = {qid: draw(question(qid)) for qid in ids}
    scenarios = {sid: draw(scenario()) for sid in draw(st.lists(SLUG, max_size=3, unique=True))}
    lessons = draw(st.lists(SLUG, min_size=1, max_size=40, unique=True))
    pages = [{"id": "home", "kind": "home"}] + [
        {"id": f"lesson-{lid}", "kind": "lesson", "lesson": lid} for lid in lessons
    ]
    pages += [{"id": f"scenario-{sid}", "kind": "scenario", "scenario": sid} for sid in scenarios]
    pages += [{"id": "assessment", "kind": "assessment"}, {"id": "results", "kind": "results"}]
    return {
        "course": {
            "id": draw(SLUG),
            "version": draw(VERSION),
            "language": "en-GB",
            "passMark": 80,
            "scenarioWeight": 0,
        },
        "questions": questions,
        "scenarios": scenarios,
        "pages": pages,
    }


@st.composite
def learner_state(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    questions = data["questions"]
    pages = len(data["pages"])
    answered = draw(st.lists(st.sampled_from(sorted(questions)), unique=True)) if questions else []
    answers = {qid: draw(answer(questions[qid])) for qid in answered}
    results = {
        qid: draw(st.sampled_from([0, 1]))
        for qid in answered
        if questions[qid]["type"] != "likert" and draw(st.booleans())
    }
    scenarios = {}
    for sid, sc in data["scenarios"].items():
        if not draw(st.booleans()):
            continue
        decisions, scene = [], sc["start"]
        for _ in range(draw(st.integers(0, 8))):
            choices = sc["scenes"][scene]["choices"]
            if not choices:
                break
            choice = draw(st.sampled_from(choices))
            decisions.append([scene, choice["id"]])
            scene = choice["goto"]
        scenarios[sid] = {"d": decisions}
    finished = {f"scenario-{sid}": True for sid in data["scenarios"] if draw(st.booleans())}
    return {
        "page": draw(st.integers(0, pages - 1)),
        "visited": draw(st.lists(st.integers(0, pages - 1), unique=True, max_size=pages)),
        "answers": answers,
        "results": results,
        "attempt": draw(st.integers(0, 10_000)),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "submitted": draw(st.booleans()),
        "score": draw(st.none() | st.integers(0, 100)),
        "scenarios": scenarios,
        "finished": finished,
    }


@st.composite
def course_and_state(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    data = draw(course())
    return data, draw(learner_state(data))


def cut(text: str, units: int) -> str:
    """JavaScript's text.slice(0, units): UTF-16 code units."""
    return text.encode("utf-16-le", "surrogatepass")[: 2 * units].decode("utf-16-le", "surrogatepass")


def well_formed(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def expected_after_resume(data: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The state as documented to come back: free-text answers cut to 250 characters, never inside a character."""
    answers = {}
    for qid, response in state["answers"].items():
        if data["questions"][qid]["type"] in ("fill-in", "numeric"):
            short = cut(response, 250)
            if short and not well_formed(short[-1]):
                short = short[:-1]
            response = short
        answers[qid] = response
    return {**state, "answers": answers}


@PROFILE
@given(course_and_state())
def test_resume_data_decodes_to_the_state_it_encodes(node, case):
    data, state = case
    result = node.ask("codec", data=data, state=state)
    assert result["decoded"] == expected_after_resume(data, state)


@PROFILE
@given(course_and_state())
def test_the_lms_gets_resume_data_within_its_limit_or_none_and_resumes_from_it(node, case):
    data, state = case
    result = node.ask("codec", data=data, state=state)
    encoded = result["encoded"]
    assert well_formed(encoded), "resume data an LMS cannot store as UTF-8 (a character cut in half)"
    for version, lms in result["lms"].items():
        limit = lms["limit"]
        assert lms["location"] == cut(result["location"], limit["location"])
        if len(encoded.encode("utf-16-le")) // 2 <= limit["suspend"]:
            assert lms["suspendData"] == encoded and not lms["errors"], version
            assert lms["resumedState"] == expected_after_resume(data, state), version
        else:  # the documented fallback: not written, reported, and the next launch starts afresh
            assert lms["suspendData"] is None and lms["resumed"] is None, version
            assert any("resume data too long for " + version in e for e in lms["errors"]), lms["errors"]


def test_resume_data_over_scorm_12s_limit_is_not_sent_but_fits_2004(node):
    """A named case of the fallback: thirty long fill-in answers are over 4,096 characters, under 64,000."""
    data = {
        "course": {"id": "long", "version": "1.0.0", "language": "en"},
        "scenarios": {},
        "pages": [{"id": "home", "kind": "home"}, {"id": "results", "kind": "results"}],
        "questions": {f"q{i}": {"id": f"q{i}", "type": "fill-in", "points": 1, "requirements": []} for i in range(30)},
    }
    state = {
        "page": 1,
        "visited": [0, 1],
        "answers": {f"q{i}": "x" * 250 for i in range(30)},
        "results": {},
        "attempt": 1,
        "seed": 7,
        "submitted": True,
        "score": 50,
        "scenarios": {},
        "finished": {},
    }
    result = node.ask("codec", data=data, state=state)
    assert 4096 < len(result["encoded"]) <= 64000
    assert result["lms"]["scorm12"]["suspendData"] is None and result["lms"]["scorm12"]["resumed"] is None
    assert result["lms"]["scorm2004"]["resumedState"] == state


def test_a_free_text_answer_is_not_cut_inside_a_character(node):
    """Regression (found by the fuzzing above): an answer over 250 characters was cut at 250 UTF-16 code units,
    which can fall between the two halves of a character outside the BMP (an emoji): the resume data then held
    half a character, which an LMS storing it as UTF-8 cannot keep."""
    data = {
        "course": {"id": "emoji", "version": "1.0.0", "language": "en"},
        "scenarios": {},
        "pages": [{"id": "home", "kind": "home"}],
        "questions": {"q": {"id": "q", "type": "fill-in", "points": 1, "requirements": []}},
    }
    state = {
        "page": 0,
        "visited": [0],
        "answers": {"q": "a" * 249 + "\U0001f600" + "b"},
        "results": {"q": 0},
        "attempt": 0,
        "seed": 0,
        "submitted": False,
        "score": None,
        "scenarios": {},
        "finished": {},
    }
    result = node.ask("codec", data=data, state=state)
    assert result["decoded"]["answers"]["q"] == "a" * 249
    assert result["lms"]["scorm12"]["resumedState"]["answers"]["q"] == "a" * 249


def test_a_free_text_interaction_is_not_cut_inside_a_character(node):
    """The same cut in the SCORM interaction: learner_response is at most 255 (1.2) or 4,000 (2004) characters,
    and an answer of that length must not end in half of an emoji there either."""
    question = {
        "id": "q",
        "type": "fill-in",
        "points": 1,
        "requirements": [],
        "accept": ["x"],
        "patterns": [],
        "caseSensitive": False,
    }
    for version, limit in (("scorm12", 255), ("scorm2004", 4000)):
        answer = "a" * (limit - 1) + "\U0001f600" + "b"
        record = node.ask("interaction", question=question, response=answer, correct=False, version=version)
        assert record["response"] == "a" * (limit - 1), version
        short = "ok \U0001f600"
        assert (
            node.ask("interaction", question=question, response=short, correct=False, version=version)["response"]
            == short
        )


@PROFILE
@given(
    course(),
    st.one_of(
        st.text(max_size=200),
        st.builds(
            json.dumps,
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
                lambda children: (
                    st.lists(children, max_size=12) | st.dictionaries(st.text(max_size=4), children, max_size=5)
                ),
                max_leaves=30,
            ),
        ),
    ),
)
def test_foreign_or_corrupt_resume_data_never_throws(node, data, text):
    decoded = node.ask("decode", data=data, text=text)["decoded"]  # the harness reports a throw as an error
    assert decoded is None or set(decoded) == {
        "page",
        "visited",
        "answers",
        "results",
        "attempt",
        "seed",
        "submitted",
        "score",
        "scenarios",
        "finished",
    }


# ------------------------------------------------------------------ the statement queue

VERBS = ["experienced", "answered", "progressed", "terminated", "initialized"]
QUEUE_DATA = {
    "course": {"id": "queue", "version": "1.0.0", "language": "en-GB", "passMark": 80},
    "questions": {},
    "scenarios": {},
    "pages": [{"id": "home", "kind": "home"}],
    "tracking": {
        "course": {
            "id": "https://example.org/courses/queue",
            "definition": {"name": {"en-GB": "Queue"}},
            "tags": {"category": [], "other": [], "extensions": {}},
        },
        "verbs": {verb: f"http://adlnet.gov/expapi/verbs/{verb}" for verb in [*VERBS, "completed", "passed", "failed"]},
    },
}
OUTCOMES = ["ok", "500", "503", "429", "network", "lost", "hang"]


@st.composite
def script(draw: st.DrawFn) -> list[dict[str, Any]]:
    steps = []
    for n in range(draw(st.integers(1, 40))):
        op = draw(st.sampled_from(["send", "send", "send", "tick", "tick", "answer", "reload", "leave"]))
        if op == "send":
            steps.append(
                {
                    "op": op,
                    "n": n,
                    "verb": draw(st.sampled_from(["experienced", "answered", "progressed", "terminated"])),
                    "valid": draw(st.booleans() | st.just(True)),
                }
            )
        elif op == "tick":
            steps.append({"op": op, "outcome": draw(st.sampled_from(OUTCOMES))})
        elif op == "answer":
            steps.append({"op": op, "outcome": draw(st.sampled_from(["ok", "500", "network", "lost"]))})
        elif op == "reload":
            steps.append({"op": op, "reached": draw(st.booleans())})
        else:
            steps.append({"op": op, "reached": draw(st.booleans()), "outcome": draw(st.sampled_from(OUTCOMES))})
    return steps


@PROFILE
@given(script())
def test_the_statement_queue_loses_and_duplicates_nothing_and_keeps_order(node, steps):
    trace = node.ask("queue", data=QUEUE_DATA, script=steps)
    valid = {c["id"]: c["valid"] for c in trace["created"]}
    queued: list[str] = []  # every statement the adapter queued, in order, across page loads
    for step in trace["steps"]:
        queued += step["created"]
        assert step["queue"] == step["storage"], f"this browser's copy of the queue differs after {step['op']}"
        assert len(set(step["queue"])) == len(step["queue"]), f"a statement queued twice after {step['op']}"
    assert len(set(queued)) == len(queued)
    good = [i for i in queued if valid.get(i, True)]
    bad = [i for i in queued if not valid.get(i, True)]
    assert trace["stored"] == good, "the LRS did not get every valid statement exactly once, in the order queued"
    assert sorted(trace["rejected"]) == sorted(bad) and len(set(trace["rejected"])) == len(trace["rejected"])
    assert trace["final"] == {"queue": [], "storage": []} and trace["timers"] == 0
    confirmed: set[str] = set()
    for post in trace["posts"]:
        assert not confirmed & set(post["ids"]), "a statement the LRS had confirmed was posted again"
        if post["delivered"] and 200 <= post["status"] < 300:
            confirmed |= set(post["ids"])
    event(f"statements stored: {min(len(good), 20) // 5 * 5}+, refused: {bool(bad)}")
    event(
        f"re-posted after a lost answer or a reload: {len({i for p in trace['posts'] for i in p['ids']}) < sum(len(p['ids']) for p in trace['posts'])}"
    )
    # initialized once per browser session (sessionStorage), at the first launch; terminated ends a page's sends
    assert trace["storedVerbs"].count("initialized") == 1 and trace["storedVerbs"][0] == "initialized"


def test_a_statement_after_terminated_is_not_queued(node):
    steps = [
        {"op": "send", "n": 0, "verb": "terminated", "valid": True},
        {"op": "send", "n": 1, "verb": "answered", "valid": True},
    ]
    trace = node.ask("queue", data=QUEUE_DATA, script=steps)
    assert trace["steps"][2]["created"] == []
    assert trace["storedVerbs"] == ["initialized", "terminated"]
    assert any("not sent after terminated: answered" in line for _, line in trace["log"])
