"""A small test LMS (cmi5 launch side) + xAPI 1.0.3 LRS for coursebuild's tests. See README.md beside this file.

    with TestLRS() as lrs:                       # 127.0.0.1, free port, background thread, fresh in-memory data
        url = lrs.create_launch("http://127.0.0.1:8000/au/index.html", actor)
        ... drive the AU ...
        lrs.assert_clean()                       # no violations, every session terminated
        assert lrs.satisfied(lrs.session(url).registration)

Every statement is validated by two independent xAPI validators (validators.py); statements sent with a cmi5
session's token are also checked against the cmi5 rules (cmi5.py); accepted batches are forwarded to a real LRS
(real_lrs.py) when one is given. Problems are answered with 4xx and recorded in `lrs.violations`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import secrets
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from . import cmi5
from .cmi5 import Checker, Session, agent_key
from .real_lrs import RealLrs
from .validators import default_validators

XAPI_VERSION = "1.0.3"
CORS_ALLOW_HEADERS = "Authorization, Content-Type, X-Experience-API-Version, If-Match, If-None-Match"
CORS_EXPOSE_HEADERS = "ETag, Last-Modified, Content-Type, X-Experience-API-Version, X-Experience-API-Consistent-Through"
DEFAULT_PREFS = {"languagePreference": "en-GB", "audioPreference": "off"}
DEFAULT_ACTOR = {
    "objectType": "Agent",
    "account": {"homePage": "https://lms.example.org", "name": "learner-1"},
    "name": "Test Learner",
}
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")  # RFC 5646, loosely
ACTIVITY_IRI = "https://lms.example.org/coursebuild-test/au/"  # base of LMS-generated activityIds (§8.1.5)
# cmi5 §9.3.8, LMS obligations: on terminated the LMS "MUST wait a specified period of time (defined by the LMS
# implementation)" before rejecting requests for the session. Statements after terminated are still refused at
# once (the AU's own obligation: terminated is the last statement); the session's state and profile documents
# stay writable this long, so the final state write sent beside terminated at pagehide is not a violation.
# Five seconds: on a machine busy with other tests (they run in parallel), a closing page's keepalive
# requests have been seen to arrive more than two seconds apart.
TERMINATED_GRACE_SECONDS = 5.0
LATE_SECONDS = 1.5  # how long a "late" fault holds a request (fail_next)


def token_expired(session: Session) -> bool:
    """Whether the session's credentials no longer open the State and Agent Profile resources."""
    if session.abandoned:
        return True
    if not session.terminated or session.terminated_at is None:
        return session.terminated
    return time.monotonic() - session.terminated_at > TERMINATED_GRACE_SECONDS


@dataclass
class Violation:
    req_id: str  # cmi5 requirement id ("9.3.0.0-4"), "§..." section, or "xAPI" for xAPI/LRS-level problems
    text: str  # requirement text
    detail: str  # what happened
    source: str  # "cmi5", a validator's name, "xapi-statements@5.0.1", or "xapi" (protocol checks)
    session_id: str | None = None
    statement_id: str | None = None
    request: str = ""  # "POST /xapi/statements"

    def __str__(self) -> str:
        where = f" [session {self.session_id[:8]}]" if self.session_id else ""
        return f"{self.req_id} ({self.source}){where}: {self.detail}" + (f" — {self.text}" if self.text else "")


@dataclass
class Credential:
    kind: str  # "cmi5" | "tincan" | "admin"
    session: Session | None = None
    actor: dict[str, Any] | None = None


@dataclass
class Document:
    content: bytes
    content_type: str
    updated: datetime

    @property
    def etag(self) -> str:
        return hashlib.sha1(self.content).hexdigest()


@dataclass
class Fault:
    remaining: int
    mode: str  # "drop" | "503" | "drop_after"
    path: str | None
    method: str | None


