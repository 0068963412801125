"""One course on several cores (issue 11): a large course's lessons are parsed, rendered and deflated in
forked children, and the packages, the problems and the lesson cache are exactly what one process makes;
a child that fails or dies only costs time."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursebuild.cli import main
from coursebuild.pipeline import markdown, parallel, write
from coursebuild.pipeline.build import build_course, compile_course
from coursebuild.pipeline.parallel import MIN_ITEMS, map_shares
from tests.conftest import FIXTURES

FIVE = ["scorm12", "scorm2004", "cmi5", "xapi", "web"]
LESSONS = 2 * MIN_ITEMS + 9


def lesson_text(n: int) -> str:
    """Lessons unlike each other: some with an image, a table, a question, or raw HTML that is removed
    with a warning (so the problem list has entries from every share)."""
    body = [f"## Part {n}", "", f"Clinical safety officers review output {n} with the ward team. " * (1 + n % 7)]
    if n % 3 == 0:
        body += ["", "![A chart of the audit](../assets/chart.png)"]
    if n % 4 == 1:
        body += ["", "| Measure | Value |", "| --- | --- |", f"| reviews | {n} |"]
    if n % 5 == 2:
        body += ["", "<script>alert(1)</script>"]
    if n % 6 == 3:
        body += [
            "",
            "```question",
            f"id: q-extra-{n}",
            "type: true-false",
            "level: awareness",
            "requirements: [T1.2]",
            f"prompt: Statement {n} is true.",
            "answer: true",
            "```",
        ]
    front = f"---\nid: extra-{n:03d}\ntitle: Extra lesson {n}\nminutes: 3\nlevel: awareness\n"
    return front + "requirements: [T1.3]\nobjectives:\n  - Read on\n---\n\n" + "\n".join(body) + "\n"


@pytest.fixture
def large(tmp_path: Path) -> Path:
    """The quiz fixture with enough lessons beside its own for the work to be split."""
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "quiz", course)
    shutil.copy(FIXTURES / "requirements.yml", tmp_path / "requirements.yml")
    (course / "assets").mkdir()
    shutil.copy(FIXTURES / "minimal" / "assets" / "chart.png", course / "assets" / "chart.png")
    names = []
    for n in range(LESSONS):
        (course / "lessons" / f"extra-{n:03d}.md").write_text(lesson_text(n), encoding="utf-8")
        names.append(f"  - lessons/extra-{n:03d}.md")
    config = course / "course.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  - lessons/second.md\n", "  - lessons/second.md\n" + "\n".join(names) + "\n"))
    return course


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of items of each share given to a child."""
    started: list[int] = []
    start = parallel._start

    def counted(context, function, share):
        started.append(len(share))
        return start(context, function, share)

    monkeypatch.setattr(parallel, "_start", counted)
    return started


def packages(course: Path, workers: int, cache: Path | None = None) -> tuple[dict[str, bytes], list[str]]:
    result = build_course(course, FIVE, None, course.parent, cache_dir=cache, workers=workers)
    return result.packages, [p.format() for p in result.problems.items]


