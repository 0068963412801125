"""Property: `coursebuild inspect` on any zip (ours damaged, or hostile) reports, or says it is not a package;
it never crashes, never writes a file, and its memory stays bounded whatever the zip claims to hold."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import tracemalloc
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from coursebuild.cli import main
from coursebuild.inspector import PackageError, inspect_package
from tests.conftest import FIXTURES

FORMATS = ("scorm12", "scorm2004", "cmi5", "xapi")
HOSTILE_NAMES = [
    "../evil.txt",
    "/abs/path.html",
    "C:\\win.html",
    "a/../../b",
    "IMSMANIFEST.XML",
    "dir/",
    "é/ü.html",
    "x" * 300,
    "nul\x00.html",
    "imsmanifest.xml",
]
PEAK_LIMIT = 96 * 1024 * 1024


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("fuzz-packages")
    (root / "requirements.yml").write_bytes((FIXTURES / "requirements.yml").read_bytes())
    course = root / "minimal"
    shutil.copytree(FIXTURES / "minimal", course)
    out = root / "dist"
    args = ["build", str(course), "--out", str(out)] + [a for f in FORMATS for a in ("-f", f)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return {p.name.rsplit("-", 1)[-1].removesuffix(".zip"): p.read_bytes() for p in out.glob("*.zip")}


def rezip(original: bytes, change) -> bytes:
    members = []
    with zipfile.ZipFile(io.BytesIO(original)) as source:
        for info in source.infolist():
            members.append((info.filename, source.read(info)))
    members = change(members)
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        warnings.simplefilter("ignore")  # duplicate names are one of the hostile cases
        for name, data in members:
            target.writestr(name, data)
    return buffer.getvalue()


member_change = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 99), st.none()),
    st.tuples(st.just("garble"), st.integers(0, 99), st.binary(max_size=200)),
    st.tuples(st.just("rename"), st.integers(0, 99), st.sampled_from(HOSTILE_NAMES)),
    st.tuples(st.just("add"), st.integers(0, 99), st.sampled_from(HOSTILE_NAMES)),
    st.tuples(st.just("bomb"), st.integers(0, 99), st.integers(1, 64)),
    st.tuples(st.just("cut-xml"), st.integers(0, 99), st.floats(0, 1)),
)


def apply_member_change(members, change):
    kind, index, arg = change
    if not members:
        return members
    index %= len(members)
    name, data = members[index]
    if kind == "drop":
        return members[:index] + members[index + 1 :]
    if kind == "garble":
        members[index] = (name, arg)
    elif kind == "rename":
        members[index] = (arg, data)
    elif kind == "add":
        members.append((arg, data))
    elif kind == "bomb":
        members[index] = (name, b"\0" * (arg * 1024 * 1024))  # tiny compressed, up to 64 MB inflated
    elif kind == "cut-xml":
        manifest = [i for i, (n, _) in enumerate(members) if n.endswith(".xml")] or [index]
        i = manifest[0]
        members[i] = (members[i][0], members[i][1][: int(arg * len(members[i][1]))])
    return members


byte_damage = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=8)


def run_inspect(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "package.zip"
        package.write_bytes(data)
        before = sorted(os.listdir(tmp)), sorted(os.listdir("."))
        tracemalloc.start()
        try:
            inspect_package(package)
            event("reported")
        except PackageError:
            event("not a package")
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        assert peak < PEAK_LIMIT, f"inspect peaked at {peak / 2**20:.0f} MB"
        result = CliRunner().invoke(main, ["inspect", str(package), "--json"])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in (0, 1, 2), result.output
        assert "Traceback" not in result.output
        assert (sorted(os.listdir(tmp)), sorted(os.listdir("."))) == before, "inspect wrote a file"


fuzz_settings = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


@fuzz_settings
@given(fmt=st.sampled_from(FORMATS), changes=st.lists(member_change, min_size=1, max_size=3))
def test_inspect_of_a_package_with_changed_members_never_crashes(packages, fmt, changes):
    def change(members):
        for one in changes:
            members = apply_member_change(members, one)
        return members

    run_inspect(rezip(packages[fmt], change))


@fuzz_settings
@given(fmt=st.sampled_from(FORMATS), damage=byte_damage, cut=st.none() | st.floats(0, 1))
def test_inspect_of_a_corrupted_zip_never_crashes(packages, fmt, damage, cut):
    data = bytearray(packages[fmt])
    for where, value in damage:
        data[min(int(where * len(data)), len(data) - 1)] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    run_inspect(bytes(data))


@fuzz_settings
@given(st.binary(max_size=2048))
def test_inspect_of_arbitrary_bytes_never_crashes(data):
    run_inspect(data)
