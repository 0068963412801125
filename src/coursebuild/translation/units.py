"""What a translator translates: one unit per string of a course, with a stable id, and the way back.

A unit's id is its source file (relative to the course folder) plus a structural key:

| where | key |
|---|---|
| course.yml | `title`, `description`, `audience`, `modules.<module id>.title` |
| a lesson's front matter | `title`, `objectives.<n>` |
| a block of Markdown (a lesson or assessment body, a prompt, a scene) | `<field>.<section>.<block>`: section 0 is before the first heading, each heading starts the next (its own block is 0), blocks count paragraphs, list items, table cells and definitions in order |
| a question | `q.<question id>.<field>` (`options.<option id>.text`, `pairs.<n>.source`, `items.<n>`, ...) |
| a media clip | `media.<n>.title`, `media.<n>.transcript.<section>.<block>` |
| a scenario | `title`, `description`, `scenes.<scene id>.title`, `scenes.<scene id>.text.<section>.<block>`, `scenes.<scene id>.choices.<choice id>.text` |

Ids depend on the structure, not the wording, so a changed sentence keeps its id and shows up as stale.

`rebuild_*` put translated text back: Markdown blocks are replaced in place in the source text (so lists,
tables, call-outs and question blocks keep their shape), YAML values are replaced in the data.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from markdown_it.token import Token

from coursebuild.model import LessonMeta, LikertQuestion
from coursebuild.pipeline.load import LoadedCourse
from coursebuild.pipeline.markdown import markdown_parser
from coursebuild.pipeline.parse import drop_title_heading
from coursebuild.translation.segments import Node, inline_segment, normalise, plain_segment
from coursebuild.yamlfile import YamlDocument, YamlSyntaxError, parse_yaml

PLAIN = "plain"
INLINE = "inline"


@dataclass
class Unit:
    file: str  # relative to the course folder, POSIX
    key: str
    source: str  # Markdown (or plain text) as written
    line: int | None
    kind: str  # PLAIN or INLINE (inline Markdown with codes)
    note: str
    env: dict[str, Any] | None = None  # the document's link references and footnotes, for inline units

    @property
    def id(self) -> str:
        return f"{self.file}#{self.key}"

    @property
    def text(self) -> str:
        return normalise(self.source)

    def segment(self) -> list[Node]:
        return plain_segment(self.source) if self.kind == PLAIN else inline_segment(normalise(self.source), self.env)


# A translator: (file, key, source) -> the translation (Markdown or plain text), or None to keep the source.
Translate = Callable[[str, str, str], "str | None"]

# --------------------------------------------------------------------------- Markdown blocks

_BLOCK_KINDS = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "th_open": "table heading cell",
    "td_open": "table cell",
    "dt_open": "term",
}


@dataclass
class _Slot:
    key: str
    kind: str
    content: str
    first: int  # 0-based line in the text
    last: int  # exclusive
    cell: int | None  # index of the cell in its table row, for table cells


@dataclass
class _Fence:
    info: str
    content: str
    first: int  # line of the opening fence
    last: int  # exclusive: after the closing fence


def _walk(text: str, prefix: str, env: dict[str, Any] | None = None) -> tuple[list[_Slot], list[_Fence]]:
    tokens = markdown_parser().parse(text, env if env is not None else {})
    slots: list[_Slot] = []
    fences: list[_Fence] = []
    section, block = 0, 0
    parent: Token | None = None
    row: Token | None = None
    row_cells = 0
    for token in tokens:
        if token.type == "tr_open":
            row, row_cells = token, 0
        if token.type == "heading_open":
            section, block = section + 1, -1
        if token.type in _BLOCK_KINDS:
            parent = token
        if token.type == "fence":
            assert token.map is not None
            fences.append(_Fence(token.info.strip(), token.content, token.map[0], token.map[1]))
            continue
        if token.type != "inline" or parent is None or not token.content.strip():
            continue
        block += 1
        kind = _BLOCK_KINDS[parent.type]
        cell = None
        if kind.startswith("table"):
            cell = row_cells
            row_cells += 1
            first, last = row.map if row is not None and row.map else (0, 1)
        else:
            first, last = token.map or parent.map or (0, 1)
        slots.append(_Slot(f"{prefix}.{section}.{block}", kind, token.content, first, max(last, first + 1), cell))
        parent = None
    return slots, fences


def block_units(text: str, prefix: str, file: str, first_line: int, what: str) -> list[Unit]:
    """Units for a Markdown text; `first_line` is the file line the text starts on."""
    env: dict[str, Any] = {}
    slots, fences = _walk(text, prefix, env)
    refs = {k: v for k, v in env.items() if k in ("references", "footnotes")} or None
    units = [
        Unit(
            file,
            slot.key,
            slot.content,
            first_line + slot.first,
            INLINE,
            f"{what}: {slot.kind}, line {first_line + slot.first}",
            refs,
        )
        for slot in slots
    ]
    media = 0
    for fence in fences:
        line = first_line + fence.first + 1
        if fence.info == "question":
            data = _fence_data(fence, line)
            if isinstance(data, YamlDocument) and isinstance(data.data, dict):
                units.extend(question_units(data, file))
        elif fence.info == "media":
            media += 1
            data = _fence_data(fence, line)
            if isinstance(data, YamlDocument) and isinstance(data.data, dict):
                units.extend(_media_units(data, file, media))
    return units


def _fence_data(fence: _Fence, line: int) -> YamlDocument | None:
    try:
        return parse_yaml(fence.content, line)
    except YamlSyntaxError:
        return None


def rebuild_blocks(text: str, prefix: str, file: str, translate: Translate) -> str:
    """The Markdown text with each translated block put in place of its source."""
    lines = text.split("\n")
    slots, fences = _walk(text, prefix)
    edits: list[tuple[int, int, list[str]]] = []
    by_row: dict[int, list[_Slot]] = {}
    for slot in slots:
        if slot.cell is not None:
            by_row.setdefault(slot.first, []).append(slot)
            continue
        translated = translate(file, slot.key, normalise(slot.content))
        if translated is not None:
            edits.append(
                (slot.first, slot.last, _replace_block(lines[slot.first : slot.last], slot.content, translated))
            )
    for row, cells in by_row.items():
        line = lines[row]
        position = 0
        pieces = []
        for slot in cells:
            raw = slot.content.replace("|", "\\|")
            at = line.find(raw, position)
            if at < 0:
                continue
            translated = translate(file, slot.key, normalise(slot.content))
            pieces.append(
                line[position:at] + (raw if translated is None else translated.replace("|", "\\|").replace("\n", " "))
            )
            position = at + len(raw)
        edits.append((row, row + 1, ["".join(pieces) + line[position:]]))
    media = 0
    for fence in fences:
        if fence.info not in ("question", "media"):
            continue
        media += fence.info == "media"
        try:
            doc = parse_yaml(fence.content)
        except YamlSyntaxError:
            continue
        if not isinstance(doc.data, dict):
            continue
        if fence.info == "question":
            data = rebuild_question(doc.data, file, translate)
        else:
            data = _rebuild_media(doc.data, file, media, translate)
        if data == doc.data:
            continue
        indent = lines[fence.first][: len(lines[fence.first]) - len(lines[fence.first].lstrip())]
        dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000).rstrip("\n").split("\n")
        edits.append((fence.first + 1, fence.last - 1, [indent + line for line in dumped]))
    for first, last, new in sorted(edits, key=lambda e: e[0], reverse=True):
        lines[first:last] = new
    return "\n".join(lines)


def _replace_block(lines: list[str], content: str, translated: str) -> list[str]:
    """Put `translated` where `content` stands in `lines`, keeping the lines' prefixes (list markers,
    '> ', indentation, '## ') and the last line's suffix."""
    parts = content.split("\n")
    starts = []
    for line, part in zip(lines, parts, strict=False):
        at = line.find(part) if part else len(line)
        starts.append(max(at, 0))
    first_prefix = lines[0][: starts[0]]
    last = len(parts) - 1
    suffix = lines[last][starts[last] + len(parts[last]) :] if last < len(lines) else ""
    continuation = lines[1][: starts[1]] if len(lines) > 1 and len(starts) > 1 else " " * len(first_prefix)
    new = translated.split("\n")
    result = [first_prefix + new[0]] + [continuation + piece for piece in new[1:]]
    result[-1] += suffix
    return result + lines[len(parts) :]


