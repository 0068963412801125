"""Independent xAPI 1.0.3 statement validators used by the test LRS (see README.md).

* `NodeValidator`: `@learninglocker/xapi-validation@3.0.0` (npm, MIT) in one long-lived Node process
  (validate.js) that reads one JSON statement per line on stdin and answers one JSON line.
* `RalphValidator`: ralph-malph's strict pydantic model `BaseXapiStatement` (PyPI, MIT), in process.

Both must accept a statement for the LRS to accept it. `require_tools()` fails (under CI) or skips (elsewhere)
when a dependency is missing; `bash scripts/test.sh` installs all of them.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
REQUIREMENTS_JSON = NODE_MODULES / "@cmi5" / "requirements" / "requirements.json"


def missing_tools() -> list[str]:
    missing = []
    if shutil.which("node") is None:
        missing.append("Node.js (apt-get install nodejs npm)")
    for package in ("@learninglocker/xapi-validation", "@cmi5/requirements", "xapi-statements"):
        if not (NODE_MODULES / package / "package.json").is_file():
            missing.append(f"tests/lrs/node_modules/{package} (cd tests/lrs && npm ci)")
    try:
        import ralph.models.xapi.base.statements  # noqa: F401
    except ImportError:
        missing.append("the Python package ralph-malph (pip install -e '.[test]')")
    return missing


def require_tools() -> None:
    """Fail under CI (the CI environment variable is set), skip elsewhere, when a dependency is missing."""
    import pytest

    missing = missing_tools()
    if missing:
        message = "the test LRS needs " + "; ".join(missing) + ". `bash scripts/test.sh` installs all of them."
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class NodeValidator:
    """@learninglocker/xapi-validation in a Node child process; thread-safe; restarts itself if Node died."""

    name = "@learninglocker/xapi-validation@3.0.0"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            ["node", str(HERE / "validate.js")],
            cwd=HERE,
            text=True,
            encoding="utf-8",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        ready = proc.stdout.readline()
        if '"ready"' not in ready:
            proc.kill()
            raise RuntimeError(f"tests/lrs/validate.js did not start (said {ready!r}); run npm ci in tests/lrs")
        return proc

    def problems(self, statement: Any) -> list[str]:
        """Human-readable problems with one statement; empty when the validator accepts it."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            assert self._proc.stdin is not None and self._proc.stdout is not None
            self._proc.stdin.write(json.dumps(statement) + "\n")
            self._proc.stdin.flush()
            line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("tests/lrs/validate.js exited while validating")
        reply = json.loads(line)
        out = []
        for w in reply.get("warnings", []):
            where = w.get("path") or "statement"
            if w.get("name") == "RestrictedKeysWarning":
                out.append(f"{where}: keys not allowed by xAPI 1.0.3: {', '.join(w.get('keys') or [])}")
            elif w.get("typeName"):
                out.append(f"{where}: not a valid {w['typeName']} ({_short(w.get('data'))})")
            else:
                out.append(f"{where}: {w.get('name')} ({_short(w.get('data'))})")
        return out

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                self._proc.stdin.close()  # type: ignore[union-attr]
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                self._proc = None


class RalphValidator:
    """ralph-malph's strict xAPI 1.0.x pydantic model (extra keys forbidden, IRIs, ranges, timestamps)."""

    name = "ralph-malph BaseXapiStatement"

    def __init__(self) -> None:
        from ralph.models.xapi.base.statements import BaseXapiStatement

        self._model = BaseXapiStatement

    def problems(self, statement: Any) -> list[str]:
        from pydantic import ValidationError

        try:
            self._model.model_validate(_without_empty_objects(statement))
        except ValidationError as error:
            return [f"{'.'.join(str(p) for p in e['loc']) or 'statement'}: {e['msg']}" for e in error.errors()]
        return []


def _without_empty_objects(value: Any, key: str = "") -> Any:
    """Drop empty objects/arrays (outside extensions). ralph rejects them, but xAPI-Data §2.2 only says they SHOULD
    NOT be sent; no MUST applies, so a faithful LRS accepts them. Required properties still fail as missing."""
    if isinstance(value, dict):
        if key == "extensions":
            return value
        return {k: _without_empty_objects(v, k) for k, v in value.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [_without_empty_objects(v) for v in value if v not in ({}, [])]
    return value


_shared: dict[str, Any] = {}
_shared_lock = threading.Lock()


def default_validators() -> list[Any]:
    """The validators shared by every TestLRS in this process (one Node helper, started on first use)."""
    with _shared_lock:
        if "validators" not in _shared:
            node = NodeValidator()
            atexit.register(node.close)
            _shared["validators"] = [node, RalphValidator()]
        return _shared["validators"]


def requirement_texts() -> dict[str, str]:
    """cmi5 requirement id -> text, from npm @cmi5/requirements@1.0.0 (empty if it is not installed)."""
    with _shared_lock:
        if "requirements" not in _shared:
            try:
                data = json.loads(REQUIREMENTS_JSON.read_text(encoding="utf-8"))
                _shared["requirements"] = {k: v["txt"] for k, v in data.items()}
            except OSError:
                _shared["requirements"] = {}
        return _shared["requirements"]
