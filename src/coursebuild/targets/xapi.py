"""xAPI (TinCan) package: tincan.xml at the root; the LMS passes endpoint, auth, actor and registration
in the launch URL (Rustici's launch document), so no credentials are ever stored in the package."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from lxml import etree

from coursebuild.errors import Problems
from coursebuild.pipeline.render import Site
from coursebuild.targets import Target, register
from coursebuild.targets.common import PackageDocumentError, control_document, with_runtime_settings
from coursebuild.tracking import ACTIVITY_TYPES, Iris

NS = "http://projecttincan.com/tincan.xsd"


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


def check_tincan_package(files: dict[str, bytes] | list[str], structure: bytes | None = None) -> list[str]:
    """Reasons an LMS would refuse this TinCan package. `files` is the package (name -> bytes), or just its
    file names with the tincan.xml bytes passed as `structure` (what `coursebuild inspect` does)."""
    names = set(files)
    try:
        root = control_document(files, "tincan.xml", structure)
    except PackageDocumentError as exc:
        return [str(exc)]
    messages = []
    if root.tag != f"{{{NS}}}tincan":
        messages.append("tincan.xml root must be <tincan> in the http://projecttincan.com/tincan.xsd namespace")
    launches = root.findall(f".//{{{NS}}}launch")
    if len(launches) != 1:
        messages.append(f"exactly one activity must have a <launch>, found {len(launches)}")
    for launch in launches:
        target = (launch.text or "").strip()
        if urlsplit(target).scheme:
            continue  # an absolute launch URL is allowed: the content lives elsewhere
        if target.split("?")[0].split("#")[0] not in names:
            messages.append(f"launch file '{launch.text}' is not in the package")
    ids = [a.get("id", "") for a in root.iter(f"{{{NS}}}activity")]
    for iri in ids:
        if not urlsplit(iri).scheme:
            messages.append(f"activity id '{iri}' is not an absolute IRI")
    for duplicate in sorted(i for i, n in Counter(ids).items() if n > 1):
        messages.append(f"activity id '{duplicate}' is used more than once")
    return messages


@register
class XapiTarget(Target):
    name = "xapi"
    description = "xAPI (TinCan) package with tincan.xml"

    def package(self, site: Site, problems: Problems) -> dict[str, bytes]:
        files = with_runtime_settings(site.files, self.runtime_settings())
        files["tincan.xml"] = tincan_xml(site)
        self.report(site, problems, check_tincan_package(files))
        return files
