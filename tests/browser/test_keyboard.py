"""Every question type and the scenario player, operated with the keyboard alone."""

from __future__ import annotations

import pytest

from tests.browser.course_driver import Course, finish, interactions, launch


def tab_to(frame, page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches `selector` (keyboard only; fails if never reached)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if frame.evaluate(f"document.activeElement && document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def start_in(course: Course, page, question_id: str) -> str:
    """Put keyboard focus just before the question: on its heading-less prompt area, via the lesson heading."""
    course.frame.focus("#lesson-types-title")
    return f'.question[data-question="{question_id}"][data-mode="check"]'


def check_with_keyboard(course: Course, page, box: str) -> str:
    tab_to(course.frame, page, f"{box} [data-check]")
    page.keyboard.press("Enter")
    return course.frame.inner_text(f"{box} [data-feedback]")


@pytest.mark.parametrize("fmt", ["scorm2004"])
def test_every_question_type_with_the_keyboard_only(page, launch_in_lms, packages, fmt):
    session, course = launch(page, launch_in_lms, packages, fmt)
    course.frame.focus('.course-nav a[href="#page-lesson-types"]')
    page.keyboard.press("Enter")
    frame = course.frame
    assert frame.evaluate("document.activeElement.id") == "lesson-types-title"  # focus moves to the new page

    box = start_in(course, page, "q-single")
    tab_to(frame, page, f"{box} input[value=a]")
    page.keyboard.press("ArrowDown")  # radio groups: arrows move and select
    assert frame.is_checked(f"{box} input[value=b]")
    assert check_with_keyboard(course, page, box) == "Correct."

    box = start_in(course, page, "q-multiple")
    tab_to(frame, page, f"{box} input[value=a]")
    page.keyboard.press("Space")
    tab_to(frame, page, f"{box} input[value=c]")
    page.keyboard.press("Space")
    assert check_with_keyboard(course, page, box) == "Correct."

    box = start_in(course, page, "q-true-false")
    tab_to(frame, page, f"{box} input[value=true]")
    page.keyboard.press("ArrowRight")
    assert frame.is_checked(f"{box} input[value=false]")
    assert check_with_keyboard(course, page, box) == "Correct."

    box = start_in(course, page, "q-fill-in")
    tab_to(frame, page, f"{box} input[type=text]")
    page.keyboard.type("Triage ")  # case and surrounding spaces do not matter
    assert check_with_keyboard(course, page, box) == "Correct."

    box = start_in(course, page, "q-numeric")
    tab_to(frame, page, f"{box} input[type=text]")
    page.keyboard.type("15")
    assert check_with_keyboard(course, page, box) == "Correct."

    box = start_in(course, page, "q-matching")
    tab_to(frame, page, f'{box} select[data-source="One"]')
    page.keyboard.type("Uno")
    tab_to(frame, page, f'{box} select[data-source="Two"]')
    page.keyboard.type("Dos")
    assert frame.input_value(f'{box} select[data-source="One"]') == "Uno"
    assert check_with_keyboard(course, page, box) == "Correct."

    box = start_in(course, page, "q-sequencing")
    assert course.sequence("q-sequencing", "check") == ["Eat breakfast", "Go to work", "Wake up"]
    tab_to(frame, page, f'{box} [data-item="Wake up"] [data-move="up"]')
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # focus stays on the moved item's button
    assert course.sequence("q-sequencing", "check") == ["Wake up", "Eat breakfast", "Go to work"]
    frame.locator("#cb-status").filter(has_text="Wake up: position 1 of 3").wait_for(timeout=2000)  # announced
    assert check_with_keyboard(course, page, box) == "Correct."

    box = start_in(course, page, "q-likert")
    tab_to(frame, page, f"{box} fieldset:nth-of-type(1) input")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    tab_to(frame, page, f"{box} fieldset:nth-of-type(2) input")
    page.keyboard.press("ArrowRight")
    assert check_with_keyboard(course, page, box).startswith("Thank you")

    finish(session)
    recorded = {i["id"]: i for i in interactions(session)}
    assert all(
        recorded[q]["result"] == "correct"
        for q in ("q-single", "q-multiple", "q-true-false", "q-fill-in", "q-numeric", "q-matching", "q-sequencing")
    )
    assert recorded["q-likert-1"]["learner_response"] == "4" and recorded["q-likert-2"]["learner_response"] == "2"


def test_scenario_and_assessment_with_the_keyboard_only(page, launch_in_lms, packages):
    session, course = launch(page, launch_in_lms, packages, "scorm2004")
    frame = course.frame
    frame.focus('.course-nav a[href="#page-scenario-triage-list"]')
    page.keyboard.press("Enter")
    tab_to(frame, page, '#scene-triage-list-start [data-choice="later"]')
    page.keyboard.press("Enter")
    # Focus moves to the next scene's heading, so a screen reader reads on from there.
    assert frame.evaluate("document.activeElement.id") == "scene-triage-list-middle-title"
    assert frame.is_visible('#scene-triage-list-start [data-feedback-for="later"]')
    tab_to(frame, page, '#scene-triage-list-middle [data-choice="report"]')
    page.keyboard.press("Enter")
    assert frame.evaluate("document.activeElement.id") == "scene-triage-list-safe-title"

    frame.focus('.course-nav a[href="#page-assessment"]')
    page.keyboard.press("Enter")
    for question_id in course.drawn():
        correct = course.data["questions"][question_id]["correct"]
        tab_to(frame, page, f'.question[data-question="{question_id}"] input[value="true"]')
        if not correct:
            page.keyboard.press("ArrowRight")
        else:
            page.keyboard.press("Space")
    tab_to(frame, page, "#cb-assessment button[type=submit]")
    page.keyboard.press("Enter")
    assert frame.evaluate("document.activeElement.id") == "cb-assessment-result"
    assert "You passed" in frame.inner_text("#cb-assessment-result")
    finish(session)
