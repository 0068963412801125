"""The translation commands: export XLIFF, import it into the course's translations, report status."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from coursebuild.errors import Problems
from coursebuild.pipeline.load import LoadedCourse, discover_courses, load_course
from coursebuild.translation.segments import Code, Node, codes_of, inline_segment, normalise, to_markdown
from coursebuild.translation.store import MISSING, STALE, TRANSLATED, LanguageStore, Stored, load_store, save_file
from coursebuild.translation.units import PLAIN, Unit, course_units
from coursebuild.translation.xliff import ExportFile, ExportUnit, ReadNode, XliffError, read_xliff, resolve, write_xliff

LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


@dataclass
class Export:
    data: bytes
    units: int
    translated: int


def load_units(course_dir: Path, problems: Problems) -> tuple[LoadedCourse, dict[str, list[Unit]]] | None:
    loaded = load_course(course_dir, problems)
    if loaded is None or problems.errors:
        return None
    return loaded, course_units(loaded)


def export_course(course_dir: Path, language: str, fmt: str, problems: Problems) -> Export | None:
    found = load_units(course_dir, problems)
    if found is None:
        return None
    loaded, files = found
    store = load_store(course_dir, language, problems)
    exported, count, translated = [], 0, 0
    for path, units in files.items():
        items = []
        for unit in units:
            source = unit.segment()
            item = ExportUnit(unit.key, unit.note, source)
            stored = store.get(unit.file, unit.key)
            if stored is not None:
                item.target = _target_nodes(unit, stored.target, source)
                item.stale = stored.source != unit.text
                translated += item.target is not None and not item.stale
            items.append(item)
            count += 1
        exported.append(ExportFile(path, items))
    config = loaded.config
    data = write_xliff(fmt, config.id, config.version, config.language, language, exported)
    return Export(data, count, translated)


def _target_nodes(unit: Unit, target: str, source: list[Node]) -> list[Node] | None:
    """A stored translation as a segment whose codes carry the ids of the matching source codes."""
    if unit.kind == PLAIN:
        return [target]
    nodes = inline_segment(target, unit.env)
    free = list(codes_of(source))
    for code in codes_of(nodes):
        match = next((c for c in free if c.signature == code.signature), None)
        if match is None:
            return None
        free.remove(match)
        code.id = match.id
    return nodes if not free else None


# --------------------------------------------------------------------------- import


@dataclass
class Imported:
    course_dir: Path
    language: str
    written: list[Path]
    units: int


def find_course(course_id: str | None, courses_dir: Path) -> Path | None:
    if course_id is None or not courses_dir.is_dir():
        return None
    from coursebuild.yamlfile import parse_yaml

    for folder in discover_courses(courses_dir):
        try:
            data = parse_yaml((folder / "course.yml").read_text(encoding="utf-8")).data
        except Exception:  # a broken course is reported by its own build, not here
            continue
        if isinstance(data, dict) and data.get("id") == course_id:
            return folder
    return None


def import_xliff(
    path: Path, course_dir: Path | None, problems: Problems, courses_dir: Path = Path("courses")
) -> Imported | None:
    """Check every unit of an XLIFF file against the course, then write its translations; nothing is
    written if any unit has a problem."""
    try:
        read = read_xliff(path.read_bytes())
    except XliffError as exc:
        problems.error(path, exc.line, exc.message, exc.hint)
        return None
    except OSError as exc:
        problems.error(path, None, f"cannot read the file: {exc.strerror}")
        return None
    if course_dir is None:
        course_dir = find_course(read.course, courses_dir)
        if course_dir is None:
            problems.error(
                path,
                1,
                f"no course with id '{read.course}' under {courses_dir}/"
                if read.course
                else "the file does not say which course it belongs to",
                "name the course folder with --course",
            )
            return None
    language = read.target_language
    if not LANGUAGE.match(language or ""):
        problems.error(
            path,
            1,
            f"the target language '{language}' is not a language tag",
            "set trgLang (XLIFF 2.0) or target-language (1.2) to the language exported, e.g. cy",
        )
        return None
    found = load_units(course_dir, problems)
    if found is None:
        return None
    loaded, files = found
    if language.lower() == loaded.config.language.lower():
        problems.error(path, 1, f"the target language '{language}' is the course's own language")
        return None
    by_id = {(unit.file, unit.key): unit for units in files.values() for unit in units}
    accepted: dict[str, dict[str, Stored]] = {}
    seen: set[tuple[str, str]] = set()
    for read_unit in read.units:
        ident = (read_unit.file, read_unit.key)
        where = f"unit '{read_unit.key}'"
        if read_unit.file not in files:
            problems.error(
                path,
                read_unit.line,
                f"file '{read_unit.file}' is not a translatable file of {loaded.config.id}",
                "import only files exported from this course, unchanged apart from the translations",
            )
            continue
        unit = by_id.get(ident)
        if unit is None:
            problems.error(
                path,
                read_unit.line,
                f"unknown unit id '{read_unit.key}' in {read_unit.file}",
                "the course has no such unit (it may have been removed): export the course again",
            )
            continue
        if ident in seen:
            problems.error(path, read_unit.line, f"{where} of {read_unit.file} appears twice")
            continue
        seen.add(ident)
        target = _check_unit(
            path, read_unit.source, read_unit.target, read_unit.line, read_unit.target_line, unit, where, problems
        )
        if target is not None:
            accepted.setdefault(unit.file, {})[unit.key] = Stored(unit.text, target, None)
    if problems.errors:
        return None
    store = load_store(course_dir, language, problems)
    if problems.errors:
        return None
    written = []
    for file, entries in accepted.items():
        merged = {**store.files.get(file, {}), **entries}
        written.append(save_file(store, file, merged, [u.key for u in files[file]]))
    return Imported(course_dir, language, written, sum(len(e) for e in accepted.values()))


def _check_unit(
    path: Path,
    source: list[ReadNode],
    target: list[ReadNode] | None,
    line: int | None,
    target_line: int | None,
    unit: Unit,
    where: str,
    problems: Problems,
) -> str | None:
    expected = unit.segment()
    try:
        written_source = resolve(source, expected, f"{where} source", line)
    except XliffError as exc:
        problems.error(path, exc.line, exc.message, exc.hint)
        return None
    if normalise(to_markdown(written_source)) != normalise(to_markdown(expected)):
        problems.error(
            path,
            line,
            f"{where}: the source text differs from the course's "
            f"({_short(_plain(written_source))!r} here, {_short(_plain(expected))!r} in {unit.file}:{unit.line})",
            "the course changed since this file was exported, or the source was edited: export again and "
            "carry the translations over",
        )
        return None
    if target is None or not "".join(_plain_read(target)).strip():
        return None
    try:
        nodes = resolve(target, expected, f"{where} translation", target_line or line)
    except XliffError as exc:
        problems.error(path, exc.line, exc.message, exc.hint)
        return None
    if unit.kind == PLAIN:
        return " ".join(_plain(nodes).split())
    return to_markdown(nodes)


def _plain(nodes: list[Node]) -> str:
    return "".join(n if isinstance(n, str) else _plain(n.children) for n in nodes)


def _plain_read(nodes: list[ReadNode]) -> list[str]:
    out = []
    for node in nodes:
        out.append(node if isinstance(node, str) else "".join(_plain_read(node.children)) or "\x00")
    return out


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- status


@dataclass
class UnitState:
    unit: Unit
    state: str


def unit_states(files: dict[str, list[Unit]], store: LanguageStore) -> list[UnitState]:
    return [UnitState(unit, store.state(unit)) for units in files.values() for unit in units]


@dataclass
class StatusRow:
    course: str
    language: str
    units: int
    translated: int
    stale: int
    missing: int

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.units if self.units else 100.0


def status_rows(course_dir: Path, languages: list[str], problems: Problems) -> list[StatusRow]:
    found = load_units(course_dir, problems)
    if found is None:
        return []
    loaded, files = found
    rows = []
    for language in languages:
        states = unit_states(files, load_store(course_dir, language, problems))
        count = {state: sum(1 for s in states if s.state == state) for state in (TRANSLATED, STALE, MISSING)}
        rows.append(StatusRow(loaded.config.id, language, len(states), count[TRANSLATED], count[STALE], count[MISSING]))
    return rows


__all__ = ["Code", "export_course", "import_xliff", "status_rows", "unit_states"]
