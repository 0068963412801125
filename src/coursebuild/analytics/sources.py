"""Where statements come from: an LRS (xAPI Statements API), a JSON or JSON-lines export file, or a
ClickHouse table that an LRS already keeps (read in place, for example Ralph's ClickHouse backend).

Each source puts raw statement JSON into the store; ClickHouse parses it (see `queries.parse_insert`).
Credentials for an LRS come from COURSEBUILD_LRS_USERNAME / COURSEBUILD_LRS_PASSWORD or from a
netrc-style file, never from the command line, and never appear in output or in the report.
"""

from __future__ import annotations

import base64
import json
import netrc
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursebuild.analytics import queries
from coursebuild.analytics.errors import AnalyticsError
from coursebuild.analytics.store import Store, redact_url

XAPI_VERSION = "1.0.3"
PAGE_LIMIT = 500
RETRIES = 4
USER_ENV = "COURSEBUILD_LRS_USERNAME"
PASSWORD_ENV = "COURSEBUILD_LRS_PASSWORD"


@dataclass
class IngestResult:
    source: str
    statements: int
    seconds: float


def next_batch(store: Store) -> int:
    rows = store.rows("SELECT max(batch) AS b FROM cb_statements")
    return int(rows[0]["b"] or 0) + 1 if rows else 1


# ------------------------------------------------------------------ files


def ingest_file(store: Store, path: Path) -> IngestResult:
    """A JSON-lines export (one statement per line), or a JSON file holding an array of statements or an
    LRS answer ({"statements": [...]})."""
    started = time.perf_counter()
    path = Path(path)
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip()
    except OSError as error:
        raise AnalyticsError(f"cannot read {path}: {error.strerror or error}") from None
    batch = next_batch(store)
    before = _count(store)
    if head[:1] in (b"[", b"{") and _is_single_json_document(path, head):
        statements = _statements_of_document(path)
        _insert_lines(store, (json.dumps(s, ensure_ascii=False) for s in statements), batch)
    elif store.can_read_files:
        # ClickHouse reads and parses the file itself: the fast path for large exports.
        store.execute(
            queries.parse_insert(
                f"file({queries.quote(str(path.resolve()))}, 'LineAsString')", batch, where="WHERE line != ''"
            )
        )
    else:
        with path.open("r", encoding="utf-8", errors="replace") as handle:
            _insert_lines(store, (line.rstrip("\n") for line in handle if line.strip()), batch)
    return IngestResult(str(path), _count(store) - before, time.perf_counter() - started)


def _is_single_json_document(path: Path, head: bytes) -> bool:
    if head[:1] == b"[":
        return True
    # `{` starts both a JSON-lines file and one JSON object; one object spans the whole file only if the
    # first line alone is not complete JSON.
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
    try:
        json.loads(first)
    except ValueError:
        return True
    return False


