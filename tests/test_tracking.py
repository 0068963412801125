from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from lxml import etree

from coursebuild.pipeline.build import build_course, compile_course
from coursebuild.standards.cmi5 import check_cmi5_package
from coursebuild.standards.tincan import check_tincan_package
from coursebuild.tracking import ACTIVITY_TYPES, EXTENSIONS, PROFILE_VERSION, VOCABULARY, level_iri, tracking_data
from coursebuild.tracking.profile import profile_document, profile_json
from tests.conftest import REPO, edit


def files_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def tracking_of(course: Path) -> dict:
    result = compile_course(course)
    assert result.site is not None
    html = result.site.files["index.html"].decode()
    start = html.index('<script type="application/json" id="cb-course-data">') + len(
        '<script type="application/json" id="cb-course-data">'
    )
    return unshared(json.loads(html[start : html.index("</script>", start)])["tracking"])


def unshared(tracking: dict) -> dict:
    """The page's tracking data with each shared tag set (an index into `tagSets`) looked up again."""
    sets = tracking["tagSets"]
    for entry in [tracking["course"], *tracking["lessons"].values(), *tracking["questions"].values()]:
        entry["tags"] = sets[entry["tags"]]
    for scenario in tracking["scenarios"].values():
        for scene in scenario["scenes"].values():
            scene["tags"] = {choice: sets[index] for choice, index in scene["tags"].items()}
    return tracking


def test_every_format_builds_and_validates(course):
    result = build_course(course, ["scorm12", "scorm2004", "cmi5", "xapi", "web"], None)
    assert result.ok, [p.format() for p in result.problems.items]
    cmi5 = files_of(result.packages["cmi5"])
    assert check_cmi5_package(cmi5) == []
    assert check_tincan_package(files_of(result.packages["xapi"])) == []
    for fmt, data in result.packages.items():
        assert "xapi/profile.jsonld" in files_of(data), fmt
        assert json.loads(files_of(data)["runtime/target.js"].decode().split("= ", 1)[1].rstrip(";\n")) == {
            "format": fmt
        }


def test_cmi5_structure_carries_move_on_mastery_and_objectives(course):
    result = build_course(course, ["cmi5"], None)
    root = etree.fromstring(files_of(result.packages["cmi5"])["cmi5.xml"])
    ns = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
    au = root.find("c:au", ns)
    assert au.get("moveOn") == "CompletedAndPassed" and au.get("masteryScore") == "0.75"
    assert au.get("id") == "https://learning.example.org/xapi/courses/minimal-course/au"
    assert au.findtext("c:url", namespaces=ns) == "index.html"
    objectives = [o.get("id") for o in root.findall("c:objectives/c:objective", ns)]
    assert objectives == [
        f"{VOCABULARY}/requirement/T1.1",
        f"{VOCABULARY}/requirement/T1.2",
        f"{VOCABULARY}/requirement/T1.3",
    ]


def test_cmi5_checks_reject_relative_ids_and_missing_launch():
    bad = b'<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"><course id="x"><title><langstring lang="en">t</langstring></title><description><langstring lang="en">d</langstring></description></course><au id="y"><title><langstring lang="en">t</langstring></title><description><langstring lang="en">d</langstring></description><url>missing.html</url></au></courseStructure>'
    messages = check_cmi5_package({"cmi5.xml": bad})
    assert "id 'x' is not an absolute IRI (cmi5 3.0.0.0-1)" in messages
    assert "AU url 'missing.html' is not in the package" in messages
    assert any(
        "schema" in m
        for m in check_cmi5_package({"cmi5.xml": bad.replace(b"<url>", b"<link>").replace(b"</url>", b"</link>")})
    )


