from __future__ import annotations

import shutil

from click.testing import CliRunner

from coursebuild import __version__
from coursebuild.cli import main
from tests.conftest import FIXTURES


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_every_command_has_help():
    for command in ("build", "validate", "list", "formats"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage:" in result.output


def test_validate_writes_nothing(course, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(course)])
    assert result.exit_code == 0, result.output
    assert "1 course valid" in result.output
    assert not (tmp_path / "dist").exists()


def test_build_without_arguments_builds_every_course_but_templates(tmp_path, monkeypatch):
    courses = tmp_path / "courses"
    shutil.copytree(FIXTURES / "minimal", courses / "foundational")
    shutil.copytree(FIXTURES / "minimal", courses / "product_templates" / "default")
    shutil.copy(FIXTURES / "requirements.yml", courses / "requirements.yml")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build", "--format", "scorm12"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["index.html", "minimal-course-1.2.0-scorm12.zip"]
    page = (tmp_path / "dist" / "index.html").read_text()
    assert '<a href="minimal-course-1.2.0-scorm12.zip">SCORM 1.2</a>' in page

    listing = CliRunner().invoke(main, ["list"])
    assert listing.exit_code == 0
    assert "minimal-course  1.2.0    foundational  2" in listing.output


def test_no_courses_here_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["build"])
    assert result.exit_code == 2
    assert "no ./courses folder" in result.output


def test_embedding_lrs_credentials_needs_the_flag_and_warns(course, tmp_path):
    import zipfile

    plain = CliRunner().invoke(main, ["build", str(course), "-f", "scorm12", "--out", str(tmp_path / "plain")])
    assert plain.exit_code == 0 and "warning" not in plain.output
    assert b"lrs" not in zipfile.ZipFile(tmp_path / "plain" / "minimal-course-1.2.0-scorm12.zip").read(
        "runtime/target.js"
    )
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(course),
            "-f",
            "scorm12",
            "--out",
            str(tmp_path / "out"),
            "--embed-lrs-credentials",
            "https://lrs.example.org/xapi/",
            "Basic a2V5OnNlY3JldA==",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "warning: LRS credentials are being written into the packages" in result.output
    settings = zipfile.ZipFile(tmp_path / "out" / "minimal-course-1.2.0-scorm12.zip").read("runtime/target.js").decode()
    assert '"endpoint":"https://lrs.example.org/xapi/"' in settings
    insecure = CliRunner().invoke(
        main,
        [
            "build",
            str(course),
            "--out",
            str(tmp_path / "x"),
            "--embed-lrs-credentials",
            "http://lrs.example.org/xapi/",
            "Basic a2V5OnNlY3JldA==",
        ],
    )
    assert insecure.exit_code == 2 and "https" in insecure.output