# --------------------------------------------------------------------------- YAML fields


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:  # noqa: SIM114 - two branches so the type checker can narrow `part`
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


@dataclass
class _Field:
    path: tuple[str | int, ...]
    key: str
    block: bool  # Markdown with blocks; else plain text (or inline Markdown if `inline`)
    note: str
    inline: bool = False


def _question_fields(data: dict[str, Any]) -> list[_Field]:
    qid = str(data.get("id", "?"))
    base = f"q.{qid}"
    fields = [
        _Field(("prompt",), f"{base}.prompt", True, "question prompt"),
        _Field(("case",), f"{base}.case", True, "question case"),
        _Field(("feedback",), f"{base}.feedback", True, "question feedback"),
        _Field(("hint",), f"{base}.hint", False, "question hint"),
        _Field(("unit",), f"{base}.unit", False, "unit of a numeric answer"),
        _Field(
            ("feedback_true",), f"{base}.feedback_true", False, "feedback when the learner answers true", inline=True
        ),
        _Field(
            ("feedback_false",), f"{base}.feedback_false", False, "feedback when the learner answers false", inline=True
        ),
    ]
    for option in data.get("options") or []:
        if isinstance(option, dict) and "id" in option:
            i = data["options"].index(option)
            fields.append(_Field(("options", i, "text"), f"{base}.options.{option['id']}.text", False, "answer option"))
            fields.append(
                _Field(
                    ("options", i, "feedback"),
                    f"{base}.options.{option['id']}.feedback",
                    False,
                    "feedback on this option",
                    inline=True,
                )
            )
    for i, _ in enumerate(data.get("pairs") or []):
        fields.append(_Field(("pairs", i, "source"), f"{base}.pairs.{i + 1}.source", False, "item to match"))
        fields.append(_Field(("pairs", i, "target"), f"{base}.pairs.{i + 1}.target", False, "its match"))
    for name, note in (
        ("distractors", "a match that fits no item"),
        ("items", "item to put in order"),
        ("scale", "point of the agreement scale"),
        ("statements", "self-assessment statement"),
        ("accept", "an accepted answer: the learner types this (case and spacing are ignored)"),
    ):
        for i, _ in enumerate(data.get(name) or []):
            fields.append(_Field((name, i), f"{base}.{name}.{i + 1}", False, note))
    return fields


