"""Load stage: find courses, read `course.yml` and every file it names, split front matter from Markdown.

Nothing here interprets Markdown; it only reads text safely (inside the course folder, UTF-8) and
validates the YAML parts against the source models, collecting every problem it finds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from coursebuild.errors import Problems
from coursebuild.model import AssessmentMeta, CourseConfig, LessonMeta, ScenarioSource
from coursebuild.pipeline.cache import Memo
from coursebuild.pipeline.live import LiveCourse
from coursebuild.pipeline.paths import check_reference, read_text
from coursebuild.yamlfile import YamlDocument, YamlSyntaxError, describe_validation_error, parse_yaml

COURSE_FILE = "course.yml"
M = TypeVar("M", bound=BaseModel)


@dataclass
class MarkdownSource:
    """A Markdown file split into its validated front matter and its body."""

    path: Path
    meta: BaseModel
    body: str
    body_first_line: int
    meta_doc: YamlDocument
    memo_key: str = ""  # the front matter's key in the lesson cache, when it was loaded with one


@dataclass
class ScenarioFile:
    path: Path
    model: ScenarioSource
    doc: YamlDocument


@dataclass
class LoadedCourse:
    root: Path
    config: CourseConfig
    config_doc: YamlDocument
    lessons: list[tuple[str | None, MarkdownSource]] = field(default_factory=list)
    assessment: MarkdownSource | None = None
    scenarios: list[ScenarioFile] = field(default_factory=list)


def discover_courses(folder: Path) -> list[Path]:
    """Every folder under `folder` holding a course.yml, except templates (they are not buildable)."""
    found = []
    for config in sorted(folder.rglob(COURSE_FILE)):
        parts = config.relative_to(folder).parts
        if any(part.startswith((".", "_")) or part in ("product_templates", "template") for part in parts[:-1]):
            continue
        found.append(config.parent)
    return found


def validate_model(model: type[M], doc: YamlDocument, path: Path, problems: Problems, what: str) -> M | None:
    if not isinstance(doc.data, dict):
        problems.error(path, doc.first_line, f"{what} must be a YAML mapping of keys and values")
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for err in describe_validation_error(exc, doc, model):
            problems.error(path, err.line, err.message, err.hint)
        return None


def load_yaml_file(path: Path, problems: Problems) -> YamlDocument | None:
    text = read_text(path, problems)
    if text is None:
        return None
    try:
        return parse_yaml(text)
    except YamlSyntaxError as exc:
        problems.error(path, exc.line, exc.message, "check indentation and quoting around this line")
        return None


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """(front matter text or None, body, 1-based line where the body starts)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    return None, text, 1


def load_markdown(
    path: Path, model: type[M], problems: Problems, what: str, memo: Memo | None = None
) -> MarkdownSource | None:
    """The file's front matter validated against `model`, and its body. With `memo`, front matter that was
    valid before with the same text is taken from it instead of being parsed and validated again."""
    text = read_text(path, problems)
    if text is None:
        return None
    front, body, body_line = split_front_matter(text)
    if front is None:
        problems.error(
            path,
            1,
            f"this {what} has no front matter",
            "start the file with a YAML block between two '---' lines (id, title, ...); see docs/authoring.md",
        )
        return None
    key = memo.key("front matter", model.__name__, front) if memo is not None else ""
    remembered = memo.get(key) if memo is not None else None
    if isinstance(remembered, tuple) and len(remembered) == 2 and isinstance(remembered[1], model):
        doc, meta = remembered
        return MarkdownSource(path, meta, body, body_line, doc, key)
    try:
        doc = parse_yaml(front, first_line=2)
    except YamlSyntaxError as exc:
        problems.error(path, exc.line, f"front matter: {exc.message}")
        return None
    meta = validate_model(model, doc, path, problems, "front matter")
    if meta is None:
        return None
    if memo is not None:
        memo.put(key, (doc, meta))
    return MarkdownSource(path, meta, body, body_line, doc, key)


