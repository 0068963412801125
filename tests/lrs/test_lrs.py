"""Proves the test LMS/LRS with plain HTTP: a scripted cmi5 session, every cmi5 rule it checks, xAPI validation,
documents, protocol rules and fault injection."""

from __future__ import annotations

import copy
import hashlib
import http.client as httpclient
import json
import time
import urllib.error
import uuid
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from tests.lrs import cmi5
from tests.lrs.au import ScriptedAU, http, now
from tests.lrs.server import TERMINATED_GRACE_SECONDS, TestLRS

ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example.org", "name": "learner-1"}}
AU_URL = "http://127.0.0.1:1/course/au1/index.html"
PUBLISHER_ID = "https://example.org/courses/demo/au1"
V = {"X-Experience-API-Version": "1.0.3"}
DROPPED = (urllib.error.URLError, httpclient.HTTPException, ConnectionError)  # what a dropped connection raises


def launch(lrs: TestLRS, **kwargs: Any) -> ScriptedAU:
    return ScriptedAU(lrs.create_launch(AU_URL, ACTOR, publisher_activity_id=PUBLISHER_ID, **kwargs))


def started(lrs: TestLRS, **kwargs: Any) -> ScriptedAU:
    """A launched AU that did fetch, LaunchData, preferences and sent initialized."""
    au = launch(lrs, **kwargs)
    au.start()
    assert au.send(au.initialized()).status == 200
    return au


# ------------------------------------------------------------------------------------------------ the happy path
def test_scripted_cmi5_session_is_clean_and_satisfies_move_on(lrs: TestLRS, real_lrs: Any) -> None:
    url = lrs.create_launch(AU_URL + "?lang=en", ACTOR, publisher_activity_id=PUBLISHER_ID, return_url=lrs.return_url)
    # §8.1 launch URL: the AU's own query string is kept, the five cmi5 parameters are added, URL-encoded
    query = parse_qs(urlsplit(url).query)
    assert query["lang"] == ["en"]
    assert query["endpoint"] == [lrs.endpoint] and query["registration"][0] == str(uuid.UUID(query["registration"][0]))
    assert json.loads(query["actor"][0]) == ACTOR
    assert query["activityId"][0] != PUBLISHER_ID and query["fetch"][0].startswith(lrs.url + "/fetch/")
    au = ScriptedAU(url)
    fetch = au.fetch()
    assert fetch.status == 200 and fetch.headers["Content-Type"] == "application/json"
    assert au.get_launch_data().status == 200
    session = lrs.session(url)
    assert au.launch_data == {
        "contextTemplate": {
            "contextActivities": {"grouping": [{"objectType": "Activity", "id": PUBLISHER_ID}]},
            "extensions": {cmi5.SESSIONID: session.session_id},
        },
        "launchMode": "Normal",
        "moveOn": "CompletedAndPassed",
        "masteryScore": 0.8,
        "returnURL": lrs.return_url,
    }
    prefs = au.get_prefs()
    assert prefs.status == 200 and prefs.json() == {"languagePreference": "en-GB", "audioPreference": "off"}
    for statement in (au.initialized(), au.completed(), au.passed(0.85), au.terminated()):
        response = au.send(statement)
        assert response.status == 200, response.body
        assert response.json() == [statement["id"]]
        assert not lrs.satisfied(au.registration) or statement["verb"]["id"] != cmi5.COMPLETED
    lrs.assert_clean()
    assert lrs.satisfied(au.registration)
    assert lrs.verbs_of(session) == ["initialized", "completed", "passed", "terminated"]
    assert http("GET", lrs.return_url).status == 200 and lrs.returned == ["/returned"]
    # The LMS recorded `launched` (§9.3.1) and every statement reached the real LRS.
    launched = lrs.statements[0]
    assert launched["verb"]["id"] == cmi5.LAUNCHED
    assert launched["context"]["extensions"][cmi5.LAUNCHMODE] == "Normal"
    for st in lrs.statements:
        assert real_lrs.get(st["id"])["verb"] == st["verb"]
        assert {"stored", "authority", "version", "timestamp"} <= st.keys()


def test_move_on_rules(lrs: TestLRS) -> None:
    def session(move_on: str, *verbs: str) -> str:
        au = started(lrs, move_on=move_on)
        make = {"completed": au.completed, "passed": au.passed, "failed": au.failed}
        assert au.send(*[make[v]() for v in verbs], au.terminated()).status == 200
        return au.registration

    assert lrs.satisfied(session("Completed", "completed"))
    assert not lrs.satisfied(session("Passed", "completed"))
    assert lrs.satisfied(session("CompletedOrPassed", "passed"))
    assert not lrs.satisfied(session("CompletedAndPassed", "failed"))
    assert lrs.satisfied(session("NotApplicable"))
    lrs.assert_clean()