def test_a_course_built_on_two_cores_is_byte_identical_to_one_built_on_one(
    large: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = packages(large, 1)
    assert not forks
    monkeypatch.setattr(write, "_members", {})  # as in a new process: every member is deflated again
    assert packages(large, 2) == serial
    assert len(forks) == 3  # the lessons parsed, their pages rendered, the members deflated: each split once
    assert set(serial[0]) == set(FIVE)
    assert sum("raw HTML" in p for p in serial[1]) == len([n for n in range(LESSONS) if n % 5 == 2])


def test_errors_from_every_share_are_reported_in_the_order_one_process_reports_them(
    large: Path, forks: list[int]
) -> None:
    for n in (1, LESSONS // 2, LESSONS - 1):  # one in each share, and one at the end
        path = large / "lessons" / f"extra-{n:03d}.md"
        path.write_text(path.read_text(encoding="utf-8") + f"\n# Extra lesson {n} again\n", encoding="utf-8")
    serial = compile_course(large, large.parent, workers=1)
    split = compile_course(large, large.parent, workers=2)
    assert forks
    assert [p.format() for p in split.problems.items] == [p.format() for p in serial.problems.items]
    assert sum("top-level heading" in p.message for p in serial.problems.errors) == 3


def test_the_lesson_cache_holds_what_the_children_parsed(
    large: Path, tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = packages(large, 2, cache)
    assert forks
    parsed: list[Path] = []
    parse = markdown.parse_markdown

    def counted(text, ctx):
        parsed.append(ctx.path)
        return parse(text, ctx)

    monkeypatch.setattr("coursebuild.pipeline.parse.parse_markdown", counted)
    result = compile_course(large, large.parent, cache_dir=cache, workers=1)
    assert result.ok
    assert [path.name for path in parsed] == ["assessment.md"]  # every lesson, from either share, was cached
    assert first == packages(large, 1)


def test_an_edit_after_a_cached_build_on_two_cores_is_what_a_cold_build_makes(large: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    packages(large, 2, cache)
    path = large / "lessons" / f"extra-{LESSONS - 3:03d}.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA line added later.\n", encoding="utf-8")
    assert packages(large, 2, cache) == packages(large, 1)


def test_one_large_course_with_j2_builds_the_bytes_of_j1(large: Path, tmp_path: Path, forks: list[int]) -> None:
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}"
        result = CliRunner().invoke(main, ["build", str(large), "--out", str(out), "--no-cache", "-j", jobs])
        assert result.exit_code == 0, result.output
        outputs[jobs] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert forks  # -j 2 with one course gives the second core to its lessons
    assert outputs["1"] == outputs["2"] and outputs["1"]


def square_each(share: list[int]) -> list[int]:
    return [n * n for n in share]


def test_shares_come_back_in_order_and_balanced_by_weight() -> None:
    items = list(range(200))
    assert [n for share in map_shares(square_each, items, 3) for n in share] == square_each(items)
    heavy_first = map_shares(lambda share: share, items, 2, weight=lambda n: 1000 if n < 10 else 1)
    # Ten items of 1,000 and 190 of 1: five heavy items weigh about half of the total.
    assert heavy_first == [list(range(5)), list(range(5, 200))]


def test_few_items_or_one_worker_stay_in_this_process(forks: list[int]) -> None:
    here = os.getpid()
    assert map_shares(lambda share: [os.getpid()] * len(share), list(range(MIN_ITEMS - 1)), 2) == [
        [here] * (MIN_ITEMS - 1)
    ]
    assert map_shares(lambda share: {os.getpid()}, list(range(500)), 1) == [{here}]
    assert not forks
    pids = map_shares(lambda share: {os.getpid()}, list(range(500)), 2)
    assert pids[0] == {here} and pids[1] != {here}


@pytest.mark.parametrize("failure", ["raises", "dies", "unpicklable"])
def test_a_failed_child_has_its_share_done_here(failure: str) -> None:
    here = os.getpid()

    def work(share: list[int]) -> list[object]:
        if os.getpid() != here:
            if failure == "raises":
                raise RuntimeError("a bug in a child")
            if failure == "dies":
                os._exit(9)
            return [lambda n=n: n for n in share]  # a lambda cannot be pickled back
        return [n + 1 for n in share]

    items = list(range(300))
    assert [n for share in map_shares(work, items, 2) for n in share] == [n + 1 for n in items]


def test_an_error_the_share_raises_here_too_is_raised_as_in_one_process() -> None:
    def work(share: list[int]) -> list[int]:
        if 250 in share:
            raise ValueError("lesson 250 is broken")
        return share

    with pytest.raises(ValueError, match="lesson 250"):
        map_shares(work, list(range(300)), 2)


def test_an_error_in_this_process_share_stops_the_children() -> None:
    here = os.getpid()

    def work(share: list[int]) -> list[int]:
        if os.getpid() == here:
            raise ValueError("lesson 3 is broken")
        time.sleep(60)  # a child still busy when the error comes
        return share

    started = time.monotonic()
    with pytest.raises(ValueError, match="lesson 3"):
        map_shares(work, list(range(300)), 2)
    assert time.monotonic() - started < 30 and multiprocessing.active_children() == []
