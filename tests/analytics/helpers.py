"""Statements shaped as coursebuild's runtime writes them, for the quiz fixture course (tests/fixtures/quiz),
and a small local LRS double (Statements API: since, until, limit, `more` paging, version header, Basic auth)."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from coursebuild.tracking import EXTENSIONS, VERBS

ROOT = Path(__file__).resolve().parent.parent.parent
QUIZ = ROOT / "tests" / "fixtures" / "quiz"
ORGANISATION = "https://w3id.org/coursebuild/xapi/extension/organisation"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@cache
def quiz_data() -> dict[str, Any]:
    from coursebuild.pipeline.build import compile_course
    from coursebuild.tracking import tracking_data

    built = compile_course(QUIZ)
    assert built.course is not None
    return tracking_data(built.course, built.catalogue)


def actor(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "name": name, "account": {"homePage": "https://lms.example.org", "name": name}}


class Learner:
    """Builds the statements one learner's session would produce."""

    def __init__(self, name: str, organisation: str | None = None, start: datetime = START):
        self.actor = actor(name)
        self.organisation = organisation
        self.clock = start
        self.registration = str(uuid.uuid4())

    def _statement(
        self, verb: str, obj: dict[str, Any], tags: dict[str, Any] | None = None, result: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self.clock += timedelta(minutes=1)
        data = quiz_data()
        context: dict[str, Any] = {
            "registration": self.registration,
            "contextActivities": {"grouping": [{"id": data["course"]["id"], "objectType": "Activity"}]},
        }
        if tags:
            context["contextActivities"]["category"] = tags["category"]
            context["contextActivities"]["other"] = tags["other"]
            context["extensions"] = dict(tags["extensions"])
        if self.organisation:
            context.setdefault("extensions", {})[ORGANISATION] = self.organisation
        statement = {
            "id": str(uuid.uuid4()),
            "actor": self.actor,
            "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
            "object": obj,
            "context": context,
            "timestamp": self.clock.isoformat().replace("+00:00", "Z"),
        }
        if result is not None:
            statement["result"] = result
        return statement

    def course(self) -> dict[str, Any]:
        course = quiz_data()["course"]
        return {"id": course["id"], "objectType": "Activity", "definition": course["definition"]}

    def answer(self, question_id: str, correct: bool) -> dict[str, Any]:
        q = quiz_data()["questions"][question_id]
        return self._statement(
            "answered",
            {"id": q["id"], "objectType": "Activity", "definition": q["definition"]},
            q["tags"],
            {"success": correct, "response": "x", "duration": "PT5S"},
        )

    def decide(self, scene_id: str, choice: str, rating: str) -> dict[str, Any]:
        scene = quiz_data()["scenarios"]["triage-list"]["scenes"][scene_id]
        return self._statement(
            "responded",
            {"id": scene["id"], "objectType": "Activity", "definition": scene["definition"]},
            scene["tags"][choice],
            {
                "success": rating != "unsafe",
                "response": choice,
                "duration": "PT5S",
                "extensions": {EXTENSIONS["rating"]: rating, EXTENSIONS["path"]: [scene_id]},
            },
        )

    def outcome(self, verb: str, scaled: float | None = None, duration: str = "PT10M") -> dict[str, Any]:
        result: dict[str, Any] = {"duration": duration}
        if verb == "completed":
            result["completion"] = True
        if verb in ("passed", "failed"):
            result["success"] = verb == "passed"
            result["score"] = {"scaled": scaled, "raw": round(scaled * 10), "min": 0, "max": 10}
        return self._statement(verb, self.course(), None, result)

    def terminated(self, duration: str) -> dict[str, Any]:
        return self._statement("terminated", self.course(), None, {"duration": duration})


def void(target_id: str, who: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": who,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target_id},
        "timestamp": "2026-03-03T10:00:00Z",
    }


def write_jsonl(path: Path, statements: list[Any]) -> Path:
    path.write_text("".join((s if isinstance(s, str) else json.dumps(s)) + "\n" for s in statements), encoding="utf-8")
    return path


# ------------------------------------------------------------------ LRS double


class LrsDouble:
    """GET /xapi/statements over a list of statements with `stored` times; pages of `page_size` with `more`.
    Records every request (path, query, headers) so tests can check `since`, the version header and auth."""

    def __init__(self, username: str = "reader", password: str = "s3cret-pass", page_size: int = 3):
        self.statements: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.page_size = page_size
        self.expected_auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.fail_next: list[int] = []  # statuses to answer the next requests with
        self._clock = datetime(2026, 3, 10, tzinfo=UTC)
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                double._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/xapi/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, statements: list[dict[str, Any]]) -> None:
        for statement in statements:
            self._clock += timedelta(milliseconds=10)
            self.statements.append(
                {
                    **statement,
                    "stored": self._clock.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                    "version": "1.0.0",
                }
            )

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append(
            {"path": parts.path, "query": query, "headers": {k.lower(): v for k, v in handler.headers.items()}}
        )
        if self.fail_next:
            return self._send(handler, self.fail_next.pop(0), {"error": "injected"})
        if handler.headers.get("Authorization") != self.expected_auth:
            return self._send(handler, 401, {"error": "unauthorised"})
        if not handler.headers.get("X-Experience-API-Version", "").startswith("1.0."):
            return self._send(handler, 400, {"error": "version header"})
        if parts.path != "/xapi/statements":
            return self._send(handler, 404, {})
        since, until = query.get("since"), query.get("until")
        chosen = [
            s for s in self.statements if (not since or s["stored"] > since) and (not until or s["stored"] <= until)
        ]
        offset = int(query.get("offset", 0))
        limit = min(int(query.get("limit", self.page_size)) or self.page_size, self.page_size)
        page = chosen[offset : offset + limit]
        more = ""
        if offset + limit < len(chosen):
            rest = dict(query, offset=str(offset + limit))
            more = "/xapi/statements?" + urlencode(rest)
        self._send(handler, 200, {"statements": page, "more": more})

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("X-Experience-API-Version", "1.0.3")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
