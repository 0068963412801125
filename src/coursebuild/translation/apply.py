"""A course in another language: the loaded sources with every translated unit put in place.

The translated course then goes through parse, validate and render exactly as the source does, so it is
checked by the same rules. Ids (of lessons, questions, options, scenes, choices) are never translated.
"""

from __future__ import annotations

import copy
from dataclasses import replace

from coursebuild.errors import Problems
from coursebuild.model import AssessmentMeta, CourseConfig, LessonMeta, ScenarioSource
from coursebuild.pipeline.load import LoadedCourse, MarkdownSource, ScenarioFile, validate_model
from coursebuild.pipeline.parse import drop_title_heading
from coursebuild.translation.units import (
    Translate,
    _Field,
    _rebuild_fields,
    course_fields,
    lesson_fields,
    rebuild_blocks,
    relative,
    scenario_fields,
)


def language_tag(language: str, source_language: str) -> str:
    """The BCP 47 tag a translation is published under: 'cy' from an 'en-GB' course is 'cy-GB'."""
    if "-" in language or "-" not in source_language:
        return language
    return f"{language}-{source_language.split('-', 1)[1]}"


def translate_course(loaded: LoadedCourse, tag: str, translate: Translate, problems: Problems) -> LoadedCourse | None:
    root = loaded.root
    config_data = _rebuild_fields(
        loaded.config_doc.data, course_fields(loaded.config_doc.data), "course.yml", translate
    )
    config_data["language"] = tag
    config = validate_model(
        CourseConfig,
        _with_lines(loaded.config_doc, config_data),
        root / "course.yml",
        problems,
        "course.yml (translated)",
    )
    if config is None:
        return None
    result = replace(loaded, config=config, lessons=[], assessment=None, scenarios=[])
    for module_id, source in loaded.lessons:
        translated = _markdown(source, LessonMeta, lesson_fields(source.meta_doc.data), root, translate, problems)
        if translated is not None:
            result.lessons.append((module_id, translated))
    if loaded.assessment is not None:
        fields = [_Field(("title",), "title", False, "assessment title")]
        result.assessment = _markdown(loaded.assessment, AssessmentMeta, fields, root, translate, problems)
    for scenario in loaded.scenarios:
        name = relative(scenario.path, root)
        data = _rebuild_fields(scenario.doc.data, scenario_fields(scenario.doc.data), name, translate)
        model = validate_model(
            ScenarioSource, _with_lines(scenario.doc, data), scenario.path, problems, "a scenario (translated)"
        )
        if model is not None:
            result.scenarios.append(ScenarioFile(scenario.path, model, scenario.doc))
    return result


def _with_lines(doc, data):
    """The source document's line numbers with the translated data, for error messages."""
    clone = copy.copy(doc)
    clone.data = data
    return clone


def _markdown(source: MarkdownSource, model, fields, root, translate: Translate, problems: Problems):
    name = relative(source.path, root)
    data = _rebuild_fields(source.meta_doc.data, fields, name, translate)
    meta = validate_model(model, _with_lines(source.meta_doc, data), source.path, problems, "front matter (translated)")
    if meta is None:
        return None
    body = rebuild_blocks(drop_title_heading(source.body, source.meta.title), "body", name, translate)  # type: ignore[attr-defined]
    return MarkdownSource(source.path, meta, body, source.body_first_line, source.meta_doc)
