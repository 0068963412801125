"""One small interface over chDB (embedded ClickHouse) and a ClickHouse server or cluster.

Both run exactly the same SQL (from `queries.py`); only the way a statement reaches ClickHouse differs.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from coursebuild.analytics.errors import AnalyticsError

if TYPE_CHECKING:
    from chdb.session import Session

INSERT_BATCH = 20_000


class Store:
    """execute() runs a statement, rows() returns dicts, insert_rows() sends JSONEachRow data."""

    kind = "store"
    can_read_files = False

    def execute(self, sql: str) -> None:
        raise NotImplementedError

    def rows(self, sql: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def insert_rows(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        """Insert dicts as JSONEachRow, in batches; returns how many were sent."""
        count = 0
        for batch in _batches(rows, INSERT_BATCH):
            data = "\n".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in batch)
            self._insert_json_each_row(table, data)
            count += len(batch)
        return count

    def _insert_json_each_row(self, table: str, data: str) -> None:
        self.execute(f"INSERT INTO {table} FORMAT JSONEachRow\n{data}")

    def close(self) -> None:
        pass

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class ChdbStore(Store):
    """chDB, embedded ClickHouse, keeping its tables in a folder (the zero-set-up default)."""

    kind = "chdb"
    can_read_files = True

    def __init__(self, folder: Path):
        try:
            from chdb import session
        except ImportError as error:  # pragma: no cover - the test extra installs it
            raise AnalyticsError("the report needs chDB: pip install 'coursebuild[analytics]'") from error
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise AnalyticsError(f"cannot create the store folder {folder}: {error.strerror}") from error
        self.folder = folder
        self._session: Session | None = session.Session(str(folder.resolve()))

    def _open_session(self) -> Session:
        if self._session is None:
            raise AnalyticsError("chDB: the store is closed")
        return self._session

    def execute(self, sql: str) -> None:
        session = self._open_session()
        try:
            session.query(sql)
        except Exception as error:  # chDB raises a plain RuntimeError with ClickHouse's message
            raise AnalyticsError(f"chDB: {_first_line(error)}") from error

    def rows(self, sql: str) -> list[dict[str, Any]]:
        session = self._open_session()
        try:
            result = session.query(sql, "JSONEachRow")
        except Exception as error:
            raise AnalyticsError(f"chDB: {_first_line(error)}") from error
        text = result.data() if hasattr(result, "data") else str(result)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


class ClickHouseStore(Store):
    """A ClickHouse server or cluster through clickhouse-connect (HTTP interface).

    Credentials come from COURSEBUILD_CLICKHOUSE_USERNAME / COURSEBUILD_CLICKHOUSE_PASSWORD, never from the
    URL printed anywhere. The database in the URL path (default `default`) holds the report's tables."""

    kind = "clickhouse"

    def __init__(self, url: str):
        try:
            import clickhouse_connect
        except ImportError as error:  # pragma: no cover
            raise AnalyticsError(
                "--clickhouse needs clickhouse-connect: pip install 'coursebuild[analytics]'"
            ) from error
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AnalyticsError(f"--clickhouse must be an http:// or https:// URL, not {redact_url(url)!r}")
        username = os.environ.get("COURSEBUILD_CLICKHOUSE_USERNAME", parts.username or "default")
        password = os.environ.get("COURSEBUILD_CLICKHOUSE_PASSWORD", parts.password or "")
        database = parts.path.strip("/") or "default"
        self.url = redact_url(url)
        try:
            self._client = clickhouse_connect.get_client(
                host=parts.hostname,
                port=parts.port or (8443 if parts.scheme == "https" else 8123),
                secure=parts.scheme == "https",
                username=username,
                password=password,
                database=database,
                compress=False,
            )
        except Exception as error:
            raise AnalyticsError(f"cannot reach ClickHouse at {self.url}: {_first_line(error)}") from error

    def execute(self, sql: str) -> None:
        try:
            self._client.command(sql)
        except Exception as error:
            raise AnalyticsError(f"ClickHouse at {self.url}: {_first_line(error)}") from error

    def rows(self, sql: str) -> list[dict[str, Any]]:
        try:
            result = self._client.raw_query(sql, fmt="JSONEachRow")
        except Exception as error:
            raise AnalyticsError(f"ClickHouse at {self.url}: {_first_line(error)}") from error
        text = result.decode("utf-8") if isinstance(result, bytes) else str(result)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def _insert_json_each_row(self, table: str, data: str) -> None:
        try:
            self._client.raw_insert(table, insert_block=data.encode("utf-8"), fmt="JSONEachRow")
        except Exception as error:
            raise AnalyticsError(f"ClickHouse at {self.url}: {_first_line(error)}") from error

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a connection that failed may fail to close too
            self._client.close()


def redact_url(url: str) -> str:
    """The URL without any user name or password in it."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def open_store(folder: Path | None, clickhouse_url: str | None) -> Store:
    if clickhouse_url:
        return ClickHouseStore(clickhouse_url)
    return ChdbStore(folder or Path(".coursebuild-analytics"))