def _units_of_fields(doc: YamlDocument, fields: list[_Field], file: str, line_offset: int = 0) -> list[Unit]:
    units = []
    for f in fields:
        value = _get(doc.data, f.path)
        if not isinstance(value, str) or not value.strip():
            continue
        line = doc.line_of(f.path) + line_offset
        if f.block:
            units.extend(block_units(value, f.key, file, line + 1, f.note))
        else:
            units.append(Unit(file, f.key, value, line, INLINE if f.inline else PLAIN, f"{f.note}, line {line}"))
    return units


def _rebuild_fields(data: Any, fields: list[_Field], file: str, translate: Translate) -> Any:
    data = copy.deepcopy(data)
    for f in fields:
        value = _get(data, f.path)
        if not isinstance(value, str) or not value.strip():
            continue
        if f.block:
            new = rebuild_blocks(value, f.key, file, translate)
        else:
            found = translate(file, f.key, normalise(value))
            new = value if found is None else found
        holder = _get(data, f.path[:-1])
        holder[f.path[-1]] = new
    return data


def _default_scale(data: dict[str, Any]) -> list[str] | None:
    """A likert question without its own scale uses the default one, which is translated with it."""
    if data.get("type") == "likert" and "scale" not in data:
        return list(LikertQuestion.model_fields["scale"].default)
    return None


def question_units(doc: YamlDocument, file: str) -> list[Unit]:
    units = _units_of_fields(doc, _question_fields(doc.data), file)
    scale = _default_scale(doc.data)
    if scale:
        line = doc.line_of(("type",))
        key = f"q.{doc.data.get('id', '?')}.scale"
        units.extend(
            Unit(file, f"{key}.{i}", text, line, PLAIN, f"point of the (default) agreement scale, line {line}")
            for i, text in enumerate(scale, 1)
        )
    return units


