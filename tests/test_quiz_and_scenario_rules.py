"""Bad quiz and scenario input: each gives exit code 1 and names file and line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from coursebuild.cli import main
from tests.conftest import edit

Q_SINGLE = """```question
id: q-extra
type: single
level: awareness
prompt: Pick one
options:
  - {id: a, text: A, correct: true}
  - {id: b, text: B, correct: true}
```
"""


def run(course: Path, tmp_path: Path):
    return CliRunner().invoke(main, ["build", str(course), "--out", str(tmp_path / "dist")])


def fails_with(result, where: str, words: str):
    assert result.exit_code == 1, result.output
    assert where in result.output and words in result.output, result.output


def add_to_lesson(course: Path, block: str) -> None:
    path = course / "lessons" / "second.md"
    path.write_text(path.read_text() + "\n" + block)


def test_single_choice_with_two_correct_answers(course, tmp_path):
    add_to_lesson(course, Q_SINGLE)
    fails_with(run(course, tmp_path), "lessons/second.md:25", "exactly one correct option, found 2")


def test_choice_with_no_correct_answer(course, tmp_path):
    add_to_lesson(course, Q_SINGLE.replace(", correct: true", ""))
    fails_with(run(course, tmp_path), "lessons/second.md:25", "no option is marked 'correct: true'")


def test_duplicate_question_ids(course, tmp_path):
    add_to_lesson(
        course, Q_SINGLE.replace("q-extra", "q-first-1").replace("{id: b, text: B, correct: true}", "{id: b, text: B}")
    )
    result = run(course, tmp_path)
    fails_with(result, "lessons/second.md:21", "question id 'q-first-1' is used by more than one question")
    assert "lessons/first.md:" in result.output


def test_duplicate_option_ids(course, tmp_path):
    add_to_lesson(course, Q_SINGLE.replace("{id: b, text: B, correct: true}", "{id: a, text: B}"))
    fails_with(run(course, tmp_path), "lessons/second.md:25", "option id 'a' is used twice")


def test_numeric_range_with_min_above_max(course, tmp_path):
    add_to_lesson(course, "```question\nid: q-n\ntype: numeric\nlevel: awareness\nprompt: N\nmin: 5\nmax: 2\n```\n")
    fails_with(run(course, tmp_path), "lessons/second.md:26", "min (5) is greater than max (2)")


def test_draw_larger_than_bank(course, tmp_path):
    edit(course / "assessment.md", "draw: 2", "draw: 7")
    fails_with(run(course, tmp_path), "assessment.md:", "draws 7 questions but its bank holds 3")


def test_recall_question_claiming_understanding(course, tmp_path):
    add_to_lesson(
        course, Q_SINGLE.replace("level: awareness", "level: understanding").replace(", correct: true}\n```", "}\n```")
    )
    result = run(course, tmp_path)
    fails_with(
        result, "lessons/second.md:23", "claims 'understanding', but its format can evidence at most 'familiarity'"
    )
    assert "add a 'case:'" in result.output


def test_question_claiming_a_skill_level(course, tmp_path):
    add_to_lesson(
        course,
        Q_SINGLE.replace("level: awareness", "level: proficiency\ncase: A new situation").replace(
            ", correct: true}\n```", "}\n```"
        ),
    )
    result = run(course, tmp_path)
    fails_with(result, "lessons/second.md:23", "claims 'proficiency'")
    assert "branching scenario" in result.output


def test_matching_with_duplicate_target(course, tmp_path):
    add_to_lesson(
        course,
        "```question\nid: q-m\ntype: matching\nlevel: awareness\nprompt: M\npairs:\n  - {source: A, target: X}\n  - {source: B, target: Y}\ndistractors: [X]\n```\n",
    )
    fails_with(run(course, tmp_path), "lessons/second.md:", "each matching target (and distractor) must be different")


def test_scenario_link_to_missing_scene(course, tmp_path):
    edit(course / "scenarios" / "ward.yml", "goto: bad-end", "goto: nowhere")
    result = run(course, tmp_path)
    fails_with(result, "scenarios/ward.yml:16", "leads to scene 'nowhere', which does not exist")
    assert "scene 'bad-end' cannot be reached" in result.output


def test_unreachable_scene(course, tmp_path):
    path = course / "scenarios" / "ward.yml"
    path.write_text(
        path.read_text()
        + "  island:\n    title: Alone\n    ending: true\n    outcome: best\n    text: Nobody comes here.\n"
    )
    fails_with(run(course, tmp_path), "scenarios/ward.yml:31", "scene 'island' cannot be reached from the start scene")


def test_dead_end_scene(course, tmp_path):
    edit(
        course / "scenarios" / "ward.yml",
        "    title: Harm\n    ending: true\n    outcome: unsafe\n",
        "    title: Harm\n",
    )
    fails_with(run(course, tmp_path), "scenarios/ward.yml:26", "scene 'bad-end' is a dead end")


def test_loop_without_exit(course, tmp_path):
    path = course / "scenarios" / "ward.yml"
    text = path.read_text().replace("goto: bad-end", "goto: loop-a")
    text += (
        "  loop-a:\n    title: A\n    text: a\n    choices:\n      - {id: on, text: On, goto: loop-b, rating: unsafe, feedback: f}\n"
        "  loop-b:\n    title: B\n    text: b\n    choices:\n      - {id: back, text: Back, goto: loop-a, rating: unsafe, feedback: f}\n"
    )
    path.write_text(text)
    result = run(course, tmp_path)
    fails_with(result, "scenarios/ward.yml", "from scene 'loop-a' no path leads to an ending")
    assert "from scene 'loop-b' no path leads to an ending" in result.output


def test_loop_with_an_exit_is_allowed(course, tmp_path):
    path = course / "scenarios" / "ward.yml"
    text = path.read_text().replace("goto: bad-end", "goto: loop-a")
    text += (
        "  loop-a:\n    title: A\n    text: a\n    choices:\n      - {id: on, text: On, goto: loop-b, rating: unsafe, feedback: f}\n"
        "  loop-b:\n    title: B\n    text: b\n    choices:\n      - {id: back, text: Back, goto: loop-a, rating: unsafe, feedback: f}\n"
        "      - {id: out, text: Out, goto: bad-end, rating: acceptable, feedback: f}\n"
    )
    path.write_text(text)
    assert run(course, tmp_path).exit_code == 0


def test_choice_without_rating(course, tmp_path):
    edit(course / "scenarios" / "ward.yml", "        rating: unsafe\n", "")
    fails_with(run(course, tmp_path), "scenarios/ward.yml:16", "missing required key 'scenes.start.choices.1.rating'")


def test_graph_prints_mermaid_and_dot(course):
    scenario = str(course / "scenarios" / "ward.yml")
    mermaid = CliRunner().invoke(main, ["graph", scenario])
    assert mermaid.exit_code == 0
    assert 's_start -->|"best: Check the patient yourself"| s_good_end' in mermaid.output
    dot = CliRunner().invoke(main, ["graph", "--format", "dot", scenario])
    assert '"start" -> "bad-end"' in dot.output and dot.output.startswith('digraph "ward-round"')


def test_graph_reports_problems_but_still_draws(course):
    edit(course / "scenarios" / "ward.yml", "goto: bad-end", "goto: nowhere")
    result = CliRunner().invoke(main, ["graph", str(course / "scenarios" / "ward.yml")])
    assert result.exit_code == 1
    assert "s_start -->" in result.output and "does not exist" in result.output


def test_scoring_weight_needs_scenarios_and_an_assessment(course, tmp_path):
    edit(course / "course.yml", "pass_mark: 75", "pass_mark: 75\nscoring:\n  scenarios: 30")
    assert run(course, tmp_path).exit_code == 0
    edit(course / "course.yml", "assessment: assessment.md\n", "")
    fails_with(
        run(course, tmp_path),
        "course.yml:10",
        "the assessment would count for 70% of the score, but the course has none",
    )
