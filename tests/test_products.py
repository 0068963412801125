"""Product-specific training: the template, `new product`, `update product`, the guard rails and tri-X."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from coursebuild.catalogue import load_catalogue
from coursebuild.cli.product import migrate_group, new_group, release_group, update_group
from coursebuild.coverage import course_coverage
from coursebuild.errors import Problems
from coursebuild.pipeline.build import build_course
from coursebuild.products import (
    ANSWERS_FILE,
    CHANGELOG_LESSON,
    CHANGELOG_LESSON_TEMPLATE,
    COPIER_ONLY_QUESTIONS,
    FACT_NAMES,
    FACTS_FILE,
    RELEASES_DIR,
    SNAPSHOT_DIR,
    changelog_lesson_markdown,
    check_product_course,
    read_template,
    release_template,
)
from coursebuild.products.check import CONFLICT_MARKER
from coursebuild.products.releases import ReleasedVersions
from tests.conftest import REPO, edit

TEMPLATE = REPO / "courses" / "product_templates" / "default"
TRI_X = REPO / "courses" / "products" / "tri-x"
# The shipped template's version, which is its newest release and the one tri-X was last updated to.
CURRENT = read_template(TEMPLATE).version
RELEASED = ", ".join(f"v{version}" for version in ReleasedVersions(TEMPLATE).releases)  # as messages list them
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="copier's updates need git")


@click.group()
def cli() -> None:
    """The product command groups, as the main command line registers them."""


cli.add_command(new_group)
cli.add_command(update_group)
cli.add_command(migrate_group)
cli.add_command(release_group)


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output + repr(result.exception)
    return result.output


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project: the requirements catalogue and a copy of the default template; cwd is its root."""
    (tmp_path / "courses" / "product_templates").mkdir(parents=True)
    shutil.copy(REPO / "courses" / "requirements.yml", tmp_path / "courses" / "requirements.yml")
    shutil.copytree(TEMPLATE, tmp_path / "courses" / "product_templates" / "default")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def tri_x(project: Path) -> Path:
    """A copy of the tri-X worked example inside the scratch project."""
    target = project / "courses" / "products" / "tri-x"
    shutil.copytree(TRI_X, target)
    return target


def check(course: Path, draft: bool = False) -> Problems:
    problems = Problems(course.parent)
    check_product_course(course, problems, draft)
    return problems


def messages(problems: Problems) -> list[str]:
    return [p.format() for p in problems.items]


def bump_template(folder: Path, version: str, old: str = CURRENT) -> None:
    edit(folder / "copier.yml", f'default: "{old}"', f'default: "{version}"')


def release(folder: Path, version: str, old: str = CURRENT) -> None:
    """What a template maintainer does after changing the template: bump its version and release it."""
    bump_template(folder, version, old)
    assert f"template version {version}; commit it" in run("release", "template", str(folder))


# --------------------------------------------------------------------------- the template


def test_template_asks_for_exactly_the_product_facts():
    questions = [name for name in read_template(TEMPLATE).questions if name not in COPIER_ONLY_QUESTIONS]
    assert tuple(questions) == FACT_NAMES


def test_the_template_renders_the_change_log_lesson_as_products_py_expects():
    assert (TEMPLATE / "template" / "lessons" / "what-changed.md.jinja").read_text(
        encoding="utf-8"
    ) == CHANGELOG_LESSON_TEMPLATE


