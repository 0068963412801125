"""`coursebuild inspect`: every package we build passes; broken and hostile zips fail with clear reasons,
within bounded memory, and nothing is ever extracted."""

from __future__ import annotations

import io
import json
import shutil
import stat
import struct
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from coursebuild.cli.inspect import inspect_command
from coursebuild.inspector import Limits, PackageError, inspect_package, render_text
from coursebuild.pipeline.build import build_course
from coursebuild.standards.documents import schema_files
from tests.conftest import FIXTURES

FORMATS = ["scorm12", "scorm2004", "cmi5", "xapi"]
MiB = 1024 * 1024


# ---------------------------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """The minimal course built once in every LMS format: format -> {name: bytes}."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(FIXTURES / "requirements.yml", root / "requirements.yml")
    shutil.copytree(FIXTURES / "minimal", root / "minimal")
    result = build_course(root / "minimal", FORMATS, None)
    assert result.ok, [p.format() for p in result.problems.items]
    packages = {}
    for fmt, data in result.packages.items():
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            packages[fmt] = {name: archive.read(name) for name in archive.namelist()}
    return packages


def write_zip(path: Path, files: dict[str, bytes] | list[tuple[zipfile.ZipInfo | str, bytes]], level: int = 6) -> Path:
    items = files.items() if isinstance(files, dict) else files
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return path


def run(path: Path, *args: str):
    return CliRunner().invoke(inspect_command, [str(path), *args])


def codes(report, severity: str = "error") -> set[str]:
    return {f.code for f in report.findings if f.severity == severity}


def patch_sizes(data: bytes, name: bytes, file_size: int) -> bytes:
    """Make a zip lie: rewrite the uncompressed size of `name` in its local and central headers."""
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")  # the only local header in these one-file zips
    assert out[local + 30 : local + 30 + len(name)] == name
    struct.pack_into("<I", out, local + 22, file_size)
    central = out.index(b"PK\x01\x02")
    assert out[central + 46 : central + 46 + len(name)] == name
    struct.pack_into("<I", out, central + 24, file_size)
    return bytes(out)


# ---------------------------------------------------------------------------------------------- our packages


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_package_coursebuild_builds_is_accepted(built, fmt, tmp_path):
    path = write_zip(tmp_path / f"course-{fmt}.zip", built[fmt])
    result = run(path)
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output
    report = inspect_package(path)
    assert report.format == fmt
    assert report.errors == [] and report.warnings == [], report.findings
    assert report.title == "A minimal course"
    assert report.launch == ["index.html"]
    assert report.files == len(built[fmt])


def test_json_report_has_stable_keys(built, tmp_path):
    path = write_zip(tmp_path / "course.zip", built["scorm2004"])
    result = run(path, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"format", "version", "title", "launch", "files", "size", "errors", "warnings"} <= set(data)
    assert data["format"] == "scorm2004" and data["version"] == "2004 4th Edition"
    assert data["launch"] == ["index.html"] and data["errors"] == [] and data["warnings"] == []
    assert data["size"]["uncompressed"] == sum(len(b) for b in built["scorm2004"].values())
    assert data["size"]["largest"]["path"] in built["scorm2004"]
    assert data["identifiers"]["manifest"] == "cb-minimal-course"


# ---------------------------------------------------------------------------------------------- broken packages


def test_manifest_in_a_subfolder_is_the_number_one_upload_error(built, tmp_path):
    path = write_zip(tmp_path / "folder.zip", {f"My Course/{n}": b for n, b in built["scorm12"].items()})
    result = run(path)
    assert result.exit_code == 1
    assert "zip the contents of the folder, not the folder itself" in result.output.lower()
    assert "FAIL" in result.output
    report = inspect_package(path)
    assert codes(report) == {"manifest-not-at-root"}  # the rest of the package, seen from its folder, is fine
    assert report.root == "My Course/" and report.format == "scorm12"


def test_missing_referenced_file(built, tmp_path):
    files = dict(built["scorm12"])
    del files["theme/theme.css"]
    report = inspect_package(write_zip(tmp_path / "missing.zip", files))
    missing = [f for f in report.errors if f.code == "missing-file"]
    assert [f.path for f in missing] == ["theme/theme.css"]
    assert "listed in the manifest but not in the package" in missing[0].message
    assert run(tmp_path / "missing.zip").exit_code == 1