def test_relaunch_in_the_same_registration_keeps_the_activity_id(lrs: TestLRS) -> None:
    first = started(lrs, move_on="CompletedAndPassed")
    assert first.send(first.completed(), first.terminated()).status == 200
    assert not lrs.satisfied(first.registration)
    second = started(lrs, registration=first.registration, move_on="CompletedAndPassed")
    assert second.activity_id == first.activity_id  # §8.1.5
    assert lrs.session().session_id != lrs.sessions[0].session_id
    assert second.send(second.passed(), second.terminated()).status == 200
    assert lrs.satisfied(first.registration)
    lrs.assert_clean()


def test_statement_queries(lrs: TestLRS) -> None:
    au = started(lrs)
    assert au.send(au.completed(), au.passed()).status == 200
    other = ScriptedAU(
        lrs.create_launch(
            AU_URL,
            {"account": {"homePage": "https://lms.example.org", "name": "b"}},
            publisher_activity_id=PUBLISHER_ID,
        )
    )
    other.start()
    assert other.send(other.initialized()).status == 200

    def get(**params: Any) -> dict[str, Any]:
        response = au.xapi("GET", "statements", params)
        assert response.status == 200 and response.headers["X-Experience-API-Consistent-Through"]
        return response.json()

    everything = get()["statements"]
    assert len(everything) == 6 and everything[0]["stored"] > everything[-1]["stored"]  # newest first
    assert [s["verb"]["id"] for s in get(registration=au.registration, ascending="true")["statements"]] == [
        cmi5.LAUNCHED,
        cmi5.INITIALIZED,
        cmi5.COMPLETED,
        cmi5.PASSED,
    ]
    assert len(get(verb=cmi5.PASSED)["statements"]) == 1
    assert len(get(agent=json.dumps(other.actor))["statements"]) == 2
    assert len(get(activity=au.activity_id)["statements"]) == 6  # same AU, same generated activityId
    since = everything[2]["stored"]
    assert [s["id"] for s in get(since=since)["statements"]] == [s["id"] for s in everything[:2]]
    page = get(limit=4)
    assert len(page["statements"]) == 4 and page["more"]
    rest = http("GET", lrs.url + page["more"], headers=au.headers()).json()
    assert [s["id"] for s in page["statements"] + rest["statements"]] == [s["id"] for s in everything]
    single = au.xapi("GET", "statements", {"statementId": everything[0]["id"]})
    assert single.json()["id"] == everything[0]["id"]
    assert au.xapi("GET", "statements", {"statementId": everything[0]["id"], "verb": cmi5.PASSED}).status == 400


