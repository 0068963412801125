"""Tracking vocabulary: activity IRIs, taxonomy and requirement tags, and xAPI activity definitions.

Every activity IRI derives from the course's `base_iri` and stable IDs, never from titles or file paths,
so renaming a lesson keeps its learner records. The vocabulary (activity types, extensions, taxonomy
levels) is defined once here under `VOCABULARY` and published as an xAPI Profile (see `profile.py`).
Activity definitions are built with the `tincan` library and embedded for the runtime, which fills in
actor, result, timestamp, registration and ids.

May import: `coursebuild.model` and `catalogue` only: the vocabulary is shared by the renderer, the
targets and analytics, so it depends on none of them.
"""

from __future__ import annotations

import json
from typing import Any

from tincan import ActivityDefinition, InteractionComponent, InteractionComponentList, LanguageMap

from coursebuild.catalogue import Catalogue
from coursebuild.model import (
    ChoiceQuestion,
    Course,
    FillInQuestion,
    Level,
    LikertQuestion,
    MatchingQuestion,
    NumericQuestion,
    PlacedQuestion,
    Scenario,
    SequencingQuestion,
    TrueFalseQuestion,
)

VOCABULARY = "https://w3id.org/coursebuild/xapi"
PROFILE_ID = f"{VOCABULARY}/profile"
PROFILE_VERSION = f"{VOCABULARY}/profile/v1"
PROFILE_VERSION_DATE = "2026-11-23T00:00:00Z"

ADL = "http://adlnet.gov/expapi"
VERBS = {
    "initialized": f"{ADL}/verbs/initialized",
    "experienced": f"{ADL}/verbs/experienced",
    "answered": f"{ADL}/verbs/answered",
    "responded": f"{ADL}/verbs/responded",
    "progressed": f"{ADL}/verbs/progressed",
    "completed": f"{ADL}/verbs/completed",
    "passed": f"{ADL}/verbs/passed",
    "failed": f"{ADL}/verbs/failed",
    "terminated": f"{ADL}/verbs/terminated",
}
ACTIVITY_TYPES = {
    "course": f"{ADL}/activities/course",
    "module": f"{ADL}/activities/module",
    "lesson": f"{ADL}/activities/lesson",
    "assessment": f"{ADL}/activities/assessment",
    "question": f"{ADL}/activities/cmi.interaction",
    "scenario": f"{ADL}/activities/simulation",
    "self-assessment": f"{VOCABULARY}/activity-type/self-assessment",
    "taxonomy-level": f"{VOCABULARY}/activity-type/taxonomy-level",
    "requirement": f"{VOCABULARY}/activity-type/report-requirement",
}
EXTENSIONS = {
    "pathway": f"{VOCABULARY}/extension/pathway",
    "archetypes": f"{VOCABULARY}/extension/archetypes",
    "factor": f"{VOCABULARY}/extension/factor",
    "taxonomy-level": f"{VOCABULARY}/extension/taxonomy-level",
    "rating": f"{VOCABULARY}/extension/rating",
    "path": f"{VOCABULARY}/extension/path",
    "replaces": f"{VOCABULARY}/extension/replaces",
    # Set by the LMS, not the course: put in the cmi5 contextTemplate (or a TinCan launch's context), it is
    # copied into every statement, so reports can group learners by organisation or cohort.
    "organisation": f"{VOCABULARY}/extension/organisation",
}


def level_iri(level: Level) -> str:
    return f"{VOCABULARY}/taxonomy/{level.value}"


def requirement_iri(requirement_id: str) -> str:
    return f"{VOCABULARY}/requirement/{requirement_id}"


class Iris:
    """The activity IRIs of one course."""

    def __init__(self, base: str):
        self.base = base

    def course(self) -> str:
        return self.base

    def module(self, module_id: str) -> str:
        return f"{self.base}/module/{module_id}"

    def lesson(self, lesson_id: str) -> str:
        return f"{self.base}/lesson/{lesson_id}"

    def question(self, question_id: str) -> str:
        return f"{self.base}/question/{question_id}"

    def assessment(self, assessment_id: str) -> str:
        return f"{self.base}/assessment/{assessment_id}"

    def scenario(self, scenario_id: str) -> str:
        return f"{self.base}/scenario/{scenario_id}"

    def scene(self, scenario_id: str, scene_id: str) -> str:
        return f"{self.base}/scenario/{scenario_id}/scene/{scene_id}"


def _name(text: str, language: str) -> LanguageMap:
    return LanguageMap({language: " ".join(text.split())})


def _components(pairs: list[tuple[str, str]], language: str) -> InteractionComponentList:
    return InteractionComponentList([InteractionComponent(id=i, description=_name(d, language)) for i, d in pairs])


