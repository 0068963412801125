"""The data the learner-side runtime needs, embedded in the page as JSON: pages, answers, scenes.

Only what the runtime uses goes in: ids, types, correct responses and scoring. Text stays in the HTML.
"""

from __future__ import annotations

from typing import Any

from coursebuild.model import (
    ChoiceQuestion,
    Course,
    FillInQuestion,
    LikertQuestion,
    MatchingQuestion,
    NumericQuestion,
    PlacedQuestion,
    SequencingQuestion,
    TrueFalseQuestion,
)

DATA_FORMAT = 1


def question_data(placed: PlacedQuestion) -> dict[str, Any]:
    q = placed.question
    data: dict[str, Any] = {
        "id": q.id,
        "type": q.type,  # type: ignore[attr-defined]
        "points": q.points,
        "level": q.level.value if q.level else None,
        "requirements": list(q.requirements),
    }
    if isinstance(q, ChoiceQuestion):
        data["options"] = [o.id for o in q.options]
        data["pinned"] = [o.id for o in q.options if o.pinned]
        data["correct"] = [o.id for o in q.options if o.correct]
        data["shuffle"] = q.shuffle
    elif isinstance(q, TrueFalseQuestion):
        data["correct"] = q.answer
    elif isinstance(q, FillInQuestion):
        data["accept"] = list(q.accept)
        data["patterns"] = list(q.patterns)
        data["caseSensitive"] = q.case_sensitive
    elif isinstance(q, NumericQuestion):
        low, high = q.bounds
        data["min"], data["max"] = low, high
    elif isinstance(q, MatchingQuestion):
        data["sources"] = [p.source for p in q.pairs]
        data["targets"] = placed.targets()
        data["correct"] = {p.source: p.target for p in q.pairs}
    elif isinstance(q, SequencingQuestion):
        data["correct"] = list(q.items)
    elif isinstance(q, LikertQuestion):
        data["scale"] = list(q.scale)
        data["statements"] = list(q.statements) or [q.prompt]
        data["archetypes"] = [a.value for a in q.archetypes]
    return data


def course_data(course: Course) -> dict[str, Any]:
    config = course.config
    pages: list[dict[str, Any]] = [{"id": "home", "kind": "home"}]
    for module in course.modules:
        for lesson in module.lessons:
            pages.append({"id": f"lesson-{lesson.id}", "kind": "lesson", "lesson": lesson.id, "module": module.id})
    for scenario in course.scenarios:
        pages.append({"id": f"scenario-{scenario.id}", "kind": "scenario", "scenario": scenario.id})
    if course.assessment:
        pages.append({"id": "assessment", "kind": "assessment"})
    pages.append({"id": "results", "kind": "results"})

    data: dict[str, Any] = {
        "format": DATA_FORMAT,
        "course": {
            "id": config.id,
            "title": config.title,
            "version": config.version,
            "language": config.language,
            "pathway": config.pathway.value,
            "archetypes": [a.value for a in config.archetypes],
            "passMark": config.pass_mark,
            "scenarioWeight": config.scoring.scenarios,
            "baseIri": config.base_iri,
        },
        "pages": pages,
        "lessons": {
            lesson.id: {
                "level": lesson.meta.level.value,
                "requirements": list(lesson.meta.requirements),
                "questions": [p.question.id for p in lesson.questions],
                "module": lesson.module_id,
            }
            for lesson in course.lessons
        },
        "questions": {p.question.id: question_data(p) for p in course.all_questions()},
        "assessment": None,
        "scenarios": {},
    }
    if course.assessment:
        meta = course.assessment.meta
        data["assessment"] = {
            "id": meta.id,
            "draw": meta.draw,
            "attempts": meta.attempts,
            "shuffle": meta.shuffle,
            "review": meta.review,
            "bank": [p.question.id for p in course.assessment.questions],
        }
    for scenario in course.scenarios:
        model = scenario.source_model
        data["scenarios"][model.id] = {
            "start": model.start,
            "level": model.level.value,
            "requirements": list(model.requirements),
            "scenes": {
                scene_id: {
                    "ending": scene.ending,
                    "outcome": scene.outcome.value if scene.outcome else None,
                    "choices": [
                        {
                            "id": choice.id,
                            "goto": choice.goto,
                            "rating": choice.rating.value,
                            "level": (choice.level or model.level).value,
                            "requirements": list(
                                choice.requirements if choice.requirements is not None else model.requirements
                            ),
                        }
                        for choice in scene.choices
                    ],
                }
                for scene_id, scene in model.scenes.items()
            },
        }
    return data