# ------------------------------------------------------------------------------------------------ cmi5 rules
def _set(path: str, value: Any) -> Any:
    """A mutation setting (or, with value None, deleting) a dotted path of a statement."""

    def mutate(st: dict[str, Any]) -> None:
        *parents, last = path.split("|")
        node = st
        for key in parents:
            node = node.setdefault(key, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value

    return mutate


SID = "context|extensions|" + cmi5.SESSIONID
RULES = [  # (expected requirement id, statement maker, mutation)
    ("8.1.3.0-3", "completed", _set("actor", {"objectType": "Agent", "mbox": "mailto:someone@example.org"})),
    ("9.6.1.0-1", "completed", _set("context|registration", str(uuid.uuid4()))),
    ("9.6.3.1-4", "completed", _set(SID, None)),
    ("10.2.1.0-7", "completed", _set(SID, "another-session")),
    ("10.2.1.0-6", "completed", _set("context|contextActivities|grouping", None)),
    ("10.2.1.0-6", "completed", _set("context", None)),
    ("9.3.0.0-1", "completed", _set("verb", {"id": "http://adlnet.gov/expapi/verbs/experienced"})),
    ("9.6.2.2-1", "completed", _set("context|contextActivities|category", [{"id": cmi5.CMI5_CATEGORY}])),
    (
        "9.6.2.2-2",
        "terminated",
        _set("context|contextActivities|category", [{"id": cmi5.CMI5_CATEGORY}, {"id": cmi5.MOVEON_CATEGORY}]),
    ),
    ("9.6.2.1-1", "completed", _set("context|contextActivities|category", None)),
    ("8.1.5.0-6", "completed", _set("object", {"objectType": "Activity", "id": PUBLISHER_ID})),
    ("9.5.1.0-2", "completed", _set("result|score", {"scaled": 1})),
    ("9.5.1.0-3", "passed", _set("result|score", {"scaled": 0.9, "raw": 9})),
    ("9.3.4.0-2", "passed", _set("result|score", {"scaled": 0.5})),
    ("9.3.5.0-2", "failed", _set("result|score", {"scaled": 0.95})),
    ("9.6.3.2-2", "passed", _set("context|extensions|" + cmi5.MASTERYSCORE, None)),
    ("9.6.3.2-2", "failed", _set("context|extensions|" + cmi5.MASTERYSCORE, 0.5)),
    ("9.5.2.0-1", "passed", _set("result|success", False)),
    ("9.5.2.0-2", "failed", _set("result|success", True)),
    ("9.5.2.0-3", "terminated", _set("result|success", True)),
    ("9.5.3.0-1", "completed", _set("result|completion", False)),
    ("9.5.3.0-2", "passed", _set("result|completion", True)),
    ("9.5.4.1-1", "terminated", _set("result|duration", None)),
    ("9.5.4.1-2", "completed", _set("result|duration", None)),
    ("9.5.4.1-3", "passed", _set("result|duration", None)),
    ("9.5.4.1-4", "failed", _set("result|duration", None)),
    ("9.7.0.0-1", "completed", _set("timestamp", None)),
    ("9.7.0.0-2", "completed", _set("timestamp", "2024-05-01T12:00:00.000+01:00")),
    ("9.1.0.0-1", "completed", _set("id", None)),
    ("9.3.0.0-2", "initialized", lambda st: None),
    ("§9.5.5.1", "completed", _set("result|extensions", {cmi5.PROGRESS: 150})),
    ("6.3.0.0-1", "completed", _set("verb", {"id": cmi5.VOIDED})),
]


@pytest.mark.parametrize(
    ("req_id", "maker", "mutate"), RULES, ids=[f"{r}-{m}-{i}" for i, (r, m, _) in enumerate(RULES)]
)
def test_each_cmi5_rule_violation_is_detected_and_rejected(lrs: TestLRS, req_id: str, maker: str, mutate: Any) -> None:
    au = started(lrs)
    statement = getattr(au, maker)()
    if req_id == "6.3.0.0-1":
        statement["object"] = {"objectType": "StatementRef", "id": lrs.statements_of()[0]["id"]}
    mutate(statement)
    response = au.send(statement)
    assert response.status == 403, response.body
    assert response.json()["violatedReqId"] in lrs.violation_ids
    assert req_id in lrs.violation_ids, lrs.violations
    violation = next(v for v in lrs.violations if v.req_id == req_id)
    assert (
        violation.text
        and violation.source == "cmi5"
        and violation.session_id == au.launch_data["contextTemplate"]["extensions"][cmi5.SESSIONID]
    )
    assert lrs.verbs_of() == ["initialized"]  # the rejected statement was not stored


def test_invalid_xapi_in_a_cmi5_session_is_4_1_0_0_1(lrs: TestLRS) -> None:
    au = started(lrs)
    statement = au.completed()
    statement["verb"]["id"] = "completed"
    assert au.send(statement).status == 400
    assert set(lrs.violation_ids) == {"4.1.0.0-1"} and "xAPI specification" in lrs.violations[0].text


def test_first_statement_must_be_initialized_after_prefs_and_launch_data(lrs: TestLRS) -> None:
    au = launch(lrs)
    au.fetch()
    response = au.send(au.completed())
    assert response.status == 403
    assert {"9.3.0.0-4", "11.0.0.0-3", "10.2.1.0-4"} <= set(lrs.violation_ids)
    au.get_launch_data()
    assert au.send(au.initialized()).status == 403 and lrs.violation_ids.count("11.0.0.0-3") == 2
    assert au.get_prefs().status == 200
    assert au.send(au.initialized()).status == 200


def test_session_and_registration_verb_rules(lrs: TestLRS) -> None:
    au = started(lrs)
    assert au.send(au.passed()).status == 200
    assert au.send(au.failed()).status == 403
    assert {"9.3.0.0-3", "9.3.0.0-8"} <= set(lrs.violation_ids)
    assert au.send(au.completed(), au.terminated()).status == 200
    again = started(lrs, registration=au.registration)
    assert again.send(again.completed()).status == 403 and "9.3.0.0-6" in lrs.violation_ids
    assert again.send(again.passed()).status == 403 and "9.3.0.0-7" in lrs.violation_ids
    assert again.send(again.failed()).status == 403
    assert again.send(again.terminated()).status == 200


@pytest.mark.parametrize(("mode", "req_id"), [("Browse", "10.2.2.0-2"), ("Review", "10.2.2.0-3")])
def test_no_judged_statements_in_browse_or_review(lrs: TestLRS, mode: str, req_id: str) -> None:
    au = started(lrs, mode=mode)
    assert au.send(au.completed()).status == 403 and req_id in lrs.violation_ids
    assert au.send(au.terminated()).status == 200


def test_cmi5_allowed_statement_with_a_taxonomy_category_is_accepted(lrs: TestLRS) -> None:
    au = started(lrs)
    allowed = au.statement(
        "http://adlnet.gov/expapi/verbs/answered",
        defined=False,
        object={"objectType": "Activity", "id": au.activity_id + "/q1"},
        result={"success": True, "response": "b"},
    )
    allowed["context"]["contextActivities"]["category"] = [{"id": "https://example.org/taxonomy/bloom/apply"}]
    assert au.send(allowed).status == 200
    assert au.send(au.terminated()).status == 200
    lrs.assert_clean()


def test_a_batch_is_all_or_nothing(lrs: TestLRS) -> None:
    au = started(lrs)
    bad = au.passed(0.1)
    assert au.send(au.completed(), bad).status == 403
    assert lrs.verbs_of() == ["initialized"]
    assert au.send(au.completed(), au.terminated()).status == 200


def test_launch_data_and_learner_preferences_documents(lrs: TestLRS) -> None:
    au = started(lrs)
    for method in ("PUT", "POST", "DELETE"):
        response = au.xapi(method, "activities/state", au.state_params(), body=b"{}" if method != "DELETE" else None)
        assert response.status == 403
    assert lrs.violation_ids.count("10.2.1.0-5") == 3
    prefs = {"profileId": cmi5.LEARNER_PREFS, "agent": json.dumps(ACTOR)}
    good = {"languagePreference": "fr-FR,en-GB", "audioPreference": "on"}
    etag = au.get_prefs().headers["ETag"]
    assert au.xapi("PUT", "agents/profile", prefs, good, **{"If-Match": etag}).status == 204
    assert au.get_prefs().json() == good
    assert au.xapi("POST", "agents/profile", prefs, {"audioPreference": "loud"}).status == 400
    assert "11.0.0.0-5" in lrs.violation_ids
    bad_language = {"languagePreference": "english please", "audioPreference": "on"}
    etag = au.get_prefs().headers["ETag"]
    assert au.xapi("PUT", "agents/profile", prefs, bad_language, **{"If-Match": etag}).status == 400
    assert "11.1.0.0-1" in lrs.violation_ids
    stranger = {"profileId": cmi5.LEARNER_PREFS, "agent": json.dumps({"mbox": "mailto:x@example.org"})}
    assert au.xapi("GET", "agents/profile", stranger).status == 403 and "11.0.0.0-1" in lrs.violation_ids


def test_learner_preferences_may_be_read_only() -> None:
    with TestLRS(learner_prefs_writable=False) as lrs:
        au = started(lrs)
        prefs = {"profileId": cmi5.LEARNER_PREFS, "agent": json.dumps(ACTOR)}
        response = au.xapi(
            "PUT",
            "agents/profile",
            prefs,
            {"languagePreference": "en", "audioPreference": "on"},
            **{"If-Match": au.get_prefs().headers["ETag"]},
        )
        assert response.status == 403 and not lrs.violations  # §11: the AU must not treat this 403 as an error


def test_missing_learner_preferences_answer_404(lrs: TestLRS) -> None:
    au = launch(lrs, learner_prefs=None)
    au.fetch()
    au.get_launch_data()
    assert au.get_prefs().status == 404
    assert au.send(au.initialized()).status == 200  # a 404 still counts as having asked


# ------------------------------------------------------------------------------------------------ fetch and tokens
def test_fetch_once_and_token_lifetime(lrs: TestLRS) -> None:
    au = launch(lrs)
    assert http("GET", au.fetch_url).status == 405 and "8.2.1.0-2" in lrs.violation_ids
    first = au.fetch()
    assert set(first.json()) == {"auth-token"}
    second = http("POST", au.fetch_url)
    assert second.status == 200 and second.json()["error-code"] == "1"
    assert second.headers["Content-Type"] == "application/json"
    assert "§8.2.1" in lrs.violation_ids
    au.get_launch_data()
    au.get_prefs()
    initialized, terminated = au.initialized(), au.terminated()
    assert au.send(initialized).status == 200
    assert au.send(terminated).status == 200
    assert au.send(terminated).status == 200  # an identical resend (lost response) is still fine
    assert au.send(au.statement(cmi5.COMPLETED)).status == 401 and "9.3.0.0-5" in lrs.violation_ids
    # §9.3.8: the LMS waits a period of its choosing before the token expires for documents
    assert au.get_launch_data().status == 200 and "8.1.2.0-2" not in lrs.violation_ids
    session = next(s for s in lrs.sessions if s.registration == au.registration)
    session.terminated_at -= TERMINATED_GRACE_SECONDS + 0.1
    assert au.get_launch_data().status == 401 and "8.1.2.0-2" in lrs.violation_ids
    assert lrs.verbs_of() == ["initialized", "terminated"]


def test_requests_need_valid_credentials(lrs: TestLRS) -> None:
    url = lrs.endpoint + "statements"
    assert http("GET", url, headers=V).status == 401
    assert http("GET", url, headers={**V, "Authorization": "Basic bm9ib2R5Om5vdGhpbmc="}).status == 401
    assert http("GET", url, headers={**V, "Authorization": lrs.admin_auth}).status == 200


# ------------------------------------------------------------------------------------------------ xAPI validity
def _valid() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "timestamp": now(),
        "actor": ACTOR,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced", "display": {"en-US": "experienced"}},
        "object": {"objectType": "Activity", "id": "https://example.org/page/1"},
    }


