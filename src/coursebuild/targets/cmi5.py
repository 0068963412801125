"""cmi5 (Quartz): cmi5.xml at the zip root, one assignable unit, moveOn and masteryScore from course.yml.

The course structure is validated against the official CourseStructure.xsd, plus the rule the schema
cannot express: every id must be an absolute IRI (xs:anyURI accepts relative ones; LMSs do not).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree

from coursebuild.catalogue import Catalogue
from coursebuild.errors import Problems
from coursebuild.pipeline.render import Site
from coursebuild.targets import Target, register
from coursebuild.targets.common import PackageDocumentError, control_document, with_runtime_settings
from coursebuild.targets.scorm import SCHEMA_DIR
from coursebuild.tracking import Iris, requirement_iri

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"


def au_id(site: Site) -> str:
    return Iris(site.course.config.base_iri).course() + "/au"


def _text(parent: etree._Element, tag: str, text: str, language: str) -> None:
    element = etree.SubElement(parent, f"{{{NS}}}{tag}")
    etree.SubElement(element, f"{{{NS}}}langstring", lang=language).text = text


def assessed_requirements(site: Site) -> list[str]:
    """Requirements an item in the course assesses: they become cmi5 objectives."""
    course = site.course
    found = {r for placed in course.all_questions() if placed.question.scored for r in placed.question.requirements}
    for scenario in course.scenarios:
        model = scenario.source_model
        for scene in model.scenes.values():
            for choice in scene.choices:
                found.update(choice.requirements if choice.requirements is not None else model.requirements)
    return sorted(found)


def course_structure(site: Site, catalogue: Catalogue | None = None) -> bytes:
    config = site.course.config
    language = config.language
    root = etree.Element(f"{{{NS}}}courseStructure", nsmap={None: NS})
    course = etree.SubElement(root, f"{{{NS}}}course", id=config.base_iri)
    _text(course, "title", config.title, language)
    _text(course, "description", config.description or config.title, language)
    requirements = assessed_requirements(site)
    if requirements:
        objectives = etree.SubElement(root, f"{{{NS}}}objectives")
        for requirement_id in requirements:
            objective = etree.SubElement(objectives, f"{{{NS}}}objective", id=requirement_iri(requirement_id))
            statement = ""
            if catalogue and requirement_id in catalogue.requirements:
                statement = catalogue.requirements[requirement_id].statement
            _text(objective, "title", requirement_id, language)
            _text(objective, "description", statement or requirement_id, language)
    has_assessment = site.course.assessment is not None
    au = etree.SubElement(root, f"{{{NS}}}au", id=au_id(site), moveOn="CompletedAndPassed" if has_assessment else "Completed")
    if has_assessment:
        au.set("masteryScore", f"{config.pass_mark / 100:.2f}")
    _text(au, "title", config.title, language)
    _text(au, "description", config.description or config.title, language)
    if requirements:
        references = etree.SubElement(au, f"{{{NS}}}objectives")
        for requirement_id in requirements:
            etree.SubElement(references, f"{{{NS}}}objective", idref=requirement_iri(requirement_id))
    etree.SubElement(au, f"{{{NS}}}url").text = "index.html"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "cmi5" / "CourseStructure.xsd")))


def check_cmi5_package(files: dict[str, bytes] | list[str], structure: bytes | None = None) -> list[str]:
    names = set(files)
    try:
        root = control_document(files, "cmi5.xml", structure)
    except PackageDocumentError as exc:
        return [str(exc)]
    messages: list[str] = []
    schema = _schema()
    if not schema.validate(root):
        messages.extend(f"cmi5.xml line {e.line}: schema: {e.message}" for e in schema.error_log)
    ids = [el.get("id") for el in root.iter() if el.get("id") is not None]
    for iri in ids:
        parts = urlsplit(iri)
        if not parts.scheme or not (parts.netloc or parts.scheme == "urn"):
            messages.append(f"id '{iri}' is not an absolute IRI (cmi5 3.0.0.0-1)")
    for duplicate in sorted(i for i, n in Counter(ids).items() if n > 1):
        messages.append(f"id '{duplicate}' is used more than once")
    for url in root.iter(f"{{{NS}}}url"):
        target = (url.text or "").split("?")[0].split("#")[0]
        if not urlsplit(target).scheme and target not in names:
            messages.append(f"AU url '{target}' is not in the package")
    return messages


@register
class Cmi5Target(Target):
    name = "cmi5"
    description = "cmi5 course package (one assignable unit)"

    def package(self, site: Site, problems: Problems) -> dict[str, bytes]:
        files = with_runtime_settings(site.files, self.runtime_settings())
        files["cmi5.xml"] = course_structure(site, site.catalogue)
        self.report(site, problems, check_cmi5_package(files))
        return files
