"""Rebuilds in one process (preview, issue 11): what was made from unchanged files is reused, and the result
is always what a fresh build of the same files makes: the same package files, the same problems."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from coursebuild.pipeline import load, markdown, render
from coursebuild.pipeline.build import compile_course
from coursebuild.pipeline.live import SETTLED_NS, LiveCourse
from coursebuild.targets import get_target
from tests.conftest import FIXTURES, edit


def settle(folder: Path) -> None:
    """Date every file a minute back, as files are that were saved before the preview started."""
    past = time.time() - 60
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (past, past))


@pytest.fixture(params=["minimal", "quiz"])
def course(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / request.param, tmp_path / "course")
    shutil.copy(FIXTURES / "requirements.yml", tmp_path / "requirements.yml")
    settle(tmp_path / "course")
    return tmp_path / "course"


def built(course: Path, live: LiveCourse | None, delivery: str = "split") -> tuple[dict[str, bytes], list[str]]:
    result = compile_course(course, course.parent, live=live, delivery=delivery)
    problems = [p.format() for p in result.problems.items]
    if result.site is None or result.problems.errors:
        return {}, problems
    return get_target("scorm2004").package(result.site, result.problems), problems


def assert_same_as_fresh(course: Path, live: LiveCourse, delivery: str = "split") -> tuple[dict[str, bytes], list[str]]:
    again = built(course, live, delivery)
    assert again == built(course, None, delivery)
    return again


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


EDITS = {
    "lesson body": ("lessons/second.md", "---\n\n", "---\n\nA sentence added at the top.\n\n"),
    "lesson title": ("lessons/second.md", "title: ", "title: Renamed, "),
    "course settings": ("course.yml", "title: ", "title: Renamed "),
    "assessment": ("assessment.md", "title: ", "title: Renamed "),
}


@pytest.mark.parametrize("delivery", ["single", "split"])
@pytest.mark.parametrize("change", sorted(EDITS))
def test_a_live_rebuild_after_an_edit_equals_a_fresh_build(course: Path, change: str, delivery: str) -> None:
    live = LiveCourse()
    before = assert_same_as_fresh(course, live, delivery)
    name, old, new = EDITS[change]
    edit(course / name, old, new)
    after = assert_same_as_fresh(course, live, delivery)
    assert after != before
    assert_same_as_fresh(course, live, delivery)  # the edited file, now read twice, and the rest reused


def test_only_the_edited_lesson_is_read_parsed_and_rendered_again(
    course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = LiveCourse()
    built(course, live)
    calls: dict[str, list[str]] = {"read": [], "parsed": [], "rendered": []}
    real_load, real_parse, real_plain = load.load_markdown, markdown.parse_markdown, render._plain_text

    def counting_load(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["read"].append(Path(path).name)
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(load, "load_markdown", counting_load)
    monkeypatch.setattr(
        "coursebuild.pipeline.parse.parse_markdown",
        lambda text, ctx: calls["parsed"].append(text) or real_parse(text, ctx),
    )
    monkeypatch.setattr(render, "_plain_text", lambda html: calls["rendered"].append(html) or real_plain(html))
    append(course / "lessons" / "second.md", "\nOne new sentence.\n")
    built(course, live)
    # The assessment is parsed on every build (one file); the lessons only when they changed.
    assert calls["read"] == ["second.md"]
    assert [text for text in calls["parsed"] if "One new sentence" in text] == calls["parsed"][:1]
    assert len(calls["rendered"]) == 1 and "One new sentence" in calls["rendered"][0]


def test_a_new_file_in_the_course_folder_starts_the_reuse_afresh(course: Path) -> None:
    """A lesson's parse checks which files exist (images, links): a change of the listing re-parses all."""
    live = LiveCourse()
    lesson = next((course / "lessons").glob("*.md"))
    append(lesson, "\n![A chart](../assets/new.png)\n")
    settle(course)
    _, problems = assert_same_as_fresh(course, live)
    assert any("new.png" in problem for problem in problems)
    (course / "assets").mkdir(exist_ok=True)
    shutil.copy(FIXTURES / "minimal" / "assets" / "chart.png", course / "assets" / "new.png")
    _, problems = assert_same_as_fresh(course, live)
    assert not any("new.png" in problem for problem in problems)