INVALID = {
    "non-IRI verb": _set("verb", {"id": "experienced"}),
    "no actor": _set("actor", None),
    "bad timestamp": _set("timestamp", "yesterday"),
    "unknown property": _set("foo", 1),
    "scaled 2": _set("result", {"score": {"scaled": 2}}),
    "xAPI 2.0 version": _set("version", "2.0.0"),
    "xAPI 2.0 contextAgents": _set("context", {"contextAgents": [{"objectType": "contextAgent", "agent": ACTOR}]}),
    "non-IRI extension key": _set("context", {"extensions": {"sessionid": "x"}}),
    "bad mbox": _set("actor", {"mbox": "someone@example.org"}),
    "bad duration": _set("result", {"duration": "90 seconds"}),
}


@pytest.mark.parametrize("mutate", INVALID.values(), ids=INVALID.keys())
def test_invalid_statements_are_rejected_by_the_validators(lrs: TestLRS, mutate: Any) -> None:
    good, bad = _valid(), _valid()
    mutate(bad)
    response = http("POST", lrs.endpoint + "statements", [good, bad], {**V, "Authorization": lrs.admin_auth})
    assert response.status == 400
    answer = response.json()
    assert answer["invalid"][0]["statement"] == 1 and answer["invalid"][0]["problems"]
    assert lrs.statements == [] and lrs.violations  # the whole batch was rejected
    assert {v.source for v in lrs.violations} <= {v.name for v in lrs.validators}


