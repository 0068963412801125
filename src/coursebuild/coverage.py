"""Coverage of the report's requirements: where each is taught (lessons) and assessed (scored questions
and scenario decisions), per course, with the level each assessment can evidence.

A requirement counts as *assessed* only by an item whose level is at least the requirement's level, so
a recall question does not count for an understanding requirement, and a skill requirement needs a
scenario decision. Knowledge checks count: they are formative, but they do test the learner.
"""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass, field
from typing import Any

from coursebuild.catalogue import Catalogue, Requirement
from coursebuild.model import Course, Level


@dataclass
class RequirementCoverage:
    requirement: Requirement
    taught_in: list[str] = field(default_factory=list)
    assessed_by: list[str] = field(default_factory=list)
    assessed_below_level: list[str] = field(default_factory=list)

    @property
    def taught(self) -> bool:
        return bool(self.taught_in)

    @property
    def assessed(self) -> bool:
        return bool(self.assessed_by)


@dataclass
class CourseCoverage:
    course_id: str
    tables: list[str]
    rows: list[RequirementCoverage]

    def percent(self, attribute: str) -> float:
        if not self.rows:
            return 100.0
        return 100.0 * sum(1 for row in self.rows if getattr(row, attribute)) / len(self.rows)


def _sort_key(requirement_id: str) -> tuple[str, int]:
    table, _, number = requirement_id.partition(".")
    return table, int(number)


def _meets(level: Level | None, requirement: Requirement) -> bool:
    if requirement.level is None:  # the report's text lost this bullet's level; any assessment counts
        return True
    return level is not None and level.rank >= requirement.level.rank


def course_coverage(course: Course, catalogue: Catalogue) -> CourseCoverage:
    tables = catalogue.tables_for(course.config.pathway, list(course.config.archetypes))
    rows = {
        r.id: RequirementCoverage(r)
        for r in sorted(catalogue.requirements.values(), key=lambda r: _sort_key(r.id))
        if r.table in tables
    }

    def assessed(requirement_id: str, where: str, level: Level | None) -> None:
        row = rows.get(requirement_id)
        if row is None:
            return
        target = row.assessed_by if _meets(level, row.requirement) else row.assessed_below_level
        if where not in target:
            target.append(where)

    for lesson in course.lessons:
        for requirement_id in lesson.meta.requirements:
            if requirement_id in rows:
                rows[requirement_id].taught_in.append(lesson.id)
    for placed in course.all_questions():
        question = placed.question
        if not question.scored:
            continue
        for requirement_id in question.requirements:
            assessed(requirement_id, question.id, question.level)
    for scenario in course.scenarios:
        model = scenario.source_model
        for scene_id, scene in model.scenes.items():
            for choice in scene.choices:
                requirements = choice.requirements if choice.requirements is not None else model.requirements
                for requirement_id in requirements:
                    assessed(requirement_id, f"{model.id}/{scene_id}", choice.level or model.level)
    return CourseCoverage(course.id, tables, list(rows.values()))


def to_json(reports: list[CourseCoverage]) -> str:
    payload: list[dict[str, Any]] = []
    for report in reports:
        payload.append(
            {
                "course": report.course_id,
                "tables": report.tables,
                "taught_percent": round(report.percent("taught"), 1),
                "assessed_percent": round(report.percent("assessed"), 1),
                "requirements": [
                    {
                        "id": row.requirement.id,
                        "table": row.requirement.table,
                        "factor": row.requirement.factor,
                        "subfactor": row.requirement.subfactor,
                        "level": row.requirement.level.value if row.requirement.level else None,
                        "taught_in": row.taught_in,
                        "assessed_by": row.assessed_by,
                        "assessed_below_level": row.assessed_below_level,
                    }
                    for row in report.rows
                ],
            }
        )
    return json.dumps(payload, indent=2) + "\n"


def to_csv(reports: list[CourseCoverage]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "course",
            "requirement",
            "table",
            "factor",
            "subfactor",
            "level",
            "taught_in",
            "assessed_by",
            "assessed_below_level",
        ]
    )
    for report in reports:
        for row in report.rows:
            r = row.requirement
            writer.writerow(
                [
                    report.course_id,
                    r.id,
                    r.table,
                    r.factor,
                    r.subfactor or "",
                    r.level.value if r.level else "",
                    " ".join(row.taught_in),
                    " ".join(row.assessed_by),
                    " ".join(row.assessed_below_level),
                ]
            )
    return out.getvalue()


def to_text(reports: list[CourseCoverage]) -> str:
    lines = []
    for report in reports:
        lines.append(
            f"{report.course_id} (tables {', '.join(report.tables) or 'none'}): "
            f"{report.percent('taught'):.0f}% taught, {report.percent('assessed'):.0f}% assessed at level"
        )
        by_factor: dict[str, list[RequirementCoverage]] = {}
        for row in report.rows:
            by_factor.setdefault(f"{row.requirement.table} {row.requirement.factor}", []).append(row)
        for factor, rows in by_factor.items():
            taught = sum(r.taught for r in rows)
            assessed = sum(r.assessed for r in rows)
            lines.append(f"  {factor}: {taught}/{len(rows)} taught, {assessed}/{len(rows)} assessed")
        for row in report.rows:
            if not row.taught:
                lines.append(f"  NOT TAUGHT   {row.requirement.id} ({_level(row)}): {row.requirement.statement[:70]}")
            elif not row.assessed:
                note = (
                    f"; only below level by {', '.join(row.assessed_below_level)}" if row.assessed_below_level else ""
                )
                lines.append(f"  not assessed {row.requirement.id} ({_level(row)}){note}")
    return "\n".join(lines) + "\n"


def _level(row: RequirementCoverage) -> str:
    return row.requirement.level.value if row.requirement.level else "level unknown"


def to_html(reports: list[CourseCoverage]) -> str:
    parts = [
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8"><title>Requirement coverage</title>',
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1d1b}table{border-collapse:collapse}"
        "th,td{border:1px solid #6b6b6b;padding:.3rem .5rem;text-align:left;vertical-align:top}"
        ".gap{background:#fde8e8}</style></head><body><h1>Requirement coverage</h1>",
    ]
    for report in reports:
        parts.append(
            f"<h2>{html.escape(report.course_id)}</h2><p>{report.percent('taught'):.0f}% taught, "
            f"{report.percent('assessed'):.0f}% assessed at level (tables {html.escape(', '.join(report.tables))}).</p>"
            '<table><thead><tr><th scope="col">Requirement</th><th scope="col">Level</th><th scope="col">Statement</th>'
            '<th scope="col">Taught in</th><th scope="col">Assessed by</th></tr></thead><tbody>'
        )
        for row in report.rows:
            css = "" if row.taught and row.assessed else ' class="gap"'
            parts.append(
                f'<tr{css}><th scope="row">{row.requirement.id}</th><td>{_level(row)}</td>'
                f"<td>{html.escape(row.requirement.statement)}</td><td>{html.escape(', '.join(row.taught_in) or '—')}</td>"
                f"<td>{html.escape(', '.join(row.assessed_by) or '—')}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</body></html>\n")
    return "".join(parts)


FORMATTERS = {"text": to_text, "csv": to_csv, "json": to_json, "html": to_html}
