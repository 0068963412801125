"""cmi5 (Quartz): cmi5.xml at the zip root, one assignable unit, moveOn and masteryScore from course.yml.

The course structure is validated against the official CourseStructure.xsd, plus the rule the schema
cannot express: every id must be an absolute IRI (xs:anyURI accepts relative ones; LMSs do not).
"""

from __future__ import annotations

from lxml import etree

from coursebuild.catalogue import Catalogue
from coursebuild.errors import Problems
from coursebuild.pipeline.render import Site
from coursebuild.standards.cmi5 import NS, check_cmi5_package
from coursebuild.targets import Target, register
from coursebuild.targets.common import with_runtime_settings
from coursebuild.tracking import Iris, requirement_iri


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
    au = etree.SubElement(
        root, f"{{{NS}}}au", id=au_id(site), moveOn="CompletedAndPassed" if has_assessment else "Completed"
    )
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


@register
class Cmi5Target(Target):
    name = "cmi5"
    description = "cmi5 course package (one assignable unit)"

    def package(self, site: Site, problems: Problems) -> dict[str, bytes]:
        files = with_runtime_settings(site.files, self.runtime_settings())
        files["cmi5.xml"] = course_structure(site, site.catalogue)
        self.report(site, problems, check_cmi5_package(files))
        return files