def test_each_validator_rejects_on_its_own() -> None:
    for validator_index in (0, 1):
        with TestLRS() as lrs:
            lrs.validators = [lrs.validators[validator_index]]
            bad = _valid()
            bad["verb"] = {"id": "experienced"}
            auth = {**V, "Authorization": lrs.admin_auth}
            assert http("POST", lrs.endpoint + "statements", bad, auth).status == 400
            assert http("POST", lrs.endpoint + "statements", _valid(), auth).status == 200


def test_the_real_lrs_rejection_is_a_violation(real_lrs: Any) -> None:
    with TestLRS(forward_to=real_lrs, validators=[]) as lrs:
        bad = _valid()
        bad["verb"] = {"id": "experienced"}
        response = http("POST", lrs.endpoint + "statements", bad, {**V, "Authorization": lrs.admin_auth})
        assert response.status == 400 and "lrs" in response.json()
        assert [v.source for v in lrs.violations] == ["xapi-statements@5.0.1"] and lrs.statements == []


def test_duplicate_ids(lrs: TestLRS) -> None:
    auth = {**V, "Authorization": lrs.admin_auth}
    url = lrs.endpoint + "statements"
    st = _valid()
    assert http("POST", url, st, auth).status == 200
    assert http("POST", url, st, auth).status == 200  # identical: a no-op
    changed = copy.deepcopy(st)
    changed["verb"]["id"] = "http://adlnet.gov/expapi/verbs/attempted"
    assert http("POST", url, changed, auth).status == 409
    assert len(lrs.statements) == 1 and lrs.violations[-1].source == "xapi"
    twice = _valid()
    assert http("POST", url, [twice, twice], auth).status == 400
    put = _valid()
    assert http("PUT", url + "?statementId=" + put["id"], put, auth).status == 204
    assert http("PUT", url + "?statementId=" + str(uuid.uuid4()), _valid(), auth).status == 400
    assert http("PUT", url + "?statementId=" + put["id"], put, auth).status == 204
    assert [s["id"] for s in lrs.statements] == [st["id"], put["id"]]


