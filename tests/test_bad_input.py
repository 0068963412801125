"""Every author mistake the compiler-core issue lists: exit code 1, file and line named, dist/ untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursebuild.cli import main
from tests.conftest import edit


def build(course: Path, out: Path):
    result = CliRunner().invoke(main, ["build", str(course), "--out", str(out)])
    return result


def assert_fails_at(result, where: str, words: str):
    assert result.exit_code == 1, result.output
    assert where in result.output, result.output
    assert words in result.output, result.output
    assert "Traceback" not in result.output


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "dist"


def test_valid_course_builds(course, out):
    result = build(course, out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "minimal-course-1.2.0-scorm12.zip",
        "minimal-course-1.2.0-scorm2004.zip",
    ]


def test_invalid_yaml(course, out):
    edit(course / "course.yml", 'title: "A minimal course"', "title: [unclosed")
    assert_fails_at(build(course, out), "course.yml:3", "invalid YAML")


def test_unknown_key_with_suggestion(course, out):
    edit(course / "course.yml", "pass_mark: 75", "pass_mrak: 75")
    result = build(course, out)
    assert_fails_at(result, "course.yml:8", "unknown key 'pass_mrak'")
    assert "did you mean 'pass_mark'" in result.output


def test_mistyped_value(course, out):
    edit(course / "course.yml", "pass_mark: 75", "pass_mark: lots")
    assert_fails_at(build(course, out), "course.yml:8", "pass_mark")


def test_missing_lesson_file(course, out):
    edit(course / "course.yml", "lessons/second.md", "lessons/absent.md")
    assert_fails_at(build(course, out), "course.yml:16", "lesson 'lessons/absent.md' does not exist")


def test_wrong_case_lesson_file_is_explained(course, out):
    edit(course / "course.yml", "lessons/second.md", "lessons/Second.md")
    result = build(course, out)
    assert_fails_at(result, "course.yml:16", "does not exist")
    assert "case-sensitive" in result.output


def test_missing_asset(course, out):
    edit(course / "lessons" / "first.md", "../assets/chart.png", "../assets/missing.png")
    assert_fails_at(build(course, out), "lessons/first.md:19", "image '../assets/missing.png' does not exist")


def test_duplicate_lesson_ids(course, out):
    edit(course / "lessons" / "second.md", "id: second-lesson", "id: first-lesson")
    assert_fails_at(
        build(course, out), "lessons/second.md:2", "lesson id 'first-lesson' is used by more than one lesson"
    )


def test_unknown_taxonomy_level(course, out):
    edit(course / "lessons" / "second.md", "level: familiarity", "level: mastery")
    result = build(course, out)
    assert_fails_at(result, "lessons/second.md:5", "'level'")
    assert "awareness" in result.output  # the message lists the allowed levels


def test_path_escaping_the_course(course, out):
    (course.parent / "outside.md").write_text("---\nid: x\n---\n")
    edit(course / "course.yml", "lessons/second.md", "../outside.md")
    assert_fails_at(build(course, out), "course.yml:16", "is outside the course folder")


def test_absolute_path(course, out):
    edit(course / "course.yml", "lessons/second.md", "/etc/passwd")
    assert_fails_at(build(course, out), "course.yml:16", "is an absolute path")


def test_symlink_pointing_outside(course, out):
    secret = course.parent / "secret.md"
    secret.write_text("---\nid: secret\n---\nsecret\n")
    os.symlink(secret, course / "lessons" / "link.md")
    edit(course / "course.yml", "lessons/second.md", "lessons/link.md")
    assert_fails_at(build(course, out), "course.yml:16", "is outside the course folder")


def test_a_lesson_in_a_linked_folder_pointing_outside(course, out):
    """The folder, not the file, is the link: resolving each folder once per build must still follow it."""
    outside = course.parent / "elsewhere"
    outside.mkdir()
    (outside / "second.md").write_text((course / "lessons" / "second.md").read_text(encoding="utf-8"))
    os.symlink(outside, course / "linked")
    edit(course / "course.yml", "lessons/second.md", "linked/second.md")
    assert_fails_at(build(course, out), "course.yml:16", "is outside the course folder")


def test_paths_resolve_as_realpath_does(tmp_path: Path):
    from coursebuild.pipeline import paths

    root = tmp_path / "course"
    (root / "lessons" / "deep").mkdir(parents=True)
    (root / "lessons" / "a.md").write_text("a")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "b.md").write_text("b")
    os.symlink(tmp_path / "outside", root / "lessons" / "out")
    os.symlink(root / "lessons" / "a.md", root / "lessons" / "deep" / "alias.md")
    os.symlink("../../outside/b.md", root / "lessons" / "relative.md")
    os.symlink(root / "loop", root / "loop")
    names = ["a.md", "out/b.md", "out/../a.md", "deep/alias.md", "deep/../a.md", "relative.md", "missing/x.md"]
    names += ["deep/./a.md", "deep/..", "out/..", "../lessons/a.md", "", ".", "loop/x.md", "loop"]
    paths.forget_listings()
    for name in names:
        path = os.path.join(root, "lessons", name)
        assert paths._realpath(path) == os.path.realpath(path), name


def test_image_escaping_the_course(course, out):
    (course.parent / "x.png").write_bytes(b"png")
    edit(course / "lessons" / "first.md", "../assets/chart.png", "../../x.png")
    assert_fails_at(build(course, out), "lessons/first.md:19", "is outside the course folder")


def test_non_utf8_file(course, out):
    path = course / "lessons" / "second.md"
    path.write_bytes(
        path.read_bytes().replace(b"Some", b"Some").replace(b"is a part of AI.", b"is a part of AI \xe9t\xe9.")
    )
    assert_fails_at(build(course, out), "lessons/second.md:13", "not UTF-8")


def test_empty_lesson(course, out):
    path = course / "lessons" / "second.md"
    text = path.read_text()
    path.write_text(text[: text.index("## Definitions")])
    assert_fails_at(build(course, out), "lessons/second.md", "this lesson has no content")


def test_image_without_alt_text(course, out):
    edit(course / "lessons" / "first.md", "![A bar chart of reporting times]", "![]")
    result = build(course, out)
    assert_fails_at(result, "lessons/first.md:19", "has no alt text")
    assert "decorative" in result.output


def test_raw_script_is_stripped_with_a_warning(course, out):
    edit(course / "lessons" / "second.md", "## Definitions", "## Definitions\n\n<script>steal()</script>")
    result = build(course, out)
    assert result.exit_code == 0, result.output
    assert "lessons/second.md:13: warning: raw HTML '<script' was removed" in result.output
    import zipfile

    with zipfile.ZipFile(out / "minimal-course-1.2.0-scorm12.zip") as archive:
        assert b"steal()" not in archive.read("index.html")


def test_missing_front_matter(course, out):
    path = course / "lessons" / "second.md"
    path.write_text("Just text\n")
    assert_fails_at(build(course, out), "lessons/second.md:1", "has no front matter")


def test_unknown_requirement_id(course, out):
    edit(course / "lessons" / "second.md", "requirements: [T1.2]", "requirements: [T1.99]")
    result = build(course, out)
    assert_fails_at(result, "lessons/second.md:6", "unknown requirement ID 'T1.99'")
    assert "T1.1–T1.3" in result.output


def test_all_problems_are_reported_together(course, out):
    edit(course / "lessons" / "second.md", "level: familiarity", "level: mastery")
    edit(course / "lessons" / "first.md", "![A bar chart of reporting times]", "![]")
    edit(course / "course.yml", "scenarios/ward.yml", "scenarios/none.yml")
    result = build(course, out)
    assert result.exit_code == 1
    assert "3 problems found" in result.output
    for where in ("lessons/second.md:5", "lessons/first.md:19", "course.yml:19"):
        assert where in result.output


def test_a_failed_build_leaves_the_previous_package_intact(course, out):
    assert build(course, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    edit(course / "lessons" / "second.md", "level: familiarity", "level: mastery")
    edit(course / "course.yml", "version: 1.2.0", "version: 1.2.0")
    assert build(course, out).exit_code == 1
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before


def test_usage_errors_exit_2(course, out):
    result = CliRunner().invoke(main, ["build", str(course), "--format", "pdf", "--out", str(out)])
    assert result.exit_code == 2
    assert "pdf" in result.output
    assert not out.exists()


def test_unquoted_colon_in_text_is_explained(course, out):
    edit(course / "lessons" / "second.md", "  - Define machine learning", "  - Define these: ML and DL")
    result = build(course, out)
    assert_fails_at(result, "lessons/second.md:8", "YAML read it as 'key: value'")
    assert "double quotes" in result.output


def test_brand_colour_that_fails_contrast_is_refused(course, out):
    edit(
        course / "course.yml",
        "pathway: foundational",
        "pathway: foundational\nbrand:\n  organisation: Nymouth ICS\n  primary_colour: '#41b6e6'",
    )
    result = build(course, out)
    assert_fails_at(result, "course.yml:8", "contrast ratio of 2.")
    assert "4.5:1" in result.output


def test_brand_overrides_reach_the_page(course, out):
    edit(
        course / "course.yml",
        "pathway: foundational",
        "pathway: foundational\nbrand:\n  organisation: Nymouth ICS\n  primary_colour: '#003087'",
    )
    assert build(course, out).exit_code == 0
    import zipfile

    page = zipfile.ZipFile(out / "minimal-course-1.2.0-scorm12.zip").read("index.html").decode()
    assert "--colour-primary: #003087" in page and "Nymouth ICS" in page
