"""Validate stage: rules that need the whole course at once. Each rule appends problems; none stops early."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from pathlib import Path

from coursebuild.catalogue import Catalogue
from coursebuild.errors import Problems
from coursebuild.model import ChoiceQuestion, Course, Level, LikertQuestion, Scenario


def validate_course(
    course: Course, catalogue: Catalogue | None, problems: Problems, known_formats: Sequence[str]
) -> None:
    """Every problem the course has as a whole. `known_formats` are the registered package targets (passed in,
    so that validation does not depend on the package stage)."""
    _check_formats(course, known_formats, problems)
    _check_unique_ids(course, problems)
    _check_questions(course, problems)
    _check_assessment(course, problems)
    _check_scoring(course, problems)
    for scenario in course.scenarios:
        check_scenario_graph(scenario, problems)
    _check_requirement_ids(course, catalogue, problems)


def _check_formats(course: Course, known: Sequence[str], problems: Problems) -> None:
    for fmt in course.config.formats:
        if fmt not in known:
            problems.error(
                course.config_source.path,
                course.config_line("formats"),
                f"unknown output format '{fmt}'",
                f"use any of: {', '.join(known)}",
            )


def _duplicates(items: Iterable[str]) -> set[str]:
    return {item for item, count in Counter(items).items() if count > 1}


def _check_unique_ids(course: Course, problems: Problems) -> None:
    lesson_ids = _duplicates(lesson.id for lesson in course.lessons)
    for lesson in course.lessons:
        if lesson.id in lesson_ids:
            problems.error(
                lesson.source.path,
                2,
                f"lesson id '{lesson.id}' is used by more than one lesson",
                "give each lesson its own id",
            )
    module_ids = _duplicates(module.id for module in course.modules)
    for module_id in sorted(module_ids):
        problems.error(
            course.config_source.path, course.config_line("modules"), f"module id '{module_id}' is used twice"
        )
    paths = Counter(lesson.source.path for lesson in course.lessons)
    for path, count in paths.items():
        if count > 1:
            problems.error(
                course.config_source.path,
                course.config_line("modules"),
                f"lesson file '{path.name}' is listed {count} times",
            )
    question_ids = _duplicates(placed.question.id for placed in course.all_questions())
    for placed in course.all_questions():
        if placed.question.id in question_ids:
            problems.error(
                placed.source.path,
                placed.line_of("id"),
                f"question id '{placed.question.id}' is used by more than one question",
                "question ids must be unique in the course",
            )
    for scenario_id in _duplicates(scenario.id for scenario in course.scenarios):
        problems.error(
            course.config_source.path, course.config_line("scenarios"), f"scenario id '{scenario_id}' is used twice"
        )


def _check_questions(course: Course, problems: Problems) -> None:
    for placed in course.all_questions():
        question = placed.question
        if isinstance(question, ChoiceQuestion):
            for option_id in sorted(_duplicates(o.id for o in question.options)):
                problems.error(
                    placed.source.path,
                    placed.line_of("options"),
                    f"question {question.id}: option id '{option_id}' is used twice",
                )
        if isinstance(question, LikertQuestion):
            continue
        if question.level is None:
            problems.error(
                placed.source.path,
                placed.line_of("id"),
                f"question {question.id} has no 'level'",
                "say which taxonomy level it evidences: awareness or familiarity (or understanding with a 'case')",
            )
        elif question.level.rank > question.max_level().rank:
            problems.error(
                placed.source.path,
                placed.line_of("level"),
                f"question {question.id} claims '{question.level.value}', but its format can evidence at most "
                f"'{question.max_level().value}'",
                _level_hint(question.level),
            )


def _level_hint(level: Level) -> str:
    if level is Level.UNDERSTANDING:
        return "add a 'case:' describing a new situation the learner must apply their knowledge to"
    return f"'{level.value}' is a skill level: evidence it with decisions in a branching scenario"


def _check_scoring(course: Course, problems: Problems) -> None:
    weight = course.config.scoring.scenarios
    if weight and not course.scenarios:
        problems.error(
            course.config_source.path,
            course.config_line("scoring", "scenarios"),
            f"scenarios count for {weight}% of the score, but the course has no scenarios",
        )
    if weight < 100 and course.assessment is None and weight:
        problems.error(
            course.config_source.path,
            course.config_line("scoring", "scenarios"),
            f"the assessment would count for {100 - weight}% of the score, but the course has none",
            "set scoring.scenarios to 100, or add an assessment",
        )


def _check_assessment(course: Course, problems: Problems) -> None:
    assessment = course.assessment
    if assessment is None:
        return
    bank = [q for q in assessment.questions if q.question.scored]
    if assessment.meta.draw is not None and assessment.meta.draw > len(bank):
        problems.error(
            assessment.source.path,
            2,
            f"the assessment draws {assessment.meta.draw} questions but its bank holds {len(bank)} scored questions",
            "add questions or lower 'draw'",
        )


def check_scenario_graph(scenario: Scenario, problems: Problems) -> None:
    model = scenario.source_model
    path = scenario.source.path
    scenes = model.scenes
    if model.start not in scenes:
        problems.error(
            path, None, f"the start scene '{model.start}' does not exist", f"scenes are: {', '.join(scenes)}"
        )
        return
    for scene_id, scene in scenes.items():
        for choice in scene.choices:
            if choice.goto not in scenes:
                problems.error(
                    path,
                    scenario.choice_lines.get((scene_id, choice.id)),
                    f"choice '{choice.id}' in scene '{scene_id}' leads to scene '{choice.goto}', which does not exist",
                    "add that scene or correct 'goto'",
                )
        if not scene.ending and not scene.choices:
            problems.error(
                path,
                scenario.scene_lines.get(scene_id),
                f"scene '{scene_id}' is a dead end: it has no choices and is not an ending",
                "add choices, or mark it 'ending: true' with an 'outcome'",
            )
        for choice_id in sorted(_duplicates(c.id for c in scene.choices)):
            problems.error(
                path, scenario.scene_lines.get(scene_id), f"scene '{scene_id}' has two choices with id '{choice_id}'"
            )

    reachable = _reachable(scenario, model.start)
    for scene_id in scenes:
        if scene_id not in reachable:
            problems.error(
                path, scenario.scene_lines.get(scene_id), f"scene '{scene_id}' cannot be reached from the start scene"
            )
    can_finish = _can_reach_ending(scenario)
    for scene_id in sorted(reachable - can_finish):
        if scenes[scene_id].choices:
            problems.error(
                path,
                scenario.scene_lines.get(scene_id),
                f"from scene '{scene_id}' no path leads to an ending (a loop with no way out)",
                "give one of the scenes in the loop a choice that leads towards an ending",
            )
    if not any(scene.ending for scene in scenes.values()):
        problems.error(path, None, "the scenario has no ending", "mark at least one scene 'ending: true'")


def _reachable(scenario: Scenario, start: str) -> set[str]:
    scenes = scenario.source_model.scenes
    seen = {start}
    queue = deque([start])
    while queue:
        for choice in scenes[queue.popleft()].choices:
            if choice.goto in scenes and choice.goto not in seen:
                seen.add(choice.goto)
                queue.append(choice.goto)
    return seen


def _can_reach_ending(scenario: Scenario) -> set[str]:
    scenes = scenario.source_model.scenes
    done = {scene_id for scene_id, scene in scenes.items() if scene.ending}
    changed = True
    while changed:
        changed = False
        for scene_id, scene in scenes.items():
            if scene_id not in done and any(c.goto in done for c in scene.choices):
                done.add(scene_id)
                changed = True
    return done


def _check_requirement_ids(course: Course, catalogue: Catalogue | None, problems: Problems) -> None:
    uses = list(_requirement_uses(course))
    if catalogue is None:
        if uses:
            path, line, _ = uses[0]
            problems.error(
                path,
                line,
                "this course names report requirements but no requirements catalogue was found",
                "put requirements.yml in the course folder or one of its parents (see courses/requirements.yml)",
            )
        return
    for path, line, requirement_id in uses:
        if requirement_id not in catalogue.requirements:
            if requirement_id in catalogue.questions:
                hint = f"{requirement_id} is a checklist question, not a requirement; cite it in the text instead"
            else:
                table = requirement_id.split(".")[0]
                known = catalogue.for_table(table)
                hint = (
                    f"table {table} has {known[0].id}–{known[-1].id}"
                    if known
                    else "check the ID in courses/requirements.yml"
                )
            problems.error(path, line, f"unknown requirement ID '{requirement_id}'", hint)


def _requirement_uses(course: Course) -> Iterable[tuple[Path, int | None, str]]:
    for lesson in course.lessons:
        for requirement_id in lesson.meta.requirements:
            yield lesson.source.path, lesson.meta_line("requirements"), requirement_id
    for placed in course.all_questions():
        for requirement_id in placed.question.requirements:
            yield placed.source.path, placed.line_of("requirements"), requirement_id
    for scenario in course.scenarios:
        model = scenario.source_model
        for requirement_id in model.requirements:
            yield scenario.source.path, None, requirement_id
        for scene_id, scene in model.scenes.items():
            for choice in scene.choices:
                for requirement_id in choice.requirements or []:
                    yield scenario.source.path, scenario.choice_lines.get((scene_id, choice.id)), requirement_id
