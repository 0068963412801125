"""A real, strict LRS for the Statements resource: Learning Locker's statements service (npm
`xapi-statements@5.0.1`, GPL-3.0, test-only), in memory, bound to 127.0.0.1 by real_lrs.js.
The test LRS forwards every batch it accepts here; a 4xx from it is a violation (see server.py)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
START_TIMEOUT_S = 30


class RealLrs:
    """Start with `RealLrs.start()`, stop with `.stop()` (also happens when this Python process exits, because
    real_lrs.js exits when its stdin closes)."""

    def __init__(self, proc: subprocess.Popen[str], port: int, workdir: tempfile.TemporaryDirectory[str]) -> None:
        self._proc = proc
        self._workdir = workdir
        self.endpoint = f"http://127.0.0.1:{port}/xAPI/"
        self.posted = 0  # statements accepted by the real LRS

    @classmethod
    def start(cls) -> RealLrs:
        workdir = tempfile.TemporaryDirectory(prefix="coursebuild-real-lrs-")
        env = dict(
            os.environ,
            MODELS_REPO="memory",
            STORAGE_REPO="local",
            AUTH_REPO="test",
            EVENTS_REPO="test",
            SERVICE_AWAIT_UPDATES="true",
            EXPRESS_PORT="1",  # real_lrs.js picks a port
            FS_LOCAL_STORAGE_DIR=workdir.name,
            EXPRESS_MORGAN_DIRECTORY=str(Path(workdir.name, "logs")),
            WINSTON_CONSOLE_LEVEL="error",
            NODE_NO_WARNINGS="1",
        )
        proc = subprocess.Popen(
            ["node", str(HERE / "real_lrs.js")],
            cwd=workdir.name,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        port: list[int] = []
        lines: list[str] = []

        def read_port() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if line.startswith('{"port":'):
                    port.append(json.loads(line)["port"])
                    break

        reader = threading.Thread(target=read_port, daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_S)
        if not port:
            proc.kill()
            err = proc.stderr.read() if proc.stderr else ""  # type: ignore[union-attr]
            workdir.cleanup()
            raise RuntimeError(f"xapi-statements did not start within {START_TIMEOUT_S}s: {''.join(lines)}{err}")
        # Keep draining its output so a chatty logger can never block it on a full pipe.
        for stream in (proc.stdout, proc.stderr):
            threading.Thread(target=lambda s=stream: [None for _ in s], daemon=True).start()
        lrs = cls(proc, port[0], workdir)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:  # listening is not quite ready: wait for a real answer
            try:
                lrs._request("GET", "about")
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    lrs.stop()
                    raise
                time.sleep(0.05)
        return lrs

    def _request(self, method: str, path: str, body: Any = None) -> tuple[int, str]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.endpoint + path,
            data=data,
            method=method,
            headers={
                "X-Experience-API-Version": "1.0.3",
                "Content-Type": "application/json",
                "Authorization": "Basic dGVzdDp0ZXN0",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, statements: list[dict[str, Any]]) -> tuple[int, str]:
        """POST a batch; returns (status, body). Raises OSError if the real LRS is gone."""
        status, body = self._request("POST", "statements", statements)
        if status == 200:
            self.posted += len(statements)
        return status, body

    def query(self, params: dict[str, str]) -> tuple[int, str]:
        """GET statements with these parameters (a statementId lookup or filters); returns (status, body)."""
        return self._request("GET", "statements?" + urlencode(params))

    def get(self, statement_id: str) -> dict[str, Any] | None:
        status, body = self._request("GET", f"statements?statementId={statement_id}")
        return json.loads(body) if status == 200 else None

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._workdir.cleanup()
