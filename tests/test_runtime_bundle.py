"""The learner runtime as committed: `src/coursebuild/runtime/coursebuild.js` is esbuild's bundle of the ES
modules in `src/coursebuild/runtime/src/`, made with the esbuild pinned in `scripts/runtime/package-lock.json`.

The bundle is committed (installing coursebuild needs no Node), so these tests rebuild it into a temporary
folder with the pinned esbuild and compare bytes: a source change without a rebuild fails here. They need
Node and `scripts/runtime/node_modules` (`scripts/test.sh` installs it, as CI does); without them they fail,
saying what to run, rather than skip.
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from coursebuild.pipeline.build import build_course
from coursebuild.pipeline.render import RUNTIME_DIR

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
BUILD = REPO / "scripts" / "runtime"
REBUILD = "bash scripts/build-runtime.sh"
BUDGET_GZ = 30 * 1024  # runtime JS + theme CSS per package, gzipped (docs/performance.md, benchmarks/bench_runtime.py)


def pinned_esbuild() -> str:
    """The esbuild version the lock file pins, after checking that it is the one installed."""
    if shutil.which("node") is None:
        pytest.fail(
            f"the runtime bundle is checked with Node.js, which is not installed (apt-get install nodejs npm), then run: {REBUILD}"
        )
    lock = json.loads((BUILD / "package-lock.json").read_text(encoding="utf-8"))
    pinned = lock["packages"]["node_modules/esbuild"]["version"]
    installed = BUILD / "node_modules" / "esbuild" / "package.json"
    if not installed.exists():
        pytest.fail(
            f"esbuild {pinned} is not installed in scripts/runtime/node_modules: run {REBUILD} (it runs npm ci there)"
        )
    version = json.loads(installed.read_text(encoding="utf-8"))["version"]
    if version != pinned:
        pytest.fail(f"scripts/runtime/node_modules has esbuild {version}, the lock file pins {pinned}: run {REBUILD}")
    return pinned


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))  # as benchmarks/bench_runtime.py measures


def test_the_committed_runtime_is_a_fresh_bundle_of_its_sources(tmp_path):
    version = pinned_esbuild()
    fresh = tmp_path / "coursebuild.js"
    run = subprocess.run(
        ["node", str(BUILD / "build.mjs"), "--outfile", str(fresh)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, f"esbuild failed on src/coursebuild/runtime/src/:\n{run.stderr}"
    committed = (RUNTIME_DIR / "coursebuild.js").read_bytes()
    assert fresh.read_bytes() == committed, (
        f"src/coursebuild/runtime/coursebuild.js is not esbuild {version}'s bundle of src/coursebuild/runtime/src/: "
        f"run {REBUILD} and commit the result with the sources"
    )
    assert committed.startswith(b"/* coursebuild learner runtime") and f"esbuild {version}".encode() in committed[:400]
    assert b"sourceMappingURL" not in committed


def test_the_bundle_is_the_same_bytes_every_run(tmp_path):
    pinned_esbuild()
    outputs = []
    for n in range(2):
        out = tmp_path / f"run{n}.js"
        subprocess.run(
            ["node", str(BUILD / "build.mjs"), "--outfile", str(out)],
            cwd=REPO,
            check=True,
            capture_output=True,
            timeout=120,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_packages_carry_the_bundle_and_neither_the_sources_nor_a_source_map(tmp_path):
    shutil.copy(FIXTURES / "requirements.yml", tmp_path / "requirements.yml")
    shutil.copytree(FIXTURES / "quiz", tmp_path / "quiz")
    result = build_course(tmp_path / "quiz", ["web", "scorm12"], None, tmp_path)
    assert result.ok, [p.format() for p in result.problems.errors]
    for package in result.packages.values():
        names = zipfile.ZipFile(io.BytesIO(package)).namelist()
        runtime = sorted(n for n in names if n.startswith("runtime/"))
        assert runtime == ["runtime/coursebuild.js", "runtime/target.js"], runtime
        assert not [n for n in names if n.endswith(".map") or "/src/" in n]


@pytest.mark.parametrize("theme", ["default", "nhs"])
def test_runtime_js_and_theme_css_stay_within_the_gzip_budget(tmp_path, theme):
    shutil.copy(FIXTURES / "requirements.yml", tmp_path / "requirements.yml")
    shutil.copytree(FIXTURES / "quiz", tmp_path / "quiz")
    config = tmp_path / "quiz" / "course.yml"
    config.write_text(config.read_text(encoding="utf-8") + f"theme: {theme}\n", encoding="utf-8")
    result = build_course(tmp_path / "quiz", ["web"], None, tmp_path)
    assert result.ok, [p.format() for p in result.problems.errors]
    files = zipfile.ZipFile(io.BytesIO(result.packages["web"]))
    sizes = {
        n: gzipped(files.read(n))
        for n in files.namelist()
        if n.startswith(("runtime/", "theme/")) and n.endswith((".js", ".css"))
    }
    assert sum(sizes.values()) <= BUDGET_GZ, (
        f"runtime JS + theme CSS is {sum(sizes.values())} bytes gzipped (budget {BUDGET_GZ}): {sizes}"
    )
