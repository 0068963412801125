"""Finding and checking the control document: where the manifest sits, the standard's own checks
(`coursebuild.standards`), the schema files at the root, and a summary of what the package declares."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

from lxml import etree

from coursebuild.inspector.members import Members
from coursebuild.inspector.report import ERROR, KIND_LABELS, NOTE, WARNING, Report
from coursebuild.inspector.safezip import SafeZip, Unreadable
from coursebuild.standards.cmi5 import NS as CMI5_NS
from coursebuild.standards.cmi5 import check_cmi5_package
from coursebuild.standards.scorm import (
    IMSSS,
    SCORM12,
    SCORM2004,
    ScormVersion,
    check_scorm_package,
    detect_scorm_version,
)
from coursebuild.standards.tincan import NS as TINCAN_NS
from coursebuild.standards.tincan import check_tincan_package

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
IMSMD_12 = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
MANIFESTS = {"imsmanifest.xml": "scorm", "cmi5.xml": "cmi5", "tincan.xml": "xapi"}


def locate_manifest(members: Members, report: Report) -> tuple[str, str, str] | None:
    """(manifest entry, kind, package root prefix) or None when the zip is not a package."""
    candidates = [
        (name, MANIFESTS[posixpath.basename(name).lower()])
        for name in members.files
        if posixpath.basename(name).lower() in MANIFESTS
    ]
    order = list(MANIFESTS.values())
    at_root = sorted(
        (c for c in candidates if "/" not in c[0]), key=lambda c: (order.index(c[1]), c[0] not in MANIFESTS)
    )
    if at_root:
        name, kind = at_root[0]
        expected = next(k for k, v in MANIFESTS.items() if v == kind)
        if name != expected:
            report.add(
                ERROR,
                "manifest-name",
                f"the manifest is named '{name}'; it must be exactly '{expected}' (LMS servers are case-sensitive)",
                name,
            )
        for other, other_kind in at_root[1:]:
            if other_kind != kind:
                report.add(
                    NOTE,
                    "several-manifests",
                    f"the package also has '{other}'; it was inspected as {KIND_LABELS[kind]}, as most LMSs would",
                    other,
                )
        return name, kind, ""
    if not candidates:
        nested = [n for n in members.files if n.lower().endswith(".zip")]
        hint = f" It contains {', '.join(repr(n) for n in nested[:3])}: was the package zipped twice?" if nested else ""
        if not nested and any(n.lower() in {"index.html", "index.htm"} for n in members.files):
            hint = " It looks like a plain website (such as coursebuild's web format): LMSs need a SCORM, cmi5 or TinCan export."
        report.add(
            ERROR,
            "no-manifest",
            "no imsmanifest.xml (SCORM), cmi5.xml or tincan.xml in the zip: this is not a SCORM, cmi5 or TinCan package."
            + hint,
        )
        return None
    name, kind = min(candidates, key=lambda c: (c[0].count("/"), order.index(c[1]), c[0]))
    prefix = name.rsplit("/", 1)[0] + "/"
    outside = [n for n in members.files if not n.startswith(prefix)]
    if kind == "xapi" and not outside:
        # TinCan allows the package root to sit under folders that have nothing else in them.
        report.add(
            NOTE,
            "package-root",
            f"tincan.xml is in '{prefix}'; TinCan treats that folder as the package root",
            name,
        )
        return name, kind, prefix
    what = posixpath.basename(name)
    report.add(
        ERROR,
        "manifest-not-at-root",
        f"{what} is in the folder '{prefix}', not at the root of the zip, so LMSs will not find it. "
        f"Zip the contents of the folder, not the folder itself (the most common upload error). "
        f"The rest of this report treats '{prefix}' as the package root.",
        name,
    )
    return name, kind, prefix


def read_manifest(safe: SafeZip, members: Members, name: str, report: Report) -> bytes | None:
    info = members.files[name]
    if name not in members.readable:
        report.add(ERROR, "manifest-unreadable", f"'{name}' cannot be read (see the other errors)", name)
        return None
    try:
        return safe.read(info, safe.limits.max_manifest_size, must_fit=True)
    except Unreadable as exc:
        report.add(ERROR, "manifest-unreadable", f"'{name}' cannot be read: {exc}", name)
        return None


def _parse(data: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(
            data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        )
    except etree.XMLSyntaxError:
        return None


# Messages of the shared check functions -> (code, severity). First match wins.
_CHECK_CODES: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"differs only in case"), "case-mismatch", ERROR),
    (re.compile(r"not well-formed XML"), "xml-malformed", ERROR),
    (re.compile(r"schema:|root must be <tincan>"), "schema", ERROR),
    (re.compile(r"unsafe file name"), "unsafe-path", ERROR),
    (re.compile(r"is not a valid xs:ID"), "invalid-identifier", ERROR),
    (re.compile(r"is used more than once"), "duplicate-identifier", ERROR),
    (re.compile(r"not an absolute IRI"), "relative-iri", ERROR),
    (re.compile(r"launches '|AU url '|launch file '"), "missing-launch-file", ERROR),
    (
        re.compile(r"has no href to launch|has no identifierref|exactly one activity must have a <launch>"),
        "missing-launch",
        ERROR,
    ),
    (re.compile(r"is listed in the manifest but not in the package"), "missing-file", ERROR),
    (re.compile(r"is in the package but not listed in the manifest"), "unlisted-file", WARNING),
    (re.compile(r"organization|refers to resource|must not have an identifierref"), "broken-reference", ERROR),
]


# Where a message names a file of the package.
_CHECK_PATH = re.compile(r"launches '([^']*)'|AU url '([^']*)'|launch file '([^']*)'|^file '([^']*)'")


def _report_checks(messages: list[str], names: list[str], prefix: str, report: Report, manifest_name: str) -> None:
    folded = {n.lower(): n for n in sorted(names, reverse=True)}
    for message in messages:
        code, severity = "package-check", ERROR
        for pattern, pattern_code, pattern_severity in _CHECK_CODES:
            if pattern.search(message):
                code, severity = pattern_code, pattern_severity
                break
        named = _CHECK_PATH.search(message)
        target = next((g for g in named.groups() if g is not None), None) if named else None
        target = target.strip().split("?")[0].split("#")[0] if target else None
        path = prefix + (target if target else manifest_name)
        if code == "unlisted-file" and path.lower().endswith((".xsd", ".dtd")):
            continue  # schema support files (LOM's common/, vocab/ ...) are never listed, and need not be
        if code == "missing-launch-file" and target:
            match = folded.get(target.lower())
            if match and match != target:
                code = "case-mismatch"
                message += f" (a file '{match}' differs only in case; LMS servers are case-sensitive)"
        if code == "schema" and IMSMD_12 in message and "strict wildcard" in message:
            report.add(
                NOTE,
                "metadata-not-validated",
                "inline IMS metadata (imsmd LOM) was not validated: "
                "the SCORM 1.2 metadata schema does not load in standard validators",
                path,
            )
            continue
        if code == "unlisted-file":
            message += " (harmless for most LMSs, but a tidy package lists every file)"
        report.add(severity, code, message, path)


def _safely(check, *args) -> list[str]:
    try:
        return check(*args)
    except (ValueError, etree.LxmlError) as exc:  # hostile input the shared checks did not expect
        return [f"the manifest could not be checked: {exc}"]


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    text = " ".join("".join(element.itertext()).split())
    return text or None


def inspect_scorm(
    safe: SafeZip, members: Members, manifest: bytes, names: list[str], prefix: str, report: Report
) -> None:
    root = _parse(manifest)
    if root is None:
        report.format = None
        _report_checks(_safely(check_scorm_package, names, SCORM12, manifest), names, prefix, report, "imsmanifest.xml")
        return
    version = detect_scorm_version(manifest)
    if version is None:
        namespace = etree.QName(root).namespace
        report.add(
            ERROR,
            "unknown-manifest",
            f"imsmanifest.xml's root element is <{etree.QName(root).localname}> in namespace '{namespace}', which is neither "
            f"SCORM 1.2 ({SCORM12.cp_namespace}) nor SCORM 2004 ({SCORM2004.cp_namespace})",
            prefix + "imsmanifest.xml",
        )
        return
    report.format = version.key
    cp = {"cp": version.cp_namespace}
    report.version = _text(root.find("cp:metadata/cp:schemaversion", cp))
    if version is SCORM2004 and report.version != SCORM2004.schema_version:
        report.add(
            NOTE,
            "schema-edition",
            f"the manifest declares schemaversion '{report.version or '(none)'}'; it was validated against the SCORM 2004 4th Edition schemas, "
            "which accept conformant 2nd and 3rd Edition manifests",
            prefix + "imsmanifest.xml",
        )
    _report_checks(_safely(check_scorm_package, names, version, manifest), names, prefix, report, "imsmanifest.xml")
    _scorm_summary(root, version, report)
    _check_schema_files(safe, members, root, version, prefix, report)
    if version is SCORM2004:
        _check_delivery_controls(root, version, prefix, report)
    adlcp = version.adlcp_namespace
    wrong = "scormType" if version is SCORM12 else "scormtype"
    if any(r.get(f"{{{adlcp}}}{wrong}") is not None for r in root.iter(f"{{{version.cp_namespace}}}resource")):
        report.add(
            NOTE,
            "scorm-type-spelling",
            f"resources use adlcp:{wrong}, the spelling of the other SCORM version",
            prefix + "imsmanifest.xml",
        )


def _scorm_summary(root: etree._Element, version: ScormVersion, report: Report) -> None:
    cp = {"cp": version.cp_namespace}
    organizations = root.find("cp:organizations", cp)
    orgs = root.findall("cp:organizations/cp:organization", cp)
    default_id = organizations.get("default") if organizations is not None else None
    default = next((o for o in orgs if o.get("identifier") == default_id), orgs[0] if orgs else None)
    report.title = _text(default.find("cp:title", cp)) if default is not None else None
    report.identifiers = {
        "manifest": root.get("identifier"),
        "organization": default.get("identifier") if default is not None else None,
    }
    resources_el = root.find("cp:resources", cp)
    base = root.get(XML_BASE, "") + (resources_el.get(XML_BASE, "") if resources_el is not None else "")
    resources = {r.get("identifier"): r for r in root.findall("cp:resources/cp:resource", cp)}
    launch: list[str] = []
    for item in default.iter(f"{{{version.cp_namespace}}}item") if default is not None else ():
        resource = resources.get(item.get("identifierref"))
        if resource is None or not resource.get("href"):
            continue
        href = base + resource.get(XML_BASE, "") + resource.get("href", "") + (item.get("parameters") or "")
        if href not in launch:
            launch.append(href)
    report.launch = launch


def _has_scheme(url: str) -> bool:
    try:
        return len(urlsplit(url).scheme) > 1
    except ValueError:
        return False


def _schema_locations(root: etree._Element) -> list[str]:
    pairs = (root.get(f"{{{XSI}}}schemaLocation") or "").split()
    return pairs[1::2]


def _check_schema_files(
    safe: SafeZip, members: Members, root: etree._Element, version: ScormVersion, prefix: str, report: Report
) -> None:
    """ADL RequiredFilesChecker: every schema the manifest points to, and what those include, at the root."""
    locations = [loc for loc in _schema_locations(root) if not _has_scheme(loc)]
    if not root.get(f"{{{XSI}}}schemaLocation"):
        report.add(
            WARNING,
            "no-schema-location",
            "the manifest has no xsi:schemaLocation, so LMSs that validate it cannot find its schemas",
            prefix + "imsmanifest.xml",
        )
    wanted = [(loc, "imsmanifest.xml", ERROR) for loc in locations]
    seen: set[str] = set()
    while wanted and len(seen) < 500:
        location, referrer, severity = wanted.pop(0)
        name = posixpath.normpath(posixpath.join(posixpath.dirname(referrer), unquote(location)))
        if name in seen:
            continue
        seen.add(name)
        info = members.files.get(prefix + name)
        if info is not None and referrer == "imsmanifest.xml" and "/" in name:
            report.add(
                WARNING,
                "schema-not-at-root",
                f"the schema file '{name}' is in a folder; the ADL rules want every schema the manifest uses at the package root",
                prefix + name,
            )
        if info is None:
            report.add(
                severity,
                "missing-schema-file",
                f"the schema file '{name}' (referenced by {referrer}) is not in the package; the schema files a manifest "
                "uses must be at the package root, and LMSs that validate manifests refuse the package without them",
                prefix + name,
            )
            continue
        if not name.lower().endswith(".xsd") or prefix + name not in members.readable:
            continue
        try:
            data = safe.read(info, safe.limits.max_schema_size, must_fit=True)
        except Unreadable:
            continue  # reported by the integrity pass with the package's other damaged files
        members.checked.add(prefix + name)
        tree = _parse(data)
        if tree is None:
            continue
        for element in tree.iter(f"{{{XSD}}}include", f"{{{XSD}}}import", f"{{{XSD}}}redefine"):
            location = element.get("schemaLocation")
            if location and not _has_scheme(location):
                wanted.append((location, name, ERROR))
        system_url = tree.getroottree().docinfo.system_url
        if system_url and not _has_scheme(system_url):
            wanted.append((system_url, name, WARNING))  # a DTD: only validators that load DTDs need it


def _check_delivery_controls(root: etree._Element, version: ScormVersion, prefix: str, report: Report) -> None:
    """Standards notes 1.6 #3: without these, LMSs (SuccessFactors, SCORM Engine) may mark a SCO complete on exit."""
    cp = version.cp_namespace
    scorm_type = f"{{{version.adlcp_namespace}}}{version.scorm_type_attribute}"
    scos = {r.get("identifier") for r in root.iter(f"{{{cp}}}resource") if r.get(scorm_type) == "sco"}
    collection = {s.get("ID"): s for s in root.iter(f"{{{IMSSS}}}sequencing") if s.get("ID")}
    loose = []
    for item in root.iter(f"{{{cp}}}item"):
        if item.get("identifierref") not in scos:
            continue
        controls = None
        sequencing = item.find(f"{{{IMSSS}}}sequencing")
        for candidate in (sequencing, collection.get(sequencing.get("IDRef")) if sequencing is not None else None):
            if candidate is not None and controls is None:
                controls = candidate.find(f"{{{IMSSS}}}deliveryControls")
        if (
            controls is None
            or controls.get("completionSetByContent") != "true"
            or controls.get("objectiveSetByContent") != "true"
        ):
            loose.append(item.get("identifier"))
    if loose:
        shown = ", ".join(repr(i) for i in loose[:5]) + (f" and {len(loose) - 5} more" if len(loose) > 5 else "")
        report.add(
            WARNING,
            "sequencing-defaults",
            f"SCO item(s) {shown} leave completionSetByContent/objectiveSetByContent at their default 'false'; "
            "some LMSs then mark the course completed or passed when the learner merely exits",
            prefix + "imsmanifest.xml",
        )


