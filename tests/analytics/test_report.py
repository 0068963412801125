"""`coursebuild report` on statements from files and a local LRS double: levels reached, data quality,
filters, incremental fetching, credentials and errors. Real chDB throughout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursebuild.cli import main
from tests.analytics.helpers import QUIZ, Learner, LrsDouble, actor, void, write_jsonl


def run_report(tmp_path: Path, *args: str, env: dict[str, str] | None = None, store: str = "store"):
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["report", str(tmp_path / "out"), "--store", str(tmp_path / store), "--courses", str(QUIZ), *args],
        env=env,
        catch_exceptions=False,
    )
    return result


def table(tmp_path: Path, name: str) -> list[dict]:
    return json.loads((tmp_path / "out" / "data" / f"{name}.json").read_text())["rows"]


def by(rows: list[dict], *keys: str) -> dict:
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


def cohort() -> tuple[list[dict], dict[str, Learner]]:
    """Ann gets everything right; Bob gets T1.1 right but T1.2 wrong and an unsafe decision; Cy only
    answers T1.2 at awareness level (q-true-false), below the familiarity the report asks for."""
    ann, bob, cy = Learner("ann", "Trust A"), Learner("bob", "Trust B"), Learner("cy", "Trust A")
    statements = [
        ann.answer("q-single", True),
        ann.answer("q-fill-in", True),
        ann.decide("start", "look", "best"),
        ann.outcome("completed"),
        ann.outcome("passed", 0.9),
        ann.terminated("PT20M"),
        bob.answer("q-single", True),
        bob.answer("q-fill-in", False),
        bob.answer("q-numeric", False),
        bob.decide("start", "ignore", "unsafe"),
        bob.outcome("completed"),
        bob.outcome("failed", 0.4),
        bob.terminated("PT10M"),
        cy.answer("q-true-false", True),
        cy.decide("start", "later", "acceptable"),
        cy.terminated("PT1H30S"),
    ]
    return statements, {"ann": ann, "bob": bob, "cy": cy}


def test_levels_reached_completion_and_wrong_answers(tmp_path):
    statements, _ = cohort()
    result = run_report(tmp_path, "--file", str(write_jsonl(tmp_path / "s.jsonl", statements)))
    assert result.exit_code == 0, result.output
    requirements = by(table(tmp_path, "requirements"), "requirement")
    # T1.1 (awareness asked): ann and bob answered q-single correctly.
    assert requirements["T1.1"]["learners_reached_required"] == 2
    # T1.2 (familiarity asked): only ann (q-fill-in, familiarity); cy's true-false is awareness only.
    assert requirements["T1.2"]["learners_evidenced"] == 3
    assert requirements["T1.2"]["learners_reached_required"] == 1
    # T1.3: ann (best) and cy (acceptable) reached it; bob's unsafe decision did not.
    assert requirements["T1.3"]["learners_reached_required"] == 2
    attainment = by(table(tmp_path, "attainment"), "requirement", "level")
    assert (
        attainment[("T1.2", "awareness")]["learners"] == 1 and not attainment[("T1.2", "awareness")]["meets_required"]
    )
    assert (
        attainment[("T1.2", "familiarity")]["learners"] == 1 and attainment[("T1.2", "familiarity")]["meets_required"]
    )
    course = table(tmp_path, "courses")[0]
    assert (course["course"], course["learners"], course["completed"], course["passed"], course["failed"]) == (
        "quiz-course",
        3,
        2,
        1,
        1,
    )
    assert course["pass_rate"] == 50 and course["mean_score_percent"] == 65
    assert course["median_minutes"] == 20  # 10 min, 20 min, 60.5 min
    wrong = by(table(tmp_path, "wrong_answers"), "item")
    assert {i.rsplit("/", 1)[1] for i in wrong} == {"q-fill-in", "q-numeric", "start"}
    assert wrong[next(i for i in wrong if i.endswith("/scene/start"))]["requirements"] == "T1.3"
    organisations = by(table(tmp_path, "by_organisation"), "organisation")
    assert organisations["Trust A"]["learners"] == 2 and organisations["Trust B"]["learners"] == 1
    layer = table(tmp_path, "by_layer")
    assert [r["layer"] for r in layer] == ["foundational"]
    # q-single (T1.1): no gap; every requirement the quiz teaches has evidence
    assert table(tmp_path, "coverage_gaps") == []
    html = (tmp_path / "out" / "report.html").read_text()
    assert html.count("<svg") == 4 and "(asked for)" in html and "<script" not in html
    csv_text = (tmp_path / "out" / "data" / "requirements.csv").read_text()
    assert csv_text.splitlines()[0].startswith("requirement,")


def test_bad_data_is_counted_listed_and_left_out(tmp_path):
    statements, learners = cohort()
    ann = learners["ann"]
    duplicate = dict(statements[0])
    wrong_version = {**ann.answer("q-multiple", True), "version": "2.0.0"}
    unknown = ann.answer("q-multiple", True)
    unknown["object"]["id"] = "https://elsewhere.example.org/q/1"
    unknown["context"]["contextActivities"]["grouping"] = [{"id": "https://elsewhere.example.org"}]
    untagged = ann.answer("q-multiple", True)
    del untagged["context"]["extensions"]["https://w3id.org/coursebuild/xapi/extension/taxonomy-level"]
    untagged["context"]["contextActivities"]["category"] = []
    to_void = learners["bob"].answer("q-true-false", True)  # would give bob T1.2 evidence at awareness
    no_actor = ann.answer("q-multiple", True)
    del no_actor["actor"]
    lines = statements + [
        duplicate,
        wrong_version,
        unknown,
        untagged,
        to_void,
        void(to_void["id"], actor("bob")),
        no_actor,
        "{not json",
        json.dumps({"id": "not-a-uuid"}),
    ]
    result = run_report(tmp_path, "--file", str(write_jsonl(tmp_path / "s.jsonl", lines)))
    assert result.exit_code == 0, result.output
    counts = {r["class"]: r["statements"] for r in table(tmp_path, "quality")}
    assert counts == {
        "ok": len(statements),
        "duplicate": 1,
        "other-version": 1,
        "unknown-activity": 1,
        "untagged": 1,
        "voided": 1,
        "voiding": 1,
        "malformed": 3,
    }
    listed = {(r["class"], r["id"]) for r in table(tmp_path, "quality_list")}
    assert ("voided", to_void["id"]) in listed and ("duplicate", duplicate["id"]) in listed
    # None of them is in the figures: the same as the clean data set.
    requirements = by(table(tmp_path, "requirements"), "requirement")
    assert requirements["T1.2"]["learners_evidenced"] == 3 and requirements["T1.1"]["learners_reached_required"] == 2
    assert table(tmp_path, "totals")[0]["statements"] == len(statements)
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Data quality" in html and "{not json" in html and to_void["id"] in html


def test_a_voiding_statement_arriving_later_removes_an_earlier_statement(tmp_path):
    statements, learners = cohort()
    result = run_report(tmp_path, "--file", str(write_jsonl(tmp_path / "a.jsonl", statements)))
    assert result.exit_code == 0
    assert by(table(tmp_path, "requirements"), "requirement")["T1.1"]["learners_reached_required"] == 2
    bob_single = statements[6]
    assert bob_single["actor"]["name"] == "bob"
    result = run_report(
        tmp_path, "--file", str(write_jsonl(tmp_path / "b.jsonl", [void(bob_single["id"], actor("bob")), bob_single]))
    )
    assert result.exit_code == 0
    assert by(table(tmp_path, "requirements"), "requirement")["T1.1"]["learners_reached_required"] == 1
    counts = {r["class"]: r["statements"] for r in table(tmp_path, "quality")}
    assert counts["voided"] == 1 and counts["duplicate"] == 1


def test_filters(tmp_path):
    statements, learners = cohort()
    late = Learner("dee", "Trust B", start=learners["ann"].clock.replace(month=6))
    statements += [late.answer("q-single", True), late.terminated("PT5M")]
    path = str(write_jsonl(tmp_path / "s.jsonl", statements))
    assert run_report(tmp_path, "--file", path).exit_code == 0
    assert table(tmp_path, "totals")[0]["learners"] == 4
    assert run_report(tmp_path, "--organisation", "Trust B").exit_code == 0
    assert table(tmp_path, "totals")[0]["learners"] == 2
    assert run_report(tmp_path, "--since", "2026-05-01").exit_code == 0
    assert table(tmp_path, "totals")[0]["learners"] == 1
    assert run_report(tmp_path, "--until", "2026-05-01", "--course", "quiz-course").exit_code == 0
    assert table(tmp_path, "totals")[0]["learners"] == 3
    result = run_report(tmp_path, "--course", "no-such-course")
    assert result.exit_code == 2 and "no-such-course" in result.output and "Traceback" not in result.output
    result = run_report(tmp_path, "--organisation", "Trust Z")
    assert result.exit_code == 2 and "Trust A" in result.output
    result = run_report(tmp_path, "--since", "last tuesday")
    assert result.exit_code == 2 and "--since" in result.output


def test_unreadable_file_and_bad_urls_are_one_line_errors(tmp_path):
    result = run_report(tmp_path, "--file", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 1 and "cannot read" in result.output and len(result.output.strip().splitlines()) == 1
    result = run_report(tmp_path, "--lrs", "ftp://example.org/xapi")
    assert result.exit_code == 1 and "http" in result.output
    result = run_report(tmp_path, "--lrs", "http://127.0.0.1:9/xapi/", env={"COURSEBUILD_LRS_USERNAME": "u"})
    assert result.exit_code == 1 and "cannot reach the LRS" in result.output


@pytest.fixture
def lrs_double():
    double = LrsDouble()
    yield double
    double.stop()


CREDENTIALS = {"COURSEBUILD_LRS_USERNAME": "reader", "COURSEBUILD_LRS_PASSWORD": "s3cret-pass"}


def test_incremental_fetch_from_an_lrs_follows_more_and_sends_since(tmp_path, lrs_double):
    statements, _ = cohort()
    lrs_double.add(statements[:10])
    result = run_report(tmp_path, "--lrs", lrs_double.endpoint, env=CREDENTIALS)
    assert result.exit_code == 0, result.output
    assert "read 10 statements" in result.output
    first = lrs_double.requests
    assert len(first) == 4  # pages of 3: 3 + 3 + 3 + 1, by following `more`
    assert all(r["headers"]["x-experience-api-version"] == "1.0.3" for r in first)
    assert "since" not in first[0]["query"]
    last_stored = lrs_double.statements[9]["stored"]
    lrs_double.requests = []
    lrs_double.add(statements[10:])
    result = run_report(tmp_path, "--lrs", lrs_double.endpoint, env=CREDENTIALS)
    assert result.exit_code == 0, result.output
    assert "read 6 statements" in result.output
    assert lrs_double.requests[0]["query"]["since"] == last_stored
    assert table(tmp_path, "totals")[0]["statements"] == len(statements)
    # nothing new: nothing fetched, figures unchanged
    result = run_report(tmp_path, "--lrs", lrs_double.endpoint, env=CREDENTIALS)
    assert "read 0 statements" in result.output
    assert table(tmp_path, "totals")[0]["statements"] == len(statements)
    # --full fetches everything again; the copies are duplicates, not new figures
    result = run_report(tmp_path, "--lrs", lrs_double.endpoint, "--full", env=CREDENTIALS)
    assert f"read {len(statements)} statements" in result.output
    assert table(tmp_path, "totals")[0]["statements"] == len(statements)
    assert {r["class"]: r["statements"] for r in table(tmp_path, "quality")}["duplicate"] == len(statements)


def test_retries_with_backoff_then_succeeds(tmp_path, lrs_double, monkeypatch):
    import time as time_module

    monkeypatch.setattr(time_module, "sleep", lambda s: None)
    statements, _ = cohort()
    lrs_double.add(statements)
    lrs_double.fail_next = [503, 500]
    result = run_report(tmp_path, "--lrs", lrs_double.endpoint, env=CREDENTIALS)
    assert result.exit_code == 0, result.output
    assert f"read {len(statements)} statements" in result.output


def test_credentials_are_never_printed_nor_in_the_report(tmp_path, lrs_double):
    statements, _ = cohort()
    lrs_double.add(statements)
    netrc = tmp_path / "lrs.netrc"
    netrc.write_text("machine 127.0.0.1 login reader password s3cret-pass\n")
    netrc.chmod(0o600)
    result = run_report(tmp_path, "--lrs", lrs_double.endpoint, "--netrc", str(netrc), env={})
    assert result.exit_code == 0, result.output
    assert lrs_double.requests[0]["headers"]["authorization"] == lrs_double.expected_auth
    written = "".join(p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file()) + result.output
    assert "s3cret-pass" not in written and lrs_double.expected_auth.split()[1] not in written
    # a wrong password: a one-line error that names the environment variables, not the password
    result = run_report(
        tmp_path,
        "--lrs",
        lrs_double.endpoint,
        env={"COURSEBUILD_LRS_USERNAME": "reader", "COURSEBUILD_LRS_PASSWORD": "wrong-pass"},
    )
    assert result.exit_code == 1 and "HTTP 401" in result.output and "wrong-pass" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    # credentials in the URL are refused without echoing them
    result = run_report(tmp_path, "--lrs", lrs_double.endpoint.replace("http://", "http://reader:s3cret-pass@"))
    assert result.exit_code == 1 and "s3cret-pass" not in result.output


def test_credentials_stay_out_of_the_process_arguments(tmp_path, lrs_double):
    """Run as a real process: the password only in its environment, never in argv (ps shows argv)."""
    statements, _ = cohort()
    lrs_double.add(statements)
    env = dict(os.environ, **CREDENTIALS)
    argv = [
        sys.executable,
        "-m",
        "coursebuild",
        "report",
        str(tmp_path / "out"),
        "--store",
        str(tmp_path / "store"),
        "--courses",
        str(QUIZ),
        "--lrs",
        lrs_double.endpoint,
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "s3cret-pass" not in " ".join(argv) + done.stdout + done.stderr


def test_a_json_array_export_and_an_lrs_answer_file(tmp_path):
    statements, _ = cohort()
    (tmp_path / "a.json").write_text(json.dumps(statements[:8]))
    (tmp_path / "b.json").write_text(json.dumps({"statements": statements[8:], "more": ""}, indent=2))
    result = run_report(tmp_path, "--file", str(tmp_path / "a.json"), "--file", str(tmp_path / "b.json"))
    assert result.exit_code == 0, result.output
    assert table(tmp_path, "totals")[0]["statements"] == len(statements)


def test_an_lrs_clickhouse_table_is_read_in_place(tmp_path):
    """Statements kept as Ralph's ClickHouse backend keeps them (table xapi_events_all, JSON in `event`)."""
    from coursebuild.analytics.store import ChdbStore

    statements, _ = cohort()
    with ChdbStore(tmp_path / "store") as store:
        store.execute(
            "CREATE TABLE xapi_events_all (event_id UUID, emission_time DateTime64(6), event String) "
            "ENGINE = MergeTree ORDER BY (emission_time, event_id)"
        )
        store.insert_rows(
            "xapi_events_all",
            [
                {"event_id": s["id"], "emission_time": s["timestamp"][:19].replace("T", " "), "event": json.dumps(s)}
                for s in statements
            ],
        )
    result = run_report(tmp_path, "--clickhouse-table", "xapi_events_all")
    assert result.exit_code == 0, result.output
    assert by(table(tmp_path, "requirements"), "requirement")["T1.1"]["learners_reached_required"] == 2
    result = run_report(tmp_path, "--clickhouse-table", "xapi_events_all; DROP TABLE x")
    assert result.exit_code == 1 and "not a ClickHouse table" in result.output
