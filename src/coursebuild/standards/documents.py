"""Reading a package's control documents and the schema files coursebuild ships, safely."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


def schema_files(folder: str) -> dict[str, bytes]:
    """The schema (XSD/DTD) files shipped with coursebuild for one standard, by file name."""
    root = files("coursebuild") / "schemas" / folder
    return {entry.name: entry.read_bytes() for entry in sorted(root.iterdir(), key=lambda e: e.name) if entry.is_file()}


class PackageDocumentError(Exception):
    """The package's control document (imsmanifest.xml, cmi5.xml, tincan.xml) is missing or not XML."""


def control_document(files_or_names: dict[str, bytes] | list[str], name: str, data: bytes | None) -> etree._Element:
    """Parse a package's control document safely: no entities, no network. `data` wins over `files`."""
    if data is None and isinstance(files_or_names, dict):
        data = files_or_names.get(name)
    if data is None:
        raise PackageDocumentError(f"{name} is not at the root of the package")
    try:
        return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise PackageDocumentError(f"{name} is not well-formed XML: {exc}") from None