def test_the_template_writes_no_placeholder_of_its_own():
    for path in (TEMPLATE / "template").rglob("*.jinja"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            assert not re.search(r"\b(TODO|TBC|TBD|FIXME)\b", line), f"{path}:{number}"


def test_changelog_lesson_lists_the_newest_version_first():
    facts = {
        "product_name": "Scanly",
        "change_log": [
            {"product_version": "3.1", "date": "2025-01-10", "course_version": "1.1.0", "changes": ["New threshold"]},
            {"product_version": "3.0", "date": "2024-05-01", "course_version": "1.0.0", "changes": ["First | version"]},
        ],
    }
    text = changelog_lesson_markdown(facts)
    assert text.startswith('---\nid: what-changed\ntitle: "What changed in Scanly 3.1"\n')
    assert (
        "## Version 3.1\n\nIn use from 2025-01-10. Covered by version 1.1.0 of this course.\n\n- New threshold\n"
        in text
    )
    assert "| 3.0 | 2024-05-01 | 1.0.0 | First \\| version |" in text


# --------------------------------------------------------------------------- new product


def test_new_product_from_an_answers_file_then_build(project):
    output = run("new", "product", "X", "--answers", str(TRI_X / FACTS_FILE))
    course = project / "courses" / "products" / "x"
    assert f"created courses/products/x from template {CURRENT}" in output
    assert "still to fill in" not in output
    answers = yaml.safe_load((course / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert answers["_commit"] == f"v{CURRENT}" and answers["_src_path"] == "../../product_templates/default"
    assert answers["product_slug"] == "x" and answers["product_name"] == "X"
    assert not (course / SNAPSHOT_DIR).exists()  # no copy of the template: the version in _commit is enough
    assert not list(course.rglob("*.jinja")) and not (course / "copier.yml").exists()
    assert "# What changed in X 2.1" in (course / CHANGELOG_LESSON).read_text(encoding="utf-8")
    assert not check(course).items

    result = build_course(course, None, project / "dist", project)
    assert result.ok and not result.problems.warnings, messages(result.problems)
    assert result.course.config.pathway.value == "product"
    assert sorted(p.name for p in result.written) == sorted(
        f"x-training-1.1.0-{fmt}.zip" for fmt in ("scorm12", "scorm2004", "cmi5", "xapi", "web")
    )


def test_new_product_without_a_terminal_or_answers_starts_from_placeholders(project):
    output = run("new", "product", "Scanly 2")
    assert "not a terminal and no --answers" in output
    assert re.search(
        r"\d+ facts still to fill in:\n  courses/products/scanly-2/product.yml:\d+: unfilled fact "
        r"'product_version'",
        output,
    )
    course = project / "courses" / "products" / "scanly-2"
    problems = check(course)
    assert problems.errors and not problems.warnings
    assert not build_course(course, None, None, project).ok  # the build refuses placeholders ...
    draft = build_course(course, None, None, project, draft=True)
    assert draft.ok, messages(draft.problems)  # ... unless asked for a draft


def test_new_product_rejects_an_unknown_fact(project, tmp_path):
    answers = tmp_path / "answers.yml"
    answers.write_text("manufaturer: Acme\n", encoding="utf-8")
    output = run("new", "product", "Scanly", "--answers", str(answers), code=1)
    assert "answers.yml:1: error: unknown key 'manufaturer'" in output
    assert "did you mean 'manufacturer'?" in output
    assert not (project / "courses" / "products" / "scanly").exists()


def test_new_product_refuses_to_overwrite(project, tri_x):
    output = run("new", "product", "tri-X", "--answers", str(TRI_X / FACTS_FILE), code=1)
    assert "already exists" in output


class _Terminal:
    """Drive a command through a pseudo-terminal, as a person at a keyboard would."""

    ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")

    def __init__(self, argv: list[str], cwd: Path):
        import pty

        self.master, slave = pty.openpty()
        env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "COLUMNS": "200"}
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.text = ""

    def _read(self, timeout: float = 0.2) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.master, 65536)
        except OSError:
            return False
        self.text += self.ANSI.sub("", chunk.decode("utf-8", errors="replace"))
        return bool(chunk)

    def wait_for(self, pattern: str, after: int, timeout: float = 60) -> int | None:
        """The end of the first match of `pattern` after position `after`; None if the command ended first."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            match = re.compile(pattern).search(self.text, after)
            if match:
                return match.end()
            if not self._read() and self.proc.poll() is not None:
                return None
        raise AssertionError(f"timed out waiting for {pattern!r}:\n{self.text[-2000:]}")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode("utf-8"))

    def finish(self) -> int:
        while self._read(0.1):
            if self.proc.poll() is not None and not select.select([self.master], [], [], 0.1)[0]:
                break
        return self.proc.wait(timeout=30)


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_new_product_asks_for_the_facts_on_a_terminal(project):
    script = (
        "import click\n"
        "from coursebuild.cli.product import new_group\n"
        "new_group(['product', 'Scanly', '--dest', 'scanly'])\n"
    )
    terminal = _Terminal([sys.executable, "-c", script], project)
    position = terminal.wait_for(r"The product version this training covers", 0)
    terminal.type("\x15" + "4.2" + "\r")  # Ctrl+U clears the placeholder, then the answer
    position = terminal.wait_for(r"The manufacturer \(", position)
    terminal.type("\x15" + "Acme Imaging" + "\r")
    position = terminal.wait_for(r"The organisation deploying", position)
    answered = 0
    while position is not None and answered < 60:  # keep every other placeholder: press Enter
        terminal.type("\r")
        answered += 1
        position = terminal.wait_for(r"🎤|created scanly", position)
        if position is not None and terminal.text[:position].endswith("created scanly"):
            break
    assert terminal.finish() == 0, terminal.text[-2000:]
    assert f"created scanly from template {CURRENT}" in terminal.text

    facts = yaml.safe_load((project / "scanly" / FACTS_FILE).read_text(encoding="utf-8"))
    assert facts["product_name"] == "Scanly"
    assert facts["product_version"] == "4.2"
    assert facts["manufacturer"] == "Acme Imaging"
    assert facts["deploying_organisation"].startswith("TODO")
    assert "made by Acme Imaging" in (project / "scanly" / "lessons" / "about-the-product.md").read_text(
        encoding="utf-8"
    )
    assert any("unfilled fact 'deploying_organisation'" in m for m in messages(check(project / "scanly")))


# --------------------------------------------------------------------------- guard rails


def test_a_missing_fact_fails_naming_the_fact_file_and_line(tri_x):
    facts = tri_x / FACTS_FILE
    text = facts.read_text(encoding="utf-8")
    start = text.index("\nfallback_pathway:")
    end = text.index("\n# ", start + 1)
    facts.write_text(text[:start] + text[end:], encoding="utf-8")
    contacts_line = next(i for i, line in enumerate(facts.read_text().splitlines(), 1) if line.startswith("contacts:"))

    problems = check(tri_x)
    unfilled = [p for p in problems.errors if "fallback_pathway" in p.message and "unfilled" in p.message]
    assert len(unfilled) == 1
    assert unfilled[0].file == "tri-x/product.yml" and unfilled[0].line == contacts_line
    assert unfilled[0].message == "unfilled fact 'fallback_pathway': missing"
    assert "after 'contacts'" in unfilled[0].hint


def test_a_placeholder_or_empty_fact_fails_with_its_line(tri_x):
    facts = tri_x / FACTS_FILE
    edit(facts, "manufacturer: Triadix", "manufacturer: <fill in>")
    edit(facts, "    how: Phone extension 4000, at any time of day or night", "    how: TBC")
    edit(facts, "- Any image that is not a chest X-ray", "- ''")
    lines = facts.read_text(encoding="utf-8").splitlines()
    found = {p.message.split(":")[0]: p for p in check(tri_x).errors if p.message.startswith("unfilled")}
    assert set(found) == {
        "unfilled fact 'manufacturer'",
        "unfilled fact 'contacts.it_support.how'",
        "unfilled fact 'exclusion_criteria[2]'",
    }
    assert lines[found["unfilled fact 'manufacturer'"].line - 1] == "manufacturer: <fill in>"
    assert lines[found["unfilled fact 'contacts.it_support.how'"].line - 1] == "    how: TBC"
    assert "empty" in found["unfilled fact 'exclusion_criteria[2]'"].message


def test_a_todo_marker_in_a_lesson_fails(tri_x):
    lesson = tri_x / "lessons" / "errors.md"
    edit(lesson, "## False negatives", "TODO: ask Triadix for the latest figures.\n\n## False negatives")
    line = lesson.read_text(encoding="utf-8").splitlines().index("TODO: ask Triadix for the latest figures.") + 1
    errors = check(tri_x).errors
    assert [(p.file, p.line) for p in errors] == [("tri-x/lessons/errors.md", line)]
    assert errors[0].message.startswith("TODO marker left in the course")


def test_draft_mode_warns_instead_of_failing(tri_x):
    edit(tri_x / FACTS_FILE, "manufacturer: Triadix", "manufacturer: 'TODO: check'")
    edit(tri_x / "lessons" / "errors.md", "## False negatives", "FIXME: rewrite\n\n## False negatives")
    strict = check(tri_x)
    draft = check(tri_x, draft=True)
    assert len(strict.errors) == 3  # the placeholder, the marker, and the lessons being out of step with the facts
    assert not draft.errors
    assert len(draft.warnings) == 3


def test_wrong_types_are_errors_even_in_draft(tri_x):
    edit(tri_x / FACTS_FILE, "  device_class: IIa", "  device_class: IV")
    errors = check(tri_x, draft=True).errors
    assert any("regulatory_status.device_class" in p.message for p in errors), messages(check(tri_x, True))


def test_a_new_product_version_needs_a_new_course_version(tri_x):
    facts = tri_x / FACTS_FILE
    edit(facts, "product_version: '2.1'", "product_version: '2.2'")
    assert any(
        "product_version is 2.2, but the newest change_log entry is for 2.1" in m for m in messages(check(tri_x))
    )

    edit(
        facts,
        "change_log:\n",
        "change_log:\n- product_version: '2.2'\n  date: 2024-10-01\n  course_version: 1.1.0\n"
        "  changes:\n  - Faster analysis\n",
    )
    assert any("has course version 1.1.0, which is not higher than 1.1.0" in m for m in messages(check(tri_x)))

    edit(facts, "  course_version: 1.1.0\n  changes:\n  - Faster", "  course_version: 1.2.0\n  changes:\n  - Faster")
    problems = check(tri_x)
    assert any(
        p.file == "tri-x/course.yml" and p.line == 5 and "course version 1.1.0 is lower than 1.2.0" in p.message
        for p in problems.errors
    ), messages(problems)

    run("update", "product", str(tri_x))
    assert not check(tri_x).items
    assert "version: 1.2.0" in (tri_x / "course.yml").read_text(encoding="utf-8")
    lesson = (tri_x / CHANGELOG_LESSON).read_text(encoding="utf-8")
    assert "# What changed in tri-X 2.2" in lesson and "- Faster analysis" in lesson
    assert "| 2.1 | 2024-02-12 | 1.1.0 |" in lesson


def test_the_change_log_must_be_newest_first(tri_x):
    edit(tri_x / FACTS_FILE, "  date: 2024-02-12", "  date: 2023-01-02")
    problems = check(tri_x)
    assert any(
        p.file == "tri-x/product.yml"
        and "not newest first: 2.1 (2023-01-02) is listed above 2.0 (2023-06-05)" in p.message
        for p in problems.errors
    ), messages(problems)


def test_edited_facts_are_flagged_until_the_lessons_are_regenerated(tri_x):
    edit(tri_x / FACTS_FILE, "slow or clearly not working", "slow or plainly not working")
    problems = check(tri_x)
    assert [p.message.split(" (")[0] for p in problems.errors] == [
        "product.yml has changed since the lessons were generated from it"
    ]
    assert "(fallback_pathway)" in problems.errors[0].message
    run("update", "product", str(tri_x))
    assert "slow or plainly not working" in (tri_x / "lessons" / "reporting-and-contacts.md").read_text(
        encoding="utf-8"
    )
    assert not check(tri_x).items


def test_the_change_log_lesson_cannot_be_edited_by_hand(tri_x):
    edit(tri_x / CHANGELOG_LESSON, "The heat map now appears", "The heat map appears")
    errors = check(tri_x).errors
    assert [(p.file, p.message.split(" and")[0]) for p in errors] == [
        ("tri-x/lessons/what-changed.md", "this lesson is generated from change_log in product.yml")
    ]


# --------------------------------------------------------------------------- update product


@needs_git
def test_update_applies_a_template_change_to_tri_x_keeping_a_local_edit(project, tri_x):
    template = project / "courses" / "product_templates" / "default"
    lesson = tri_x / "lessons" / "about-the-product.md"
    edit(
        lesson,
        "Medical devices are classed by risk",
        "At Nymouth, ask the AI MDT for the certificate. Medical devices are classed by risk",
    )
    edit(
        template / "template" / "lessons" / "about-the-product.md.jinja",
        "Complete the course before you use",
        "Complete this course before you first use",
    )
    edit(template / "template" / "assessment.md.jinja", "Ten questions on using", "Ten short questions on using")
    release(template, "1.1.0")

    output = run("update", "product", "courses/products/tri-x")
    assert f"updated from template {CURRENT} to 1.1.0" in output
    assert "changed  lessons/about-the-product.md" in output and "changed  assessment.md" in output
    text = lesson.read_text(encoding="utf-8")
    assert "At Nymouth, ask the AI MDT for the certificate." in text  # the local edit survives
    assert "Complete this course before you first use tri-X." in text  # the template's change arrives
    assert "Ten short questions on using tri-X" in (tri_x / "assessment.md").read_text(encoding="utf-8")
    answers = yaml.safe_load((tri_x / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert answers["_commit"] == "v1.1.0" and answers["_src_path"] == "../../product_templates/default"
    assert not (tri_x / SNAPSHOT_DIR).exists()
    assert not check(tri_x).items
    assert build_course(tri_x, None, None, project).ok


@needs_git
def test_update_reports_conflicts_and_the_build_refuses_them(project, tri_x):
    template = project / "courses" / "product_templates" / "default"
    edit(
        tri_x / "lessons" / "about-the-product.md",
        "Complete the course before you use",
        "Finish the course before you use",
    )
    edit(
        template / "template" / "lessons" / "about-the-product.md.jinja",
        "Complete the course before you use",
        "Complete this course before you use",
    )
    release(template, "1.1.0")

    result = CliRunner().invoke(cli, ["update", "product", "courses/products/tri-x"])
    assert result.exit_code == 1
    assert "conflict: courses/products/tri-x/lessons/about-the-product.md" in result.output
    assert "1 file with conflicts" in result.output
    text = (tri_x / "lessons" / "about-the-product.md").read_text(encoding="utf-8")
    assert "<<<<<<< before updating\nFinish the course" in text and "=======\nComplete this course" in text
    errors = [p for p in check(tri_x, draft=True).errors if "merge conflict" in p.message]
    assert [p.file for p in errors] == ["tri-x/lessons/about-the-product.md"]


def test_update_refuses_a_changed_template_with_the_same_version(project, tri_x):
    edit(
        project / "courses" / "product_templates" / "default" / "template" / "assessment.md.jinja",
        "Ten questions",
        "Ten quick questions",
    )
    output = run("update", "product", str(tri_x), code=1)
    assert f"template_version is still {CURRENT}" in output


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@needs_git
def test_new_and_update_from_a_template_in_git_with_two_tagged_versions(project):
    repo = project / "template-repo"
    shutil.copytree(TEMPLATE, repo)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", CURRENT)
    _git(repo, "tag", f"v{CURRENT}")
    edit(repo / "template" / "lessons" / "fairness.md.jinja", "## What you can do", "## What you can do about it")
    bump_template(repo, "1.1.0")
    _git(repo, "commit", "-q", "-am", "1.1.0")
    _git(repo, "tag", "v1.1.0")

    output = run(
        "new",
        "product",
        "Scanly",
        "--template",
        str(repo),
        "--ref",
        f"v{CURRENT}",
        "--answers",
        str(TRI_X / FACTS_FILE),
    )
    assert f"from template {CURRENT}" in output
    course = project / "courses" / "products" / "scanly"
    answers = yaml.safe_load((course / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert answers["_commit"] == f"v{CURRENT}" and answers["_src_path"] == "../../../template-repo"
    fairness = course / "lessons" / "fairness.md"
    assert "## What you can do\n" in fairness.read_text(encoding="utf-8")
    edit(
        fairness, "- **Notice patterns.**", "- **Use the weekly huddle.** Raise concerns there.\n- **Notice patterns.**"
    )

    output = run("update", "product", str(course))  # no --template: from where it came, to the newest tag
    assert f"updated from template {CURRENT} to 1.1.0" in output
    text = fairness.read_text(encoding="utf-8")
    assert "## What you can do about it" in text and "**Use the weekly huddle.**" in text
    assert yaml.safe_load((course / ANSWERS_FILE).read_text(encoding="utf-8"))["_commit"] == "v1.1.0"
    assert not check(course).items


# --------------------------------------------------------------------------- the worked example


def test_tri_x_is_valid_complete_and_covers_table_2():
    result = build_course(TRI_X, None, None, REPO)
    assert result.ok and not result.problems.warnings, messages(result.problems)
    problems = Problems(REPO)
    check_product_course(TRI_X, problems, draft=False)
    assert not problems.items, messages(problems)
    catalogue = load_catalogue(REPO / "courses" / "requirements.yml", Problems(REPO))
    report = course_coverage(result.course, catalogue)
    assert report.tables == ["T2"] and len(report.rows) == 20
    assert report.percent("taught") == 100 and report.percent("assessed") == 100


def test_tri_x_marks_itself_fictional_and_its_invented_facts_as_examples():
    facts = yaml.safe_load((TRI_X / FACTS_FILE).read_text(encoding="utf-8"))
    assert facts["fictional"] is True and "fictional" in facts["fictional_note"]
    for name in ("contacts", "data_use", "local_validation", "change_log", "regulatory_status"):
        assert name in facts["illustrative"]
    for lesson in (TRI_X / "lessons").glob("*.md"):
        text = lesson.read_text(encoding="utf-8")
        assert "::: fictional\ntri-X, Triadix, Linchester ICS and Nymouth ICS are fictional." in text, lesson.name
    assert "Class IIa medical device with UKCA marking. *(illustrative example)*" in (
        TRI_X / "lessons" / "about-the-product.md"
    ).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- stored releases


def _release_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (folder / RELEASES_DIR).glob("*.tar.gz")}


def test_two_releases_of_the_same_files_are_byte_identical(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(TEMPLATE, first, ignore=shutil.ignore_patterns(RELEASES_DIR))
    for path in sorted(
        TEMPLATE.rglob("*"), reverse=True
    ):  # the other copy: made in another order, other times and modes
        relative = path.relative_to(TEMPLATE)
        if relative.parts[0] != RELEASES_DIR and path.is_file():
            (second / relative).parent.mkdir(parents=True, exist_ok=True)
            (second / relative).write_bytes(path.read_bytes())
            os.chmod(second / relative, 0o600)
            os.utime(second / relative, (1_000_000_000, 1_000_000_000))
    assert release_template(first).created and release_template(second).created
    archive = first / RELEASES_DIR / f"v{CURRENT}.tar.gz"
    assert archive.read_bytes() == (second / RELEASES_DIR / f"v{CURRENT}.tar.gz").read_bytes()
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members) and "copier.yml" in [m.name for m in members]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {(0, 0, 0, "", "", 0o644)}
    assert not [m for m in members if m.name.startswith(RELEASES_DIR)]


def test_the_shipped_template_is_its_newest_release_and_every_product_course_has_its_release():
    versions = ReleasedVersions(TEMPLATE)
    assert versions.target(None) == read_template(TEMPLATE).version  # the folder equals its release
    for answers_file in (REPO / "courses" / "products").glob(f"*/{ANSWERS_FILE}"):
        commit = yaml.safe_load(answers_file.read_text(encoding="utf-8"))["_commit"]
        assert commit[1:] in versions.releases, f"{answers_file}: no release {commit} in {TEMPLATE / RELEASES_DIR}"


def test_releasing_unchanged_files_again_changes_nothing(project):
    template = project / "courses" / "product_templates" / "default"
    before = _release_files(template)
    output = run("release", "template")
    assert f"version {CURRENT} is released already, with these files; nothing changed" in output
    assert _release_files(template) == before


def test_a_released_version_never_changes(project):
    template = project / "courses" / "product_templates" / "default"
    before = _release_files(template)
    edit(template / "template" / "assessment.md.jinja", "Ten questions", "Ten quick questions")
    output = run("release", "template", code=1)
    assert (
        "courses/product_templates/default/copier.yml: error: bump template_version in copier.yml, then release again"
        in output
    )
    assert f"v{CURRENT}.tar.gz holds version {CURRENT} already, and the template has changed since" in output
    assert "Traceback" not in output and _release_files(template) == before

    release(template, "1.1.0")
    assert sorted(_release_files(template)) == sorted([*before, "v1.1.0.tar.gz"])
    assert {name: _release_files(template)[name] for name in before} == before
    bump_template(template, "1.0.5", old="1.1.0")
    assert "template version 1.0.5 is older than the newest release, 1.1.0" in run("release", "template", code=1)


def test_new_and_update_refuse_a_template_version_that_is_not_released(project, tri_x):
    template = project / "courses" / "product_templates" / "default"
    edit(template / "template" / "assessment.md.jinja", "Ten questions", "Ten quick questions")
    bump_template(template, "1.1.0")
    for args in (["update", "product", "courses/products/tri-x"], ["new", "product", "Scanly"]):
        output = run(*args, code=1)
        assert "copier.yml: template version 1.1.0 is not released" in output
        assert "run `coursebuild release template" in output
    assert not (project / "courses" / "products" / "scanly").exists()


def test_a_damaged_release_is_reported_not_a_traceback(project, tri_x):
    archive = project / "courses" / "product_templates" / "default" / RELEASES_DIR / f"v{CURRENT}.tar.gz"
    archive.write_bytes(archive.read_bytes()[:500])
    output = run("update", "product", "courses/products/tri-x", code=1)
    assert f"v{CURRENT}.tar.gz: cannot read this template release" in output and "Traceback" not in output


@needs_git
def test_update_across_two_releases_merges_from_the_version_the_course_records(project, tri_x):
    """CURRENT -> 1.1.0 -> 1.2.0 with the course at CURRENT: copier merges from that stored release, so the
    author's edit stays, both template changes arrive, and a line only the template changed is not a conflict."""
    template = project / "courses" / "product_templates" / "default"
    lesson = tri_x / "lessons" / "fairness.md"
    edit(lesson, "- **Notice patterns.**", "- **Use the weekly huddle.** Raise concerns there.\n- **Notice patterns.**")
    jinja = template / "template" / "lessons" / "fairness.md.jinja"
    edit(jinja, "## What you can do", "## What you can do about it")
    release(template, "1.1.0")
    edit(jinja, "## What you can do about it", "## What you can do about unfairness")
    release(template, "1.2.0", old="1.1.0")

    output = run("update", "product", "courses/products/tri-x")
    assert f"updated from template {CURRENT} to 1.2.0" in output and "changed  lessons/fairness.md" in output
    text = lesson.read_text(encoding="utf-8")
    assert "## What you can do about unfairness" in text and "**Use the weekly huddle.** Raise concerns there." in text
    assert CONFLICT_MARKER not in text
    assert yaml.safe_load((tri_x / ANSWERS_FILE).read_text(encoding="utf-8"))["_commit"] == "v1.2.0"
    assert "template version 1.2.0 kept" in run("update", "product", "courses/products/tri-x")


# --------------------------------------------------------------------------- migrate product


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def old_tri_x(tri_x: Path) -> Path:
    """tri-X as coursebuild used to make it: with a copy of the template version it came from in .template/."""
    shutil.copytree(TEMPLATE, tri_x / SNAPSHOT_DIR, ignore=shutil.ignore_patterns(RELEASES_DIR))
    return tri_x


def test_tri_x_carries_no_copy_of_the_template():
    assert not (TRI_X / SNAPSHOT_DIR).exists()
    assert not list(TRI_X.rglob("*.jinja")) and not list(TRI_X.rglob("copier.yml"))


def test_migrate_removes_the_copy_and_keeps_everything_else(project, old_tri_x):
    before = _tree(old_tri_x)
    output = run("migrate", "product", "courses/products/tri-x")
    assert (
        f"courses/products/tri-x: removed .template/, which is release v{CURRENT} of courses/product_templates/default"
        in output
    )
    after = _tree(old_tri_x)
    assert after == {k: v for k, v in before.items() if not k.startswith(f"{SNAPSHOT_DIR}/")}
    assert not (old_tri_x / SNAPSHOT_DIR).exists() and not list(old_tri_x.glob(".template*"))
    answers = yaml.safe_load((old_tri_x / ANSWERS_FILE).read_text(encoding="utf-8"))
    assert answers["_commit"] == f"v{CURRENT}" and answers["_src_path"] == "../../product_templates/default"
    assert "nothing changed" in run("update", "product", "courses/products/tri-x")  # merges from the release now
    assert _tree(old_tri_x) == after


def test_migrate_twice_says_so_and_changes_nothing(project, old_tri_x):
    run("migrate", "product", "courses/products/tri-x")
    before = _tree(old_tri_x)
    output = run("migrate", "product", "courses/products/tri-x")
    assert (
        f"courses/products/tri-x: migrated already (no .template/; template version {CURRENT}); nothing changed"
        in output
    )
    assert _tree(old_tri_x) == before


def test_migrate_records_the_version_the_copy_holds(project, old_tri_x):
    """The copy, not _commit, was what the old update merged from; if they disagree, the copy wins."""
    edit(old_tri_x / ANSWERS_FILE, f"_commit: v{CURRENT}", "_commit: v1.0.3")
    output = run("migrate", "product", "courses/products/tri-x")
    assert f"_commit in .copier-answers.yml was v1.0.3; it is now v{CURRENT}" in output
    assert yaml.safe_load((old_tri_x / ANSWERS_FILE).read_text(encoding="utf-8"))["_commit"] == f"v{CURRENT}"


def test_migrate_refuses_a_copy_that_matches_no_release(project, old_tri_x):
    edit(old_tri_x / SNAPSHOT_DIR / "template" / "assessment.md.jinja", "Ten questions", "Ten quick questions")
    before = _tree(old_tri_x)
    output = run("migrate", "product", "courses/products/tri-x", code=1)
    assert (
        "courses/products/tri-x/.template/ does not match any release of the template at "
        f"courses/product_templates/default: it differs from release v{CURRENT} in template/assessment.md.jinja; "
        "nothing was changed"
    ) in output
    assert "restore .template/ from version control" in output and "Traceback" not in output
    assert _tree(old_tri_x) == before

    edit(old_tri_x / SNAPSHOT_DIR / "copier.yml", f'default: "{CURRENT}"', 'default: "1.4.0"')
    output = run("migrate", "product", "courses/products/tri-x", code=1)
    assert "its copier.yml says version 1.4.0, and" in output
    assert f"holds no release v1.4.0 (releases: {RELEASED})" in output


def test_migrate_leaves_the_course_as_it_was_when_it_fails_part_way(project, old_tri_x, monkeypatch):
    before = _tree(old_tri_x)

    def disk_full(*args: object, **kwargs: object) -> None:
        (old_tri_x / ANSWERS_FILE).write_text("half written", encoding="utf-8")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("coursebuild.products.worker.write_answers", disk_full)
    output = run("migrate", "product", "courses/products/tri-x", code=1)
    assert "could not migrate courses/products/tri-x (" in output and "No space left on device" in output
    assert "nothing was changed" in output and "Traceback" not in output
    assert _tree(old_tri_x) == before and not list(old_tri_x.glob(".template.*"))


def test_update_of_a_course_with_a_copy_asks_for_migrate_first(project, old_tri_x):
    before = _tree(old_tri_x)
    output = run("update", "product", "courses/products/tri-x", code=1)
    assert (
        "courses/products/tri-x/.template/ is a copy of the template, which product courses no longer carry" in output
    )
    assert "run `coursebuild migrate product courses/products/tri-x` first" in output
    assert _tree(old_tri_x) == before


def test_new_product_from_an_older_stored_release(project):
    template = project / "courses" / "product_templates" / "default"
    jinja = template / "template" / "lessons" / "fairness.md.jinja"
    edit(jinja, "## What you can do", "## What you can do about it")
    release(template, "1.1.0")
    # v1.0.0 is the first release, older than the shipped template (it stays stored for the courses made from it)
    output = run("new", "product", "Scanly", "--ref", "v1.0.0", "--answers", str(TRI_X / FACTS_FILE))
    assert "from template 1.0.0" in output
    course = project / "courses" / "products" / "scanly"
    assert "## What you can do\n" in (course / "lessons" / "fairness.md").read_text(encoding="utf-8")
    assert f"holds no release v0.9.0 (releases: {RELEASED}, v1.1.0)" in run(
        "new", "product", "Other", "--ref", "v0.9.0", "--answers", str(TRI_X / FACTS_FILE), code=1
    )
    assert "updated from template 1.0.0 to 1.1.0" in run("update", "product", str(course))
    assert "## What you can do about it" in (course / "lessons" / "fairness.md").read_text(encoding="utf-8")
