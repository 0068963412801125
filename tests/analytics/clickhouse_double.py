"""A local test double of ClickHouse's HTTP interface that executes every query in chDB.

Debian's clickhouse-server (18.16) is too old for the report's SQL (named-tuple JSONExtract, GROUPING SETS),
and no newer server can be installed from the registries this project may use, so the clickhouse-connect
path of `coursebuild report --clickhouse URL` is tested against this double: real clickhouse-connect, real
HTTP, the same SQL, run by the ClickHouse engine that chDB embeds. It checks Basic auth (or the X-ClickHouse
headers) and records every query so tests can show the server path really ran them."""

from __future__ import annotations

import base64
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FORMAT = re.compile(r"\bFORMAT\s+(\w+)\s*$", re.IGNORECASE)


class ClickHouseHttpDouble:
    def __init__(self, folder: Path, username: str = "analyst", password: str = "ch-pass"):
        from chdb import session

        self.session = session.Session(str(folder))
        self.lock = threading.Lock()
        self.queries: list[str] = []
        self.credentials = (username, password)
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                double._handle(self, b"")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else self._chunked()
                double._handle(self, body)

            def _chunked(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                    return b""
                data = b""
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _authorised(self, handler: BaseHTTPRequestHandler, params: dict[str, str]) -> bool:
        user = handler.headers.get("X-ClickHouse-User") or params.get("user")
        key = handler.headers.get("X-ClickHouse-Key") or params.get("password")
        auth = handler.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, key = base64.b64decode(auth[6:]).decode().partition(":")
        return (user, key) == self.credentials

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        parts = urlsplit(handler.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/ping":
            return self._send(handler, 200, b"Ok.\n")
        if not self._authorised(handler, params):
            return self._send(
                handler, 516, b"Code: 516. DB::Exception: default: Authentication failed. (AUTHENTICATION_FAILED)\n"
            )
        query = params.get("query", "")
        if query and body:  # INSERT ... FORMAT X in the URL, its data in the body
            query = query.rstrip() + "\n" + body.decode("utf-8")
        elif body:
            query = body.decode("utf-8")
        fmt = params.get("default_format", "TabSeparated")
        match = (
            FORMAT.search(query.split("\n", 1)[0])
            if query.lstrip().upper().startswith("INSERT")
            else FORMAT.search(query)
        )
        if match and not query.lstrip().upper().startswith("INSERT"):
            fmt = match.group(1)
            query = query[: match.start()]
        self.queries.append(query)
        try:
            with self.lock:
                result = self.session.query(query, fmt)
        except Exception as error:  # ClickHouse answers an exception as HTTP 500 with its text
            return self._send(handler, 500, (str(error).strip() + "\n").encode())
        data = result.bytes() if hasattr(result, "bytes") else bytes(result)
        return self._send(
            handler,
            200,
            data,
            {"X-ClickHouse-Format": fmt, "X-ClickHouse-Summary": '{"read_rows":"0","written_rows":"0"}'},
        )

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "text/plain; charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("X-ClickHouse-Server-Display-Name", "coursebuild-test-double")
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        if status >= 500:
            handler.send_header("X-ClickHouse-Exception-Code", "1")
        handler.end_headers()
        handler.wfile.write(data)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.session.close()
