"""Property: whatever an author's folder holds, `build` and `validate` either succeed or exit 1 with every
error naming a file (and, where there is one, a line), never a traceback, and never a file left in dist/
by a build that failed.

Each example starts from a valid fixture course and mutates it the ways real folders go wrong: text cut,
duplicated or spliced with YAML/Markdown punctuation, bytes that are not UTF-8, a BOM, CRLF, tabs, a file
deleted, emptied or renamed.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coursebuild.cli import main
from tests.conftest import FIXTURES

COURSES = ("minimal", "quiz")
# What authors type that means something to YAML, front matter or our Markdown rules.
TOKENS = [
    "\n",
    "---\n",
    ":",
    ": ",
    "- ",
    "  ",
    "\t",
    "#",
    "[",
    "]",
    "{",
    "}",
    "|",
    ">",
    "&a",
    "*a",
    "!!python/object ",
    "'",
    '"',
    "`",
    "```",
    "::: ",
    ":::\n",
    "?",
    "id: ",
    "requirements: ",
    "level: ",
    "type: ",
    "answer: ",
    "\ufeff",
    "\r\n",
    "\x00",
    "\u202e",
    "é",
    "😀",
    "../",
    "null",
    "~",
    "1e999",
    "-1",
    "[[",
    "]]",
    "<script>",
]
ENCODING_DAMAGE = [b"\xff\xfe", b"\xc3", b"\x80\x80", b"\xed\xa0\x80"]
ERROR_LINE = re.compile(r"^(?P<where>[^\s:][^:]*(?::\d+)?): (error|warning): \S")


def fixture_files(name: str) -> list[str]:
    root = FIXTURES / name
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.suffix in {".yml", ".md"}
    )


text_edit = st.one_of(
    st.tuples(st.just("insert"), st.floats(0, 1), st.lists(st.sampled_from(TOKENS) | st.text(max_size=8), max_size=4)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 80)),
    st.tuples(st.just("duplicate"), st.floats(0, 1), st.integers(1, 120)),
    st.tuples(st.just("bytes"), st.floats(0, 1), st.sampled_from(ENCODING_DAMAGE)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.none()),
    st.tuples(st.just("crlf"), st.none(), st.none()),
    st.tuples(st.just("tabs"), st.none(), st.none()),
    st.tuples(st.just("remove"), st.none(), st.none()),
    st.tuples(st.just("empty"), st.none(), st.none()),
    st.tuples(st.just("rename"), st.none(), st.sampled_from(["Lesson.MD", "a b.md", "é.md", ".hidden.md"])),
)


def apply(path: Path, edit: tuple) -> None:
    kind, where, arg = edit
    data = path.read_bytes()
    at = int(where * len(data)) if where is not None else 0
    if kind == "insert":
        data = data[:at] + "".join(arg).encode("utf-8", "surrogatepass") + data[at:]
    elif kind == "delete":
        data = data[:at] + data[at + arg :]
    elif kind == "duplicate":
        data = data[: at + arg] + data[at:]
    elif kind == "bytes":
        data = data[:at] + arg + data[at:]
    elif kind == "truncate":
        data = data[:at]
    elif kind == "crlf":
        data = data.replace(b"\n", b"\r\n")
    elif kind == "tabs":
        data = data.replace(b"  ", b"\t")
    elif kind == "remove":
        path.unlink()
        return
    elif kind == "empty":
        data = b""
    elif kind == "rename":
        path.rename(path.with_name(arg))
        return
    path.write_bytes(data)


def mutated_course(workdir: Path, name: str, edits: list[tuple[int, tuple]]) -> Path:
    shutil.copy(FIXTURES / "requirements.yml", workdir / "requirements.yml")
    course = workdir / name
    shutil.copytree(FIXTURES / name, course)
    files = fixture_files(name)
    for index, edit in edits:
        path = course / files[index % len(files)]
        if path.exists():
            apply(path, edit)
    return course


def assert_clean_outcome(result, out: Path | None) -> None:
    event(f"exit {result.exit_code}")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, result.output
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    if result.exit_code == 1:
        reported = [line for line in result.output.splitlines() if ": error: " in line]
        assert reported, f"exit 1 with no error named:\n{result.output}"
        for line in reported:
            assert ERROR_LINE.match(line), f"not 'file[:line]: error: message': {line!r}"
        if out is not None:
            assert not out.exists() or not any(out.iterdir()), f"a failed build wrote {list(out.iterdir())}"
    if out is not None and out.exists():
        assert not [p for p in out.iterdir() if not p.name.endswith(".zip")], "a partial or temporary file in dist/"


mutations = st.lists(st.tuples(st.integers(0, 50), text_edit), min_size=1, max_size=3)
fuzz_settings = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


@fuzz_settings
@given(name=st.sampled_from(COURSES), edits=mutations)
def test_build_of_a_mutated_course_succeeds_or_names_file_and_line(name, edits):
    with tempfile.TemporaryDirectory() as tmp:
        course = mutated_course(Path(tmp), name, edits)
        out = Path(tmp) / "dist"
        result = CliRunner().invoke(main, ["build", str(course), "--out", str(out), "-f", "scorm2004"])
        assert_clean_outcome(result, out)


@fuzz_settings
@given(name=st.sampled_from(COURSES), edits=mutations)
def test_validate_of_a_mutated_course_succeeds_or_names_file_and_line(name, edits):
    with tempfile.TemporaryDirectory() as tmp:
        course = mutated_course(Path(tmp), name, edits)
        result = CliRunner().invoke(main, ["validate", str(course)])
        assert_clean_outcome(result, None)


paths = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=30)


@fuzz_settings
@given(lesson_path=paths)
def test_any_lesson_path_in_course_yml_is_an_error_not_a_crash(lesson_path):
    with tempfile.TemporaryDirectory() as tmp:
        course = mutated_course(Path(tmp), "minimal", [])
        yml = course / "course.yml"
        quoted = '"' + lesson_path.replace("\\", "\\\\").replace('"', '\\"') + '"'
        yml.write_text(yml.read_text(encoding="utf-8").replace("lessons/second.md", quoted, 1), encoding="utf-8")
        out = Path(tmp) / "dist"
        result = CliRunner().invoke(main, ["build", str(course), "--out", str(out), "-f", "scorm12"])
        assert_clean_outcome(result, out)
