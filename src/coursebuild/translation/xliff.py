"""XLIFF files for translators: written for export, read back (with translate-toolkit) for import.

XLIFF 1.2 is written and read with translate-toolkit's `translate.storage.xliff`. XLIFF 2.0 is read with
its `translate.storage.xliff2`, but written here with lxml: translate-toolkit 3.20's 2.0 writer puts
`<notes>` and `xml:space` on `<segment>` (the 2.0 core schema allows neither there), always leaves an
empty `<file id="f1">` behind, and writes inline codes without the XLIFF namespace. So only the file
structure is built here; every parse goes through translate-toolkit.

One `<file>` per source file of the course (`original` is its path in the course folder); one unit per
translatable string, its id the unit key (see `units.py`). Inline Markdown becomes paired codes (2.0
`<pc>`, 1.2 `<g>`) and standalone codes (`<ph>`, `<x>`), with `canDelete="no"`; the Markdown a code stands
for is in 2.0's `<originalData>`, but on import it is always taken from the course itself, so a
translator can neither break nor change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from coursebuild.translation.segments import Code, Node, codes_of

XLIFF2 = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"
FORMATS = ("xliff2", "xliff12")
COURSE_NOTE = "coursebuild-course"


@dataclass
class ExportUnit:
    key: str
    note: str
    source: list[Node]
    target: list[Node] | None = None  # an existing translation, codes numbered as in the source
    stale: bool = False


@dataclass
class ExportFile:
    path: str
    units: list[ExportUnit]


# --------------------------------------------------------------------------- writing


def write_xliff(
    fmt: str, course_id: str, version: str, source_language: str, target_language: str, files: list[ExportFile]
) -> bytes:
    if fmt == "xliff2":
        return _write_2(course_id, version, source_language, target_language, files)
    return _write_12(course_id, version, source_language, target_language, files)


def _write_2(
    course_id: str, version: str, source_language: str, target_language: str, files: list[ExportFile]
) -> bytes:
    def el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{XLIFF2}}}{tag}", {k: v for k, v in attrs.items()})

    root = etree.Element(f"{{{XLIFF2}}}xliff", nsmap={None: XLIFF2})
    root.set("version", "2.0")
    root.set("srcLang", source_language)
    root.set("trgLang", target_language)
    for n, export in enumerate(files, 1):
        if not export.units:
            continue
        file_el = el(root, "file", id=f"f{n}", original=export.path)
        notes = el(file_el, "notes")
        el(notes, "note", category=COURSE_NOTE).text = f"{course_id} {version}"
        for unit in export.units:
            unit_el = el(file_el, "unit", id=unit.key)
            el(el(unit_el, "notes"), "note", category="location").text = unit.note
            codes = codes_of(unit.source)
            if codes:
                data = el(unit_el, "originalData")
                for code in codes:
                    el(data, "data", id=f"d{code.id}s").text = code.start
                    if code.paired:
                        el(data, "data", id=f"d{code.id}e").text = code.end
            segment = el(unit_el, "segment")
            if unit.target is not None:
                segment.set("state", "initial" if unit.stale else "translated")
            _fill_2(el(segment, "source"), unit.source)
            if unit.target is not None:
                _fill_2(el(segment, "target"), unit.target)
    _indent(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


_CONTAINERS = {"xliff", "file", "notes", "unit", "originalData", "segment"}


def _indent(element: etree._Element, depth: int = 0) -> None:
    """Line breaks and indentation between structural elements only: inside <source> and <target>
    whitespace is text (lxml's pretty_print would indent an element that starts with a code)."""
    if etree.QName(element).localname not in _CONTAINERS or not len(element):
        return
    element.text = "\n" + "  " * (depth + 1)
    for child in element:
        _indent(child, depth + 1)
        child.tail = "\n" + "  " * (depth + 1)
    element[-1].tail = "\n" + "  " * depth


def _fill_2(parent: etree._Element, nodes: list[Node]) -> None:
    for node in nodes:
        if isinstance(node, str):
            _append_text(parent, node)
            continue
        attrs = {"id": node.id, "type": node.kind, "canDelete": "no"}
        if node.sub_type:
            attrs["subType"] = node.sub_type
        if node.paired:
            child = etree.SubElement(
                parent, f"{{{XLIFF2}}}pc", {**attrs, "dataRefStart": f"d{node.id}s", "dataRefEnd": f"d{node.id}e"}
            )
            _fill_2(child, node.children)
        else:
            etree.SubElement(parent, f"{{{XLIFF2}}}ph", {**attrs, "dataRef": f"d{node.id}s"})


def _append_text(parent: etree._Element, text: str) -> None:
    if len(parent):
        parent[-1].tail = (parent[-1].tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _write_12(
    course_id: str, version: str, source_language: str, target_language: str, files: list[ExportFile]
) -> bytes:
    from translate.storage.xliff import xlifffile

    store = xlifffile.parsestring(_SKELETON_12)
    store.setsourcelanguage(source_language)
    store.settargetlanguage(target_language)
    for export in files:
        if not export.units:
            continue
        for unit in export.units:
            tt_unit = store.addsourceunit("", filename=export.path, createifmissing=True)
            tt_unit.setid(unit.key)
            tt_unit.addnote(unit.note, origin="developer")
            source = tt_unit.source_dom
            _fill_12(source, unit.source)
            if unit.target is not None:
                tt_unit.settarget("", lang=target_language)
                target = tt_unit.get_target_dom()
                _fill_12(target, unit.target)
                target.set("state", "needs-review-translation" if unit.stale else "translated")
        file_node = store.getfilenode(export.path)
        file_node.set("datatype", "x-markdown" if export.path.endswith(".md") else "x-yaml")
        file_node.set("product-name", course_id)
        file_node.set("product-version", version)
    store.removedefaultfile()
    etree.cleanup_namespaces(store.document.getroot())
    return bytes(store)


# translate-toolkit's own skeleton is XLIFF 1.1: start from a 1.2 document instead.
_SKELETON_12 = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2" xmlns="{XLIFF12}">'
    '<file original="NoName" source-language="en" datatype="plaintext"><body/></file></xliff>'
).encode()


def _fill_12(parent: etree._Element, nodes: list[Node]) -> None:
    for node in nodes:
        if isinstance(node, str):
            _append_text(parent, node)
        elif node.paired:
            child = etree.SubElement(parent, f"{{{XLIFF12}}}g", id=node.id, ctype=node.ctype)
            _fill_12(child, node.children)
        else:
            etree.SubElement(parent, f"{{{XLIFF12}}}x", id=node.id, ctype=node.ctype)


# --------------------------------------------------------------------------- reading


class XliffError(Exception):
    def __init__(self, line: int | None, message: str, hint: str = ""):
        super().__init__(message)
        self.line = line
        self.message = message
        self.hint = hint


@dataclass
class ReadCode:
    id: str
    paired: bool
    line: int | None
    children: list[ReadNode] = field(default_factory=list)


ReadNode = str | ReadCode


@dataclass
class ReadUnit:
    file: str
    key: str
    line: int | None
    source: list[ReadNode]
    target: list[ReadNode] | None
    target_line: int | None


@dataclass
class ReadXliff:
    version: str
    source_language: str
    target_language: str
    course: str | None
    units: list[ReadUnit]


_PAIRED_TAGS = {"pc", "g"}
_STANDALONE_TAGS = {"ph", "x"}
_UNWRAPPED_TAGS = {"mrk"}  # annotations a CAT tool may add around terms: their text is kept


def read_xliff(data: bytes) -> ReadXliff:
    """The units of an XLIFF 1.2 or 2.0 file, parsed by translate-toolkit; XliffError if it is not one."""
    from translate.misc.xml_helpers import parse_xml

    try:
        root = parse_xml(data)
    except etree.XMLSyntaxError as exc:
        raise XliffError(
            exc.lineno, f"not well-formed XML: {exc.msg}", "the file must be XLIFF as the export wrote it"
        ) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype:
        raise XliffError(1, "a DOCTYPE is not allowed in an XLIFF file", "remove the <!DOCTYPE ...> declaration")
    version = root.get("version", "")
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "xliff" or namespace not in (XLIFF2, XLIFF12):
        raise XliffError(
            root.sourceline,
            "this is XML but not XLIFF 1.2 or 2.0",
            f"the root element must be <xliff> in the namespace {XLIFF2} or {XLIFF12}",
        )
    try:
        if namespace == XLIFF2:
            return _read_2(data, version)
        return _read_12(data, version)
    except ValueError as exc:
        raise XliffError(root.sourceline, f"not a valid XLIFF file: {exc}") from None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _nodes(element: etree._Element | None) -> list[ReadNode]:
    if element is None:
        return []
    nodes: list[ReadNode] = []

    def text(value: str | None) -> None:
        if not value:
            return
        if nodes and isinstance(nodes[-1], str):
            nodes[-1] += value
        else:
            nodes.append(value)

    text(element.text)
    for child in element:
        name = _local(child)
        if not name:  # a comment or processing instruction
            pass
        elif name in _PAIRED_TAGS:
            nodes.append(ReadCode(child.get("id", ""), True, child.sourceline, _nodes(child)))
        elif name in _STANDALONE_TAGS:
            if len(child) or (child.text or "").strip():
                raise XliffError(
                    child.sourceline,
                    f'<{name} id="{child.get("id")}"> must be empty',
                    "keep the placeholder as exported",
                )
            nodes.append(ReadCode(child.get("id", ""), False, child.sourceline))
        elif name in _UNWRAPPED_TAGS:
            for inner in _nodes(child):
                if isinstance(inner, str):
                    text(inner)
                else:
                    nodes.append(inner)
        else:
            raise XliffError(
                child.sourceline,
                f"inline element <{name}> is not supported",
                "keep the placeholders as exported (<pc>/<ph> in XLIFF 2.0, <g>/<x> in 1.2); "
                "if the tool split a <pc>, join it again",
            )
        text(child.tail)
    return nodes


def _read_2(data: bytes, version: str) -> ReadXliff:
    from translate.storage.xliff2 import Xliff2File

    store = Xliff2File.parsestring(data)
    root = store.document.getroot()
    course = None
    units = []
    for tt_unit in store.units:
        segment = tt_unit.xmlelement
        unit_el = segment.getparent()
        if len(unit_el.findall(f"{{{XLIFF2}}}segment")) > 1:
            raise XliffError(
                unit_el.sourceline,
                f"unit '{unit_el.get('id')}' has more than one segment",
                "join the segments again: each unit is one paragraph, heading or field",
            )
        file_el = unit_el.getparent()
        while file_el is not None and _local(file_el) != "file":
            file_el = file_el.getparent()
        if file_el is None:
            continue
        for note in file_el.iterfind(f"{{{XLIFF2}}}notes/{{{XLIFF2}}}note"):
            if note.get("category") == COURSE_NOTE and note.text:
                course = note.text.split()[0]
        target = tt_unit.get_target_dom()
        units.append(
            ReadUnit(
                file_el.get("original", ""),
                unit_el.get("id", ""),
                unit_el.sourceline,
                _nodes(tt_unit.source_dom),
                None if target is None else _nodes(target),
                None if target is None else target.sourceline,
            )
        )
    return ReadXliff(version, root.get("srcLang", ""), root.get("trgLang", ""), course, units)


def _read_12(data: bytes, version: str) -> ReadXliff:
    from translate.storage.xliff import ID_SEPARATOR, xlifffile

    store = xlifffile.parsestring(data)
    course = None
    target_language = ""
    source_language = ""
    units = []
    for tt_unit in store.units:
        element = tt_unit.xmlelement
        file_el = element.getparent()
        while file_el is not None and _local(file_el) != "file":
            file_el = file_el.getparent()
        if file_el is None:
            continue
        course = course or file_el.get("product-name")
        target_language = target_language or file_el.get("target-language", "")
        source_language = source_language or file_el.get("source-language", "")
        key = tt_unit.getid().split(ID_SEPARATOR)[-1]
        target = tt_unit.get_target_dom()
        units.append(
            ReadUnit(
                file_el.get("original", ""),
                key,
                element.sourceline,
                _nodes(tt_unit.source_dom),
                None if target is None else _nodes(target),
                None if target is None else target.sourceline,
            )
        )
    return ReadXliff(version, source_language, target_language, course, units)


# --------------------------------------------------------------------------- checking against the source


def resolve(read: list[ReadNode], source: list[Node], what: str, line: int | None) -> list[Node]:
    """The read nodes with each code replaced by the source's code of the same id (its Markdown); XliffError
    if a code is unknown, of the wrong kind, repeated, or missing."""
    known = {code.id: code for code in codes_of(source)}
    seen: set[str] = set()

    def walk(nodes: list[ReadNode]) -> list[Node]:
        out: list[Node] = []
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
                continue
            original = known.get(node.id)
            where = node.line or line
            if original is None:
                raise XliffError(
                    where,
                    f"{what}: placeholder id '{node.id}' is not in the source",
                    f"use only the placeholders of the source ({_describe(known)})",
                )
            if original.paired != node.paired:
                expected = "a paired code around text" if original.paired else "a standalone placeholder"
                raise XliffError(where, f"{what}: placeholder '{node.id}' must be {expected}", "keep it as exported")
            if node.id in seen:
                raise XliffError(
                    where, f"{what}: placeholder '{node.id}' appears more than once", "use each placeholder once"
                )
            seen.add(node.id)
            out.append(
                Code(
                    original.id,
                    original.paired,
                    original.start,
                    original.end,
                    original.kind,
                    original.sub_type,
                    original.ctype,
                    walk(node.children),
                )
            )
        return out

    result = walk(read)
    missing = [known[i] for i in known if i not in seen]
    if missing:
        raise XliffError(
            line,
            f"{what}: placeholder{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(c.id) for c in missing)} missing ({_describe({c.id: c for c in missing})})",
            "every placeholder of the source must be in the translation, once",
        )
    return result


def _describe(codes: dict[str, Code]) -> str:
    if not codes:
        return "it has none"
    return ", ".join(f"{i}: {c.start}{'…' + c.end if c.paired else ''}".replace("\n", "\\n") for i, c in codes.items())
