"""The requirements catalogue: every requirement of the report's tables, with its level and factor.

Courses name requirement IDs (`T1.3`, `A2.14`); the catalogue is what makes an unknown ID an error and
what the coverage report counts against. It lives in `courses/requirements.yml` and is found by walking up
from a course folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from coursebuild.errors import Problems
from coursebuild.model import Archetype, Level, Pathway
from coursebuild.yamlfile import YamlSyntaxError, describe_validation_error, parse_yaml

CATALOGUE_NAME = "requirements.yml"

Factor = Literal["ai-literacy", "governance", "implementation", "clinical-use"]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*\.[0-9]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    title: str
    publisher: str
    year: int
    month: str | None = None
    url: str | None = None


class Table(_Strict):
    title: str
    pathway: Pathway
    archetype: Archetype | None = None
    kind: Literal["requirements", "questions"]


class Requirement(_Strict):
    id: Id
    table: str
    factor: Factor
    subfactor: str | None = None
    level: Level | None
    domain: Literal["knowledge", "skill"]
    statement: Annotated[str, StringConstraints(min_length=1)]

    @model_validator(mode="after")
    def _domain_matches_level(self) -> Requirement:
        if self.level is not None and self.level.domain != self.domain:
            raise ValueError(f"level '{self.level.value}' is a {self.level.domain} level, not {self.domain}")
        return self


class ChecklistQuestion(_Strict):
    id: Id
    table: str
    factor: Factor
    subfactor: str | None = None
    text: Annotated[str, StringConstraints(min_length=1)]


class CatalogueFile(_Strict):
    source: Source
    tables: dict[str, Table]
    requirements: list[Requirement] = Field(min_length=1)
    questions: list[ChecklistQuestion] = []


@dataclass
class Catalogue:
    path: Path
    source: Source
    tables: dict[str, Table]
    requirements: dict[str, Requirement]
    questions: dict[str, ChecklistQuestion]

    def for_table(self, table: str) -> list[Requirement]:
        return [r for r in self.requirements.values() if r.table == table]

    def tables_for(self, pathway: Pathway, archetypes: list[Archetype]) -> list[str]:
        """The requirement tables a course of this pathway (and archetypes) must teach."""
        names = []
        for name, table in self.tables.items():
            if table.kind != "requirements" or table.pathway != pathway:
                continue
            if pathway is Pathway.ADVANCED and table.archetype not in archetypes:
                continue
            names.append(name)
        return names


# The catalogue ships with coursebuild (installed: package data; editable install: the repository's copy),
# so a course kept outside this repository, such as a trust's product course, still finds it.
_SHIPPED = (
    Path(__file__).resolve().parent / CATALOGUE_NAME,
    Path(__file__).resolve().parent.parent.parent / "courses" / CATALOGUE_NAME,
)


def find_catalogue(start: Path) -> Path | None:
    """The nearest requirements.yml in the course folder or its parents, else the one coursebuild ships."""
    for folder in [start, *start.parents]:
        candidate = folder / CATALOGUE_NAME
        if candidate.is_file():
            return candidate
    return next((path for path in _SHIPPED if path.is_file()), None)


def load_catalogue(path: Path, problems: Problems) -> Catalogue | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.error(path, None, "the requirements catalogue is not UTF-8", "save it as UTF-8")
        return None
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        problems.error(path, exc.line, exc.message)
        return None
    try:
        parsed = CatalogueFile.model_validate(doc.data)
    except ValidationError as exc:
        for err in describe_validation_error(exc, doc, CatalogueFile):
            problems.error(path, err.line, err.message, err.hint)
        return None

    requirements: dict[str, Requirement] = {}
    for i, req in enumerate(parsed.requirements):
        line = doc.line_of(("requirements", i))
        if req.id in requirements:
            problems.error(path, line, f"requirement {req.id} is listed twice")
        if req.table not in parsed.tables:
            problems.error(path, line, f"requirement {req.id} names unknown table '{req.table}'")
        elif not req.id.startswith(req.table + "."):
            problems.error(path, line, f"requirement {req.id} is filed under table {req.table}")
        requirements[req.id] = req
    questions: dict[str, ChecklistQuestion] = {}
    for i, question in enumerate(parsed.questions):
        if question.id in questions or question.id in requirements:
            problems.error(path, doc.line_of(("questions", i)), f"ID {question.id} is listed twice")
        questions[question.id] = question
    return Catalogue(path, parsed.source, parsed.tables, requirements, questions)