def load_course(
    root: Path, problems: Problems, memo: Memo | None = None, live: LiveCourse | None = None
) -> LoadedCourse | None:
    """The course's sources; with `live`, files unchanged since the previous build are not read again."""
    config_path = root / COURSE_FILE
    if not config_path.is_file():
        problems.error(root, None, f"no {COURSE_FILE} in this folder", "is this a course folder? see docs/authoring.md")
        return None
    found = _course_file(config_path, problems, live)
    if found is None:
        return None
    doc, config = found
    loaded = LoadedCourse(root, config, doc)
    files = _Files(root, problems, config_path, memo, live)

    for module_index, module_id, lesson_index, reference in _lesson_references(config):
        key = ("modules", module_index, "lessons", lesson_index) if module_id else ("lessons", lesson_index)
        path = files.reference(reference, doc.line_of(key), "lesson")
        if path is not None:
            lesson = files.markdown(path, LessonMeta, "lesson")
            if lesson is not None:
                loaded.lessons.append((module_id, lesson))

    if config.assessment:
        path = files.reference(config.assessment, doc.line_of(("assessment",)), "assessment")
        if path is not None:
            loaded.assessment = files.markdown(path, AssessmentMeta, "assessment")

    for i, reference in enumerate(config.scenarios):
        path = files.reference(reference, doc.line_of(("scenarios", i)), "scenario")
        if path is None:
            continue
        scenario_doc = load_yaml_file(path, problems)
        if scenario_doc is not None:
            scenario = validate_model(ScenarioSource, scenario_doc, path, problems, "a scenario")
            if scenario is not None:
                loaded.scenarios.append(ScenarioFile(path, scenario, scenario_doc))
    return loaded


def _course_file(path: Path, problems: Problems, live: LiveCourse | None) -> tuple[YamlDocument, CourseConfig] | None:
    state = live.read_state(path) if live is not None else (None, 0)
    kept = live.unchanged_file("course file", path, state[0]) if live is not None else None
    if kept is not None:
        return kept
    doc = load_yaml_file(path, problems)
    if doc is None:
        return None
    config = validate_model(CourseConfig, doc, path, problems, COURSE_FILE)
    if config is None:
        return None
    if live is not None:
        live.keep_file("course file", path, state, (doc, config))
    return doc, config


@dataclass
class _Files:
    """The files course.yml names, checked and loaded; with `live`, reused when unchanged (see LiveCourse)."""

    root: Path
    problems: Problems
    config_path: Path
    memo: Memo | None
    live: LiveCourse | None

    def reference(self, reference: str, line: int | None, what: str) -> Path | None:
        live = self.live
        if live is not None and live.paths_fixed:
            kept = live.unchanged("reference", reference, str(self.root), os.getcwd())
            if kept is not None:
                return kept
        path = check_reference(reference, self.root, self.problems, self.config_path, line, what)
        if live is not None and path is not None:
            live.keep("reference", reference, path, str(self.root), os.getcwd())
        return path

    def markdown(self, path: Path, model: type[M], what: str) -> MarkdownSource | None:
        live = self.live
        if live is None:
            return load_markdown(path, model, self.problems, what, self.memo)
        state = live.read_state(path)
        kept = live.unchanged_file("markdown", path, state[0], model)
        if kept is not None:
            return kept
        source = load_markdown(path, model, self.problems, what, self.memo)
        if source is not None:
            live.keep_file("markdown", path, state, source, model)
        return source


def _lesson_references(config: CourseConfig) -> list[tuple[int, str | None, int, str]]:
    if config.modules is not None:
        return [
            (m, module.id, i, reference)
            for m, module in enumerate(config.modules)
            for i, reference in enumerate(module.lessons)
        ]
    return [(0, None, i, reference) for i, reference in enumerate(config.lessons or [])]