def test_wrong_case_file_name(built, tmp_path):
    files = dict(built["scorm2004"])
    files["Theme/theme.css"] = files.pop("theme/theme.css")
    report = inspect_package(write_zip(tmp_path / "case.zip", files))
    case = [f for f in report.errors if f.code == "case-mismatch"]
    assert case and all("case" in f.message for f in case)
    assert any(f.path == "index.html" for f in case), "the HTML's own reference is caught too"


def test_zip_slip_entries_are_refused_and_never_resolved(built, tmp_path):
    files = list(built["xapi"].items()) + [
        ("../../etc/cron.d/evil", b"x"),
        ("/abs/path.html", b"x"),
        ("C:/windows/x.dll", b"x"),
    ]
    path = write_zip(tmp_path / "slip.zip", files)
    before = set(tmp_path.parent.rglob("*"))
    report = inspect_package(path)
    assert set(tmp_path.parent.rglob("*")) == before, "nothing may be written anywhere"
    slips = [f for f in report.errors if f.code == "unsafe-path"]
    assert len(slips) == 3 and all("zip-slip" in f.message for f in slips)
    assert run(path).exit_code == 1


def test_backslash_names_are_errors(built, tmp_path):
    files = list(built["cmi5"].items()) + [("images\\logo.png", b"x")]
    assert "backslash-in-name" in codes(inspect_package(write_zip(tmp_path / "bs.zip", files)))


def test_symlink_entries_are_reported_not_followed(built, tmp_path):
    link = zipfile.ZipInfo("secrets.html")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    files = list(built["cmi5"].items()) + [(link, b"/etc/passwd")]
    report = inspect_package(write_zip(tmp_path / "link.zip", files))
    assert [f.path for f in report.errors if f.code == "symlink"] == ["secrets.html"]


def test_encrypted_members_are_reported(built, tmp_path):
    path = write_zip(tmp_path / "enc.zip", [("index.html", built["xapi"]["index.html"])])
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.index(signature)
        struct.pack_into("<H", data, at + offset, struct.unpack_from("<H", data, at + offset)[0] | 1)
    path.write_bytes(bytes(data))
    assert "encrypted-file" in codes(inspect_package(path))


def test_not_a_zip_is_a_usage_error(tmp_path):
    path = tmp_path / "course.zip"
    path.write_bytes(b"<html>this is not a zip</html>")
    result = run(path)
    assert result.exit_code == 2
    assert "not a zip" in result.output
    with pytest.raises(PackageError):
        inspect_package(path)
    as_json = run(path, "--json")
    assert as_json.exit_code == 2 and json.loads(as_json.stdout.split("Error:")[0])["errors"][0]["code"] == "not-a-zip"


def test_empty_zip(tmp_path):
    path = tmp_path / "empty.zip"
    zipfile.ZipFile(path, "w").close()
    result = run(path)
    assert result.exit_code == 1 and "holds no files" in result.output


def test_a_zip_without_any_manifest(tmp_path):
    report = inspect_package(write_zip(tmp_path / "site.zip", {"index.html": b"<p>hi</p>"}))
    assert codes(report) == {"no-manifest"}
    assert "plain website" in report.errors[0].message


def test_cmi5_with_a_relative_id(built, tmp_path):
    files = dict(built["cmi5"])
    files["cmi5.xml"] = files["cmi5.xml"].replace(
        b'id="https://learning.example.org/xapi/courses/minimal-course/au"', b'id="au1"'
    )
    report = inspect_package(write_zip(tmp_path / "cmi5.zip", files))
    relative = [f for f in report.errors if f.code == "relative-iri"]
    assert relative and "'au1' is not an absolute IRI" in relative[0].message


