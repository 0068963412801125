from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from coursebuild.cli import main
from coursebuild.pipeline.build import build_course
from coursebuild.standards.documents import SCHEMA_DIR
from coursebuild.standards.scorm import SCORM12, SCORM2004, check_scorm_package
from tests.conftest import edit

VERSIONS = {"scorm12": SCORM12, "scorm2004": SCORM2004}


def files_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def packages(course: Path) -> dict[str, dict[str, bytes]]:
    result = build_course(course, ["scorm12", "scorm2004"], None)
    assert result.ok, [p.format() for p in result.problems.items]
    return {fmt: files_of(data) for fmt, data in result.packages.items()}


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_manifest_and_schemas_sit_at_the_zip_root(packages, fmt):
    names = set(packages[fmt])
    assert "imsmanifest.xml" in names and "index.html" in names
    root_schemas = {n for n in names if n.endswith(".xsd")}
    expected = {xsd for _, xsd in VERSIONS[fmt].schema_locations}
    assert expected <= root_schemas


@pytest.mark.parametrize("fmt", ["scorm12", "scorm2004"])
def test_manifest_validates_against_the_official_schemas(packages, fmt):
    """Validated here independently of the build, straight from the shipped XSD files."""
    folder = SCHEMA_DIR / VERSIONS[fmt].schema_folder
    imports = [(ns, x) for ns, x in VERSIONS[fmt].schema_locations if x not in VERSIONS[fmt].not_compiled]
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        + "".join(f'<xs:import namespace="{ns}" schemaLocation="{(folder / x).as_uri()}"/>' for ns, x in imports)
        + "</xs:schema>"
    )
    schema = etree.XMLSchema(etree.fromstring(wrapper.encode(), base_url=(folder / "test-wrapper.xsd").as_uri()))
    manifest = etree.fromstring(packages[fmt]["imsmanifest.xml"])
    assert schema.validate(manifest), schema.error_log
    assert check_scorm_package(packages[fmt], VERSIONS[fmt]) == []


def test_scorm12_mastery_and_2004_sequencing(packages):
    m12 = packages["scorm12"]["imsmanifest.xml"].decode()
    assert "<adlcp:masteryscore>75</adlcp:masteryscore>" in m12
    assert 'adlcp:scormtype="sco"' in m12
    m2004 = packages["scorm2004"]["imsmanifest.xml"].decode()
    assert "<imsss:minNormalizedMeasure>0.75</imsss:minNormalizedMeasure>" in m2004
    assert 'completionSetByContent="true" objectiveSetByContent="true"' in m2004
    assert 'adlcp:scormType="sco"' in m2004
    assert "<schemaversion>2004 4th Edition</schemaversion>" in m2004


def test_identifiers_are_stable_across_content_changes(course):
    first = build_course(course, ["scorm2004"], None).packages["scorm2004"]
    edit(course / "lessons" / "second.md", "is a part of AI", "is one part of AI")
    second = build_course(course, ["scorm2004"], None).packages["scorm2004"]
    ids = lambda data: sorted(etree.fromstring(files_of(data)["imsmanifest.xml"]).xpath("//@identifier"))  # noqa: E731
    assert first != second
    assert (
        ids(first)
        == ids(second)
        == ["cb-minimal-course", "item-minimal-course", "org-minimal-course", "res-minimal-course"]
    )


def test_builds_are_byte_identical(course, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(course), "--out", str(tmp_path / "a")]).exit_code == 0
    (course / "lessons" / "first.md").touch()  # a new mtime must not change the output
    assert runner.invoke(main, ["build", str(course), "--out", str(tmp_path / "b")]).exit_code == 0
    for name in ("minimal-course-1.2.0-scorm12.zip", "minimal-course-1.2.0-scorm2004.zip"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_no_partial_files_are_left_behind(course, tmp_path):
    out = tmp_path / "dist"
    CliRunner().invoke(main, ["build", str(course), "--out", str(out)])
    assert all(not p.name.endswith(".partial") for p in out.iterdir())


def _broken(packages, fmt, change):
    files = dict(packages[fmt])
    change(files)
    return check_scorm_package(files, VERSIONS[fmt])


def test_referential_checks_catch_a_missing_file(packages):
    messages = _broken(packages, "scorm12", lambda f: f.pop("theme/theme.css"))
    assert messages == ["file 'theme/theme.css' is listed in the manifest but not in the package"]


def test_referential_checks_catch_wrong_case(packages):
    def rename(files):
        files["Theme/theme.css"] = files.pop("theme/theme.css")

    messages = _broken(packages, "scorm2004", rename)
    assert any("differs only in case" in m for m in messages)
    assert any("'Theme/theme.css' is in the package but not listed" in m for m in messages)


def test_referential_checks_catch_a_dangling_default_organization(packages):
    def break_default(files):
        files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(
            b'default="org-minimal-course"', b'default="org-nothing"'
        )

    messages = _broken(packages, "scorm2004", break_default)
    assert "the default organization 'org-nothing' does not exist" in messages


def test_referential_checks_catch_a_dangling_identifierref(packages):
    def break_ref(files):
        files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(
            b'identifierref="res-minimal-course"', b'identifierref="res-x"'
        )

    messages = _broken(packages, "scorm12", break_ref)
    assert "item 'item-minimal-course' refers to resource 'res-x', which does not exist" in messages


def test_schema_errors_are_reported(packages):
    def break_schema(files):
        files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(b"metadata>", b"metadatum>")

    messages = _broken(packages, "scorm12", break_schema)
    assert any("schema:" in m and "metadatum" in m for m in messages)


def test_invalid_identifier_is_reported(packages):
    def break_id(files):
        files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(b'"cb-minimal-course"', b'"1 bad id"')

    messages = _broken(packages, "scorm2004", break_id)
    assert any("'1 bad id' is not a valid xs:ID" in m for m in messages)


def test_a_split_course_s_search_index_is_deflated_at_its_own_level_and_the_rest_at_six():
    """Search indexes are plain text read only on a search, and deflate faster a level down (a real
    course's: a small one's index can come out the same at either level)."""
    import zlib

    from coursebuild.pipeline import write

    result = build_course(
        Path(__file__).parent.parent / "courses" / "foundational", ["scorm2004"], None, delivery="split"
    )
    assert result.ok and result.site is not None
    with zipfile.ZipFile(io.BytesIO(result.packages["scorm2004"])) as archive:
        deflated = {i.filename: i for i in archive.infolist() if i.compress_type == zipfile.ZIP_DEFLATED}
        assert result.site.indexes and result.site.indexes <= deflated.keys()
        for name, info in deflated.items():
            level = write._INDEX_LEVEL if name in result.site.indexes else write._LEVEL
            compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
            assert info.compress_size == len(compressor.compress(archive.read(name)) + compressor.flush()), name
