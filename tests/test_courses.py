"""The real courses in courses/ must always build: they are the product, and the README builds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursebuild.catalogue import load_catalogue
from coursebuild.errors import Problems
from coursebuild.pipeline.build import build_course
from coursebuild.pipeline.load import discover_courses

REPO = Path(__file__).resolve().parent.parent
COURSES = discover_courses(REPO / "courses")


def test_the_catalogue_loads_and_holds_every_table():
    problems = Problems(REPO)
    catalogue = load_catalogue(REPO / "courses" / "requirements.yml", problems)
    assert catalogue is not None, [p.format() for p in problems.items]
    counts = {table: len(catalogue.for_table(table)) for table in catalogue.tables}
    assert counts == {"T1": 30, "T2": 20, "A1": 33, "A2": 35, "A3": 0, "A4": 52, "A5": 46, "A6": 0, "A7": 26}
    questions = {table: sum(1 for q in catalogue.questions.values() if q.table == table) for table in ("A3", "A6")}
    assert questions == {"A3": 40, "A6": 25}


def test_foundational_course_is_present():
    assert REPO / "courses" / "foundational" in COURSES


@pytest.mark.parametrize("course_dir", COURSES, ids=[str(c.relative_to(REPO)) for c in COURSES])
def test_course_builds_cleanly(course_dir):
    result = build_course(course_dir, None, None, REPO)
    assert result.ok, "\n".join(p.format() for p in result.problems.errors)
    assert not result.problems.warnings, "\n".join(p.format() for p in result.problems.warnings)
    assert set(result.packages) == set(result.course.config.formats)


@pytest.mark.parametrize("course_dir", COURSES, ids=[str(c.relative_to(REPO)) for c in COURSES])
def test_course_teaches_all_and_assesses_90_percent_of_its_requirements(course_dir, monkeypatch):
    from click.testing import CliRunner

    from coursebuild.cli import main

    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["coverage", str(course_dir), "--fail-under", "90"])
    assert result.exit_code == 0, result.output