@dataclass
class Record:
    statement: dict[str, Any]  # as stored (with stored/authority/version/timestamp)
    submitted: dict[str, Any]  # as sent, for the duplicate comparison
    by: str  # "lms" | "cmi5" | "tincan" | "admin"
    session_id: str | None = None
    voided: bool = False
    stored_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class HttpError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def with_query(url: str, params: dict[str, str]) -> str:
    """Append URL-encoded parameters to a URL's own query string (before any #fragment)."""
    base, hash_, fragment = url.partition("#")
    return base + ("&" if "?" in base else "?") + urlencode(params) + hash_ + fragment


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class TestLRS:
    """The LMS + LRS. Attributes and methods the tests use are documented in README.md."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        *,
        forward_to: RealLrs | None = None,
        validators: list[Any] | None = None,
        learner_prefs_writable: bool = True,
    ) -> None:
        self.forward_to = forward_to
        self.validators = default_validators() if validators is None else validators
        self.learner_prefs_writable = learner_prefs_writable
        self.lock = threading.RLock()
        self.violations: list[Violation] = []
        self.records: list[Record] = []
        self.by_id: dict[str, Record] = {}
        self.sessions: list[Session] = []
        self.requests: list[dict[str, Any]] = []  # every request: method, path, query, status, fault
        self.returned: list[str] = []  # URLs of hits on return_url (the page an AU redirects to on exit)
        self.documents: dict[tuple[Any, ...], Document] = {}
        self.credentials: dict[str, Credential] = {}
        self.fetch_keys: dict[str, Session] = {}
        self.registration_verbs: dict[tuple[str, str], list[str]] = {}
        self.faults: list[Fault] = []
        self._more: dict[str, list[str]] = {}
        self._last_stored = datetime.now(UTC)
        admin = base64.b64encode(f"admin:{secrets.token_urlsafe(12)}".encode()).decode()
        self.credentials[admin] = Credential("admin")
        self.admin_auth = "Basic " + admin  # Authorization header value with full access
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> TestLRS:
        lrs = self

        class Handler(_Handler):
            server_lrs = lrs

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="test-lrs", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> TestLRS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        return self.url + "/xapi/"

    @property
    def return_url(self) -> str:
        """A page on this server that records hits in `returned`; pass it as create_launch(return_url=...)."""
        return self.url + "/returned"

    # ---------------------------------------------------------------- LMS side (cmi5 §8, §10, §11)
    def create_launch(
        self,
        au_url: str,
        actor: dict[str, Any] | None = None,
        registration: str | None = None,
        mode: str = "Normal",
        mastery_score: float | None = 0.8,
        move_on: str = "CompletedAndPassed",
        return_url: str | None = None,
        publisher_activity_id: str = "https://example.org/coursebuild-test/au",
        launch_parameters: str | None = None,
        learner_prefs: dict[str, Any] | None = DEFAULT_PREFS,
    ) -> str:
        """Write LMS.LaunchData and the learner preferences, record `launched`, return the AU launch URL (§8.1).
        learner_prefs=None leaves the agent profile absent (the AU then gets 404, which is allowed)."""
        actor = actor or DEFAULT_ACTOR
        assert mode in cmi5.LAUNCH_MODES and move_on in cmi5.MOVE_ON_VALUES, (mode, move_on)
        assert isinstance(actor.get("account"), dict), "cmi5 §9.2: the launch actor needs an account IFI"
        registration = registration or str(uuid.uuid4())
        activity_id = ACTIVITY_IRI + str(uuid.uuid5(uuid.NAMESPACE_URL, publisher_activity_id))
        assert activity_id != publisher_activity_id
        session_id = str(uuid.uuid4())
        launch_data: dict[str, Any] = {
            "contextTemplate": {
                "contextActivities": {"grouping": [{"objectType": "Activity", "id": publisher_activity_id}]},
                "extensions": {cmi5.SESSIONID: session_id},
            },
            "launchMode": mode,
            "moveOn": move_on,
        }
        if mastery_score is not None:
            launch_data["masteryScore"] = mastery_score
        if return_url is not None:
            launch_data["returnURL"] = return_url
        if launch_parameters is not None:
            launch_data["launchParameters"] = launch_parameters
        fetch_key = secrets.token_urlsafe(16)
        token = base64.b64encode(f"cmi5-{session_id}:{secrets.token_urlsafe(16)}".encode()).decode()
        params = {
            "endpoint": self.endpoint,
            "fetch": f"{self.url}/fetch/{fetch_key}",
            "actor": json.dumps(actor, separators=(",", ":")),
            "registration": registration,
            "activityId": activity_id,
        }
        launch_url = with_query(au_url, params)
        session = Session(
            session_id=session_id,
            launch_url=launch_url,
            au_url=au_url,
            actor=actor,
            registration=registration,
            activity_id=activity_id,
            publisher_activity_id=publisher_activity_id,
            launch_mode=mode,
            mastery_score=mastery_score,
            move_on=move_on,
            launch_data=launch_data,
            fetch_url=params["fetch"],
            auth_token=token,
        )
        with self.lock:
            now = datetime.now(UTC)
            self.documents[("state", activity_id, agent_key(actor), registration, cmi5.LAUNCH_DATA)] = Document(
                json.dumps(launch_data).encode(), "application/json", now
            )
            if learner_prefs is not None:
                self.documents[("agent", agent_key(actor), cmi5.LEARNER_PREFS)] = Document(
                    json.dumps(learner_prefs).encode(), "application/json", now
                )
            self._abandon_open_sessions(registration, activity_id)
            self.sessions.append(session)
            self.fetch_keys[fetch_key] = session
            self.credentials[token] = Credential("cmi5", session=session, actor=actor)
            self._store_lms_statement(self._launched_statement(session), session)
        return launch_url

    def _abandon_open_sessions(self, registration: str, activity_id: str) -> None:
        """cmi5 §9.3.6: launching an AU in a registration that still has an open session of it abandons that
        session: the LMS records "abandoned" (with the session's duration, 9.5.4.2-1) and accepts nothing more."""
        for old in self.sessions:
            if (old.registration, old.activity_id) != (registration, activity_id) or old.terminated or old.abandoned:
                continue
            old.abandoned = True
            if not old.initialized:
                continue  # never started: nothing to abandon in the record
            stored = [self.by_id[i] for i in old.statement_ids if i in self.by_id]
            last = max((r.stored_at for r in stored), default=datetime.now(UTC))
            launched = next(
                (r.stored_at for r in self.records if r.by == "lms" and r.session_id == old.session_id), last
            )
            seconds = max(0.0, (last - launched).total_seconds())
            statement = self._session_statement(old, cmi5.ABANDONED, "abandoned")
            statement["result"] = {"duration": f"PT{seconds:.2f}S"}
            self._store_lms_statement(statement, old)

    def _session_statement(self, s: Session, verb: str, display: str) -> dict[str, Any]:
        context = json.loads(json.dumps(s.context_template))
        context["registration"] = s.registration
        context["contextActivities"]["category"] = [{"objectType": "Activity", "id": cmi5.CMI5_CATEGORY}]
        return {
            "id": str(uuid.uuid4()),
            "actor": s.actor,
            "verb": {"id": verb, "display": {"en-US": display}},
            "object": {"objectType": "Activity", "id": s.activity_id},
            "context": context,
            "timestamp": iso(datetime.now(UTC)),
        }

    def _launched_statement(self, s: Session) -> dict[str, Any]:
        statement = self._session_statement(s, cmi5.LAUNCHED, "launched")
        extensions = statement["context"]["extensions"]
        extensions.update({cmi5.LAUNCHMODE: s.launch_mode, cmi5.LAUNCHURL: s.au_url, cmi5.MOVEON: s.move_on})
        if s.mastery_score is not None:
            extensions[cmi5.MASTERYSCORE] = s.mastery_score
        if "launchParameters" in s.launch_data:
            extensions[cmi5.LAUNCHPARAMETERS] = s.launch_data["launchParameters"]
        return statement

    def create_tincan_launch(
        self, activity_url: str, actor: dict[str, Any], activity_id: str, registration: str | None = None
    ) -> str:
        """A TinCan (Rustici launch doc, standards-notes §3.6) launch URL: endpoint, auth, actor, registration,
        activity_id. Statements sent with this auth are xAPI-validated but not cmi5-checked."""
        token = base64.b64encode(f"tincan-{uuid.uuid4()}:{secrets.token_urlsafe(16)}".encode()).decode()
        with self.lock:
            self.credentials[token] = Credential("tincan", actor=actor)
        params = {
            "endpoint": self.endpoint,
            "auth": "Basic " + token,
            "actor": json.dumps(actor, separators=(",", ":")),
            "activity_id": activity_id,
        }
        if registration:
            params["registration"] = registration
        return with_query(activity_url, params)

    def session(self, launch_url: str | None = None) -> Session:
        """The session of a launch URL (default: the latest launch)."""
        with self.lock:
            if launch_url is None:
                return self.sessions[-1]
            return next(s for s in self.sessions if s.launch_url == launch_url)

    # ---------------------------------------------------------------- what the tests read
    @property
    def statements(self) -> list[dict[str, Any]]:
        """Every stored statement (LMS `launched` ones included), in the order they were stored."""
        with self.lock:
            return [json.loads(json.dumps(r.statement)) for r in self.records]

    def statements_of(self, session: Session | None = None) -> list[dict[str, Any]]:
        """The statements the AU sent in a session (default: the latest), in order."""
        session = session or self.session()
        with self.lock:
            return [
                json.loads(json.dumps(r.statement))
                for r in self.records
                if r.session_id == session.session_id and r.by == "cmi5"
            ]

    def verbs_of(self, session: Session | None = None) -> list[str]:
        """Short verb names of statements_of(session): ["initialized", "completed", ...]."""
        return [s["verb"]["id"].rsplit("/", 1)[-1] for s in self.statements_of(session)]

    @property
    def violation_ids(self) -> list[str]:
        with self.lock:
            return [v.req_id for v in self.violations]

    def satisfied(self, registration: str, activity_id: str | None = None) -> bool:
        """cmi5 moveOn (§13.1.4) for every AU launched in the registration (or just activity_id), from the
        cmi5 defined completed/passed statements accepted for it."""
        with self.lock:
            aus = {
                s.activity_id: s.move_on
                for s in self.sessions
                if s.registration == registration and activity_id in (None, s.activity_id)
            }
            assert aus, f"no launch in registration {registration}"
            return all(
                cmi5.satisfied(move_on, self.registration_verbs.get((registration, au), []))
                for au, move_on in aus.items()
            )

    def state_document(
        self, activity_id: str, agent: dict[str, Any], state_id: str, registration: str | None = None
    ) -> Any:
        """A stored State document (parsed JSON when it is JSON), or None."""
        with self.lock:
            doc = self.documents.get(("state", activity_id, agent_key(agent), registration, state_id))
        if doc is None:
            return None
        try:
            return json.loads(doc.content)
        except ValueError:
            return doc.content

    def assert_clean(self, require_terminated: bool = True, allow_abandoned: bool = False) -> None:
        """Raise AssertionError listing every violation and, by default, every session not terminated (a session
        the LMS abandoned on a relaunch counts as not terminated unless allow_abandoned)."""
        with self.lock:
            problems = [str(v) for v in self.violations]
            if require_terminated:
                problems += [
                    f"9.3.8.0-1: session {s.session_id[:8]} ({s.au_url}) never sent terminated"
                    + (" (abandoned by the LMS on relaunch)" if s.abandoned else "")
                    for s in self.sessions
                    if not s.terminated and not (allow_abandoned and s.abandoned)
                ]
        assert not problems, "test LMS/LRS found problems:\n  " + "\n  ".join(problems)

    # ---------------------------------------------------------------- fault injection
    def fail_next(self, n: int = 1, mode: str = "drop", path: str | None = None, method: str | None = None) -> None:
        """Make the next n matching requests fail. mode: "drop" (close the connection without an answer, request
        not processed), "503" (answer 503, not processed) or "drop_after" (processed and stored, then the
        connection is closed without an answer, as when a response is lost) or "late" (held for LATE_SECONDS, then
        processed, so a request sent after it can arrive first). path: only requests whose path starts with it (e.g.
        "/xapi/statements"); method: only that HTTP method. CORS preflights are never failed."""
        assert mode in ("drop", "503", "drop_after", "late"), mode
        with self.lock:
            self.faults.append(Fault(n, mode, path, method.upper() if method else None))

    def _take_fault(self, method: str, path: str) -> str | None:
        with self.lock:
            for fault in self.faults:
                if (
                    fault.remaining > 0
                    and (fault.path is None or path.startswith(fault.path))
                    and (fault.method in (None, method))
                ):
                    fault.remaining -= 1
                    return fault.mode
        return None

    # ---------------------------------------------------------------- internals
    def violate(
        self,
        req_id: str,
        detail: str,
        *,
        source: str = "cmi5",
        session: Session | None = None,
        statement_id: str | None = None,
        request: str = "",
        text: str | None = None,
    ) -> Violation:
        v = Violation(
            req_id,
            cmi5.requirement_text(req_id) if text is None else text,
            detail,
            source,
            session.session_id if session else None,
            statement_id,
            request,
        )
        with self.lock:
            self.violations.append(v)
        return v

    def _next_stored(self) -> datetime:
        now = datetime.now(UTC)
        if now <= self._last_stored:
            now = self._last_stored + timedelta(microseconds=1)
        self._last_stored = now
        return now

    def _authority(self) -> dict[str, Any]:
        return {
            "objectType": "Agent",
            "account": {"homePage": self.url or "http://127.0.0.1", "name": "coursebuild-test-lms"},
        }

    def _store(self, statement: dict[str, Any], by: str, session: Session | None) -> None:
        submitted = json.loads(json.dumps(statement))
        stored_at = self._next_stored()
        stored = dict(statement)
        stored.setdefault("id", str(uuid.uuid4()))
        stored.setdefault("timestamp", iso(stored_at))
        stored.setdefault("version", "1.0.0")
        stored["stored"] = iso(stored_at)
        stored["authority"] = self._authority()
        record = Record(stored, submitted, by, session.session_id if session else None, stored_at=stored_at)
        self.records.append(record)
        self.by_id[stored["id"]] = record
        obj = stored.get("object") or {}
        if stored["verb"]["id"] == cmi5.VOIDED and obj.get("objectType") == "StatementRef":
            target = self.by_id.get(obj.get("id"))
            if target and target.statement["verb"]["id"] != cmi5.VOIDED:
                target.voided = True

    def _store_lms_statement(self, statement: dict[str, Any], session: Session) -> None:
        for validator in self.validators:
            problems = validator.problems(statement)
            assert not problems, f"the test LMS made an invalid statement: {problems}"
        self._forward([statement], None, f"LMS {statement['verb']['display']['en-US']} statement")
        self._store(statement, "lms", session)

    def _forward(self, batch: list[dict[str, Any]], session: Session | None, request: str) -> None:
        if self.forward_to is None or not batch:
            return
        try:
            status, body = self.forward_to.post(batch)
        except OSError as error:
            self.violate(
                "xAPI",
                f"the real LRS is unreachable: {error}",
                source="xapi-statements@5.0.1",
                session=session,
                request=request,
                text="",
            )
            raise HttpError(502, {"error": f"forwarding to the real LRS failed: {error}"}) from error
        if status >= 400:
            try:
                answer = json.loads(body)
            except ValueError:
                answer = body
            for st in batch:
                self.violate(
                    "xAPI",
                    f"the real LRS answered {status}: {body[:300]}",
                    source="xapi-statements@5.0.1",
                    session=session,
                    statement_id=st.get("id"),
                    request=request,
                    text="xAPI-Communication §2.1.2 / xAPI-Data §2.2: the LRS rejects invalid statements",
                )
            raise HttpError(
                400 if status != 409 else 409,
                {"error": "the real LRS (xapi-statements@5.0.1) rejected the batch", "lrs": answer},
            )

    def same_statement(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        """xAPI-Data §2.3.1 comparison: ignore LRS-assigned properties; timestamps compare as instants."""

        def normal(st: dict[str, Any]) -> dict[str, Any]:
            st = {k: v for k, v in st.items() if k not in ("authority", "stored", "version")}
            if isinstance(st.get("timestamp"), str):
                with contextlib.suppress(ValueError):  # not a timestamp: compared as the text it is
                    st["timestamp"] = parse_time(st["timestamp"]).isoformat()
            return st

        return normal(a) == normal(b)

    def post_statements(self, batch: list[Any], cred: Credential, request: str) -> list[str]:
        """The Statement resource's write path (POST and PUT). Returns the ids, raises HttpError."""
        session = cred.session
        if not all(isinstance(st, dict) for st in batch):
            raise HttpError(400, {"error": "every statement must be a JSON object"})
        ids = [st["id"] for st in batch if "id" in st]
        if len(ids) != len(set(ids)):
            raise HttpError(400, {"error": "the batch contains two statements with the same id"})
        # 1. xAPI validity, by independent validators: the whole batch is rejected if one statement is invalid.
        invalid = []
        for index, st in enumerate(batch):
            for validator in self.validators:
                problems = validator.problems(st)
                if problems:
                    invalid.append(
                        {"statement": index, "id": st.get("id"), "validator": validator.name, "problems": problems}
                    )
                    self.violate(
                        "4.1.0.0-1" if session else "xAPI",
                        "; ".join(problems),
                        source=validator.name,
                        session=session,
                        statement_id=st.get("id"),
                        request=request,
                        text=None
                        if session
                        else "xAPI-Data §2.2: the LRS rejects statements that do not follow the format",
                    )
        if invalid:
            raise HttpError(
                400, {"error": "invalid xAPI 1.0.3 statement(s); the whole batch was rejected", "invalid": invalid}
            )
        # 2. Duplicates: the same id with the same content is a no-op, with different content a conflict.
        new, resent = [], []
        for st in batch:
            old = self.by_id.get(st.get("id", ""))
            if old is None:
                new.append(st)
            elif not self.same_statement(old.submitted, st):
                self.violate(
                    "xAPI",
                    f"statement {st['id']} was sent again with different content",
                    source="xapi",
                    session=session,
                    statement_id=st["id"],
                    request=request,
                    text="xAPI-Communication §2.1.2: same id, different content -> 409 Conflict",
                )
                raise HttpError(409, {"error": f"statement {st['id']} already exists with different content"})
            else:
                resent.append((st, old))
        if session is not None:
            self._check_session_batch(session, new, resent, request)
        for st in new:  # the LRS assigns missing ids (xAPI-Data §2.4.1) before the real LRS sees them
            st.setdefault("id", str(uuid.uuid4()))
        # 4. The real LRS must accept the batch too.
        self._forward(new, session, request)
        # 5. Store.
        for st in new:
            if session is not None:
                self._advance(session, st)
                session.statement_ids.append(st["id"])
            self._store(st, cred.kind, session)
        return [st["id"] for st in batch]

    def _check_session_batch(
        self, session: Session, new: list[dict[str, Any]], resent: list[tuple[dict[str, Any], Record]], request: str
    ) -> None:
        """The cmi5 rules for a batch sent with an AU session's token, applied per statement the way a strict
        reference LMS applies them: each statement of a batch is judged against the session as it stood before
        the batch (so `initialized` must be accepted alone before anything else, 9.3.0.0-4) as well as against
        the statements before it in the batch (duplicates, ordering). An identical resend of a statement this
        session already stored is an idempotent retry (a lost response) and is accepted, even after terminated;
        one stored by another session, or carrying another session's context, is refused (10.2.1.0-6/-7).
        Raises HttpError 403 naming the first requirement broken; nothing of a refused batch is kept."""
        found: list[Violation] = []

        def refuse(req_id: str, detail: str, statement_id: str | None) -> None:
            found.append(self.violate(req_id, detail, session=session, statement_id=statement_id, request=request))

        for st, old in resent:
            if old.session_id != session.session_id or cmi5.session_of(st) != session.session_id:
                refuse(
                    "10.2.1.0-6",
                    f"statement {st.get('id')} of session {str(cmi5.session_of(st))[:8]} re-sent "
                    f"under session {session.session_id[:8]}: its context is not this session's "
                    "contextTemplate",
                    st.get("id"),
                )
        if (session.terminated or session.abandoned) and new and not found:  # 8.1.2.0-2: the token has expired
            req_id, what = ("9.3.6.0-2", "abandoned") if session.abandoned else ("9.3.0.0-5", "terminated")
            self.violate(
                req_id,
                f"statement sent after the session was {what} (its token has expired)",
                session=session,
                statement_id=new[0].get("id"),
                request=request,
            )
            raise HttpError(401, {"error": f"the session has ended ({what}); its token is no longer valid"})
        reg_key = (session.registration, session.activity_id)
        defined_before = list(session.defined_verbs)
        reg_before = list(self.registration_verbs.get(reg_key, []))
        initialized_before, terminated_before = session.initialized, session.terminated
        try:
            for index, st in enumerate(new):
                if index > 0 and not initialized_before:
                    refuse(
                        "9.3.0.0-4",
                        f"{cmi5.short_verb(st)} sent in the same batch as the session's first "
                        "statement: initialized must be accepted before any other statement",
                        st.get("id"),
                    )
                for req_id, detail in Checker(session, self.registration_verbs.get(reg_key, [])).check(st):
                    refuse(req_id, detail, st.get("id"))
                self._advance(session, st)
        finally:  # only an accepted batch moves the session on
            session.defined_verbs, session.initialized, session.terminated = (
                defined_before,
                initialized_before,
                terminated_before,
            )
            self.registration_verbs[reg_key] = reg_before
        if found:
            first = found[0]
            raise HttpError(
                403,
                {
                    "statusCode": 403,
                    "error": "Forbidden",
                    "message": f"{first.req_id} - {first.text} ({first.detail})",
                    "violatedReqId": first.req_id,
                    "violations": [
                        {"reqId": v.req_id, "text": v.text, "detail": v.detail, "statementId": v.statement_id}
                        for v in found
                    ],
                },
            )

    def _advance(self, session: Session, st: dict[str, Any]) -> None:
        verb = (st.get("verb") or {}).get("id")
        if cmi5.CMI5_CATEGORY in cmi5.categories(st):
            session.defined_verbs = session.defined_verbs + [verb]
            if verb == cmi5.INITIALIZED:
                session.initialized = True
            if verb in (cmi5.COMPLETED, cmi5.PASSED, cmi5.FAILED):
                key = (session.registration, session.activity_id)
                self.registration_verbs[key] = self.registration_verbs.get(key, []) + [verb]
        if verb == cmi5.TERMINATED and not session.terminated:
            session.terminated = True
            session.terminated_at = time.monotonic()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A page that closes while its request is answered (the learner leaving) hangs up: nothing to report.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_lrs: TestLRS
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -------------------------------------------------------------- plumbing
    def _dispatch(self) -> None:
        lrs = self.server_lrs
        split = urlsplit(self.path)
        path, query = split.path, {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self._drop = False
        self._status = 0
        fault = None if self.command == "OPTIONS" or path == "/returned" else lrs._take_fault(self.command, path)
        try:
            body = self._read_body()
            if fault in ("drop", "503"):
                if fault == "drop":
                    self._drop = True
                raise HttpError(503, {"error": "fault injected by the test (TestLRS.fail_next)"})
            if fault == "drop_after":
                self._drop = True
            if fault == "late":
                time.sleep(LATE_SECONDS)
            status, payload, headers = self._route(path, query, body)
        except HttpError as error:
            status, payload, headers = error.status, error.body, error.headers
        except Exception as error:  # noqa: BLE001  (a bug in the test server: make it visible)
            lrs.violate(
                "xAPI",
                f"test server error {type(error).__name__}: {error}",
                source="test-lrs",
                request=f"{self.command} {path}",
                text="",
            )
            status, payload, headers = 500, {"error": f"{type(error).__name__}: {error}"}, {}
        with lrs.lock:  # logged before answering, so a client never sees an answer before its log entry
            lrs.requests.append(
                {
                    "method": self.command,
                    "path": path,
                    "query": query,
                    "status": None if self._drop else status,
                    "fault": fault,
                }
            )
        self._respond(status, payload, headers)

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_HEAD = _dispatch

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _respond(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        if self._drop:
            self.close_connection = True
            return
        if isinstance(payload, bytes):
            data = payload
        elif payload is None:
            data = b""
        else:
            data = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json")
        self.send_response(status)
        origin = self.headers.get("Origin")
        self.send_header("Access-Control-Allow-Origin", origin or "*")
        self.send_header("Vary", "Origin")
        self.send_header("Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS)
        self.send_header("X-Experience-API-Version", XAPI_VERSION)
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _json_body(self, body: bytes) -> Any:
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise HttpError(
                400,
                {
                    "error": f"Content-Type must be application/json (got {ctype or 'none'}); "
                    "multipart attachments are not supported by this test LRS"
                },
            )
        try:
            return json.loads(body)
        except ValueError as error:
            raise HttpError(400, {"error": f"body is not JSON: {error}"}) from error

    # -------------------------------------------------------------- routing
    def _route(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any, dict[str, str]]:
        lrs = self.server_lrs
        request = f"{self.command} {path}"
        if self.command == "OPTIONS":  # CORS preflight: content is served from another origin
            return (
                204,
                None,
                {
                    "Access-Control-Allow-Methods": "GET, PUT, POST, DELETE, HEAD, OPTIONS",
                    "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
                    "Access-Control-Max-Age": "600",
                },
            )
        if path == "/returned":
            with lrs.lock:
                lrs.returned.append(self.path)
            return (
                200,
                b"<!doctype html><title>returned</title><p>Returned to the LMS.",
                {"Content-Type": "text/html; charset=utf-8"},
            )
        if path.startswith("/fetch/"):
            return self._fetch(path[len("/fetch/") :], request)
        if not path.startswith("/xapi/"):
            raise HttpError(404, {"error": f"no such resource {path}"})
        resource = path[len("/xapi/") :].rstrip("/")
        if resource == "about" and self.command in ("GET", "HEAD"):
            return 200, {"version": [XAPI_VERSION]}, {}
        self._check_version(request)
        cred = self._authenticate(request, resource)
        if resource == "statements":
            return self._statements(query, body, cred, request)
        if resource == "activities/state":
            return self._document("state", query, body, cred, request)
        if resource == "agents/profile":
            return self._document("agent", query, body, cred, request)
        if resource == "activities/profile":
            return self._document("activity", query, body, cred, request)
        raise HttpError(404, {"error": f"/xapi/{resource} is not implemented by this test LRS"})

    def _check_version(self, request: str) -> None:
        version = self.headers.get("X-Experience-API-Version")
        text = (
            "xAPI-Communication §3.3: the LRS MUST reject requests without a version header, or with 1.1.0 or greater"
        )
        problem = None
        if version is None:
            problem = "missing X-Experience-API-Version header"
        else:
            parts = version.strip().split(".")
            if not (parts[:2] == ["1", "0"] and len(parts) <= 3 and all(p.isdigit() for p in parts)):
                problem = f"X-Experience-API-Version {version!r} is not a 1.0.x version"
        if problem:
            self.server_lrs.violate("xAPI", problem, source="xapi", request=request, text=text)
            raise HttpError(400, {"error": problem})

    def _authenticate(self, request: str, resource: str) -> Credential:
        lrs = self.server_lrs
        header = self.headers.get("Authorization", "")
        token = header[6:].strip() if header[:6].lower() == "basic " else None
        cred = lrs.credentials.get(token or "")
        if cred is None:
            detail = "no Authorization header" if not header else "unknown credentials in the Authorization header"
            lrs.violate(
                "8.1.2.0-5" if header == "" else "xAPI",
                detail,
                source="xapi",
                request=request,
                text=None if header == "" else "xAPI-Communication §4: requests need valid credentials",
            )
            raise HttpError(401, {"error": detail})
        if (
            cred.session is not None
            and token_expired(cred.session)
            and not (resource == "statements" and self.command in ("POST", "PUT"))
        ):  # statements: see post_statements
            lrs.violate(
                "8.1.2.0-2",
                f"{request} after terminated: the session's token has expired",
                session=cred.session,
                request=request,
            )
            raise HttpError(401, {"error": "the session has ended (terminated); its token is no longer valid"})
        return cred

    def _fetch(self, key: str, request: str) -> tuple[int, Any, dict[str, str]]:
        lrs = self.server_lrs
        with lrs.lock:
            session = lrs.fetch_keys.get(key)
            if self.command != "POST":
                lrs.violate("8.2.1.0-2", f"{self.command} on the fetch URL", session=session, request=request)
                raise HttpError(405, {"error-code": "3", "error-text": "use POST"}, {"Allow": "POST"})
            if session is None:
                return 200, {"error-code": "2", "error-text": "unknown fetch URL"}, {}
            if session.fetched:
                lrs.violate(
                    "§8.2.1",
                    "a second POST to the fetch URL",
                    session=session,
                    request=request,
                    text="The AU SHOULD NOT attempt to retrieve the authorization token more than once.",
                )
                return 200, {"error-code": "1", "error-text": "The authorization token has already been returned."}, {}
            session.fetched = True
            return 200, {"auth-token": session.auth_token}, {}

    # -------------------------------------------------------------- statements (xAPI-Communication §2.1)
    def _statements(
        self, query: dict[str, str], body: bytes, cred: Credential, request: str
    ) -> tuple[int, Any, dict[str, str]]:
        lrs = self.server_lrs
        headers = {"X-Experience-API-Consistent-Through": iso(datetime.now(UTC))}
        if self.command == "POST":
            data = self._json_body(body)
            with lrs.lock:
                ids = lrs.post_statements(data if isinstance(data, list) else [data], cred, request)
            return 200, ids, headers
        if self.command == "PUT":
            statement_id = query.get("statementId")
            if not statement_id:
                raise HttpError(400, {"error": "PUT statements needs the statementId parameter"})
            data = self._json_body(body)
            if not isinstance(data, dict):
                raise HttpError(400, {"error": "PUT statements takes one statement object"})
            if data.setdefault("id", statement_id) != statement_id:
                raise HttpError(400, {"error": "statement id does not match the statementId parameter"})
            with lrs.lock:
                lrs.post_statements([data], cred, request)
            return 204, None, headers
        if self.command in ("GET", "HEAD"):
            with lrs.lock:
                answer = self._query(query)  # checks the query (400, 404) the same way either way
            # The real LRS, shared by every test of the run, answers the reads scoped to one test's data: a
            # statement by id, or a registration's statements (what an AU reads at launch).
            if lrs.forward_to is not None and {"statementId", "voidedStatementId", "registration"} & query.keys():
                status, real = lrs.forward_to.query(query)
                if status != 200:
                    raise HttpError(status, {"error": f"the real LRS answered {status}", "lrs": real[:300]})
                found = json.loads(real)
                if not (isinstance(found, dict) and found.get("more")):  # its paging links point at itself
                    answer = found
            return 200, answer, headers
        raise HttpError(405, {"error": f"{self.command} is not allowed on statements"})

    def _query(self, q: dict[str, str]) -> Any:
        lrs = self.server_lrs
        if "more" in q:
            ids = lrs._more.pop(q["more"], None)
            if ids is None:
                raise HttpError(400, {"error": "unknown or used 'more' token"})
            return self._page([lrs.by_id[i] for i in ids], int(q.get("limit", 0) or 0) or len(ids))
        single = {"statementId", "voidedStatementId"} & q.keys()
        if single:
            if len(single) > 1 or set(q) - single - {"format", "attachments"}:
                raise HttpError(400, {"error": "statementId/voidedStatementId allow no other filter"})
            record = lrs.by_id.get(q.get("statementId") or q.get("voidedStatementId", ""))
            if record is None or record.voided != ("voidedStatementId" in q):
                raise HttpError(404, {"error": "no such statement"})
            return record.statement
        try:
            agent = agent_key(json.loads(q["agent"])) if "agent" in q else None
            since = parse_time(q["since"]) if "since" in q else None
            until = parse_time(q["until"]) if "until" in q else None
            limit = int(q.get("limit", 0) or 0)
        except (ValueError, KeyError) as error:
            raise HttpError(400, {"error": f"bad query parameter: {error}"}) from error
        found = []
        for r in lrs.records:
            st = r.statement
            obj = st.get("object") or {}
            if r.voided or (since and r.stored_at <= since) or (until and r.stored_at > until):
                continue
            if agent and agent not in (agent_key(st.get("actor")), agent_key(obj)):
                continue
            if "verb" in q and st["verb"]["id"] != q["verb"]:
                continue
            if "activity" in q and not (
                obj.get("objectType", "Activity") == "Activity" and obj.get("id") == q["activity"]
            ):
                continue
            if "registration" in q and (st.get("context") or {}).get("registration") != q["registration"]:
                continue
            found.append(r)
        if q.get("ascending", "false") != "true":
            found.reverse()
        return self._page(found, limit or len(found) or 1)

    def _page(self, found: list[Record], limit: int) -> dict[str, Any]:
        more = ""
        if len(found) > limit:
            token = secrets.token_urlsafe(8)
            self.server_lrs._more[token] = [r.statement["id"] for r in found[limit:]]
            more = f"/xapi/statements?more={token}&limit={limit}"
        return {"statements": [r.statement for r in found[:limit]], "more": more}

    # -------------------------------------------------------------- documents (xAPI-Communication §2.2-2.7, §3.1)
    def _document(
        self, kind: str, q: dict[str, str], body: bytes, cred: Credential, request: str
    ) -> tuple[int, Any, dict[str, str]]:
        lrs = self.server_lrs
        id_param = {"state": "stateId", "agent": "profileId", "activity": "profileId"}[kind]
        needed = {"state": ("activityId", "agent"), "agent": ("agent",), "activity": ("activityId",)}[kind]
        missing = [p for p in needed if p not in q]
        if missing:
            raise HttpError(400, {"error": f"missing parameter(s) {', '.join(missing)}"})
        try:
            agent = json.loads(q["agent"]) if "agent" in q else None
        except ValueError as error:
            raise HttpError(400, {"error": f"agent is not JSON: {error}"}) from error
        if "agent" in q and agent_key(agent) is None:
            raise HttpError(400, {"error": "agent has no inverse functional identifier"})
        registration = q.get("registration")
        if registration is not None:
            try:
                uuid.UUID(registration)
            except ValueError as error:
                raise HttpError(400, {"error": "registration is not a UUID"}) from error
        doc_id = q.get(id_param)
        session = cred.session
        if session is not None and agent is not None and agent_key(agent) != agent_key(session.actor):
            lrs.violate(
                "11.0.0.0-1" if kind == "agent" else "8.1.3.0-3",
                f"{request}: agent {q['agent']} is not the launch actor",
                session=session,
                request=request,
            )
            raise HttpError(403, {"error": "the agent is not the learner of this session"})
        base: tuple[Any, ...] = {
            "state": ("state", q.get("activityId"), agent_key(agent), registration),
            "agent": ("agent", agent_key(agent)),
            "activity": ("activity", q.get("activityId")),
        }[kind]
        key = base + (doc_id,)
        with lrs.lock:
            if self.command in ("GET", "HEAD"):
                if session is not None:
                    self._note_startup_reads(session, kind, q, doc_id, key, registration)
                if doc_id is None:
                    since = parse_time(q["since"]) if "since" in q else None
                    ids = [
                        k[-1]
                        for k, d in lrs.documents.items()
                        if k[:-1] == base and (since is None or d.updated > since)
                    ]
                    return 200, ids, {}
                doc = lrs.documents.get(key)
                if doc is None:
                    raise HttpError(404, {"error": f"no document {doc_id}"})
                return (
                    200,
                    doc.content,
                    {
                        "Content-Type": doc.content_type,
                        "ETag": f'"{doc.etag}"',
                        "Last-Modified": format_datetime(doc.updated, usegmt=True),
                    },
                )
            if self.command not in ("PUT", "POST", "DELETE"):
                raise HttpError(405, {"error": f"{self.command} is not allowed here"})
            if session is not None and kind == "state" and doc_id in (cmi5.LAUNCH_DATA, None):
                lrs.violate(
                    "10.2.1.0-5", f"{request} of the LMS.LaunchData state document", session=session, request=request
                )
                raise HttpError(403, {"error": "the AU must not modify or delete LMS.LaunchData"})
            if session is not None and kind == "agent" and doc_id == cmi5.LEARNER_PREFS:
                if not lrs.learner_prefs_writable:
                    raise HttpError(403, {"error": "this LMS does not let AUs change learner preferences"})
                if self.command != "DELETE":
                    self._check_prefs(body, session, request)
            if doc_id is None:
                if self.command == "DELETE" and kind == "state":
                    for k in [k for k in lrs.documents if k[:-1] == base]:
                        del lrs.documents[k]
                    return 204, None, {}
                raise HttpError(400, {"error": f"missing parameter {id_param}"})
            return self._write_document(kind, key, body)

    def _note_startup_reads(
        self,
        session: Session,
        kind: str,
        q: dict[str, str],
        doc_id: str | None,
        key: tuple[Any, ...],
        registration: str | None,
    ) -> None:
        if kind == "agent" and doc_id == cmi5.LEARNER_PREFS:
            session.prefs_fetched = True
        if (
            kind == "state"
            and doc_id == cmi5.LAUNCH_DATA
            and q.get("activityId") == session.activity_id
            and registration == session.registration
            and key in self.server_lrs.documents
        ):
            session.launch_data_fetched = True

    def _check_prefs(self, body: bytes, session: Session, request: str) -> None:
        try:
            prefs = json.loads(body)
        except ValueError:
            prefs = None
        if not (
            isinstance(prefs, dict)
            and isinstance(prefs.get("languagePreference"), str)
            and prefs.get("audioPreference") in ("on", "off")
        ):
            self.server_lrs.violate(
                "11.0.0.0-5", f"cmi5LearnerPreferences written as {body[:200]!r}", session=session, request=request
            )
            raise HttpError(
                400,
                {
                    "error": "cmi5LearnerPreferences must be a JSON object with languagePreference "
                    "and audioPreference (on/off)"
                },
            )
        if not all(LANGUAGE_TAG.match(tag.strip()) for tag in prefs["languagePreference"].split(",")):
            self.server_lrs.violate(
                "11.1.0.0-1", f"languagePreference {prefs['languagePreference']!r}", session=session, request=request
            )
            raise HttpError(400, {"error": "languagePreference must be a comma-separated list of RFC 5646 tags"})

    def _write_document(self, kind: str, key: tuple[Any, ...], body: bytes) -> tuple[int, Any, dict[str, str]]:
        lrs = self.server_lrs
        existing = lrs.documents.get(key)
        if_match = self.headers.get("If-Match")
        if_none_match = self.headers.get("If-None-Match")
        if if_match is not None and (
            existing is None
            or (if_match.strip() != "*" and existing.etag not in [t.strip().strip('"') for t in if_match.split(",")])
        ):
            raise HttpError(412, {"error": "If-Match does not match the current ETag"})
        if if_none_match is not None and if_none_match.strip() == "*" and existing is not None:
            raise HttpError(412, {"error": "If-None-Match: * but the document exists"})
        if self.command == "DELETE":
            lrs.documents.pop(key, None)
            return 204, None, {}
        if (
            self.command == "PUT"
            and kind != "state"
            and existing is not None
            and if_match is None
            and if_none_match is None
        ):
            raise HttpError(
                409,
                {
                    "error": "the document exists: check its current state and send If-Match with "
                    "its ETag (xAPI-Communication §3.1)"
                },
            )
        ctype = self.headers.get("Content-Type", "application/octet-stream")
        now = datetime.now(UTC)
        if self.command == "POST" and existing is not None:

            def as_object(content: bytes, content_type: str) -> dict[str, Any]:
                if content_type.split(";")[0].strip().lower() != "application/json":
                    raise HttpError(400, {"error": "POST merges only application/json documents"})
                try:
                    value = json.loads(content)
                except ValueError as error:
                    raise HttpError(400, {"error": f"not JSON: {error}"}) from error
                if not isinstance(value, dict):
                    raise HttpError(400, {"error": "POST merges only JSON objects"})
                return value

            merged = as_object(existing.content, existing.content_type)
            merged.update(as_object(body, ctype))
            lrs.documents[key] = Document(json.dumps(merged).encode(), "application/json", now)
        else:
            if self.command == "POST" and ctype.split(";")[0].strip().lower() == "application/json":
                try:
                    json.loads(body)
                except ValueError as error:
                    raise HttpError(400, {"error": f"not JSON: {error}"}) from error
            lrs.documents[key] = Document(body, ctype, now)
        return 204, None, {}