# ------------------------------------------------------------------------------------------------ protocol
@pytest.mark.parametrize(
    ("version", "status"),
    [
        (None, 400),
        ("1.1.0", 400),
        ("2.0.0", 400),
        ("0.95", 400),
        ("1.0", 200),
        ("1.0.0", 200),
        ("1.0.3", 200),
        ("1.0.9", 200),
    ],
)
def test_version_header(lrs: TestLRS, version: str | None, status: int) -> None:
    headers = {"Authorization": lrs.admin_auth}
    if version:
        headers["X-Experience-API-Version"] = version
    response = http("GET", lrs.endpoint + "statements", headers=headers)
    assert response.status == status
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert bool(lrs.violations) == (status == 400)


def test_about_needs_no_credentials(lrs: TestLRS) -> None:
    response = http("GET", lrs.endpoint + "about")
    assert response.status == 200 and response.json()["version"] == ["1.0.3"]


def test_cors_preflight_and_headers(lrs: TestLRS) -> None:
    origin = "http://127.0.0.1:5555"
    response = http(
        "OPTIONS",
        lrs.endpoint + "statements",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-experience-api-version",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == origin
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-experience-api-version"} <= allowed
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    lrs.create_launch(AU_URL, ACTOR)
    fetch = http("POST", lrs.session().fetch_url, headers={"Origin": origin})
    assert fetch.headers["Access-Control-Allow-Origin"] == origin
    get = http("GET", lrs.endpoint + "about", headers={"Origin": origin})
    assert "ETag" in get.headers["Access-Control-Expose-Headers"]
    assert not lrs.violations


def test_chunked_request_body(lrs: TestLRS) -> None:
    split = urlsplit(lrs.url)
    connection = httpclient.HTTPConnection(split.hostname, split.port, timeout=10)
    body = json.dumps(_valid()).encode()
    connection.request(
        "POST",
        "/xapi/statements",
        body=iter([body[:10], body[10:]]),
        encode_chunked=True,
        headers={
            **V,
            "Authorization": lrs.admin_auth,
            "Content-Type": "application/json",
            "Transfer-Encoding": "chunked",
        },
    )
    assert connection.getresponse().status == 200
    assert len(lrs.statements) == 1


# ------------------------------------------------------------------------------------------------ documents
def test_state_document_etags_and_merge(lrs: TestLRS) -> None:
    auth = {**V, "Authorization": lrs.admin_auth}
    agent = json.dumps(ACTOR)
    registration = str(uuid.uuid4())
    base = f"{lrs.endpoint}activities/state?activityId=https%3A%2F%2Fexample.org%2Fa&agent={quote(agent)}"
    url = f"{base}&registration={registration}&stateId=bookmark"
    assert http("GET", url, headers=auth).status == 404
    assert http("PUT", url, {"x": "foo", "y": "bar"}, auth).status == 204
    got = http("GET", url, headers=auth)
    assert got.status == 200 and got.json() == {"x": "foo", "y": "bar"}
    assert got.headers["ETag"] == '"' + hashlib.sha1(got.body).hexdigest() + '"' and got.headers["Last-Modified"]
    etag = got.headers["ETag"]
    assert http("PUT", url, {"x": 1}, {**auth, "If-Match": '"0000"'}).status == 412
    assert http("PUT", url, {"x": 1}, {**auth, "If-None-Match": "*"}).status == 412
    assert http("POST", url, {"x": "bash", "z": "faz"}, {**auth, "If-Match": etag}).status == 204
    assert http("GET", url, headers=auth).json() == {"x": "bash", "y": "bar", "z": "faz"}  # top-level merge
    assert http("POST", url, {"x": 1}, {**auth, "If-Match": etag}).status == 412  # stale ETag
    assert http("POST", url, b"plain", {**auth, "Content-Type": "text/plain"}).status == 400
    assert http("POST", url, [1, 2], auth).status == 400
    assert http("GET", url, headers=auth).json() == {"x": "bash", "y": "bar", "z": "faz"}
    assert http("PUT", url.replace("bookmark", "notes"), b"hello", {**auth, "Content-Type": "text/plain"}).status == 204
    ids = http("GET", f"{base}&registration={registration}", headers=auth).json()
    assert sorted(ids) == ["bookmark", "notes"]
    assert http("GET", f"{base}&registration={registration}&since=2999-01-01T00:00:00Z", headers=auth).json() == []
    assert http("GET", base, headers=auth).json() == []  # registration scopes state
    assert http("DELETE", url, headers=auth).status == 204
    assert http("GET", url, headers=auth).status == 404
    assert http("DELETE", f"{base}&registration={registration}", headers=auth).status == 204
    assert http("GET", f"{base}&registration={registration}", headers=auth).json() == []
    assert http("GET", f"{lrs.endpoint}activities/state?stateId=x", headers=auth).status == 400


def test_agent_profile_concurrency(lrs: TestLRS) -> None:
    auth = {**V, "Authorization": lrs.admin_auth}
    url = f"{lrs.endpoint}agents/profile?agent={quote(json.dumps(ACTOR))}&profileId=notes"
    assert http("PUT", url, {"a": 1}, auth).status == 204  # new document: no precondition needed
    assert http("PUT", url, {"a": 2}, auth).status == 409  # existing document: If-Match required
    etag = http("GET", url, headers=auth).headers["ETag"]
    assert http("PUT", url, {"a": 2}, {**auth, "If-Match": etag}).status == 204
    assert http("GET", url, headers=auth).json() == {"a": 2}
    assert http("GET", url.split("&")[0], headers=auth).json() == ["notes"]


# ------------------------------------------------------------------------------------------------ fault injection
def test_fault_injection(lrs: TestLRS) -> None:
    auth = {**V, "Authorization": lrs.admin_auth}
    url = lrs.endpoint + "statements"
    lrs.fail_next(2, "503", path="/xapi/statements", method="POST")
    st = _valid()
    assert http("GET", url, headers=auth).status == 200  # not a POST: not failed
    assert [http("POST", url, st, auth).status for _ in range(3)] == [503, 503, 200]
    lrs.fail_next(1, "drop")
    with pytest.raises(DROPPED):
        http("POST", url, _valid(), auth)
    assert len(lrs.statements) == 1  # dropped before processing
    lost = _valid()
    lrs.fail_next(1, "drop_after")
    with pytest.raises(DROPPED):
        http("POST", url, lost, auth)
    assert lrs.statements[-1]["id"] == lost["id"]  # processed, only the answer was lost
    assert http("POST", url, lost, auth).status == 200  # the client's retry is a no-op
    assert len(lrs.statements) == 2 and not lrs.violations
    assert [(r["method"], r["status"], r["fault"]) for r in lrs.requests] == [
        ("GET", 200, None),
        ("POST", 503, "503"),
        ("POST", 503, "503"),
        ("POST", 200, None),
        ("POST", None, "drop"),
        ("POST", None, "drop_after"),
        ("POST", 200, None),
    ]


def test_a_late_request_is_overtaken_by_one_sent_after_it(lrs: TestLRS) -> None:
    """fail_next(mode="late") holds a request, then processes it: what a slow network path does to a write."""
    import threading

    auth = {**V, "Authorization": lrs.admin_auth}
    url = lrs.endpoint + "statements"
    first, second = _valid(), _valid()
    lrs.fail_next(1, "late", path="/xapi/statements", method="POST")
    held = threading.Thread(target=lambda: http("POST", url, first, auth))
    held.start()
    time.sleep(0.2)  # the first is on its way, and held
    assert http("POST", url, second, auth).status == 200
    held.join()
    assert [s["id"] for s in lrs.statements] == [second["id"], first["id"]]


def test_retried_cmi5_statements_after_a_lost_response(lrs: TestLRS) -> None:
    au = started(lrs)
    completed = au.completed()
    lrs.fail_next(1, "drop_after", path="/xapi/statements")
    with pytest.raises(DROPPED):
        au.send(completed)
    assert au.send(completed).status == 200  # not a duplicate `completed` (9.3.0.0-2): the same statement
    assert au.send(au.terminated()).status == 200
    lrs.assert_clean()


def test_initialized_must_be_accepted_alone_before_anything_else(lrs: TestLRS) -> None:
    """A strict reference LMS judges each statement of a batch against the session as it stood before the
    batch: [initialized, progressed] is refused whole (9.3.0.0-4), initialized alone is accepted."""
    au = launch(lrs)
    au.start()
    progressed = au.statement("http://adlnet.gov/expapi/verbs/progressed", defined=False)
    response = au.send(au.initialized(), progressed)
    assert response.status == 403 and response.json()["violatedReqId"] == "9.3.0.0-4"
    assert "9.3.0.0-4" in response.json()["message"] and lrs.statements_of() == []
    assert au.send(au.initialized()).status == 200
    assert au.send(progressed, au.completed()).status == 200  # once initialized is in, batches are fine


def test_another_sessions_statement_is_refused_even_when_already_stored(lrs: TestLRS) -> None:
    """The previous session's last statements, re-sent under the next session's token (with their old
    sessionid), are refused: 10.2.1.0-6. An identical resend under the session that stored it is a retry."""
    first = started(lrs)
    terminated = first.terminated()
    assert first.send(terminated).status == 200
    assert first.send(terminated).status == 200  # the same session retrying after a lost response
    second = started(lrs, registration=first.registration)
    response = second.send(terminated)
    assert response.status == 403 and response.json()["violatedReqId"] == "10.2.1.0-6"
    assert second.send(second.terminated()).status == 200


def test_a_relaunch_abandons_the_open_session(lrs: TestLRS, real_lrs: Any) -> None:
    """cmi5 §9.3.6: launching again while a session is open makes the LMS record "abandoned" for it (with a
    duration) and refuse anything more in it."""
    first = started(lrs)
    second = launch(lrs, registration=first.registration)
    old = lrs.sessions[0]
    assert old.abandoned
    [abandoned] = [s for s in lrs.statements if s["verb"]["id"] == cmi5.ABANDONED]
    assert abandoned["context"]["extensions"][cmi5.SESSIONID] == old.session_id and abandoned["result"]["duration"]
    assert real_lrs.get(abandoned["id"]) is not None  # forwarded to the real LRS like every statement
    assert first.send(first.terminated()).status == 401 and "9.3.6.0-2" in lrs.violation_ids
    second.start()
    assert second.send(second.initialized()).status == 200
    with pytest.raises(AssertionError, match="abandoned"):
        lrs.assert_clean(require_terminated=True)


def test_registration_reads_are_answered_by_the_real_lrs(lrs: TestLRS) -> None:
    """What an AU reads at launch (its registration's completed/passed, a statement by id) comes from the real
    LRS the test LMS forwards to, so the runtime's session rules are exercised against a real LRS."""
    au = started(lrs)
    completed = au.completed()
    assert au.send(completed).status == 200
    query = {
        "registration": au.registration,
        "agent": json.dumps(ACTOR),
        "activity": au.activity_id,
        "verb": cmi5.COMPLETED,
        "limit": "1",
    }
    found = au.xapi("GET", "statements", query).json()["statements"]
    assert [s["id"] for s in found] == [completed["id"]]
    assert "stored" in found[0] and found[0]["authority"] != lrs.statements[-1]["authority"]  # Learning Locker's
    assert au.xapi("GET", "statements", {"statementId": completed["id"]}).status == 200
    assert au.xapi("GET", "statements", {"statementId": str(uuid.uuid4())}).status == 404


# ------------------------------------------------------------------------------------------------ TinCan launch
def test_tincan_launch(lrs: TestLRS) -> None:
    actor = {"objectType": "Agent", "mbox": "mailto:learner@example.org", "name": "Learner"}
    url = lrs.create_tincan_launch(
        "http://127.0.0.1:1/tincan/index.html", actor, "https://example.org/course/1", registration=str(uuid.uuid4())
    )
    q = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert q["endpoint"] == lrs.endpoint and q["activity_id"] == "https://example.org/course/1"
    assert json.loads(q["actor"]) == actor and q["auth"].startswith("Basic ")
    st = _valid()
    st["actor"] = actor
    response = http("POST", q["endpoint"] + "statements", st, {**V, "Authorization": q["auth"]})
    assert response.status == 200 and not lrs.violations  # xAPI-valid; cmi5 rules do not apply
