from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from coursebuild.cli import main
from tests.conftest import edit


def coverage(course, *args):
    return CliRunner().invoke(main, ["coverage", str(course), *args])


def test_reports_where_each_requirement_is_taught_and_assessed(course):
    result = coverage(course, "--format", "json")
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output)
    rows = {r["id"]: r for r in report["requirements"]}
    assert rows["T1.1"]["taught_in"] == ["first-lesson"]
    assert rows["T1.1"]["assessed_by"] == ["q-first-1", "q-final-1"]
    assert rows["T1.3"]["taught_in"] == [] and rows["T1.3"]["assessed_by"] == ["ward-round/start"]
    assert report["taught_percent"] == 66.7 and report["assessed_percent"] == 100.0


def test_an_item_below_the_requirement_level_does_not_count(course):
    # T1.2 is a familiarity requirement; an awareness-level question does not evidence it.
    edit(
        course / "assessment.md",
        "id: q-final-2\ntype: multiple\nlevel: familiarity",
        "id: q-final-2\ntype: multiple\nlevel: awareness",
    )
    [report] = json.loads(coverage(course, "--format", "json").output)
    row = next(r for r in report["requirements"] if r["id"] == "T1.2")
    assert row["assessed_by"] == [] and row["assessed_below_level"] == ["q-final-2"]


def test_fail_under_exits_non_zero_when_teaching_or_assessment_falls_short(course):
    result = coverage(course, "--fail-under", "90")
    assert result.exit_code == 1
    assert "minimal-course: 67% taught (need 100%), 100% assessed (need 90%)" in result.output
    assert "NOT TAUGHT   T1.3" in result.output


def test_csv_and_html_outputs(course):
    rows = list(csv.DictReader(io.StringIO(coverage(course, "-f", "csv").output)))
    assert [r["requirement"] for r in rows] == ["T1.1", "T1.2", "T1.3"]
    page = coverage(course, "-f", "html").output
    assert page.startswith("<!DOCTYPE html>") and '<th scope="row">T1.3</th>' in page