def inspect_cmi5(structure: bytes, names: list[str], prefix: str, report: Report) -> None:
    _report_checks(_safely(check_cmi5_package, names, structure), names, prefix, report, "cmi5.xml")
    root = _parse(structure)
    if root is None:
        return
    ns = {"c": CMI5_NS}
    course = root.find("c:course", ns)
    report.title = _text(course.find("c:title/c:langstring", ns)) if course is not None else None
    aus = list(root.iter(f"{{{CMI5_NS}}}au"))
    report.identifiers = {
        "course": course.get("id") if course is not None else None,
        "aus": [au.get("id") for au in aus],
    }
    report.launch = [(au.findtext(f"{{{CMI5_NS}}}url") or "").strip() for au in aus]


def inspect_tincan(structure: bytes, names: list[str], prefix: str, report: Report) -> None:
    _report_checks(_safely(check_tincan_package, names, structure), names, prefix, report, "tincan.xml")
    root = _parse(structure)
    if root is None:
        return
    activities = list(root.iter(f"{{{TINCAN_NS}}}activity"))
    launching = [a for a in activities if a.find(f"{{{TINCAN_NS}}}launch") is not None]
    main = launching[0] if launching else (activities[0] if activities else None)
    report.title = _text(main.find(f"{{{TINCAN_NS}}}name")) if main is not None else None
    report.identifiers = {
        "activity": main.get("id") if main is not None else None,
        "activities": [a.get("id") for a in activities],
    }
    report.launch = [(a.findtext(f"{{{TINCAN_NS}}}launch") or "").strip() for a in launching]