def test_problems_of_reused_lessons_are_reported_again_and_only_once(course: Path) -> None:
    live = LiveCourse()
    lesson = next((course / "lessons").glob("*.md"))
    append(lesson, "\n# A second top-level heading\n")
    settle(course)
    files, problems = assert_same_as_fresh(course, live)
    assert files == {} and sum("top-level heading" in p for p in problems) == 1
    _, again = assert_same_as_fresh(course, live)  # the faulty lesson is reused, with its problem
    assert again == problems
    edit(lesson, "# A second top-level heading", "## A second-level heading")
    files, problems = assert_same_as_fresh(course, live)
    assert files and not any("top-level heading" in p for p in problems)


def test_moving_a_lesson_to_another_module_rebuilds_its_pages(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "minimal", tmp_path / "course")
    course = tmp_path / "course"
    settle(course)
    live = LiveCourse()
    before = assert_same_as_fresh(course, live)
    edit(
        course / "course.yml",
        "      - lessons/second.md\n",
        "  - id: more\n    title: More\n    lessons:\n      - lessons/second.md\n",
    )
    assert assert_same_as_fresh(course, live) != before


def test_a_changed_theme_template_rerenders_the_reused_lessons(course: Path) -> None:
    theme = course.parent / "themes" / "local"
    shutil.copytree(Path(__file__).parents[1] / "themes" / "default", theme)
    text = (course / "course.yml").read_text(encoding="utf-8")
    (course / "course.yml").write_text(text + "theme: local\n", encoding="utf-8")
    settle(course)
    live = LiveCourse()
    before = assert_same_as_fresh(course, live)
    edit(theme / "templates" / "page_lesson.html", '<div class="prose">', '<div class="prose" data-edited>')
    assert assert_same_as_fresh(course, live) != before


def test_a_file_read_soon_after_it_was_written_is_read_again(tmp_path: Path) -> None:
    """Timestamps are coarse: a second write within the same tick may leave the stat unchanged, so a file
    is trusted to be unchanged only if it had settled when it was read."""
    path = tmp_path / "lesson.md"
    path.write_text("first", encoding="utf-8")
    live = LiveCourse()
    state = live.read_state(path)
    live.keep_file("markdown", path, state, "made from first")
    assert live.unchanged_file("markdown", path, live.read_state(path)[0]) is None

    past = time.time_ns() - 2 * SETTLED_NS
    os.utime(path, ns=(past, past))
    state = live.read_state(path)
    live.keep_file("markdown", path, state, "made from first")
    assert live.unchanged_file("markdown", path, live.read_state(path)[0]) == "made from first"
    assert live.unchanged_file("markdown", path, live.read_state(path)[0], "other inputs") is None
    path.write_text("other", encoding="utf-8")  # same size, new times
    assert live.unchanged_file("markdown", path, live.read_state(path)[0]) is None


def test_the_tree_listing_is_what_os_walk_sees(tmp_path: Path) -> None:
    """The listing (part of every lesson-cache key) is made with scandir; it must be os.walk's view."""
    from coursebuild.pipeline.cache import _tree_listing

    (tmp_path / "lessons" / "deeper").mkdir(parents=True)
    (tmp_path / "lessons" / "one.md").write_text("x", encoding="utf-8")
    (tmp_path / "lessons" / "deeper" / "two.md").write_text("x", encoding="utf-8")
    (tmp_path / "linked").symlink_to("lessons", target_is_directory=True)
    (tmp_path / "alias.md").symlink_to("lessons/one.md")
    (tmp_path / "broken.md").symlink_to("nowhere.md")
    expected = []
    for parent, dirs, files in os.walk(tmp_path):
        base = os.path.relpath(parent, tmp_path).replace(os.sep, "/")
        for name in dirs + files:
            path = os.path.join(parent, name)
            relative = name if base == "." else f"{base}/{name}"
            target = os.readlink(path) if os.path.islink(path) else ""
            expected.append(f"{relative}\0{'d' if os.path.isdir(path) else 'f'}\0{target}")
    assert _tree_listing(tmp_path) == "\n".join(sorted(expected))
    assert "linked\0d\0lessons" in _tree_listing(tmp_path) and "linked/one.md" not in _tree_listing(tmp_path)


FIVE = ["scorm12", "scorm2004", "cmi5", "xapi", "web"]


