"""A build in a translation's language: missing and stale units are errors (or, in a draft, the source)."""

from __future__ import annotations

from coursebuild.errors import Problems
from coursebuild.model import Course
from coursebuild.pipeline.load import LoadedCourse
from coursebuild.pipeline.parse import parse_course
from coursebuild.translation.apply import language_tag, translate_course
from coursebuild.translation.store import MISSING, STALE, load_store
from coursebuild.translation.units import course_units
from coursebuild.translation.workflow import unit_states


def translated_course(
    loaded: LoadedCourse, language: str, draft: bool, problems: Problems
) -> tuple[LoadedCourse, Course, bool] | None:
    """(the translated sources, the source course parsed, whether any unit is still in the source
    language), or None with problems: every missing and stale unit, each at its source line."""
    store = load_store(loaded.root, language, problems)
    if problems.errors:
        return None
    if not store.folder.is_dir():
        problems.error(
            loaded.root / "course.yml",
            None,
            f"the course has no '{language}' translation (no {store.folder})",
            f"export it with `coursebuild translate export {loaded.root} --lang {language}` and import "
            "the translated file; see docs/translation.md",
        )
        return None
    states = [s for s in unit_states(course_units(loaded), store) if s.state in (MISSING, STALE)]
    if states and draft:
        stale = sum(1 for s in states if s.state == STALE)
        problems.warning(
            loaded.root / "course.yml",
            None,
            f"{len(states)} unit{'s' if len(states) != 1 else ''} of the '{language}' translation "
            f"{'are' if len(states) != 1 else 'is'} not translated ({stale} stale): this draft shows "
            "them in the source language",
            f"`coursebuild translate status {loaded.root}` lists them",
        )
    elif states:
        for s in states:
            unit = s.unit
            if s.state == MISSING:
                problems.error(
                    loaded.root / unit.file,
                    unit.line,
                    f"[{language}] unit '{unit.key}' ({unit.note}) is not translated",
                    "export, translate and import it, or build with --draft to show the source text",
                )
            else:
                problems.error(
                    loaded.root / unit.file,
                    unit.line,
                    f"[{language}] unit '{unit.key}' ({unit.note}) is stale: its source changed after it was translated",
                    "export again: the unit goes to the translator with its old translation; or build with --draft",
                )
        return None
    source_problems = Problems(problems.root)
    source = parse_course(loaded, source_problems)
    tag = language_tag(language, loaded.config.language)
    translated = translate_course(loaded, tag, store.translate, problems)
    if translated is None:
        return None
    return translated, source, bool(states)
