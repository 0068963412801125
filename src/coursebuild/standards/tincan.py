"""TinCan packages (tincan.xml), the packaging xAPI courses have used since before cmi5: the rules an LMS applies."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from coursebuild.standards.documents import PackageDocumentError, control_document

NS = "http://projecttincan.com/tincan.xsd"


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
