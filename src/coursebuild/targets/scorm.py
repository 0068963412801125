"""What SCORM 1.2 and SCORM 2004 4th edition packages share: a single-SCO manifest built with lxml,
validated against the official schemas, and the referential checks those schemas do not make.

Identifiers derive from the course id only, so rebuilding or re-uploading a course keeps them stable and
LMS learner records are not orphaned. The schema files go at the zip root, as the ADL checkers require.
"""

from __future__ import annotations

from lxml import etree

from coursebuild.errors import Problems
from coursebuild.pipeline.render import Site
from coursebuild.standards.documents import schema_files
from coursebuild.standards.scorm import IMSSS, SCORM12, XSI, ScormVersion, check_scorm_package
from coursebuild.targets import Target
from coursebuild.targets.common import with_runtime_settings


class ScormTarget(Target):
    version: ScormVersion

    def package(self, site: Site, problems: Problems) -> dict[str, bytes]:
        content = with_runtime_settings(site.files, self.runtime_settings())
        schemas = schema_files(self.version.schema_folder)
        clash = sorted(set(content) & set(schemas) | ({"imsmanifest.xml"} & set(content)))
        for name in clash:
            problems.error(
                site.course.root,
                None,
                f"the course has a file '{name}' that SCORM reserves at the package root",
                "rename it",
            )
        manifest = build_manifest(self.version, site, sorted(content))
        package = {**content, **schemas, "imsmanifest.xml": manifest}
        self.report(site, problems, check_scorm_package(package, self.version))
        return package


def _ids(course_id: str) -> tuple[str, str, str, str]:
    return (f"cb-{course_id}", f"org-{course_id}", f"item-{course_id}", f"res-{course_id}")


def build_manifest(version: ScormVersion, site: Site, content_files: list[str]) -> bytes:
    config = site.course.config
    # A translation is another package: LMSs keep packages apart by these identifiers.
    manifest_id, org_id, item_id, resource_id = _ids(config.id + (f"-{site.translation}" if site.translation else ""))
    cp = version.cp_namespace
    nsmap: dict[str | None, str] = {
        None: cp,
        "adlcp": version.adlcp_namespace,
        "xsi": XSI,
        **dict(version.extra_namespaces),
    }
    root = etree.Element(f"{{{cp}}}manifest", nsmap=nsmap)
    root.set("identifier", manifest_id)
    root.set("version", config.version)
    root.set(f"{{{XSI}}}schemaLocation", " ".join(f"{ns} {xsd}" for ns, xsd in version.schema_locations))

    metadata = etree.SubElement(root, f"{{{cp}}}metadata")
    etree.SubElement(metadata, f"{{{cp}}}schema").text = "ADL SCORM"
    etree.SubElement(metadata, f"{{{cp}}}schemaversion").text = version.schema_version

    organizations = etree.SubElement(root, f"{{{cp}}}organizations", default=org_id)
    organization = etree.SubElement(organizations, f"{{{cp}}}organization", identifier=org_id)
    etree.SubElement(organization, f"{{{cp}}}title").text = config.title
    item = etree.SubElement(organization, f"{{{cp}}}item", identifier=item_id, identifierref=resource_id)
    etree.SubElement(item, f"{{{cp}}}title").text = config.title
    mastered = site.course.assessment is not None
    if version is SCORM12:
        if mastered:
            etree.SubElement(item, f"{{{version.adlcp_namespace}}}masteryscore").text = str(config.pass_mark)
    else:
        _sequencing_2004(item, config.pass_mark if mastered else None, config.id)

    resources = etree.SubElement(root, f"{{{cp}}}resources")
    resource = etree.SubElement(
        resources, f"{{{cp}}}resource", identifier=resource_id, type="webcontent", href="index.html"
    )
    resource.set(f"{{{version.adlcp_namespace}}}{version.scorm_type_attribute}", "sco")
    for name in content_files:
        etree.SubElement(resource, f"{{{cp}}}file", href=name)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sequencing_2004(item: etree._Element, pass_mark: int | None, course_id: str) -> None:
    sequencing = etree.SubElement(item, f"{{{IMSSS}}}sequencing")
    objectives = etree.SubElement(sequencing, f"{{{IMSSS}}}objectives")
    primary = etree.SubElement(objectives, f"{{{IMSSS}}}primaryObjective", objectiveID=f"{course_id}-primary")
    if pass_mark is not None:
        primary.set("satisfiedByMeasure", "true")
        etree.SubElement(primary, f"{{{IMSSS}}}minNormalizedMeasure").text = f"{pass_mark / 100:.2f}"
    # Without these, LMSs may mark the course complete/passed themselves when the learner exits.
    etree.SubElement(
        sequencing, f"{{{IMSSS}}}deliveryControls", completionSetByContent="true", objectiveSetByContent="true"
    )
