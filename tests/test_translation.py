"""Translations: XLIFF export -> a translator edits every unit -> import -> a build in that language.

Also: bad XLIFF changes nothing and says where it is wrong; stale and missing units fail a build (a draft
builds them in the source language, under a banner); English builds are untouched by all of this.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from coursebuild.cli import main
from coursebuild.pipeline.build import build_course
from coursebuild.translation.xliff import XLIFF2, XLIFF12
from tests.conftest import FIXTURES, edit

FORMATS = ["scorm12", "scorm2004", "cmi5", "xapi", "web"]
GOLDEN = FIXTURES / "english-build.json"
MARK = re.compile(r"⟦(\d+)⟧")


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def courses(tmp_path: Path, monkeypatch) -> Path:
    """The minimal and quiz fixtures (between them every kind of unit) under a ./courses folder."""
    shutil.copy(FIXTURES / "requirements.yml", tmp_path / "requirements.yml")
    for name in ("minimal", "quiz"):
        shutil.copytree(FIXTURES / name, tmp_path / "courses" / name)
    shutil.copy(FIXTURES / "requirements.yml", tmp_path / "courses" / "requirements.yml")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "courses"


def translate_every_unit(data: bytes) -> tuple[bytes, int]:
    """What a translator does: a target for every unit, the source's text with a numbered mark in front of
    each run of text, every placeholder kept where it was."""
    root = etree.fromstring(data)
    namespace = etree.QName(root).namespace
    count = 0

    def mark(element):
        nonlocal count
        if element.text and element.text.strip():
            count += 1
            element.text = f"⟦{count}⟧{element.text}"
        for child in element:
            mark(child)
            if child.tail and child.tail.strip():
                count += 1
                child.tail = f"⟦{count}⟧{child.tail}"

    for source in root.iter(f"{{{namespace}}}source"):
        target = copy.deepcopy(source)
        target.tag = f"{{{namespace}}}target"
        for element in target.iter():
            if element is not target:
                element.tag = f"{{{namespace}}}{etree.QName(element).localname}"
        mark(target)
        source.addnext(target)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), count


def package(course: Path, fmt: str, language: str | None = None, draft: bool = False) -> zipfile.ZipFile:
    result = build_course(course, [fmt], None, course.parent.parent, draft=draft, language=language)
    assert result.ok, [p.format() for p in result.problems.errors]
    return zipfile.ZipFile(io.BytesIO(result.packages[fmt]))


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def export(course: Path, tmp: Path, fmt: str = "xliff2") -> Path:
    out = tmp / f"{course.name}-{fmt}.xlf"
    result = run("translate", "export", course, "--lang", "cy", "--format", fmt, "-o", out)
    assert result.exit_code == 0, result.output
    return out


def translated(courses: Path, fmt: str = "xliff2") -> Path:
    """The minimal course with every unit translated and imported."""
    course = courses / "minimal"
    path = export(course, courses.parent, fmt)
    data, _ = translate_every_unit(path.read_bytes())
    path.write_bytes(data)
    result = run("translate", "import", path)
    assert result.exit_code == 0, result.output
    return course


# --------------------------------------------------------------------------- the round trip


@pytest.mark.parametrize("fmt", ["xliff2", "xliff12"])
@pytest.mark.parametrize("name", ["minimal", "quiz"])
def test_every_edited_unit_is_in_the_package_with_its_markup(courses, fmt, name):
    course = courses / name
    sources_before = tree_digest(course)
    path = export(course, courses.parent, fmt)
    data, marks = translate_every_unit(path.read_bytes())
    path.write_bytes(data)
    result = run("translate", "import", path)
    assert result.exit_code == 0, result.output
    assert tree_digest(course / "translations") and not (course / "translations" / "cy").is_file()
    assert tree_digest(course) != sources_before  # translations were written ...
    shutil.rmtree(course / "translations")
    assert tree_digest(course) == sources_before  # ... and nothing else
    run("translate", "import", path)

    english = package(course, "web").read("index.html").decode()
    welsh_zip = package(course, "web", "cy")
    welsh = welsh_zip.read("index.html").decode()
    found = {int(n) for n in MARK.findall(welsh)}
    assert found == set(range(1, marks + 1)), f"missing marks: {sorted(set(range(1, marks + 1)) - found)[:20]}"
    # Markup intact: the same elements, links, images and code as in English, around the translated text.
    for tag in ("<strong>", "<em>", "<code>", "<table>", "<img ", "<a href="):
        assert english.count(tag) == welsh.count(tag), tag
    if name == "minimal":
        assert re.search(r"Some <strong>⟦\d+⟧text</strong>⟦\d+⟧ with a table:", welsh)
        assert re.search(
            r'<img src="assets/chart.png" alt="⟦\d+⟧A bar chart of reporting times" loading="lazy" />', welsh
        )


def test_the_welsh_package_is_in_welsh_with_ids_and_iris_unchanged(courses):
    course = translated(courses)
    english, welsh = package(course, "cmi5"), package(course, "cmi5", "cy")
    assert re.search(r'<html lang="cy-GB"', welsh.read("index.html").decode())
    structure = welsh.read("cmi5.xml").decode()
    assert 'langstring lang="cy-GB">⟦' in structure and "en-GB" not in structure

    def data(z):
        html = z.read("index.html").decode()
        return json.loads(
            re.search(r'<script type="application/json" id="cb-course-data">(.*?)</script>', html, re.S).group(1)
        )

    en, cy = data(english), data(welsh)
    assert cy["course"]["language"] == "cy-GB"

    def iris(value):
        if isinstance(value, dict):
            return sorted(i for k, v in value.items() for i in ([v] if k == "id" and isinstance(v, str) else iris(v)))
        if isinstance(value, list):
            return sorted(i for v in value for i in iris(v))
        return []

    assert iris(en["tracking"]) == iris(cy["tracking"])  # statement IRIs
    assert en["questions"].keys() == cy["questions"].keys()  # interaction ids
    assert [q["requirements"] for q in en["questions"].values()] == [
        q["requirements"] for q in cy["questions"].values()
    ]
    lesson = next(iter(cy["tracking"]["lessons"].values()))
    assert set(lesson["definition"]["name"]) == {"en-GB", "cy-GB"}  # both languages in the language maps
    assert lesson["definition"]["name"]["cy-GB"].startswith("⟦")
    # The interface is Welsh too.
    page = welsh.read("index.html").decode()
    assert "Neidio i’r cynnwys" in page and "Skip to content" not in page


def test_package_names_and_manifest_ids_differ_by_language(courses):
    course = translated(courses)
    result = run("build", course, "--lang", "all", "--out", courses.parent / "dist", "-f", "scorm12")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (courses.parent / "dist").glob("*.zip"))
    assert names == ["minimal-course-1.2.0-cy-scorm12.zip", "minimal-course-1.2.0-scorm12.zip"]
    manifest = zipfile.ZipFile(courses.parent / "dist" / names[0]).read("imsmanifest.xml").decode()
    assert 'identifier="cb-minimal-course-cy"' in manifest


def test_matching_targets_keep_the_source_order_in_every_language(courses):
    course = courses / "quiz"
    path = export(course, courses.parent)
    data, _ = translate_every_unit(path.read_bytes())
    path.write_bytes(data)
    assert run("translate", "import", path).exit_code == 0
    en = package(course, "web").read("index.html").decode()
    cy = package(course, "web", "cy").read("index.html").decode()
    pick = lambda html: json.loads(re.search(r'id="cb-course-data">(.*?)</script>', html, re.S).group(1))  # noqa: E731
    en_q, cy_q = pick(en)["questions"]["q-matching"], pick(cy)["questions"]["q-matching"]
    assert [MARK.sub("", t) for t in cy_q["targets"]] == en_q["targets"]
    en_t = pick(en)["tracking"]["questions"]["q-matching"]["definition"]["target"]
    cy_t = pick(cy)["tracking"]["questions"]["q-matching"]["definition"]["target"]
    assert [t["id"] for t in en_t] == [t["id"] for t in cy_t]
    assert [t["description"]["en-GB"] for t in en_t] == [t["description"]["en-GB"] for t in cy_t]


# --------------------------------------------------------------------------- the XLIFF files


def schema(name: str) -> etree.XMLSchema:
    folder = os.environ.get("COURSEBUILD_XLIFF_SCHEMAS")
    if not folder or not (Path(folder) / name).is_file():
        pytest.skip(
            f"set COURSEBUILD_XLIFF_SCHEMAS to a folder holding the OASIS schema {name} (no PyPI or npm "
            "package ships it; see docs/translation.md)"
        )
    return etree.XMLSchema(etree.parse(str(Path(folder) / name)))


@pytest.mark.parametrize("fmt, name", [("xliff2", "xliff_core_2.0.xsd"), ("xliff12", "xliff-core-1.2-strict.xsd")])
def test_exported_files_are_valid_against_the_official_schema(courses, fmt, name):
    xsd = schema(name)
    for course in ("minimal", "quiz"):
        path = export(courses / course, courses.parent, fmt)
        for data in (path.read_bytes(), translate_every_unit(path.read_bytes())[0]):
            document = etree.fromstring(data)
            assert xsd.validate(document), [f"{e.line}: {e.message}" for e in xsd.error_log]


@pytest.mark.parametrize("fmt", ["xliff2", "xliff12"])
def test_exported_files_have_the_core_structure(courses, fmt):
    """What the core schemas require of the parts we write, checked without the schema files."""
    path = export(courses / "quiz", courses.parent, fmt)
    root = etree.fromstring(path.read_bytes())
    if fmt == "xliff2":
        ns = {"x": XLIFF2}
        assert root.get("version") == "2.0" and root.get("srcLang") == "en-GB" and root.get("trgLang") == "cy"
        for unit in root.iterfind(".//x:unit", ns):
            assert [etree.QName(c).localname for c in unit] in (
                ["notes", "segment"],
                ["notes", "originalData", "segment"],
            )
            assert re.fullmatch(r"[\w.:-]+", unit.get("id"))  # xs:NMTOKEN
            segment = unit.find("x:segment", ns)
            assert set(segment.attrib) <= {"id", "state", "canResegment", "subState"}
            refs = {d.get("id") for d in unit.iterfind("x:originalData/x:data", ns)}
            for code in segment.iter(f"{{{XLIFF2}}}pc", f"{{{XLIFF2}}}ph"):
                used = {code.get(a) for a in ("dataRef", "dataRefStart", "dataRefEnd")} - {None}
                assert used <= refs and code.get("type") in ("fmt", "ui", "quote", "link", "image", "other")
        assert len({f.get("id") for f in root.iterfind("x:file", ns)}) == len(root.findall("x:file", ns))
    else:
        ns = {"x": XLIFF12}
        assert root.get("version") == "1.2"
        assert not [n for n in root.nsmap.values() if n and n.endswith("1.1")]
        for file in root.iterfind("x:file", ns):
            assert {"original", "source-language", "datatype", "target-language"} <= set(file.attrib)
        for unit in root.iterfind(".//x:trans-unit", ns):
            names = [etree.QName(c).localname for c in unit]
            assert names[0] == "source" and set(names[1:]) <= {"target", "note"}


# --------------------------------------------------------------------------- bad XLIFF


def corrupt(path: Path, how) -> None:
    text = path.read_text(encoding="utf-8")
    new = how(text)
    assert new != text
    path.write_text(new, encoding="utf-8")


BAD = {
    "not XML": (lambda t: t.replace("</xliff>", "</xlif>"), r":\d+: error: not well-formed XML"),
    "wrong source": (
        lambda t: t.replace("<source>Which is an example?", "<source>Which is an exemple?", 1),
        r":\d+: error: unit 'q.q-first-1.prompt.0.1': the source text differs",
    ),
    "unknown unit id": (
        lambda t: t.replace('<unit id="title">', '<unit id="no-such-unit">', 1),
        r":\d+: error: unknown unit id 'no-such-unit' in course.yml",
    ),
    "placeholder removed": (
        lambda t: re.sub(r"(<target>⟦\d+⟧Some )<pc [^>]*>(⟦\d+⟧text)</pc>", r"\1\2", t, count=1),
        r":\d+: error: unit 'body.0.1' translation: placeholder '1' missing",
    ),
    "unknown placeholder": (
        lambda t: re.sub(r'(<target>⟦\d+⟧Some <pc id=")1"', r'\g<1>9"', t, count=1),
        r":\d+: error: unit 'body.0.1' translation: placeholder id '9' is not in the source",
    ),
    "placeholder twice": (
        lambda t: re.sub(r"(<target>⟦\d+⟧Some (<pc [^>]*>⟦\d+⟧text</pc>))", r"\1\2", t, count=1),
        r":\d+: error: unit 'body.0.1' translation: placeholder '1' appears more than once",
    ),
    "paired code as standalone": (
        lambda t: re.sub(r"(<target>⟦\d+⟧Some )<pc ([^>]*)>⟦\d+⟧text</pc>", r"\1<ph \2/>", t, count=1),
        r":\d+: error: unit 'body.0.1' translation: placeholder '1' must be a paired code",
    ),
    "split code": (
        lambda t: re.sub(
            r'(<target>⟦\d+⟧Some )<pc id="1"[^>]*>(⟦\d+⟧text)</pc>', r'\1<sc id="1"/>\2<ec startRef="1"/>', t, count=1
        ),
        r":\d+: error: inline element <sc> is not supported",
    ),
    "unknown file": (
        lambda t: t.replace('original="lessons/second.md"', 'original="lessons/third.md"'),
        r":\d+: error: file 'lessons/third.md' is not a translatable file",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_xliff_is_reported_with_its_line_and_changes_nothing(courses, case):
    course = translated(courses)  # an earlier good import: it must survive the bad one unchanged
    before = tree_digest(course)
    path = export(course, courses.parent)
    data, _ = translate_every_unit(path.read_bytes())
    # Each unit now has its stored target too; keep only the freshly marked one.
    root = etree.fromstring(data)
    for segment in root.iter(f"{{{XLIFF2}}}segment"):
        targets = segment.findall(f"{{{XLIFF2}}}target")
        for old in targets[1:]:
            segment.remove(old)
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    how, expected = BAD[case]
    corrupt(path, how)
    result = CliRunner().invoke(main, ["translate", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert re.search(re.escape(path.name) + expected, result.output), result.output
    assert "Traceback" not in result.output
    assert tree_digest(course) == before


def test_xliff_12_placeholders_are_checked_too(courses):
    course = translated(courses, "xliff12")
    before = tree_digest(course)
    path = export(course, courses.parent, "xliff12")
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'(<target[^>]*>CY|<target[^>]*>⟦\d+⟧Some )<g id="1"[^>]*>([^<]*)</g>', r"\1\2", text, count=1)
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["translate", "import", str(path)])
    assert result.exit_code == 1 and "placeholder '1' missing" in result.output, result.output
    assert tree_digest(course) == before


# --------------------------------------------------------------------------- stale, missing, draft, status


def test_a_source_edit_makes_its_unit_stale_with_file_and_line(courses):
    course = translated(courses)
    edit(course / "lessons" / "first.md", "Some **text** with a table:", "Some **new text** with a table:")
    result = CliRunner().invoke(main, ["build", str(course), "--lang", "cy", "--out", "dist"])
    assert result.exit_code == 1
    line = next(
        i for i, text in enumerate((course / "lessons" / "first.md").read_text().split("\n"), 1) if "new text" in text
    )
    assert (
        f"minimal/lessons/first.md:{line}: error: [cy] unit 'body.0.1' (body: paragraph, line {line}) is stale"
        in result.output
    )
    assert result.output.count("error:") == 1 and not Path("dist").exists()
    status = run("translate", "status", course, "--list")
    assert re.search(r"minimal-course\s+cy\s+98%\s+1\s+0\s+45", status.output), status.output
    assert f"first.md:{line}: [cy] stale: body.0.1" in status.output
    # Exported again, the stale unit goes out with its old translation, marked for review.
    root = etree.fromstring(export(course, courses.parent).read_bytes())
    unit = root.find(f".//{{{XLIFF2}}}file[@original='lessons/first.md']/{{{XLIFF2}}}unit[@id='body.0.1']")
    assert unit.find(f"{{{XLIFF2}}}segment").get("state") == "initial"
    assert unit.find(f".//{{{XLIFF2}}}target") is not None


def test_missing_units_fail_the_build_with_the_full_list_and_draft_builds_with_a_banner(courses):
    course = translated(courses)
    (course / "translations" / "cy" / "scenarios" / "ward.yml.yml").unlink()
    result = CliRunner().invoke(main, ["build", str(course), "--lang", "cy", "--out", "dist"])
    assert result.exit_code == 1
    missing = re.findall(
        r"minimal/scenarios/ward.yml:\d+: error: \[cy\] unit '([^']+)' .* is not translated", result.output
    )
    assert len(missing) == 11 and "scenes.start.choices.check.feedback.0.1" in missing, result.output

    welsh = package(course, "web", "cy", draft=True).read("index.html").decode()
    assert "Cyfieithiad DRAFFT" in welsh and 'class="draft-banner"' in welsh
    assert "The tool flags a patient." in welsh  # the source text where the translation is missing
    assert "⟦" in welsh  # and the translation elsewhere
    status = run("translate", "status", course)
    assert re.search(r"minimal-course\s+cy\s+76%\s+0\s+11\s+45", status.output), status.output


def test_a_language_without_translations_is_an_error(courses):
    result = CliRunner().invoke(main, ["build", str(courses / "minimal"), "--lang", "fr", "--out", "dist"])
    assert result.exit_code == 1 and "has no 'fr' translation" in result.output


# --------------------------------------------------------------------------- English untouched


def english_hashes(course: Path) -> dict[str, dict[str, str]]:
    result = build_course(course, FORMATS, None, course.parent)
    assert result.ok, [p.format() for p in result.problems.errors]
    hashes = {}
    for fmt, data in result.packages.items():
        files = zipfile.ZipFile(io.BytesIO(data))
        hashes[result.package_name(fmt)] = {
            n: hashlib.sha256(files.read(n)).hexdigest() for n in sorted(files.namelist())
        }
    return hashes


def test_english_builds_are_byte_identical_to_before_translation_support():
    """Golden hashes of every file of the fixtures' English packages as built before translation support
    (runtime/coursebuild.js left out: its interface strings moved into a table keyed by language, so it
    changed once, unavoidably). Regenerate after an intended change: python tests/test_translation.py."""
    golden = json.loads(GOLDEN.read_text())
    for name in ("minimal", "quiz"):
        for package_name, files in english_hashes(FIXTURES / name).items():
            files = {n: h for n, h in files.items() if n != "runtime/coursebuild.js"}
            assert files == golden[f"tests/fixtures/{name}:{package_name}"], package_name


def test_translations_never_change_the_english_packages(courses):
    course = courses / "minimal"
    before = english_hashes(course)
    translated(courses)
    assert english_hashes(course) == before


if __name__ == "__main__":  # regenerate the golden hashes
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    golden = {}
    for name in ("minimal", "quiz"):
        for package_name, files in english_hashes(FIXTURES / name).items():
            golden[f"tests/fixtures/{name}:{package_name}"] = {
                n: h for n, h in files.items() if n != "runtime/coursebuild.js"
            }
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True))
