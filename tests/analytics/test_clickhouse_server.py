"""The ClickHouse server path (`--clickhouse URL`, clickhouse-connect over HTTP) gives the same figures as
chDB. Debian offers only clickhouse-server 18.16, too old for this SQL, so the server is a local test double
of ClickHouse's HTTP interface that executes the queries in chDB (see clickhouse_double.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursebuild.cli import main
from tests.analytics.clickhouse_double import ClickHouseHttpDouble
from tests.analytics.helpers import QUIZ, actor, void, write_jsonl
from tests.analytics.test_report import cohort

CH_ENV = {"COURSEBUILD_CLICKHOUSE_USERNAME": "analyst", "COURSEBUILD_CLICKHOUSE_PASSWORD": "ch-pass"}


def tables(out: Path) -> dict:
    document = json.loads((out / "report.json").read_text())
    return document["tables"]


def statements_with_bad_data() -> list:
    statements, learners = cohort()
    to_void = learners["bob"].answer("q-true-false", True)
    return statements + [dict(statements[0]), to_void, void(to_void["id"], actor("bob")), "{broken"]


@pytest.fixture
def clickhouse(tmp_path):
    double = ClickHouseHttpDouble(tmp_path / "server-data")
    yield double
    double.stop()


def test_chdb_and_the_clickhouse_server_path_give_the_same_figures(tmp_path):
    data = write_jsonl(tmp_path / "s.jsonl", statements_with_bad_data())
    runner = CliRunner()
    embedded = runner.invoke(
        main,
        [
            "report",
            str(tmp_path / "embedded"),
            "--store",
            str(tmp_path / "chdb"),
            "--courses",
            str(QUIZ),
            "--file",
            str(data),
        ],
        catch_exceptions=False,
    )
    assert embedded.exit_code == 0, embedded.output
    double = ClickHouseHttpDouble(tmp_path / "server-data")  # after the embedded run: one chDB session at a time
    try:
        server = runner.invoke(
            main,
            [
                "report",
                str(tmp_path / "server"),
                "--clickhouse",
                double.url + "/default",
                "--courses",
                str(QUIZ),
                "--file",
                str(data),
            ],
            env=CH_ENV,
            catch_exceptions=False,
        )
        assert server.exit_code == 0, server.output
        ran = "\n".join(double.queries)
    finally:
        double.stop()
    assert (
        "INSERT INTO cb_statements" in ran
        and "GROUPING SETS" in ran
        and "INSERT INTO cb_incoming FORMAT JSONEachRow" in ran
    )
    a, b = tables(tmp_path / "embedded"), tables(tmp_path / "server")
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name
    assert {r["class"]: r["statements"] for r in a["quality"]}["voided"] == 1
    assert "chdb store" in (tmp_path / "embedded" / "report.html").read_text()
    assert "clickhouse store" in (tmp_path / "server" / "report.html").read_text()


def test_wrong_clickhouse_credentials_are_one_line_and_not_echoed(tmp_path, clickhouse):
    data = write_jsonl(tmp_path / "s.jsonl", cohort()[0])
    result = CliRunner().invoke(
        main,
        ["report", str(tmp_path / "out"), "--clickhouse", clickhouse.url, "--courses", str(QUIZ), "--file", str(data)],
        env={"COURSEBUILD_CLICKHOUSE_USERNAME": "analyst", "COURSEBUILD_CLICKHOUSE_PASSWORD": "nope-pass"},
    )
    assert result.exit_code == 1
    assert "nope-pass" not in result.output and len(result.output.strip().splitlines()) == 1
    result = CliRunner().invoke(
        main, ["report", str(tmp_path / "out"), "--clickhouse", "ftp://x", "--courses", str(QUIZ)]
    )
    assert result.exit_code == 1 and "http" in result.output