def rebuild_question(data: dict[str, Any], file: str, translate: Translate) -> dict[str, Any]:
    scale = _default_scale(data)
    data = _rebuild_fields(data, _question_fields(data), file, translate)
    if scale:
        key = f"q.{data.get('id', '?')}.scale"
        translated = [translate(file, f"{key}.{i}", text) for i, text in enumerate(scale, 1)]
        if any(t is not None for t in translated):
            data["scale"] = [t if t is not None else text for t, text in zip(translated, scale, strict=False)]
    return data


def _media_fields(n: int) -> list[_Field]:
    return [
        _Field(("title",), f"media.{n}.title", False, "media title"),
        _Field(("transcript",), f"media.{n}.transcript", True, "media transcript"),
        _Field(
            ("captions",),
            f"media.{n}.captions",
            False,
            "captions file: give the path of a WebVTT file in this language, or keep this one",
        ),
    ]


def _media_units(doc: YamlDocument, file: str, n: int) -> list[Unit]:
    return _units_of_fields(doc, _media_fields(n), file)


def _rebuild_media(data: dict[str, Any], file: str, n: int, translate: Translate) -> dict[str, Any]:
    return _rebuild_fields(data, _media_fields(n), file, translate)


def course_fields(data: dict[str, Any]) -> list[_Field]:
    fields = [
        _Field(("title",), "title", False, "course title"),
        _Field(("description",), "description", False, "course description"),
        _Field(("audience",), "audience", False, "who the course is for"),
    ]
    for i, module in enumerate(data.get("modules") or []):
        if isinstance(module, dict):
            fields.append(_Field(("modules", i, "title"), f"modules.{module.get('id')}.title", False, "module title"))
    return fields


def lesson_fields(data: dict[str, Any]) -> list[_Field]:
    fields = [_Field(("title",), "title", False, "lesson title")]
    for i, _ in enumerate(data.get("objectives") or []):
        fields.append(_Field(("objectives", i), f"objectives.{i + 1}", False, "learning objective"))
    return fields


def scenario_fields(data: dict[str, Any]) -> list[_Field]:
    fields = [
        _Field(("title",), "title", False, "scenario title"),
        _Field(("description",), "description", False, "scenario description"),
    ]
    for scene_id, scene in (data.get("scenes") or {}).items():
        if not isinstance(scene, dict):
            continue
        base = f"scenes.{scene_id}"
        fields.append(_Field(("scenes", scene_id, "title"), f"{base}.title", False, "scene title"))
        fields.append(_Field(("scenes", scene_id, "text"), f"{base}.text", True, "scene text"))
        fields.append(
            _Field(("scenes", scene_id, "image_alt"), f"{base}.image_alt", False, "image description (alt text)")
        )
        for i, choice in enumerate(scene.get("choices") or []):
            if isinstance(choice, dict):
                cbase = f"{base}.choices.{choice.get('id')}"
                fields.append(_Field(("scenes", scene_id, "choices", i, "text"), f"{cbase}.text", False, "choice"))
                fields.append(
                    _Field(
                        ("scenes", scene_id, "choices", i, "feedback"),
                        f"{cbase}.feedback",
                        True,
                        "feedback on this choice",
                    )
                )
    return fields


# --------------------------------------------------------------------------- a whole course


def relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


def course_units(loaded: LoadedCourse) -> dict[str, list[Unit]]:
    """Every unit of the course, by source file (in course order)."""
    root = loaded.root
    files: dict[str, list[Unit]] = {
        "course.yml": _units_of_fields(loaded.config_doc, course_fields(loaded.config_doc.data), "course.yml")
    }
    sources = [source for _, source in loaded.lessons] + ([loaded.assessment] if loaded.assessment else [])
    for source in sources:
        name = relative(source.path, root)
        meta_fields = (
            lesson_fields(source.meta_doc.data)
            if isinstance(source.meta, LessonMeta)
            else [_Field(("title",), "title", False, "assessment title")]
        )
        units = _units_of_fields(source.meta_doc, meta_fields, name)
        body = drop_title_heading(source.body, source.meta.title)  # type: ignore[attr-defined]
        units.extend(block_units(body, "body", name, source.body_first_line, "body"))
        files[name] = units
    for scenario in loaded.scenarios:
        name = relative(scenario.path, root)
        files[name] = _units_of_fields(scenario.doc, scenario_fields(scenario.doc.data), name)
    return files