def test_activity_iris_derive_from_base_iri_and_ids_not_titles(course):
    before = tracking_of(course)
    edit(course / "lessons" / "first.md", "title: The first lesson", "title: A renamed lesson")
    edit(course / "lessons" / "first.md", "# The first lesson", "# A renamed lesson")
    after = tracking_of(course)
    assert (
        before["lessons"]["first-lesson"]["id"]
        == after["lessons"]["first-lesson"]["id"]
        == ("https://learning.example.org/xapi/courses/minimal-course/lesson/first-lesson")
    )
    assert after["questions"]["q-first-1"]["id"].endswith("/question/q-first-1")
    assert after["scenarios"]["ward-round"]["scenes"]["start"]["id"].endswith("/scenario/ward-round/scene/start")


def test_the_page_carries_each_distinct_tag_set_once(course):
    """Lessons and questions with the same level and requirements share one tag set in the page's data, and
    looking the indexes up gives back exactly what the tracking vocabulary says."""
    result = compile_course(course)
    assert result.course is not None and result.site is not None
    html = result.site.files["index.html"].decode()
    marker = '<script type="application/json" id="cb-course-data">'
    start = html.index(marker) + len(marker)
    shared = json.loads(html[start : html.index("</script>", start)])["tracking"]
    expected = json.loads(json.dumps(tracking_data(result.course, result.catalogue)))
    every = [expected["course"], *expected["lessons"].values(), *expected["questions"].values()] + [
        tags
        for scenario in expected["scenarios"].values()
        for scene in scenario["scenes"].values()
        for tags in scene["tags"].values()
    ]
    distinct = {json.dumps(e.get("tags", e), sort_keys=True) for e in every}
    assert len(shared["tagSets"]) == len(distinct) < len(every)
    assert {k: v for k, v in unshared(shared).items() if k != "tagSets"} == expected


def test_statement_tags_carry_level_requirements_and_pathway(course):
    tags = tracking_of(course)["questions"]["q-final-2"]["tags"]
    categories = {c["id"] for c in tags["category"]}
    assert categories == {PROFILE_VERSION, level_iri(__import__("coursebuild.model").model.Level.FAMILIARITY)}
    assert [o["id"] for o in tags["other"]] == [f"{VOCABULARY}/requirement/T1.2"]
    assert tags["other"][0]["definition"]["type"] == ACTIVITY_TYPES["requirement"]
    assert tags["extensions"][EXTENSIONS["taxonomy-level"]] == "familiarity"
    assert tags["extensions"][EXTENSIONS["pathway"]] == "foundational"
    assert tags["extensions"][EXTENSIONS["factor"]] == ["ai-literacy"]


def test_interaction_definitions_use_xapi_patterns(course):
    questions = tracking_of(course)["questions"]
    choice = questions["q-final-2"]["definition"]
    assert choice["interactionType"] == "choice" and choice["correctResponsesPattern"] == ["a[,]b"]
    assert [c["id"] for c in choice["choices"]] == ["a", "b", "c"]
    assert questions["q-final-1"]["definition"]["correctResponsesPattern"] == ["true"]
    assert questions["q-final-3"]["definition"]["correctResponsesPattern"] == ["4[:]4"]
    scene = tracking_of(course)["scenarios"]["ward-round"]["scenes"]["start"]["definition"]
    assert scene["correctResponsesPattern"] == ["check"]


def test_profile_document_is_well_formed():
    profile = profile_document()
    for key in ("id", "@context", "type", "conformsTo", "prefLabel", "definition", "versions", "author"):
        assert key in profile
    assert profile["conformsTo"] == "https://w3id.org/xapi/profiles#1.0"
    ids = [c["id"] for c in profile["concepts"]] + [t["id"] for t in profile["templates"]]
    assert len(ids) == len(set(ids))
    for item in profile["concepts"] + profile["templates"]:
        assert item["inScheme"] == PROFILE_VERSION
    for template in profile["templates"]:
        for rule in template["rules"]:
            assert rule["location"].startswith("$.")
            assert {"presence", "any", "all", "none"} & set(rule)


def test_published_profile_in_docs_is_current():
    assert (REPO / "docs" / "xapi-profile.jsonld").read_bytes() == profile_json(), (
        "run: coursebuild profile --out docs/xapi-profile.jsonld"
    )