def test_watch_builds_of_all_five_formats_equal_cold_builds(course: Path, tmp_path: Path) -> None:
    """`build --watch` packages, zips included, after each edit: the bytes of a --no-cache build."""
    from coursebuild.pipeline.build import build_course

    live = LiveCourse()
    for n in range(3):
        watched = build_course(course, FIVE, tmp_path / f"watched-{n}", course.parent, live=live)
        cold = build_course(course, FIVE, tmp_path / f"cold-{n}", course.parent)
        assert watched.ok and watched.packages == cold.packages and len(watched.written) == 5
        append(course / "lessons" / "second.md", f"\nEdit number {n}.\n")


def test_a_save_rebuilds_the_course_it_is_in_and_a_theme_rebuilds_all(tmp_path: Path) -> None:
    from coursebuild.watching import Rebuilder

    for name in ("minimal", "quiz"):
        shutil.copytree(FIXTURES / name, tmp_path / "courses" / name)
    (tmp_path / "themes" / "default").mkdir(parents=True)
    jobs = [(tmp_path / "courses" / "minimal", None), (tmp_path / "courses" / "quiz", None)]
    rebuilder = Rebuilder(jobs, lambda job, live: None)  # type: ignore[arg-type, return-value]
    assert rebuilder.affected({tmp_path / "courses" / "quiz" / "lessons" / "types.md"}) == jobs[1:]
    assert rebuilder.affected({tmp_path / "themes" / "default" / "theme.yml"}) == jobs
    assert (tmp_path / "courses" / "quiz").resolve() in rebuilder.watched()


def test_build_watch_writes_the_packages_again_after_a_save(tmp_path: Path) -> None:
    """The command itself: it builds, waits, rebuilds the saved course into the same files a cold build
    writes, reports a broken save without stopping, and stops cleanly on Ctrl+C."""
    import queue
    import signal
    import subprocess
    import sys
    import threading

    from click.testing import CliRunner

    from coursebuild.cli import main

    shutil.copytree(FIXTURES / "minimal", tmp_path / "course")
    course = tmp_path / "course"
    settle(course)
    formats = ["-f", "scorm2004", "-f", "web"]
    command = [sys.executable, "-m", "coursebuild", "build", str(course), "--out", str(tmp_path / "out"), *formats]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    process = subprocess.Popen(
        [*command, "--cache-dir", str(tmp_path / "cache"), "--watch"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()  # type: ignore[union-attr]

    def wait_for(text: str) -> list[str]:
        seen = []
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                continue
            if text in seen[-1]:
                return seen
        raise AssertionError(f"no {text!r} in {seen}")

    try:
        wait_for("watching")
        time.sleep(0.5)  # let the watcher start
        append(course / "lessons" / "second.md", "\nA sentence saved while watching.\n")
        assert any("wrote" in line for line in wait_for("rebuilt 1 course(s)"))
        cold = CliRunner().invoke(main, ["build", str(course), "--out", str(tmp_path / "cold"), *formats, "--no-cache"])
        assert cold.exit_code == 0, cold.output
        for package in sorted((tmp_path / "cold").glob("*.zip")):
            assert (tmp_path / "out" / package.name).read_bytes() == package.read_bytes()
        append(course / "lessons" / "second.md", "\n# A second top-level heading\n")
        seen = wait_for("Waiting for the next save")
        assert any("second.md" in line and "top-level heading" in line for line in seen)
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=60) == 0
        except subprocess.TimeoutExpired:
            stuck = _where_it_is(process.pid)
            process.kill()
            process.wait(timeout=10)
            time.sleep(0.5)  # the reader thread takes the last lines
            rest = [lines.get_nowait() for _ in range(lines.qsize())]
            raise AssertionError(f"--watch did not stop on Ctrl+C; it wrote {seen + rest}\n{stuck}") from None
    finally:
        process.kill()


def _where_it_is(pid: int) -> str:
    """What a process that hangs is doing: its signal masks and every thread's Python and native stack."""
    import subprocess
    import sys

    status = Path(f"/proc/{pid}/status")
    masks = (
        [line for line in status.read_text().splitlines() if line.startswith(("Sig", "ShdPnd"))]
        if status.exists()
        else []
    )
    spy = Path(sys.executable).parent / "py-spy"
    dump = subprocess.run([str(spy), "dump", "--native", "--pid", str(pid)], capture_output=True, text=True, timeout=60)
    return "\n".join([*masks, dump.stdout, dump.stderr])
