"""Scenario graphs for authors: Mermaid (renders on GitHub and in most Markdown previews) or Graphviz dot."""

from __future__ import annotations

from coursebuild.model import Rating, ScenarioSource

_RATING_STYLE = {Rating.BEST: "best", Rating.ACCEPTABLE: "acceptable", Rating.UNSAFE: "unsafe"}


def _label(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace('"', "'")


def mermaid(scenario: ScenarioSource) -> str:
    lines = ["flowchart TD"]
    for scene_id, scene in scenario.scenes.items():
        shape = ('(["', '"])') if scene.ending else ('["', '"]')
        title = _label(scene.title) + (f" ({scene.outcome.value})" if scene.ending and scene.outcome else "")
        lines.append(f"    {_node(scene_id)}{shape[0]}{title}{shape[1]}")
    for scene_id, scene in scenario.scenes.items():
        for choice in scene.choices:
            lines.append(
                f'    {_node(scene_id)} -->|"{choice.rating.value}: {_label(choice.text, 40)}"| {_node(choice.goto)}'
            )
    lines.append(f"    start((start)) --> {_node(scenario.start)}")
    lines.append("    classDef best stroke:#007f3b,stroke-width:3px")
    lines.append("    classDef unsafe stroke:#b3001b,stroke-width:3px")
    lines.append("    classDef acceptable stroke:#8a4b00,stroke-width:3px")
    for scene_id, scene in scenario.scenes.items():
        if scene.ending and scene.outcome:
            lines.append(f"    class {_node(scene_id)} {_RATING_STYLE[scene.outcome]}")
    return "\n".join(lines) + "\n"


def dot(scenario: ScenarioSource) -> str:
    colours = {Rating.BEST: "#007f3b", Rating.ACCEPTABLE: "#8a4b00", Rating.UNSAFE: "#b3001b"}
    lines = [f'digraph "{scenario.id}" {{', "    rankdir=TB;", '    node [shape=box, fontname="sans-serif"];']
    lines.append(f'    "__start" [shape=circle, label="start"];\n    "__start" -> "{scenario.start}";')
    for scene_id, scene in scenario.scenes.items():
        extra = f', shape=doubleoctagon, color="{colours[scene.outcome]}"' if scene.ending and scene.outcome else ""
        lines.append(f'    "{scene_id}" [label="{_label(scene.title)}"{extra}];')
    for scene_id, scene in scenario.scenes.items():
        for choice in scene.choices:
            lines.append(
                f'    "{scene_id}" -> "{choice.goto}" [label="{choice.rating.value}: {_label(choice.text, 40)}", '
                f'color="{colours[choice.rating]}"];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node(scene_id: str) -> str:
    return "s_" + scene_id.replace("-", "_")