def test_external_script_is_a_warning_and_http_script_an_error(built, tmp_path):
    files = dict(built["scorm12"])
    page = files["index.html"].decode()
    files["index.html"] = page.replace(
        "</head>", '<script src="https://cdn.example.com/lib.js"></script></head>'
    ).encode()
    path = write_zip(tmp_path / "cdn.zip", files)
    result = run(path)
    assert result.exit_code == 0, result.output
    report = inspect_package(path)
    external = [f for f in report.warnings if f.code == "external-script"]
    assert external and "cdn.example.com" in external[0].message and external[0].path == "index.html"

    files["index.html"] = page.replace(
        "</head>", '<script src="http://cdn.example.com/lib.js"></script></head>'
    ).encode()
    report = inspect_package(write_zip(tmp_path / "http.zip", files))
    assert "mixed-content" in codes(report)


def test_scorm2004_without_its_schema_files_at_the_root(built, tmp_path):
    files = dict(built["scorm2004"])
    del files["adlcp_v1p3.xsd"], files["imsss_v1p0util.xsd"]
    report = inspect_package(write_zip(tmp_path / "noschema.zip", files))
    missing = sorted(f.path for f in report.errors if f.code == "missing-schema-file")
    assert missing == ["adlcp_v1p3.xsd", "imsss_v1p0util.xsd"]  # the second is only included by other schemas


def test_embedded_lrs_credentials_are_warned_about_without_repeating_them(built, tmp_path):
    files = dict(built["xapi"])
    files["lrs.js"] = (
        b'var conf = {endpoint: "https://lrs.example.com/xapi/", username: "keyname123", password: "s3cr3t-value"};\n'
        b'var auth = "Basic dXNlcjpwYXNzd29yZA==";\n'
    )
    path = write_zip(tmp_path / "creds.zip", files)
    report = inspect_package(path)
    warnings = [f for f in report.warnings if f.code == "embedded-credentials"]
    assert len(warnings) >= 2 and {f.path for f in warnings} == {"lrs.js"}
    output = run(path, "--json").output
    assert "s3cr3t-value" not in output and "dXNlcjpwYXNzd29yZA" not in output


def test_tincan_may_sit_under_single_child_folders_but_not_beside_other_files(built, tmp_path):
    nested = {f"export/course/{n}": b for n, b in built["xapi"].items()}
    report = inspect_package(write_zip(tmp_path / "nested.zip", nested))
    assert report.ok and report.root == "export/course/" and report.launch == ["index.html"]
    report = inspect_package(write_zip(tmp_path / "beside.zip", {**nested, "readme.txt": b"x"}))
    assert "manifest-not-at-root" in codes(report)


def test_finder_leftovers_are_one_warning_not_noise(built, tmp_path):
    files = {**built["scorm12"], "__MACOSX/._index.html": b"\0\5\x16\7Mac OS X", ".DS_Store": b"\0\0\0\1Bud1"}
    report = inspect_package(write_zip(tmp_path / "mac.zip", files))
    assert report.ok and [f.code for f in report.warnings] == ["os-junk"]


# ---------------------------------------------------------------------------------------------- hostile zips


