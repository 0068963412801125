"""The cmi5 (Quartz) statement rules an LMS enforces on an AU session: cmi5_spec.md §7.1, §9, §10, §11, as listed in
standards-notes.md §2.7 (the checks of ADL's CATAPULT player). Requirement ids and texts come from npm
`@cmi5/requirements@1.0.0`; ids starting with "§" are spec sections that have no requirement id there."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from .validators import requirement_texts

VERB = "http://adlnet.gov/expapi/verbs/"
LAUNCHED, INITIALIZED, COMPLETED, PASSED, FAILED, TERMINATED = (
    VERB + v for v in ("launched", "initialized", "completed", "passed", "failed", "terminated")
)
ABANDONED, WAIVED, SATISFIED = ("https://w3id.org/xapi/adl/verbs/" + v for v in ("abandoned", "waived", "satisfied"))
VOIDED = VERB + "voided"
AU_VERBS = {INITIALIZED, COMPLETED, PASSED, FAILED, TERMINATED}
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
EXT = "https://w3id.org/xapi/cmi5/context/extensions/"
SESSIONID, MASTERYSCORE, LAUNCHMODE, LAUNCHURL, MOVEON, LAUNCHPARAMETERS = (
    EXT + e for e in ("sessionid", "masteryscore", "launchmode", "launchurl", "moveon", "launchparameters")
)
PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
LAUNCH_DATA = "LMS.LaunchData"
LEARNER_PREFS = "cmi5LearnerPreferences"
MOVE_ON_VALUES = ("Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed", "NotApplicable")
LAUNCH_MODES = ("Normal", "Browse", "Review")

# Texts for the few rules that have no id in @cmi5/requirements (cited by spec section).
SECTION_TEXTS = {
    "§9.5.1": "scaled: a decimal value between 0 and 1 (inclusive); raw: an integer value between min and max.",
    "§9.5.5.1": "progress: an integer value between 0 and 100 (inclusive).",
    "§11": "The AU SHOULD write cmi5LearnerPreferences as a JSON object with languagePreference and "
    'audioPreference ("on"/"off").',
}


def requirement_text(req_id: str) -> str:
    return requirement_texts().get(req_id) or SECTION_TEXTS.get(req_id, "")


_UTC = re.compile(r"(Z|[+-]00(:?00)?)$", re.IGNORECASE)


def is_utc(timestamp: str) -> bool:
    return bool(_UTC.search(timestamp.strip()))


def agent_key(agent: Any) -> tuple[str, str] | None:
    """The inverse functional identifier of an Agent/Group as a comparable key (None if it has none)."""
    if not isinstance(agent, dict):
        return None
    if isinstance(agent.get("account"), dict):
        account = agent["account"]
        return ("account", f"{account.get('homePage')}|{account.get('name')}")
    for ifi in ("mbox", "mbox_sha1sum", "openid"):
        if isinstance(agent.get(ifi), str):
            return (ifi, agent[ifi])
    return None


def categories(statement: dict[str, Any]) -> list[str]:
    acts = ((statement.get("context") or {}).get("contextActivities") or {}).get("category") or []
    if isinstance(acts, dict):
        acts = [acts]
    return [a.get("id") for a in acts if isinstance(a, dict)]


def _missing_or_changed(template: Any, value: Any, path: str, out: list[tuple[str, str]]) -> None:
    """Compare a context template with a statement's context: every template value must be there, unchanged.
    Lists of activities match by id, in any order; the statement may add more."""
    if isinstance(template, dict):
        if not isinstance(value, dict):
            out.append(("missing" if value is None else "changed", path))
            return
        for key, sub in template.items():
            _missing_or_changed(sub, value.get(key), f"{path}.{key}", out)
    elif isinstance(template, list):
        items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for entry in template:
            if isinstance(entry, dict) and "id" in entry:
                match = next((i for i in items if isinstance(i, dict) and i.get("id") == entry["id"]), None)
                if match is None:
                    out.append(("missing", f"{path}[id={entry['id']}]"))
                else:
                    _missing_or_changed(entry, match, f"{path}[id={entry['id']}]", out)
            elif entry not in items:
                out.append(("missing", f"{path}[{entry!r}]"))
    elif value is None:
        out.append(("missing", path))
    elif value != template:
        out.append(("changed", path))


@dataclass
class Session:
    """One AU launch session, created by TestLRS.create_launch()."""

    session_id: str
    launch_url: str
    au_url: str
    actor: dict[str, Any]
    registration: str
    activity_id: str
    publisher_activity_id: str
    launch_mode: str
    mastery_score: float | None
    move_on: str
    launch_data: dict[str, Any]
    fetch_url: str
    auth_token: str  # the Basic credentials handed out by the fetch URL
    fetched: bool = False
    launch_data_fetched: bool = False
    prefs_fetched: bool = False
    initialized: bool = False
    terminated: bool = False
    terminated_at: float | None = None  # time.monotonic() when terminated was accepted
    abandoned: bool = False  # the LMS recorded "abandoned" for it (§9.3.6): a relaunch found it still open
    defined_verbs: list[str] = field(default_factory=list)  # cmi5 defined verbs accepted in this session
    statement_ids: list[str] = field(default_factory=list)  # accepted statements of this session, in order

    @property
    def context_template(self) -> dict[str, Any]:
        return self.launch_data["contextTemplate"]


class Checker:
    """Checks one AU statement against the cmi5 rules, given the session and the defined verbs already accepted
    for the same AU in the same registration (across sessions). Returns (req_id, detail) pairs."""

    def __init__(self, session: Session, registration_verbs: list[str]) -> None:
        self.s = session
        self.reg_verbs = registration_verbs
        self.out: list[tuple[str, str]] = []

    def fail(self, req_id: str, detail: str) -> None:
        self.out.append((req_id, detail))

    def check(self, st: dict[str, Any]) -> list[tuple[str, str]]:
        s = self.s
        verb = (st.get("verb") or {}).get("id")
        short = str(verb).rsplit("/", 1)[-1]
        cats = categories(st)
        defined = CMI5_CATEGORY in cats
        result = st.get("result") if isinstance(st.get("result"), dict) else {}
        context = st.get("context") if isinstance(st.get("context"), dict) else None
        obj = st.get("object") if isinstance(st.get("object"), dict) else {}

        # 9.1, 9.7: id and UTC timestamp assigned by the AU
        if "id" not in st:
            self.fail("9.1.0.0-1", "statement has no id")
        if "timestamp" not in st:
            self.fail("9.7.0.0-1", "statement has no timestamp")
        elif isinstance(st["timestamp"], str) and not is_utc(st["timestamp"]):
            self.fail("9.7.0.0-2", f"timestamp {st['timestamp']} is not in UTC")
        # Session ordering: 9.3 / 7.1
        if s.abandoned:
            self.fail("9.3.6.0-2", f"{short} statement after the LMS abandoned the session")
        elif s.terminated:
            self.fail("9.3.0.0-5", f"{short} statement after terminated")
        if not s.initialized:
            if verb != INITIALIZED or not defined:
                self.fail("9.3.0.0-4", f"first statement of the session is {short}, not a cmi5 initialized")
            if not s.prefs_fetched:
                self.fail("11.0.0.0-3", "no GET of the cmi5LearnerPreferences agent profile before the first statement")
            if not s.launch_data_fetched:
                self.fail("10.2.1.0-4", "no GET of the LMS.LaunchData state document before the first statement")
        if verb == VOIDED:
            self.fail("6.3.0.0-1", "the AU issued a voiding statement")
        # 9.2 actor / 8.1.3 launch actor
        actor = st.get("actor")
        if agent_key(actor) != agent_key(s.actor):
            self.fail("8.1.3.0-3", f"actor {actor} is not the launch actor")
        elif not isinstance((actor or {}).get("account"), dict):
            self.fail("9.2.0.0-3", "actor has no account IFI")
        if defined and isinstance(actor, dict) and actor.get("objectType", "Agent") != "Agent":
            self.fail("9.2.0.0-2", "actor of a cmi5 defined statement is not an Agent")
        # 9.6 context, 10.2.1 context template, 9.6.3.1 session id
        if context is None:
            self.fail("10.2.1.0-6", "statement has no context")
            context = {}
        if context.get("registration") != s.registration:
            self.fail(
                "9.6.1.0-1",
                f"context.registration {context.get('registration')!r} is not the launch registration {s.registration}",
            )
        session_value = (context.get("extensions") or {}).get(SESSIONID)
        if session_value is None:
            self.fail("9.6.3.1-4", "context.extensions has no cmi5 sessionid")
        diffs: list[tuple[str, str]] = []
        _missing_or_changed(s.context_template, context, "context", diffs)
        for kind, path in diffs:
            if kind == "missing" and path != f"context.extensions.{SESSIONID}":
                self.fail("10.2.1.0-6", f"{path} from the contextTemplate is missing")
            elif kind == "changed":
                self.fail("10.2.1.0-7", f"{path} differs from the contextTemplate")
        # 9.6.2.1 cmi5 category; 9.3.0.0-1 cmi5 verbs only
        if defined and verb not in AU_VERBS:
            self.fail("9.3.0.0-1", f"verb {verb} is not a cmi5 AU verb but the statement has the cmi5 category")
        if not defined and verb in AU_VERBS and obj.get("id") == s.activity_id:
            self.fail("9.6.2.1-1", f"{short} statement about the AU lacks the cmi5 category activity")
        # 9.6.2.2 moveOn category
        judged = "success" in result or "completion" in result
        if MOVEON_CATEGORY in cats and not (defined and judged):
            self.fail("9.6.2.2-2", "moveon category on a statement without result.success/completion")
        if defined and judged and MOVEON_CATEGORY not in cats:
            self.fail("9.6.2.2-1", f"{short} statement with result.success/completion lacks the moveon category")
        # 9.5.1 score (any statement of the session)
        score = result.get("score") if isinstance(result.get("score"), dict) else None
        if score is not None:
            if "raw" in score and ("min" not in score or "max" not in score):
                self.fail("9.5.1.0-3", "score.raw without score.min and score.max")
            scaled = score.get("scaled")
            if isinstance(scaled, (int, float)) and not 0 <= scaled <= 1:
                self.fail("§9.5.1", f"score.scaled {scaled} is outside 0..1")
            for key in ("raw", "min", "max"):
                if key in score and not (isinstance(score[key], int) or float(score[key]).is_integer()):
                    self.fail("§9.5.1", f"score.{key} {score[key]} is not an integer")
        progress = (result.get("extensions") or {}).get(PROGRESS)
        if progress is not None and not (isinstance(progress, int) and 0 <= progress <= 100):
            self.fail("§9.5.5.1", f"progress {progress!r} is not an integer 0..100")
        if defined:
            self._check_defined(st, verb, short, result, score, context, obj)
        return self.out

    def _check_defined(
        self,
        st: dict[str, Any],
        verb: str,
        short: str,
        result: dict[str, Any],
        score: dict[str, Any] | None,
        context: dict[str, Any],
        obj: dict[str, Any],
    ) -> None:
        s = self.s
        if obj.get("id") != s.activity_id:
            self.fail("8.1.5.0-6", f"object.id {obj.get('id')!r} is not the launch activityId {s.activity_id}")
        judged_verb = verb in (COMPLETED, PASSED, FAILED)
        if judged_verb and s.launch_mode != "Normal":
            self.fail(
                "10.2.2.0-2" if s.launch_mode == "Browse" else "10.2.2.0-3",
                f"{short} statement in {s.launch_mode} mode",
            )
        # 9.3 verb ordering within the session and the registration
        if verb in s.defined_verbs:
            self.fail("9.3.0.0-2", f"duplicate {short} in the session")
        if {verb} | set(s.defined_verbs) >= {PASSED, FAILED}:
            self.fail("9.3.0.0-3", "both passed and failed in one session")
        if verb == COMPLETED and COMPLETED in self.reg_verbs:
            self.fail("9.3.0.0-6", "a second completed in the registration")
        if verb == PASSED and PASSED in self.reg_verbs:
            self.fail("9.3.0.0-7", "a second passed in the registration")
        if verb == FAILED and PASSED in self.reg_verbs:
            self.fail("9.3.0.0-8", "failed after passed in the registration")
        # 9.5 result
        if score is not None and verb not in (PASSED, FAILED):
            self.fail("9.5.1.0-2", f"score on a {short} statement")
        if verb == PASSED and result.get("success") is not True:
            self.fail("9.5.2.0-1", "passed without result.success true")
        elif verb == FAILED and result.get("success") is not False:
            self.fail("9.5.2.0-2", "failed without result.success false")
        elif verb not in (PASSED, FAILED) and "success" in result:
            self.fail("9.5.2.0-3", f"result.success on a {short} statement")
        if verb == COMPLETED and result.get("completion") is not True:
            self.fail("9.5.3.0-1", "completed without result.completion true")
        elif verb != COMPLETED and "completion" in result:
            self.fail("9.5.3.0-2", f"result.completion on a {short} statement")
        duration_ids = {TERMINATED: "9.5.4.1-1", COMPLETED: "9.5.4.1-2", PASSED: "9.5.4.1-3", FAILED: "9.5.4.1-4"}
        if verb in duration_ids and "duration" not in result:
            self.fail(duration_ids[verb], f"{short} statement without result.duration")
        if verb in (PASSED, FAILED) and s.mastery_score is not None:
            scaled = (score or {}).get("scaled")
            if verb == PASSED and isinstance(scaled, (int, float)) and scaled < s.mastery_score:
                self.fail("9.3.4.0-2", f"passed with scaled {scaled} < masteryScore {s.mastery_score}")
            if verb == FAILED and isinstance(scaled, (int, float)) and scaled >= s.mastery_score:
                self.fail("9.3.5.0-2", f"failed with scaled {scaled} >= masteryScore {s.mastery_score}")
            sent = (context.get("extensions") or {}).get(MASTERYSCORE)
            if sent is None or not isinstance(sent, (int, float)) or abs(sent - s.mastery_score) > 1e-9:
                self.fail(
                    "9.6.3.2-2",
                    f"{short}: context extension masteryscore is {sent!r}, LaunchData says {s.mastery_score}",
                )


def short_verb(statement: dict[str, Any]) -> str:
    return str((statement.get("verb") or {}).get("id")).rsplit("/", 1)[-1]


def session_of(statement: dict[str, Any]) -> Any:
    """The cmi5 sessionid a statement's context carries (None without one)."""
    context = statement.get("context") if isinstance(statement.get("context"), dict) else {}
    return (context.get("extensions") or {}).get(SESSIONID)


def satisfied(move_on: str, verbs: list[str]) -> bool:
    """cmi5_spec.md §13.1.4 moveOn, given the defined verbs accepted for one AU in one registration."""
    done, passed = COMPLETED in verbs, PASSED in verbs
    return {
        "Passed": passed,
        "Completed": done,
        "CompletedAndPassed": done and passed,
        "CompletedOrPassed": done or passed,
        "NotApplicable": True,
    }[move_on]


def new_uuid() -> str:
    return str(uuid.uuid4())
