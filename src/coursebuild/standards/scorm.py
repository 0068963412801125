"""SCORM 1.2 and SCORM 2004 4th edition: the two versions' namespaces and schemas, and every check an LMS
makes of a manifest on upload: the official schemas, then the referential rules the schemas do not make.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from lxml import etree

from coursebuild.standards.documents import SCHEMA_DIR, PackageDocumentError, control_document

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class ScormVersion:
    key: str
    schema_folder: str
    cp_namespace: str
    adlcp_namespace: str
    schema_version: str
    scorm_type_attribute: str
    schema_locations: tuple[tuple[str, str], ...]
    extra_namespaces: tuple[tuple[str, str], ...] = ()
    # Shipped and referenced, but not compiled for validation: we emit no elements from these namespaces.
    not_compiled: tuple[str, ...] = ()


SCORM12 = ScormVersion(
    key="scorm12",
    schema_folder="scorm12",
    cp_namespace="http://www.imsproject.org/xsd/imscp_rootv1p1p2",
    adlcp_namespace="http://www.adlnet.org/xsd/adlcp_rootv1p2",
    schema_version="1.2",
    scorm_type_attribute="scormtype",
    schema_locations=(
        ("http://www.imsproject.org/xsd/imscp_rootv1p1p2", "imscp_rootv1p1p2.xsd"),
        ("http://www.imsglobal.org/xsd/imsmd_rootv1p2p1", "imsmd_rootv1p2p1.xsd"),
        ("http://www.adlnet.org/xsd/adlcp_rootv1p2", "adlcp_rootv1p2.xsd"),
    ),
    # libxml2 rejects imsmd's import of ims_xml.xsd (it binds the reserved xml namespace as default).
    not_compiled=("imsmd_rootv1p2p1.xsd",),
)

SCORM2004 = ScormVersion(
    key="scorm2004",
    schema_folder="scorm2004",
    cp_namespace="http://www.imsglobal.org/xsd/imscp_v1p1",
    adlcp_namespace="http://www.adlnet.org/xsd/adlcp_v1p3",
    schema_version="2004 4th Edition",
    scorm_type_attribute="scormType",
    schema_locations=(
        ("http://www.imsglobal.org/xsd/imscp_v1p1", "imscp_v1p1.xsd"),
        ("http://www.adlnet.org/xsd/adlcp_v1p3", "adlcp_v1p3.xsd"),
        ("http://www.adlnet.org/xsd/adlseq_v1p3", "adlseq_v1p3.xsd"),
        ("http://www.adlnet.org/xsd/adlnav_v1p3", "adlnav_v1p3.xsd"),
        ("http://www.imsglobal.org/xsd/imsss", "imsss_v1p0.xsd"),
    ),
    extra_namespaces=(
        ("adlseq", "http://www.adlnet.org/xsd/adlseq_v1p3"),
        ("adlnav", "http://www.adlnet.org/xsd/adlnav_v1p3"),
        ("imsss", "http://www.imsglobal.org/xsd/imsss"),
    ),
)
IMSSS = "http://www.imsglobal.org/xsd/imsss"


@lru_cache(maxsize=4)
def _schema(version_key: str) -> etree.XMLSchema:
    version = SCORM12 if version_key == "scorm12" else SCORM2004
    folder = SCHEMA_DIR / version.schema_folder
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{(folder / xsd).as_uri()}"/>'
        for ns, xsd in version.schema_locations
        if xsd not in version.not_compiled
    )
    wrapper = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=True)
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser, base_url=folder.as_uri() + "/"))


def detect_scorm_version(manifest: bytes) -> ScormVersion | None:
    try:
        root = etree.fromstring(manifest, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    namespace = etree.QName(root).namespace
    return {SCORM12.cp_namespace: SCORM12, SCORM2004.cp_namespace: SCORM2004}.get(namespace)


def check_scorm_package(
    files: dict[str, bytes] | list[str], version: ScormVersion, manifest: bytes | None = None
) -> list[str]:
    """Every reason an LMS would refuse this package: schema errors, then the referential rules."""
    names = list(files)
    try:
        root = control_document(files, "imsmanifest.xml", manifest)
    except PackageDocumentError as exc:
        return [str(exc)]
    messages = []
    schema = _schema(version.key)
    if not schema.validate(root):
        for error in schema.error_log:
            messages.append(f"imsmanifest.xml line {error.line}: schema: {error.message}")
    messages.extend(_referential_problems(root, names, version))
    return messages


def _referential_problems(root: etree._Element, names: list[str], version: ScormVersion) -> list[str]:
    cp = version.cp_namespace
    ns = {"cp": cp}
    messages = []
    present = set(names)
    folded = {name.lower(): name for name in sorted(present, reverse=True)}
    for name in names:
        if name.startswith("/") or "\\" in name or ".." in name and ".." in PurePosixPath(name).parts:
            messages.append(f"unsafe file name in package: '{name}'")

    identifiers = [el.get("identifier") for el in root.iter() if el.get("identifier") is not None]
    for identifier in identifiers:
        if not NCNAME.match(identifier):
            messages.append(
                f"identifier '{identifier}' is not a valid xs:ID (letters, digits, '.', '-', '_'; not starting with a digit)"
            )
    for duplicate in sorted(i for i, n in Counter(identifiers).items() if n > 1):
        messages.append(f"identifier '{duplicate}' is used more than once")

    organizations = root.find("cp:organizations", ns)
    org_ids = [org.get("identifier") for org in root.findall("cp:organizations/cp:organization", ns)]
    default = organizations.get("default") if organizations is not None else None
    if not org_ids:
        messages.append("the manifest has no organization")
    elif default not in org_ids:
        messages.append(f"the default organization '{default}' does not exist")

    resources = {res.get("identifier"): res for res in root.findall("cp:resources/cp:resource", ns)}
    for item in root.iter(f"{{{cp}}}item"):
        ref = item.get("identifierref")
        is_leaf = item.find("cp:item", ns) is None
        if ref is None and is_leaf:
            messages.append(f"item '{item.get('identifier')}' has no identifierref to launch")
        elif ref is not None and ref not in resources:
            messages.append(f"item '{item.get('identifier')}' refers to resource '{ref}', which does not exist")
        elif ref is not None and not is_leaf:
            messages.append(f"item '{item.get('identifier')}' has children and must not have an identifierref")

    referenced = {"imsmanifest.xml"}
    scorm_type = f"{{{version.adlcp_namespace}}}{version.scorm_type_attribute}"
    # xml:base on <manifest>, <resources> and <resource> prefixes the hrefs below it (IMS CP 1.1.4).
    resources_base = root.get(XML_BASE, "") + _xml_base(root.find("cp:resources", ns))
    for identifier, resource in resources.items():
        base = resources_base + _xml_base(resource)
        href = resource.get("href")
        if resource.get(scorm_type) == "sco" and not href:
            messages.append(f"SCO resource '{identifier}' has no href to launch")
        if href and not _is_external(base + href):
            launch = _in_package(base + href.split("?")[0].split("#")[0], present)
            if launch not in present:
                messages.append(
                    f"resource '{identifier}' launches '{launch}', which is not in the package{_case_note(launch, folded)}"
                )
        for file in resource.findall("cp:file", ns):
            if _is_external(base + file.get("href", "")):
                continue
            file_href = _in_package(base + file.get("href", ""), present)
            referenced.add(file_href)
            if file_href not in present:
                messages.append(
                    f"file '{file_href}' is listed in the manifest but not in the package{_case_note(file_href, folded)}"
                )
    schema_names = {xsd for _, xsd in version.schema_locations}
    for name in sorted(present - referenced):
        if "/" not in name and (name.endswith((".xsd", ".dtd")) or name in schema_names):
            continue
        if name.endswith("/"):
            continue
        messages.append(f"file '{name}' is in the package but not listed in the manifest")
    return messages


def _xml_base(element: etree._Element | None) -> str:
    return element.get(XML_BASE, "") if element is not None else ""


def _is_external(href: str) -> bool:
    """An absolute URL (http:, https:, ...) points outside the package: nothing to find in the zip.

    A one-letter "scheme" is a Windows drive letter (C:/...), which is a broken path, not a URL."""
    if ":" not in href:  # no scheme without a colon: most hrefs, a thousand per large course
        return href.startswith("//")
    try:
        return len(urlsplit(href).scheme) > 1 or href.startswith("//")
    except ValueError:
        return False


def _in_package(href: str, present: set[str]) -> str:
    """The zip entry an href names: hrefs are URLs, so 'a%20b.html' is the file 'a b.html'."""
    if href not in present and unquote(href) in present:
        return unquote(href)
    return href


def _case_note(name: str, folded: dict[str, str]) -> str:
    """`folded` maps each file name in lower case to the name itself (one dictionary per check, not a scan per file)."""
    candidate = folded.get(name.lower())
    if candidate is not None:
        return f" (a file '{candidate}' differs only in case; LMS servers are case-sensitive)"
    return ""