def question_definition(placed: PlacedQuestion, language: str) -> dict[str, Any]:
    """The full cmi.interaction definition, with xAPI 1.0.3 response patterns ([,] and [.] delimiters)."""
    q = placed.question
    fields: dict[str, Any] = {"name": _name(q.prompt, language), "type": ACTIVITY_TYPES["question"]}
    if isinstance(q, ChoiceQuestion):
        fields.update(
            interaction_type="choice",
            choices=_components([(o.id, o.text) for o in q.options], language),
            correct_responses_pattern=["[,]".join(o.id for o in q.options if o.correct)],
        )
    elif isinstance(q, TrueFalseQuestion):
        fields.update(interaction_type="true-false", correct_responses_pattern=["true" if q.answer else "false"])
    elif isinstance(q, FillInQuestion):
        case = "true" if q.case_sensitive else "false"
        fields.update(
            interaction_type="fill-in",
            correct_responses_pattern=[f"{{case_matters={case}}}{answer}" for answer in q.accept] or None,
        )
    elif isinstance(q, NumericQuestion):
        low, high = q.bounds
        fields.update(interaction_type="numeric", correct_responses_pattern=[f"{low:g}[:]{high:g}"])
    elif isinstance(q, MatchingQuestion):
        targets = placed.targets()
        fields.update(
            interaction_type="matching",
            source=_components([(f"s{i + 1}", p.source) for i, p in enumerate(q.pairs)], language),
            target=_components([(f"t{i + 1}", t) for i, t in enumerate(targets)], language),
            correct_responses_pattern=[
                "[,]".join(f"s{i + 1}[.]t{targets.index(p.target) + 1}" for i, p in enumerate(q.pairs))
            ],
        )
    elif isinstance(q, SequencingQuestion):
        fields.update(
            interaction_type="sequencing",
            choices=_components([(f"i{i + 1}", item) for i, item in enumerate(q.items)], language),
            correct_responses_pattern=["[,]".join(f"i{i + 1}" for i in range(len(q.items)))],
        )
    elif isinstance(q, LikertQuestion):
        fields.update(
            interaction_type="likert",
            scale=_components([(str(i + 1), label) for i, label in enumerate(q.scale)], language),
        )
    fields = {key: value for key, value in fields.items() if value is not None}
    return _definition_json(ActivityDefinition(**fields))


def _definition_json(definition: ActivityDefinition) -> dict[str, Any]:
    import json

    return json.loads(definition.to_json())


def scene_definition(scenario: Scenario, scene_id: str, language: str) -> dict[str, Any]:
    scene = scenario.source_model.scenes[scene_id]
    best = [c.id for c in scene.choices if c.rating.value == "best"]
    definition = ActivityDefinition(
        name=_name(f"{scenario.source_model.title}: {scene.title}", language),
        type=ACTIVITY_TYPES["question"],
        interaction_type="choice",
        choices=_components([(c.id, c.text) for c in scene.choices], language),
        correct_responses_pattern=["[,]".join(best)] if best else None,
    )
    return _definition_json(definition)


def context_tags(
    level: Level | None, requirements: list[str], catalogue: Catalogue | None, course: Course
) -> dict[str, Any]:
    """The taxonomy category, requirement activities and extensions a statement about this content carries."""
    language = course.config.language
    category: list[dict[str, Any]] = [{"id": PROFILE_VERSION, "objectType": "Activity"}]
    extensions: dict[str, Any] = {
        EXTENSIONS["pathway"]: course.config.pathway.value,
        EXTENSIONS["archetypes"]: [a.value for a in course.config.archetypes],
    }
    if level is not None:
        category.append(
            {
                "id": level_iri(level),
                "objectType": "Activity",
                "definition": {"type": ACTIVITY_TYPES["taxonomy-level"], "name": {language: level.label}},
            }
        )
        extensions[EXTENSIONS["taxonomy-level"]] = level.value
    other = []
    factors = set()
    for requirement_id in requirements:
        activity: dict[str, Any] = {
            "id": requirement_iri(requirement_id),
            "objectType": "Activity",
            "definition": {"type": ACTIVITY_TYPES["requirement"], "name": {language: requirement_id}},
        }
        if catalogue is not None and requirement_id in catalogue.requirements:
            requirement = catalogue.requirements[requirement_id]
            activity["definition"]["description"] = {"en-GB": requirement.statement}
            factors.add(requirement.factor)
        other.append(activity)
    if factors:
        extensions[EXTENSIONS["factor"]] = sorted(factors)
    return {"category": category, "other": other, "extensions": extensions}


