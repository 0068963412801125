"""A scripted cmi5 AU in Python (plain urllib), used by test_lrs.py to prove the server and usable by other tests
that need a well-behaved (or deliberately misbehaving) AU without a browser."""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from . import cmi5


class Response:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Response:
    """One HTTP request; never raises for HTTP error statuses."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in (headers or {}):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ScriptedAU:
    """Follows cmi5 §8-§11 from a launch URL: fetch, LaunchData, learner preferences, then statements."""

    def __init__(self, launch_url: str) -> None:
        params = {k: v[0] for k, v in parse_qs(urlsplit(launch_url).query).items()}
        self.endpoint = params["endpoint"]
        self.fetch_url = params["fetch"]
        self.actor = json.loads(params["actor"])
        self.registration = params["registration"]
        self.activity_id = params["activityId"]
        self.auth: str | None = None
        self.launch_data: dict[str, Any] = {}

    def headers(self, **extra: str) -> dict[str, str]:
        h = {"X-Experience-API-Version": "1.0.3"}
        if self.auth:
            h["Authorization"] = self.auth
        h.update(extra)
        return h

    def xapi(
        self, method: str, resource: str, params: dict[str, Any] | None = None, body: Any = None, **headers: str
    ) -> Response:
        url = self.endpoint + resource + ("?" + urlencode(params) if params else "")
        return http(method, url, body, self.headers(**headers))

    def fetch(self) -> Response:
        r = http("POST", self.fetch_url)
        if "auth-token" in r.json():
            self.auth = "Basic " + r.json()["auth-token"]
        return r

    def state_params(self, state_id: str = cmi5.LAUNCH_DATA) -> dict[str, str]:
        return {
            "stateId": state_id,
            "activityId": self.activity_id,
            "agent": json.dumps(self.actor),
            "registration": self.registration,
        }

    def get_launch_data(self) -> Response:
        r = self.xapi("GET", "activities/state", self.state_params())
        if r.status == 200:
            self.launch_data = r.json()
        return r

    def get_prefs(self) -> Response:
        return self.xapi("GET", "agents/profile", {"profileId": cmi5.LEARNER_PREFS, "agent": json.dumps(self.actor)})

    def start(self) -> None:
        """fetch -> LMS.LaunchData -> learner preferences, asserting each step worked."""
        assert self.fetch().status == 200 and self.auth
        assert self.get_launch_data().status == 200
        assert self.get_prefs().status in (200, 404)

    def statement(
        self,
        verb: str,
        *,
        defined: bool = True,
        result: dict[str, Any] | None = None,
        moveon: bool | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A statement built the way cmi5 asks: context from the contextTemplate, registration, categories."""
        context = copy.deepcopy(self.launch_data.get("contextTemplate", {}))
        context["registration"] = self.registration
        cats = []
        if defined:
            cats.append({"id": cmi5.CMI5_CATEGORY})
        if moveon if moveon is not None else (defined and result and ({"success", "completion"} & result.keys())):
            cats.append({"id": cmi5.MOVEON_CATEGORY})
        if cats:
            context.setdefault("contextActivities", {})["category"] = cats
        if verb in (cmi5.PASSED, cmi5.FAILED) and "masteryScore" in self.launch_data:
            context.setdefault("extensions", {})[cmi5.MASTERYSCORE] = self.launch_data["masteryScore"]
        st: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "timestamp": now(),
            "actor": self.actor,
            "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
            "object": {"objectType": "Activity", "id": self.activity_id},
            "context": context,
        }
        if result is not None:
            st["result"] = result
        st.update(extra)
        return st

    def send(self, *statements: dict[str, Any]) -> Response:
        body: Any = statements[0] if len(statements) == 1 else list(statements)
        return self.xapi("POST", "statements", body=body)

    # the usual cmi5 defined statements
    def initialized(self) -> dict[str, Any]:
        return self.statement(cmi5.INITIALIZED)

    def completed(self) -> dict[str, Any]:
        return self.statement(cmi5.COMPLETED, result={"completion": True, "duration": "PT1M0.5S"})

    def passed(self, scaled: float = 0.9) -> dict[str, Any]:
        return self.statement(
            cmi5.PASSED,
            result={
                "success": True,
                "duration": "PT2M",
                "score": {"scaled": scaled, "raw": round(scaled * 10), "min": 0, "max": 10},
            },
        )

    def failed(self, scaled: float = 0.5) -> dict[str, Any]:
        return self.statement(cmi5.FAILED, result={"success": False, "duration": "PT2M", "score": {"scaled": scaled}})

    def terminated(self) -> dict[str, Any]:
        return self.statement(cmi5.TERMINATED, result={"duration": "PT3M"})
