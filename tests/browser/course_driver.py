"""Operate a coursebuild course in a page the way a learner would: clicks, typing and keys only.

The course's embedded data (the same JSON the runtime reads) tells the driver which answers are right.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Frame, Page

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
VERSIONS = {"scorm12": "1.2", "scorm2004": "2004"}
# cmi5/xAPI: true once the page has the LMS's answer to initialized (until then it may send nothing else)
INITIALIZED_ACCEPTED = "coursebuild.tracker.primary.initializedAccepted === true"


class Course:
    def __init__(self, frame: Frame | Page):
        self.frame = frame
        frame.wait_for_function("window.coursebuild && window.coursebuild.ready", timeout=15000)
        self.data: dict[str, Any] = json.loads(frame.inner_text("#cb-course-data"))

    # ------------------------------------------------------------ navigation

    def current_page(self) -> str:
        return self.frame.evaluate("document.querySelector('.page.is-current').id")

    def open(self, page_id: str) -> None:
        """Go to a page through the contents list, as a learner would (unfolding it on a phone)."""
        link = f'.course-nav a[href="#page-{page_id}"]'
        folded = (
            f'details.course-nav__group:not([open]):has(a[href="#page-{page_id}"])'  # a large course's module, folded
        )
        nav_open, module_folded = self.frame.evaluate(
            "folded => [document.querySelector('.course-nav__details').open, !!document.querySelector(folded)]",
            folded,
        )
        if not nav_open:
            self.frame.click(".course-nav__details > summary")
        if module_folded:
            self.frame.click(f"{folded} > summary")
        self.frame.click(link)
        assert self.current_page() == f"page-{page_id}"

    def next(self) -> None:
        self.frame.click(".page.is-current .pager__next")

    def visit_every_lesson(self) -> None:
        for page in self.data["pages"]:
            if page["kind"] == "lesson":
                self.open(page["id"])

    # ------------------------------------------------------------ questions

    def question(self, question_id: str, mode: str):
        return self.frame.locator(f'.question[data-question="{question_id}"][data-mode="{mode}"]')

    def fill(self, question_id: str, mode: str, correct: bool = True) -> None:
        """Answer with the mouse and keyboard: the right answer, or a wrong one."""
        q = self.data["questions"][question_id]
        box = self.question(question_id, mode)
        kind = q["type"]
        if kind in ("single", "multiple"):
            wanted = q["correct"] if correct else [o for o in q["options"] if o not in q["correct"]][:1]
            checked = set(box.locator("input:checked").evaluate_all("inputs => inputs.map(i => i.value)"))
            for option in q["options"]:
                if (option in wanted) != (option in checked):
                    box.locator(f'input[value="{option}"]').click()
        elif kind == "true-false":
            value = str(q["correct"]).lower() if correct else str(not q["correct"]).lower()
            box.locator(f'input[value="{value}"]').click()
        elif kind == "fill-in":
            box.locator("input[type=text]").fill(q["accept"][0] if correct else "something else")
        elif kind == "numeric":
            box.locator("input[type=text]").fill(f"{q['min']:g}" if correct else f"{q['max'] + 1000:g}")
        elif kind == "matching":
            for i, source in enumerate(q["sources"]):
                target = q["correct"][source] if correct else [t for t in q["targets"] if t != q["correct"][source]][0]
                box.locator("select").nth(i).select_option(target)
        elif kind == "sequencing":
            order = q["correct"] if correct else list(reversed(q["correct"]))
            for position, item in enumerate(order):
                while (current := self.sequence(question_id, mode).index(item)) > position:
                    box.locator(".sequence__item").nth(current).locator('[data-move="up"]').click()
        elif kind == "likert":
            for fieldset in box.locator("fieldset.likert").all():
                points = fieldset.locator("input")
                points.nth(min(3, points.count() - 1)).click()

    def sequence(self, question_id: str, mode: str) -> list[str]:
        return (
            self.question(question_id, mode)
            .locator(".sequence__item")
            .evaluate_all("items => items.map(li => li.getAttribute('data-item'))")
        )

    def check(self, question_id: str) -> str:
        self.question(question_id, "check").locator("[data-check]").click()
        return self.question(question_id, "check").locator("[data-feedback]").inner_text()

    def answer_checks(self, correct: bool = True) -> None:
        for lesson_id, lesson in self.data["lessons"].items():
            if not lesson["questions"]:
                continue
            self.open(f"lesson-{lesson_id}")
            for question_id in lesson["questions"]:
                self.fill(question_id, "check", correct)
                self.check(question_id)

    # ------------------------------------------------------------ assessment and scenarios

    def drawn(self) -> list[str]:
        return self.frame.locator(".question--assessment:not([hidden])").evaluate_all(
            "els => els.map(e => e.getAttribute('data-question'))"
        )

    def take_assessment(self, correct: bool = True) -> str:
        self.open("assessment")
        for question_id in self.drawn():
            self.fill(question_id, "assessment", correct)
        self.frame.click("#cb-assessment button[type=submit]")
        return self.frame.inner_text("#cb-assessment-result")

    def play(self, scenario_id: str, rating: str = "best") -> list[str]:
        """Play a scenario to an ending, always taking a choice with this rating where there is one."""
        self.open(f"scenario-{scenario_id}")
        scenario = self.data["scenarios"][scenario_id]
        scene, path = scenario["start"], []
        while not scenario["scenes"][scene]["ending"]:
            choices = scenario["scenes"][scene]["choices"]
            choice = next((c for c in choices if c["rating"] == rating), choices[0])
            self.frame.click(f'#scene-{scenario_id}-{scene} [data-choice="{choice["id"]}"]')
            path.append(choice["id"])
            scene = choice["goto"]
        return path

    def complete(self, passing: bool = True, checks: bool = True) -> None:
        """Do what completion asks (every lesson, scenario and the assessment); with `checks`, answer every
        knowledge check too, which completion does not need."""
        self.visit_every_lesson()
        if checks:
            self.answer_checks()
        for scenario_id in self.data["scenarios"]:
            self.play(scenario_id)
        if self.data["assessment"]:
            self.take_assessment(correct=passing)
        self.open("results")


def cmi(session) -> dict[str, Any]:
    committed = session.committed()
    assert committed is not None, "nothing was committed"
    return committed["cmi"]


def interactions(session) -> list[dict[str, Any]]:
    found = cmi(session).get("interactions", {})
    return [found[key] for key in sorted(found, key=int)]


def launch(page, launch_in_lms, packages, fmt: str, **kwargs):
    """Launch the quiz fixture course (from the `packages` fixture) in the strict test LMS."""
    session = launch_in_lms(page, packages[fmt], VERSIONS[fmt], **kwargs)
    return session, Course(session.sco)


def finish(session) -> None:
    """Close the course and check the LMS saw no rule broken."""
    session.unload()
    session.wait_for_terminate()
    assert session.violations() == []