def tracking_data(course: Course, catalogue: Catalogue | None) -> dict[str, Any]:
    """Everything the runtime needs to write statements: IRIs, definitions and tags, keyed by local id."""
    iris = Iris(course.config.base_iri)
    language = course.config.language
    lessons = {}
    for lesson in course.lessons:
        lessons[lesson.id] = {
            "id": iris.lesson(lesson.id),
            "definition": {"type": ACTIVITY_TYPES["lesson"], "name": {language: lesson.meta.title}},
            "module": iris.module(lesson.module_id) if lesson.module_id else None,
            "tags": context_tags(lesson.meta.level, lesson.meta.requirements, catalogue, course),
        }
    questions = {}
    for lesson in course.lessons:
        for placed in lesson.questions:
            questions[placed.question.id] = _question_tracking(placed, iris, iris.lesson(lesson.id), catalogue, course)
    assessment: dict[str, Any] | None = None
    if course.assessment:
        meta = course.assessment.meta
        assessment = {
            "id": iris.assessment(meta.id),
            "definition": {"type": ACTIVITY_TYPES["assessment"], "name": {language: meta.title}},
        }
        for placed in course.assessment.questions:
            questions[placed.question.id] = _question_tracking(placed, iris, assessment["id"], catalogue, course)
    scenarios = {}
    for scenario in course.scenarios:
        model = scenario.source_model
        scenes = {}
        for scene_id, scene in model.scenes.items():
            if not scene.choices:
                continue
            scenes[scene_id] = {
                "id": iris.scene(model.id, scene_id),
                "definition": scene_definition(scenario, scene_id, language),
                "tags": {
                    choice.id: context_tags(
                        choice.level or model.level,
                        list(choice.requirements if choice.requirements is not None else model.requirements),
                        catalogue,
                        course,
                    )
                    for choice in scene.choices
                },
            }
        scenarios[model.id] = {
            "id": iris.scenario(model.id),
            "definition": {"type": ACTIVITY_TYPES["scenario"], "name": {language: model.title}},
            "scenes": scenes,
        }
    return {
        "verbs": VERBS,
        "extensions": EXTENSIONS,
        "profile": PROFILE_VERSION,
        "course": {
            "id": iris.course(),
            "definition": {
                "type": ACTIVITY_TYPES["course"],
                "name": {language: course.config.title},
                "description": {language: course.config.description or course.config.title},
            },
            "tags": context_tags(None, [], catalogue, course),
        },
        "lessons": lessons,
        "questions": questions,
        "assessment": assessment,
        "scenarios": scenarios,
    }


def share_tag_sets(tracking: dict[str, Any]) -> dict[str, Any]:
    """`tracking` with every `tags` value replaced by its index in one list, `tagSets`, of the distinct ones.

    Lessons, questions and choices at the same level with the same requirements carry the same tags, so a
    course of 1,000 lessons has a handful of distinct sets; the page would otherwise hold 1,000 copies.
    The runtime looks an index up where it writes a statement's context.
    """
    tag_sets: list[Any] = []
    index_of: dict[str, int] = {}

    def shared(tags: Any) -> int:
        key = json.dumps(tags, sort_keys=True)
        if key not in index_of:
            index_of[key] = len(tag_sets)
            tag_sets.append(tags)
        return index_of[key]

    def with_index(entry: dict[str, Any]) -> dict[str, Any]:
        return {**entry, "tags": shared(entry["tags"])}

    result = dict(tracking)
    result["course"] = with_index(tracking["course"])
    result["lessons"] = {key: with_index(lesson) for key, lesson in tracking["lessons"].items()}
    result["questions"] = {key: with_index(question) for key, question in tracking["questions"].items()}
    result["scenarios"] = {
        key: {
            **scenario,
            "scenes": {
                scene_id: {**scene, "tags": {choice: shared(tags) for choice, tags in scene["tags"].items()}}
                for scene_id, scene in scenario["scenes"].items()
            },
        }
        for key, scenario in tracking["scenarios"].items()
    }
    result["tagSets"] = tag_sets
    return result


def _question_tracking(
    placed: PlacedQuestion, iris: Iris, parent: str, catalogue: Catalogue | None, course: Course
) -> dict[str, Any]:
    question = placed.question
    tracked: dict[str, Any] = {
        "id": iris.question(question.id),
        "definition": question_definition(placed, course.config.language),
        "parent": parent,
        "tags": context_tags(question.level, list(question.requirements), catalogue, course),
    }
    if isinstance(question, LikertQuestion):
        # A likert response is one scale point, so each statement is its own activity.
        language = course.config.language
        scale = _components([(str(i + 1), label) for i, label in enumerate(question.scale)], language)
        tracked["statements"] = [
            {
                "id": f"{iris.question(question.id)}/statement/{i + 1}",
                "definition": _definition_json(
                    ActivityDefinition(
                        name=_name(text, language),
                        type=ACTIVITY_TYPES["self-assessment"],
                        interaction_type="likert",
                        scale=scale,
                    )
                ),
            }
            for i, text in enumerate(question.statements or [question.prompt])
        ]
    return tracked