def _statements_of_document(path: Path) -> list[Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise AnalyticsError(f"{path} is neither JSON nor JSON lines: {error}") from None
    if isinstance(document, dict) and isinstance(document.get("statements"), list):
        return document["statements"]
    if isinstance(document, list):
        return document
    return [document]


def _insert_lines(store: Store, lines: Iterator[str], batch: int) -> None:
    store.execute("TRUNCATE TABLE cb_incoming")
    store.insert_rows("cb_incoming", ({"line": line} for line in lines))
    store.execute(queries.parse_insert("cb_incoming", batch))
    store.execute("TRUNCATE TABLE cb_incoming")


def _count(store: Store) -> int:
    return int(store.rows("SELECT count() AS n FROM cb_statements")[0]["n"])


# ------------------------------------------------------------------ ClickHouse table in place


def ingest_clickhouse_table(store: Store, table: str, column: str) -> IngestResult:
    """Statements an LRS already keeps in ClickHouse (Ralph's backend: table `xapi_events_all`, column
    `event`), parsed in place by the same SQL. The table must be reachable from the store."""
    started = time.perf_counter()
    for name in (table, column):
        if not all(ch.isalnum() or ch in "_." for ch in name):
            raise AnalyticsError(f"not a ClickHouse table or column name: {name!r}")
    before = _count(store)
    store.execute(queries.parse_insert(table, next_batch(store), column=column))
    return IngestResult(f"clickhouse:{table}.{column}", _count(store) - before, time.perf_counter() - started)


# ------------------------------------------------------------------ LRS


@dataclass
class Credentials:
    username: str
    password: str

    def header(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return f"Basic {token}"

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return "Credentials(<hidden>)"


def credentials_for(endpoint: str, netrc_file: Path | None) -> Credentials | None:
    if netrc_file is not None:
        host = urllib.parse.urlsplit(endpoint).hostname or ""
        try:
            found = netrc.netrc(str(netrc_file)).authenticators(host)
        except (OSError, netrc.NetrcParseError) as error:
            raise AnalyticsError(
                f"cannot read the credentials file {netrc_file}: {getattr(error, 'strerror', None) or 'not in netrc format'}"
            ) from None
        if not found:
            raise AnalyticsError(f"the credentials file {netrc_file} has no entry for machine {host}")
        login, _, netrc_password = found
        return Credentials(login or "", netrc_password or "")
    username, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if username is not None or password is not None:
        return Credentials(username or "", password or "")
    return None


class LrsReader:
    """GET /statements with since/until, following `more` links, retrying with backoff on network errors,
    429 and 5xx."""

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials | None,
        *,
        limit: int = PAGE_LIMIT,
        retries: int = RETRIES,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 60,
    ):
        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AnalyticsError(f"--lrs must be an http:// or https:// xAPI endpoint, not {redact_url(endpoint)!r}")
        if parts.username or parts.password:
            raise AnalyticsError(
                "put LRS credentials in COURSEBUILD_LRS_USERNAME / COURSEBUILD_LRS_PASSWORD "
                "or a --netrc file, not in the URL"
            )
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.credentials = credentials
        self.limit = limit
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.timeout = timeout
        self.requests = 0

    def pages(self, since: str | None = None, until: str | None = None) -> Iterator[list[dict[str, Any]]]:
        query = {"limit": str(self.limit), "ascending": "true"}
        if since:
            query["since"] = since
        if until:
            query["until"] = until
        url = self.endpoint + "statements?" + urllib.parse.urlencode(query)
        seen_urls = set()
        while url:
            if url in seen_urls:
                raise AnalyticsError(f"the LRS at {self.endpoint} sent the same 'more' link twice")
            seen_urls.add(url)
            body = self._get(url)
            statements = body.get("statements") if isinstance(body, dict) else None
            if not isinstance(statements, list):
                raise AnalyticsError(f"the LRS at {self.endpoint} did not answer with a StatementResult")
            if statements:
                yield statements
            more = body.get("more") or ""
            url = urllib.parse.urljoin(self.endpoint, more) if more else ""

    def _get(self, url: str) -> Any:
        headers = {"X-Experience-API-Version": XAPI_VERSION, "Accept": "application/json"}
        if self.credentials is not None:
            headers["Authorization"] = self.credentials.header()
        delay = self.backoff
        for attempt in range(self.retries + 1):
            self.requests += 1
            request = urllib.request.Request(url, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as error:
                if error.code in (401, 403):
                    raise AnalyticsError(
                        f"the LRS at {self.endpoint} refused the credentials (HTTP {error.code}); "
                        f"set {USER_ENV} and {PASSWORD_ENV} or use --netrc"
                    ) from None
                if error.code != 429 and error.code < 500 or attempt == self.retries:
                    raise AnalyticsError(f"the LRS at {self.endpoint} answered HTTP {error.code}") from None
            except ValueError:
                raise AnalyticsError(f"the LRS at {self.endpoint} answered with something that is not JSON") from None
            except (urllib.error.URLError, OSError) as error:
                if attempt == self.retries:
                    reason = getattr(error, "reason", error)
                    raise AnalyticsError(f"cannot reach the LRS at {self.endpoint}: {reason}") from None
            self.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover


def ingest_lrs(
    store: Store, reader: LrsReader, since: str | None = None, until: str | None = None, full: bool = False
) -> IngestResult:
    """Fetch statements into the store. Unless `full`, only those stored since the last run against this
    LRS (xAPI `since` is exclusive; a statement fetched twice is recognised by its id)."""
    started = time.perf_counter()
    source = reader.endpoint
    last = None if full else last_stored(store, source)
    effective_since = max((t for t in (since, last) if t), key=_instant, default=None)
    batch = next_batch(store)
    newest = last or ""
    fetched = 0
    with tempfile.TemporaryDirectory(prefix="coursebuild-lrs-") as folder:
        spool = Path(folder) / "statements.jsonl"
        with spool.open("w", encoding="utf-8") as handle:
            for page in reader.pages(effective_since, until):
                for statement in page:
                    handle.write(json.dumps(statement, ensure_ascii=False, separators=(",", ":")) + "\n")
                    stored = statement.get("stored") if isinstance(statement, dict) else None
                    if isinstance(stored, str) and _instant(stored) > _instant(newest):
                        newest = stored
                    fetched += 1
        if fetched:
            if store.can_read_files:
                store.execute(
                    queries.parse_insert(
                        f"file({queries.quote(str(spool))}, 'LineAsString')", batch, where="WHERE line != ''"
                    )
                )
            else:
                with spool.open("r", encoding="utf-8") as handle:
                    _insert_lines(store, (line.rstrip("\n") for line in handle), batch)
    if newest:
        store.insert_rows(
            "cb_sources",
            [
                {
                    "source": source,
                    "last_stored": newest,
                    "fetched": fetched,
                    "at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
                }
            ],
        )
    return IngestResult(source, fetched, time.perf_counter() - started)


def _instant(text: str) -> float:
    from datetime import datetime

    if not text:
        return float("-inf")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("-inf")


def last_stored(store: Store, source: str) -> str | None:
    rows = store.rows(
        f"SELECT last_stored FROM cb_sources WHERE source = {queries.quote(source)} "
        "ORDER BY parseDateTime64BestEffortOrZero(last_stored, 3, 'UTC') DESC LIMIT 1"
    )
    return rows[0]["last_stored"] if rows else None