def test_zip_bomb_is_refused_without_being_read(tmp_path):
    path = write_zip(tmp_path / "bomb.zip", {"imsmanifest.xml": b"<x/>", "bomb.html": b"\0" * (16 * MiB)}, level=9)
    assert path.stat().st_size < 64 * 1024  # a few KB expanding to 16 MB, more than the 4 MB scan cap
    tracemalloc.start()
    report = inspect_package(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bombs = [f for f in report.errors if f.code == "zip-bomb"]
    assert bombs and "ratio" in bombs[0].message and bombs[0].path == "bomb.html"
    assert peak < 2 * MiB, peak


def test_a_zip_that_lies_about_sizes_is_stopped_at_its_declared_size(tmp_path):
    """Declared 100 KB (an innocent ratio); really 64 MB of zeros. Reading stops one chunk past 100 KB."""
    raw = write_zip(tmp_path / "raw.zip", {"payload.js": b"\0" * (64 * MiB)}, level=9).read_bytes()
    path = tmp_path / "liar.zip"
    path.write_bytes(patch_sizes(raw, b"payload.js", 100 * 1024))
    tracemalloc.start()
    report = inspect_package(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    corrupt = [f for f in report.errors if f.code == "corrupt-file"]
    assert corrupt and "more than" in corrupt[0].message and corrupt[0].path == "payload.js"
    assert peak < 2 * MiB, peak


def test_reads_stay_bounded_even_with_the_ratio_check_off(tmp_path):
    path = write_zip(tmp_path / "big.zip", {"tincan.xml": b"<x/>", "big.js": b"a" * (32 * MiB)}, level=9)
    limits = Limits(max_ratio=1e9, max_scan_size=256 * 1024)
    tracemalloc.start()
    report = inspect_package(path, limits)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert "scan-truncated" in codes(report, "note")
    assert peak < 2 * MiB, peak


def test_too_many_members_stops_before_parsing(tmp_path):
    path = write_zip(tmp_path / "many.zip", {f"f{i}.html": b"x" for i in range(50)})
    report = inspect_package(path, Limits(max_members=20))
    assert codes(report) == {"too-many-files"}


def test_declared_total_size_limit(built, tmp_path):
    path = write_zip(tmp_path / "course.zip", built["cmi5"])
    assert "too-large" in codes(inspect_package(path, Limits(max_total_size=10_000)))


def test_duplicate_entries_and_nested_zips(built, tmp_path):
    files = list(built["cmi5"].items()) + [("index.html", b"<p>other</p>"), ("inner.zip", b"PK\x05\x06" + b"\0" * 18)]
    with pytest.warns(UserWarning):
        path = write_zip(tmp_path / "dup.zip", files)
    report = inspect_package(path)
    assert "duplicate-name" in codes(report)
    assert "nested-archive" in codes(report, "warning")


# ---------------------------------------------------------------------------------------------- third-party packages


LOM_12_MANIFEST = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.vendor.course12" version="1.0"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd
    http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd
    http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata>
    <schema>ADL SCORM</schema><schemaversion>1.2</schemaversion>
    <lom xmlns="http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"><general><title><langstring xml:lang="en">Vendor</langstring></title></general></lom>
  </metadata>
  <organizations default="ORG">
    <organization identifier="ORG">
      <title>Vendor course &amp; more</title>
      <item identifier="I1" identifierref="R1"><title>Part 1</title></item>
      <item identifier="I2" identifierref="R2" parameters="?page=2"><title>Part 2</title></item>
    </organization>
  </organizations>
  <resources xml:base="content/">
    <resource identifier="R1" type="webcontent" adlcp:scormtype="sco" href="story%20one.html">
      <file href="story%20one.html"/><dependency identifierref="SHARED"/>
    </resource>
    <resource identifier="R2" type="webcontent" adlcp:scormtype="sco" href="two.html"><file href="two.html"/></resource>
    <resource identifier="SHARED" type="webcontent" adlcp:scormtype="asset"><file href="shared.js"/></resource>
  </resources>
</manifest>
"""


def test_a_third_party_scorm12_package_with_lom_metadata_and_xml_base(tmp_path):
    files = {
        "imsmanifest.xml": LOM_12_MANIFEST,
        **schema_files("scorm12"),
        "content/story one.html": b'<html><script src="shared.js"></script><a href="two.html">next</a></html>',
        "content/two.html": b"<html><img src='pics/a.png'></html>",
        "content/shared.js": b"var api = null;",
        "content/pics/a.png": b"\x89PNG....",
    }
    path = write_zip(tmp_path / "vendor12.zip", files)
    report = inspect_package(path)
    assert report.ok, report.errors
    assert report.format == "scorm12" and report.title == "Vendor course & more"
    assert report.launch == ["content/story%20one.html", "content/two.html?page=2"]
    assert "metadata-not-validated" in codes(report, "note")
    assert "space-in-name" in codes(report, "warning")
    assert "unlisted-file" in codes(report, "warning")  # content/pics/a.png
    assert run(path).exit_code == 0


MANIFEST_2004_3RD = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.vendor.course2004" version="1"
  xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
  xmlns:imsss="http://www.imsglobal.org/xsd/imsss"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.imsglobal.org/xsd/imscp_v1p1 imscp_v1p1.xsd
    http://www.adlnet.org/xsd/adlcp_v1p3 adlcp_v1p3.xsd
    http://www.imsglobal.org/xsd/imsss imsss_v1p0.xsd">
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd Edition</schemaversion></metadata>
  <organizations default="ORG">
    <organization identifier="ORG">
      <title>Vendor 2004</title>
      <item identifier="MOD"><title>Module</title>
        <item identifier="I1" identifierref="R1"><title>One</title></item>
        <item identifier="I2" identifierref="R2"><title>Two</title></item>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="R1" type="webcontent" adlcp:scormType="sco" href="one.html"><file href="one.html"/></resource>
    <resource identifier="R2" type="webcontent" adlcp:scormType="sco" href="two.html"><file href="two.html"/></resource>
  </resources>
</manifest>
"""


def test_a_third_party_scorm2004_3rd_edition_multi_sco_package(tmp_path):
    files = {
        "imsmanifest.xml": MANIFEST_2004_3RD,
        **schema_files("scorm2004"),
        "one.html": b"<p>1</p>",
        "two.html": b"<p>2</p>",
    }
    report = inspect_package(write_zip(tmp_path / "vendor2004.zip", files))
    assert report.ok, report.errors
    assert report.version == "2004 3rd Edition" and report.launch == ["one.html", "two.html"]
    assert "schema-edition" in codes(report, "note")
    assert "sequencing-defaults" in codes(report, "warning")
    assert report.identifiers == {"manifest": "com.vendor.course2004", "organization": "ORG"}


# ---------------------------------------------------------------------------------------------- the report


def test_text_report_is_grouped_with_a_verdict(built, tmp_path):
    files = dict(built["scorm12"])
    del files["theme/theme.css"]
    files["extra file.txt"] = b"x"
    report = inspect_package(write_zip(tmp_path / "r.zip", files))
    text = render_text(report)
    assert text.index("Errors (") < text.index("Warnings (")
    assert "missing-file" in text and "space-in-name" in text
    assert text.rstrip().splitlines()[-1].startswith("FAIL (")
    assert "Format    SCORM 1.2" in text and "Launch    index.html" in text


def test_long_lists_are_shortened_in_text_but_complete_with_all_and_json(built, tmp_path):
    files = {**built["cmi5"], **{f"extra {i}.txt": b"x" for i in range(15)}}
    path = write_zip(tmp_path / "many.zip", files)
    short, full = run(path).output, run(path, "--all").output
    assert "... and 5 more" in short and "extra 14.txt" not in short
    assert "extra 14.txt" in full and "more (--all" not in full
    assert len([w for w in json.loads(run(path, "--json").output)["warnings"] if w["code"] == "space-in-name"]) == 15


def test_overlapping_entries_are_a_zip_bomb(tmp_path):
    data = write_zip(tmp_path / "one.zip", {"a.html": b"<p>hello</p>"}).read_bytes()
    start, end = data.index(b"PK\x01\x02"), data.index(b"PK\x05\x06")
    record = data[start:end]
    twin = record[:46] + b"b.html" + record[46 + 6 :]  # same local header, another name
    directory = record + twin
    tail = bytearray(data[end:])
    struct.pack_into("<HHII", tail, 8, 2, 2, len(directory), start)
    path = tmp_path / "overlap.zip"
    path.write_bytes(data[:start] + directory + bytes(tail))
    bombs = [f for f in inspect_package(path).errors if f.code == "zip-bomb"]
    assert bombs and "overlapping" in bombs[0].message


def test_every_finding_code_is_documented_for_administrators():
    import re

    from coursebuild import inspector
    from coursebuild.inspector import content

    source = "".join(path.read_text(encoding="utf-8") for path in sorted(Path(inspector.__file__).parent.glob("*.py")))
    found = set(re.findall(r'(?:ERROR|WARNING|NOTE|severity),\s*"([a-z0-9-]+)"', source))
    found |= set(re.findall(r'"([a-z0-9-]+)", (?:ERROR|WARNING)\)', source))
    found |= {code for code, _ in content._KINDS.values()} | {"mixed-content", "package-check", "not-a-zip"}
    assert len(found) > 40
    doc = (Path(__file__).parent.parent / "docs" / "inspect.md").read_text(encoding="utf-8")
    assert sorted(code for code in found if f"`{code}`" not in doc) == []
