"""The catalogue page written beside the packages (dist/index.html): every course and its downloads."""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import jinja2

from coursebuild.pipeline.build import CourseBuild
from coursebuild.pipeline.write import write_atomically

_ORDER = {"guide": 0, "foundational": 1, "advanced": 2, "product": 3}
_LABELS = {
    "scorm12": "SCORM 1.2",
    "scorm2004": "SCORM 2004 (4th edition)",
    "cmi5": "cmi5",
    "xapi": "xAPI (TinCan)",
    "web": "Web site (no tracking)",
}


class _Entry(TypedDict):
    id: str
    title: str
    version: str
    pathway: str
    archetypes: list[str]
    audience: str
    minutes: int | None
    packages: list[tuple[str, str]]  # (format, file name)


def write_catalogue_page(results: list[CourseBuild], out_dir: Path) -> Path:
    entries: list[_Entry] = []
    for result in results:
        course = result.course
        if course is None or not result.written:
            continue
        config = course.config
        entries.append(
            {
                "id": config.id,
                "title": config.title,
                "version": config.version,
                "pathway": config.pathway.value,
                "archetypes": [a.value for a in config.archetypes],
                "audience": config.audience,
                "minutes": config.duration_minutes,
                "packages": [(fmt, result.package_name(fmt)) for fmt in result.packages],
            }
        )
    entries.sort(key=lambda e: (_ORDER.get(e["pathway"], 9), e["archetypes"], e["id"]))
    env = jinja2.Environment(loader=jinja2.PackageLoader("coursebuild", "templates"), autoescape=True)
    page = env.get_template("catalogue.html").render(entries=entries, labels=_LABELS)
    path = out_dir / "index.html"
    write_atomically(path, page.encode("utf-8"))
    return path
