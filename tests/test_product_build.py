"""Product courses through the command line: new, build, guard rails and draft, outside this repository."""

from __future__ import annotations

import re
import zipfile

from click.testing import CliRunner

from coursebuild.cli import main
from tests.conftest import REPO


def test_new_product_then_build_every_format_in_a_folder_of_its_own(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an Embedder's own folder: templates and catalogue come with coursebuild
    runner = CliRunner()
    created = runner.invoke(
        main,
        [
            "new",
            "product",
            "Scan Helper",
            "--answers",
            str(REPO / "courses/products/tri-x/product.yml"),
            "--dest",
            "scan",
        ],
    )
    assert created.exit_code == 0, created.output
    built = runner.invoke(main, ["build", "scan", "--out", "dist"])
    assert built.exit_code == 0, built.output
    assert sorted(p.name.rsplit("-", 1)[1] for p in (tmp_path / "dist").glob("*.zip")) == [
        "cmi5.zip",
        "scorm12.zip",
        "scorm2004.zip",
        "web.zip",
        "xapi.zip",
    ]
    coverage = runner.invoke(main, ["coverage", "scan", "--fail-under", "100"])
    assert coverage.exit_code == 0, coverage.output


def test_a_missing_fact_fails_the_build_and_draft_marks_every_page(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(
        main,
        [
            "new",
            "product",
            "Scan Helper",
            "--answers",
            str(REPO / "courses/products/tri-x/product.yml"),
            "--dest",
            "scan",
        ],
    )
    facts = tmp_path / "scan" / "product.yml"
    facts.write_text(re.sub(r"(?m)^manufacturer:.*$", "manufacturer: TBC", facts.read_text(), count=1))
    line = next(i for i, text in enumerate(facts.read_text().splitlines(), 1) if text.startswith("manufacturer:"))
    failed = runner.invoke(main, ["build", "scan", "--out", "dist"])
    assert failed.exit_code == 1
    assert f"scan/product.yml:{line}: error: unfilled fact 'manufacturer'" in failed.output
    assert not (tmp_path / "dist").exists()
    drafted = runner.invoke(main, ["build", "scan", "--draft", "-f", "web", "--out", "dist"])
    assert drafted.exit_code == 0, drafted.output
    [package] = (tmp_path / "dist").glob("*-web.zip")
    assert "DRAFT: this build has unfilled content" in zipfile.ZipFile(package).read("index.html").decode()
