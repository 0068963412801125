"""xAPI (TinCan) package: tincan.xml at the root; the LMS passes endpoint, auth, actor and registration
in the launch URL (Rustici's launch document), so no credentials are ever stored in the package."""

from __future__ import annotations

from lxml import etree

from coursebuild.errors import Problems
from coursebuild.pipeline.render import Site
from coursebuild.standards.tincan import NS, check_tincan_package
from coursebuild.targets import Target, register
from coursebuild.targets.common import with_runtime_settings
from coursebuild.tracking import ACTIVITY_TYPES, Iris


def tincan_xml(site: Site) -> bytes:
    course = site.course
    config = course.config
    iris = Iris(config.base_iri)
    root = etree.Element(f"{{{NS}}}tincan", nsmap={None: NS})
    activities = etree.SubElement(root, f"{{{NS}}}activities")

    def activity(iri: str, kind: str, title: str, description: str = "", launch: bool = False) -> None:
        element = etree.SubElement(activities, f"{{{NS}}}activity", id=iri, type=ACTIVITY_TYPES[kind])
        etree.SubElement(element, f"{{{NS}}}name").text = title
        etree.SubElement(element, f"{{{NS}}}description", lang=config.language).text = description or title
        if launch:
            etree.SubElement(element, f"{{{NS}}}launch", lang=config.language).text = "index.html"

    activity(iris.course(), "course", config.title, config.description, launch=True)
    for lesson in course.lessons:
        activity(iris.lesson(lesson.id), "lesson", lesson.meta.title)
    if course.assessment:
        activity(iris.assessment(course.assessment.meta.id), "assessment", course.assessment.meta.title)
    for scenario in course.scenarios:
        activity(iris.scenario(scenario.id), "scenario", scenario.source_model.title)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@register
class XapiTarget(Target):
    name = "xapi"
    description = "xAPI (TinCan) package with tincan.xml"

    def package(self, site: Site, problems: Problems) -> dict[str, bytes]:
        files = with_runtime_settings(site.files, self.runtime_settings())
        files["tincan.xml"] = tincan_xml(site)
        self.report(site, problems, check_tincan_package(files))
        return files
