"""cmi5 course structures (cmi5.xml): the official schema and the rules it does not check."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from urllib.parse import urlsplit

from lxml import etree

from coursebuild.standards.documents import SCHEMA_DIR, PackageDocumentError, control_document

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"


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
