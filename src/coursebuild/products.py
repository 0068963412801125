"""Product-specific training (the report's section 3.4 and Table 2): product courses cloned from a template.

An Embedder runs `coursebuild new product NAME`: copier renders a template from
`courses/product_templates/<name>/` into `courses/products/<slug>/`, with every lesson, knowledge check and
scenario driven by the product's *facts*. The facts live in the course's `product.yml`, typed and checked
by `ProductFacts`. `coursebuild update product DIR` re-renders the course from a newer template version
and from the facts as they now stand in `product.yml`, keeping local edits by copier's three-way merge.

Each product course holds, besides its lessons:

- `product.yml`: the facts, the file Embedders edit;
- `.copier-answers.yml`: the facts the lessons were last rendered from, the template's source
  (`_src_path`) and its version (`_commit`, a tag such as `v1.0.0`); written by copier, never edited;
- `.template/`: a copy of the template version the course was rendered from. A three-way merge needs the
  old template, and this copy makes updates work whether or not the template lives in its own git
  repository: `update` builds a throw-away git repository with the old and the new version as tags.

`check_product_course` is the guard rail the build runs on every course whose pathway is `product`: it
reports each unfilled fact and each TODO marker with file and line, facts edited since the lessons were
rendered, a stale "What changed" lesson and a product version without a new course version.
"""

from __future__ import annotations

import datetime
import filecmp
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from coursebuild.errors import CoursebuildError, Problem, Problems
from coursebuild.yamlfile import YamlDocument, YamlSyntaxError, describe_validation_error, parse_yaml

FACTS_FILE = "product.yml"
ANSWERS_FILE = ".copier-answers.yml"
SNAPSHOT_DIR = ".template"
CHANGELOG_LESSON = "lessons/what-changed.md"
COURSE_FILE = "course.yml"
TEMPLATES_DIR = Path("courses") / "product_templates"
PRODUCTS_DIR = Path("courses") / "products"
DEFAULT_TEMPLATE = "default"
TEMPLATE_CONFIG = "copier.yml"
COPIER_ONLY_QUESTIONS = ("product_slug",)  # asked by the template but not product facts (the course id)
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
CONFLICT_MARKER = "<<<<<<< before updating"

# A value still waiting for its real content. Upper-case words only, so ordinary prose is not caught.
PLACEHOLDER = re.compile(r"(?<![A-Za-z])(?:TODO|TBC|TBD|FIXME)(?![A-Za-z])|(?i:<\s*fill[\s-]*in\b[^>]*>)")
_CONFLICT_LINE = re.compile(r"^(<{7}|>{7})(\s|$)")
_SEMVER = re.compile(r"^([0-9]+)\.([0-9]+)\.([0-9]+)([-+][0-9A-Za-z.-]+)?$")


def find_placeholder(text: str) -> str | None:
    """The placeholder marker in `text` (TODO, TBC, TBD, FIXME or <fill in>), or None."""
    match = PLACEHOLDER.search(text)
    return match.group(0) if match else None


# --------------------------------------------------------------------------- the facts


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
SemVer = Annotated[str, StringConstraints(pattern=_SEMVER.pattern)]


class Contact(_Strict):
    who: Text
    how: Text


class Contacts(_Strict):
    product_questions: Contact
    safety_concerns: Contact
    it_support: Contact


class ErrorHandling(_Strict):
    consequence: Text
    management: Text


class Guideline(_Strict):
    title: Text
    summary: Text


class Material(_Strict):
    title: Text
    where: Text


class RegulatoryStatus(_Strict):
    device_class: Literal["I", "IIa", "IIb", "III", "not a medical device"]
    markings: list[Literal["UKCA", "CE", "UKNI"]]
    notes: Text


class Change(_Strict):
    product_version: Text
    date: datetime.date
    course_version: SemVer
    changes: list[Text] = Field(min_length=1)


class ProductFacts(_Strict):
    """Everything product-specific the template's lessons, checks and scenario are written from.

    The fields, in this order, are the template's questions (except `product_slug`, which names the course
    rather than describing the product); `tests/test_products.py` checks that the two agree.
    """

    product_name: Text
    product_version: Text
    manufacturer: Text
    deploying_organisation: Text
    setting: Text
    users: Text
    fictional: bool = False
    fictional_note: str = ""
    illustrative: list[str] = []
    intended_use: Text
    inclusion_criteria: list[Text] = Field(min_length=1)
    exclusion_criteria: list[Text] = Field(min_length=1)
    output: Text
    explanation: Text
    workflow: Text
    regulatory_status: RegulatoryStatus
    clinical_guidelines: list[Guideline] = Field(min_length=1)
    limitations: list[Text] = Field(min_length=1)
    outlier_cases: list[Text] = Field(min_length=1)
    fairness: list[Text] = Field(min_length=1)
    local_validation: Text
    false_positive: ErrorHandling
    false_negative: ErrorHandling
    disagreement: Text
    decision_recording: Text
    patient_query_pathway: Text
    data_use: Text
    patient_information: list[Material] = Field(min_length=1)
    incident_reporting: Text
    contacts: Contacts
    fallback_pathway: Text
    change_log: list[Change] = Field(min_length=1)

    @model_validator(mode="after")
    def _fiction_is_labelled(self) -> ProductFacts:
        if self.fictional and not self.fictional_note.strip():
            raise ValueError("a fictional product needs 'fictional_note', saying what is fictional")
        if not self.fictional and self.illustrative:
            raise ValueError(
                "'illustrative' is only for fictional products: a real product's training must state real facts"
            )
        unknown = [name for name in self.illustrative if name not in FACT_NAMES]
        if unknown:
            raise ValueError(f"'illustrative' names unknown facts: {', '.join(unknown)}")
        return self


FACT_NAMES: tuple[str, ...] = tuple(ProductFacts.model_fields)
_OPTIONAL_FACTS = {"fictional", "fictional_note", "illustrative"}


def _jsonable(value: Any) -> Any:
    """Facts as plain JSON-like data (dates as ISO text), the form copier stores its answers in."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _comparable(value: Any) -> Any:
    """For comparing two sets of facts: empty and absent are the same, and so are 1.0 and "1.0"."""
    value = _jsonable(value)
    if value in (None, "", [], {}):
        return None
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if _comparable(v) is not None}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return value


def facts_data(facts: ProductFacts | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(facts, ProductFacts):
        return _jsonable(facts.model_dump())
    return _jsonable(dict(facts))


# --------------------------------------------------------------------------- errors


class ProductError(CoursebuildError):
    """`new product` or `update product` cannot go ahead; each problem names file and line when it can."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = problems or []
        super().__init__(message)

    def format_message(self) -> str:
        lines = [p.format() for p in self.problems]
        return "\n".join([*lines, self.message]) if lines else self.message


# --------------------------------------------------------------------------- checking facts


@dataclass
class LoadedFacts:
    path: Path
    doc: YamlDocument
    data: dict[str, Any]
    facts: ProductFacts | None


def _walk(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    yield path, value
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, path + (i,))


def _dotted(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_facts(path: Path, problems: Problems, draft: bool = False) -> LoadedFacts | None:
    """Read and check `product.yml`: each unfilled fact (missing, empty or a placeholder) is reported with
    its line as an error, or as a warning when `draft`; wrong types and unknown keys are always errors."""
    report_unfilled = problems.warning if draft else problems.error
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.error(
            path, None, f"a product course needs {FACTS_FILE}, the product's facts",
            "create product courses with `coursebuild new product NAME` (see docs/product-training.md)",
        )
        return None
    except (OSError, UnicodeDecodeError) as exc:
        problems.error(path, None, f"cannot read {FACTS_FILE}: {exc}")
        return None
    try:
        doc = parse_yaml(text)
    except YamlSyntaxError as exc:
        problems.error(path, exc.line, exc.message, "check indentation and quoting around this line")
        return None
    if not isinstance(doc.data, dict):
        problems.error(path, doc.first_line, f"{FACTS_FILE} must be a YAML mapping of facts (name: value)")
        return None
    data: dict[str, Any] = doc.data

    placeholders: set[tuple[str | int, ...]] = set()
    for key in FACT_NAMES:
        if key not in data:
            continue
        for sub_path, value in _walk(data[key], (key,)):
            if isinstance(value, str) and (marker := find_placeholder(value)):
                placeholders.add(sub_path)
                report_unfilled(
                    path, doc.line_of(sub_path),
                    f"unfilled fact '{_dotted(sub_path)}': still a placeholder ({marker}): \"{_short(value)}\"",
                    "replace it with the real value (docs/product-training.md says what each fact needs)",
                )

    facts: ProductFacts | None = None
    try:
        facts = ProductFacts.model_validate(data)
    except ValidationError as exc:
        descriptions = describe_validation_error(exc, doc, ProductFacts)  # one per error, in the same order
        for err, described in zip(exc.errors(include_url=False), descriptions, strict=True):
            loc = tuple(err["loc"])
            if any(loc[:n] in placeholders for n in range(1, len(loc) + 1)):
                continue  # already reported as a placeholder
            kind = err["type"]
            value = err.get("input")
            name = _dotted(loc) or "(top level)"
            if kind == "missing":
                line, hint = described.line, f"add '{loc[-1]}:' with its value (see docs/product-training.md)"
                if len(loc) == 1:  # a top-level fact: point to where it belongs, after the fact before it
                    before = [n for n in FACT_NAMES[: FACT_NAMES.index(str(loc[0]))] if n in data]
                    if before:
                        line = doc.line_of((before[-1],))
                        hint = f"add '{loc[0]}:' with its value after '{before[-1]}' (see docs/product-training.md)"
                report_unfilled(path, line, f"unfilled fact '{name}': missing", hint)
            elif kind in ("string_too_short", "too_short") or value in (None, "", [], {}):
                report_unfilled(path, described.line, f"unfilled fact '{name}': empty", "give it a value")
            else:
                problems.error(path, described.line, described.message, described.hint)
    return LoadedFacts(path, doc, data, facts)


def _semver(text: Any) -> tuple[int, int, int] | None:
    match = _SEMVER.match(str(text)) if text is not None else None
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def _check_versions(loaded: LoadedFacts, course_root: Path, problems: Problems) -> None:
    """The rule: each product version in the change log names the course version that first teaches it;
    course versions rise with every new product version; the newest entry is the product's current version;
    and course.yml's version is at least the newest entry's course version."""
    data, doc, path = loaded.data, loaded.doc, loaded.path
    log = data.get("change_log")
    if not isinstance(log, list) or not log or not all(isinstance(e, Mapping) for e in log):
        return  # reported as unfilled or mistyped already
    newest = log[0]
    current = data.get("product_version")
    if (
        isinstance(current, (str, int, float)) and not find_placeholder(str(current))
        and newest.get("product_version") is not None and str(newest.get("product_version")) != str(current)
    ):
        problems.error(
            path, doc.line_of(("product_version",)),
            f"product_version is {current}, but the newest change_log entry is for {newest.get('product_version')}",
            f"add an entry for {current} at the top of change_log, with a new, higher course_version and the "
            "changes users need to know about",
        )
    seen: dict[str, int] = {}
    for i, entry in enumerate(log):
        version = entry.get("product_version")
        if version is not None:
            if str(version) in seen:
                problems.error(
                    path, doc.line_of(("change_log", i, "product_version")),
                    f"product version {version} appears twice in change_log", "give each product version one entry",
                )
            seen[str(version)] = i
        if i + 1 < len(log):
            older = log[i + 1]
            mine, theirs = _semver(entry.get("course_version")), _semver(older.get("course_version"))
            if mine is not None and theirs is not None and mine <= theirs:
                problems.error(
                    path, doc.line_of(("change_log", i, "course_version")),
                    f"product version {version} has course version {entry.get('course_version')}, which is not "
                    f"higher than {older.get('course_version')} (for product version {older.get('product_version')})",
                    "a new product version needs a new, higher course version (list the newest entry first)",
                )
            dates = _as_date(entry.get("date")), _as_date(older.get("date"))
            if dates[0] is not None and dates[1] is not None and dates[0] < dates[1]:
                problems.error(
                    path, doc.line_of(("change_log", i, "date")),
                    f"change_log is not newest first: {version} ({dates[0]}) is listed above "
                    f"{older.get('product_version')} ({dates[1]})",
                    "put the newest product version at the top",
                )
    course_file = course_root / COURSE_FILE
    try:
        course_doc = parse_yaml(course_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YamlSyntaxError):
        return  # the build reports course.yml's own problems
    course_version = course_doc.data.get("version") if isinstance(course_doc.data, dict) else None
    required = _semver(newest.get("course_version"))
    actual = _semver(course_version)
    if required is not None and actual is not None and actual < required:
        problems.error(
            course_file, course_doc.line_of(("version",)),
            f"course version {course_version} is lower than {newest.get('course_version')}, which change_log in "
            f"{FACTS_FILE} gives as the course version for product version {newest.get('product_version')}",
            f"a new product version needs a new course version: set version to {newest.get('course_version')} "
            "(`coursebuild update product` does this for you)",
        )


def _last_answers(course_root: Path) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load((course_root / ANSWERS_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def _check_in_sync(loaded: LoadedFacts, course_root: Path, problems: Problems, draft: bool) -> set[str]:
    """Facts changed in product.yml since the lessons were rendered from them; returns their names."""
    answers = _last_answers(course_root)
    report = problems.warning if draft else problems.error
    if answers is None:
        report(
            loaded.path, None,
            f"no {ANSWERS_FILE} beside {FACTS_FILE}, so there is no telling which facts the lessons were written from",
            "product courses are created with `coursebuild new product` and kept in step with "
            "`coursebuild update product`",
        )
        return set(FACT_NAMES)
    changed = [
        name for name in FACT_NAMES
        if name in loaded.data and _comparable(loaded.data.get(name)) != _comparable(answers.get(name))
    ]
    if changed:
        report(
            loaded.path, loaded.doc.line_of((changed[0],)),
            f"{FACTS_FILE} has changed since the lessons were generated from it ({', '.join(changed)}), so the "
            "course does not yet say what the facts say",
            f"run `coursebuild update product {course_root.as_posix()}` to bring the lessons up to date",
        )
    return set(changed)


def _check_changelog_lesson(loaded: LoadedFacts, course_root: Path, problems: Problems, draft: bool) -> None:
    path = course_root / CHANGELOG_LESSON
    report = problems.warning if draft else problems.error
    try:
        actual = path.read_text(encoding="utf-8")
    except OSError:
        report(
            path, None, "the 'What changed in this version' lesson is missing",
            f"run `coursebuild update product {course_root.as_posix()}` to generate it from the change log",
        )
        return
    try:
        expected = changelog_lesson_markdown(loaded.data)
    except Exception:  # noqa: BLE001 - the facts are broken; that is reported elsewhere
        return
    if actual != expected:
        line = next(
            (i + 1 for i, (a, b) in enumerate(zip(actual.splitlines(), expected.splitlines(), strict=False)) if a != b),
            min(len(actual.splitlines()), len(expected.splitlines())) + 1,
        )
        report(
            path, line, f"this lesson is generated from change_log in {FACTS_FILE} and no longer matches it",
            f"edit change_log, not this file, then run `coursebuild update product {course_root.as_posix()}`",
        )


def _course_text_files(course_root: Path) -> Iterator[Path]:
    for path in sorted(course_root.rglob("*")):
        relative = path.relative_to(course_root)
        if any(part.startswith(".") for part in relative.parts):
            continue  # .template/ (the template's own placeholders), .copier-answers.yml, editor files
        if path.is_file() and path.suffix.lower() in (".md", ".yml", ".yaml") and relative.as_posix() != FACTS_FILE:
            yield path


def _check_markers(course_root: Path, problems: Problems, draft: bool) -> None:
    report = problems.warning if draft else problems.error
    for path in _course_text_files(course_root):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue  # the build reports unreadable files it uses
        in_conflict = False
        for number, line in enumerate(lines, start=1):
            if match := _CONFLICT_LINE.match(line):
                opening = match.group(1).startswith("<")
                if opening or not in_conflict:
                    problems.error(
                        path, number, "unresolved merge conflict from `coursebuild update product`",
                        "keep the right text between the <<<<<<< and >>>>>>> lines and delete the markers",
                    )
                in_conflict = opening
            elif marker := find_placeholder(line):
                report(
                    path, number, f"{marker} marker left in the course: \"{_short(line.strip())}\"",
                    "finish this text and remove the marker (build with --draft to preview unfinished work)",
                )


def check_product_course(course_root: Path, problems: Problems, draft: bool) -> None:
    """The guard rails for a course whose pathway is `product`.

    Reports, each with file and line: every unfilled fact in product.yml (missing, empty or still a
    placeholder such as TODO, TBC or <fill in>) and every such marker left in the course's Markdown and
    YAML, as errors or, when `draft`, as warnings; facts edited since the lessons were generated, and a
    "What changed" lesson that no longer matches the change log (warnings when `draft`); and, always as
    errors, wrongly typed facts, unknown keys, unresolved merge conflicts and a new product version without
    a new course version.
    """
    loaded = load_facts(course_root / FACTS_FILE, problems, draft)
    _check_markers(course_root, problems, draft)
    if loaded is None:
        return
    _check_versions(loaded, course_root, problems)
    changed = _check_in_sync(loaded, course_root, problems, draft)
    if not changed & {"change_log", "product_name", "fictional", "fictional_note", "illustrative"}:
        _check_changelog_lesson(loaded, course_root, problems, draft)


# --------------------------------------------------------------------------- the "What changed" lesson

# The template's lessons/what-changed.md.jinja holds exactly this text (a test checks), so the lesson copier
# renders and the one `changelog_lesson_markdown` expects are the same.
CHANGELOG_LESSON_TEMPLATE = """\
{% set latest = change_log[0] %}
{% set example = " *(illustrative example)*" if "change_log" in (illustrative or []) else "" %}
---
id: what-changed
title: {{ ("What changed in " ~ product_name ~ " " ~ latest.product_version) | to_json }}
minutes: 5
level: familiarity
objectives:
  - {{ ("Describe what changed in " ~ product_name ~ " " ~ latest.product_version ~ " and what it means for your work") | to_json }}
  - Say which version of the product this course covers
---

# What changed in {{ product_name }} {{ latest.product_version }}

{% if fictional %}
::: fictional
{{ fictional_note }}{% if illustrative %} Details marked *(illustrative example)* are made up for this course; the source does not give them.{% endif %}

:::

{% endif %}
This page lists what changed in each version of {{ product_name }} that this course covers, newest first.
When the product is updated, this course is updated with it. Read this page before you use a new version,
even if you completed an earlier version of the course.

## Version {{ latest.product_version }}{{ example }}

In use from {{ latest.date }}. Covered by version {{ latest.course_version }} of this course.

{% for change in latest.changes %}
- {{ change }}
{% endfor %}
{% if change_log | length > 1 %}

## Earlier versions

| Product version | In use from | Course version | What changed |
|---|---|---|---|
{% for entry in change_log[1:] %}
| {{ entry.product_version }} | {{ entry.date }} | {{ entry.course_version }} | {{ entry.changes | join("; ") | replace("|", "\\\\|") }} |
{% endfor %}
{% endif %}

::: key-points
- This course covers {{ product_name }} version {{ latest.product_version }}.
- Each new product version comes with a new version of this course. Complete it before you use the new product version.
- If something in the product looks different from what this course describes, tell the team in the lesson on contacts.
:::
"""


def _jinja_env():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    # The same options as the template's copier.yml (_envops), so both render identically.
    env = SandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=StrictUndefined)
    env.filters["to_json"] = lambda value, **kwargs: json.dumps(value, **kwargs)
    return env


def changelog_lesson_markdown(facts: ProductFacts | Mapping[str, Any]) -> str:
    """The "What changed in this version" lesson, generated from the change log (newest entry first)."""
    data = facts_data(facts)
    context = {
        "product_name": data.get("product_name"),
        "change_log": data.get("change_log"),
        "fictional": bool(data.get("fictional")),
        "fictional_note": data.get("fictional_note") or "",
        "illustrative": data.get("illustrative") or [],
    }
    return _jinja_env().from_string(CHANGELOG_LESSON_TEMPLATE).render(context)


# --------------------------------------------------------------------------- templates


@dataclass
class TemplateInfo:
    version: str
    questions: dict[str, dict[str, Any]]


def read_template(folder: Path) -> TemplateInfo:
    """The template's version (`template_version` in copier.yml) and its questions, in order."""
    try:
        config = yaml.safe_load((folder / TEMPLATE_CONFIG).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProductError(f"{folder} is not a product template: cannot read {TEMPLATE_CONFIG} ({exc})") from None
    if not isinstance(config, dict):
        raise ProductError(f"{folder / TEMPLATE_CONFIG} is not a YAML mapping")
    version_spec = config.get("template_version")
    version = str(version_spec.get("default")) if isinstance(version_spec, dict) else ""
    if _semver(version) is None:
        raise ProductError(
            f"{folder / TEMPLATE_CONFIG} needs a 'template_version' question whose default is a version such as 1.0.0"
        )
    questions = {
        key: (value if isinstance(value, dict) else {"default": value})
        for key, value in config.items()
        if not key.startswith("_") and key != "template_version"
    }
    return TemplateInfo(version, questions)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return re.sub(r"^[^a-z]+", "", slug)


def _is_url(source: str) -> bool:
    return "://" in source or source.startswith(("gh:", "gl:", "git@", "git+"))


# Templates shipped with coursebuild (installed: package data; editable install: the repository's), for
# Embedders working in their own folder rather than in this repository.
_SHIPPED_TEMPLATES = (
    Path(__file__).resolve().parent / "product_templates",
    Path(__file__).resolve().parent.parent.parent / TEMPLATES_DIR,
)


def resolve_template(template: str | None, project_root: Path) -> str:
    """A template given by name (under courses/product_templates/ here, else shipped), path or git URL."""
    name = template or DEFAULT_TEMPLATE
    if "/" not in name and "\\" not in name:
        for folder in (project_root / TEMPLATES_DIR, *_SHIPPED_TEMPLATES):
            if (folder / name / TEMPLATE_CONFIG).is_file():
                return str((folder / name).resolve())
    if _is_url(name):
        return name
    path = Path(name).expanduser()
    if (path / TEMPLATE_CONFIG).is_file():
        return str(path.resolve())
    names = sorted(p.parent.name for p in (project_root / TEMPLATES_DIR).glob(f"*/{TEMPLATE_CONFIG}"))
    hint = f"templates here: {', '.join(names)}" if names else f"no templates under {TEMPLATES_DIR.as_posix()}/"
    raise ProductError(f"no product template '{name}' ({hint}); give a name, a folder holding {TEMPLATE_CONFIG} or a git URL")


def _record_source(source: str, course_dir: Path) -> str:
    """How the answers file names the template: relative to the course for a local folder, else as given."""
    if _is_url(source):
        return source
    return Path(os.path.relpath(Path(source).resolve(), course_dir.resolve())).as_posix()


def _source_from_record(recorded: str, course_dir: Path) -> str:
    if _is_url(recorded) or Path(recorded).is_absolute():
        return recorded
    return str((course_dir / recorded).resolve())


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(key, None)
    config = [
        "-c", "user.name=coursebuild", "-c", "user.email=coursebuild@localhost", "-c", "commit.gpgsign=false",
        "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false",
    ]
    result = subprocess.run(["git", *config, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise ProductError(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout


def _copy_tree(source: Path, target: Path, skip: tuple[str, ...] = (".git",)) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*skip), dirs_exist_ok=True, symlinks=False)


def _same_tree(a: Path, b: Path) -> bool:
    def files(root: Path) -> dict[str, Path]:
        return {
            p.relative_to(root).as_posix(): p for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts
        }

    left, right = files(a), files(b)
    return left.keys() == right.keys() and all(filecmp.cmp(left[k], right[k], shallow=False) for k in left)


@dataclass
class _Materialised:
    folder: Path
    cleanup: Any = None


def _materialise(source: str, ref: str | None) -> _Materialised:
    """The template's files: a local folder as it is, a git repository at `ref` (default: newest tag)."""
    try:
        from copier._template import Template
        from copier._vcs import get_repo
    except ImportError:  # older copier 9 releases kept them public
        # no-redef where these are not re-exports of the names above; unused-ignore where they are
        from copier.template import Template  # type: ignore[no-redef, unused-ignore]
        from copier.vcs import get_repo  # type: ignore[no-redef, unused-ignore]

    if not _is_url(source) and get_repo(source) is None:
        if ref is not None:
            raise ProductError(f"--ref needs a template in a git repository; {source} is a plain folder")
        return _Materialised(Path(source))
    template = Template(url=source, ref=ref)
    try:
        return _Materialised(template.local_abspath, template._cleanup)
    except Exception as exc:  # noqa: BLE001 - copier/git errors reach the user as one message
        template._cleanup()
        raise ProductError(f"cannot fetch the template from {source}: {exc}") from None


def _tag(version: str) -> str:
    return f"v{version}"


def _release_repo(repo: Path, versions: list[tuple[Path, str]]) -> None:
    """A throw-away git repository holding each (folder, version) as a commit tagged v<version>."""
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")
    for folder, version in versions:
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        _copy_tree(folder, repo)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", f"template {version}")
        _git(repo, "tag", _tag(version))


# --------------------------------------------------------------------------- product.yml and the answers file

_FACTS_HEADER = """\
# Product facts for {name}: the one file to keep up to date. Every lesson, knowledge check and the
# scenario of this course are written from these facts.
#
# - Replace every placeholder. `coursebuild validate` lists those left, with their lines, and refuses
#   to build until none are (`--draft` builds anyway, marked DRAFT).
# - After editing, run `coursebuild update product {course}` to bring the lessons up to date.
# - For a new product version: set product_version, and add an entry at the top of change_log with a
#   new, higher course_version. The lesson "What changed" is generated from change_log.
#
# docs/product-training.md explains each fact.
"""


class _FactsDumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value.strip():
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if len(value) > 88:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=">")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_FactsDumper.add_representer(str, _represent_str)


_KEY_ORDER = [
    "product_version", "date", "course_version", "changes", "title", "summary", "where", "who", "how", "consequence",
    "management", "device_class", "markings", "notes", "product_questions", "safety_concerns", "it_support",
]


def _in_reading_order(value: Any) -> Any:
    """Nested facts with their keys in the order people read them (copier's answers file sorts them)."""
    if isinstance(value, dict):
        rank = {key: i for i, key in enumerate(_KEY_ORDER)}
        return {k: _in_reading_order(value[k]) for k in sorted(value, key=lambda k: rank.get(k, len(rank)))}
    if isinstance(value, list):
        return [_in_reading_order(v) for v in value]
    return value


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _dump_fact(name: str, value: Any) -> str:
    value = _in_reading_order(value)
    if name == "change_log" and isinstance(value, list):  # dates unquoted, as people write them
        value = [
            {**entry, "date": _as_date(entry["date"]) or entry["date"]} if isinstance(entry, dict) and "date" in entry
            else entry
            for entry in value
        ]
    text = yaml.dump({name: value}, Dumper=_FactsDumper, sort_keys=False, allow_unicode=True, width=100, indent=2)
    return text


def _help_comment(question: Mapping[str, Any] | None) -> str:
    help_text = " ".join(str((question or {}).get("help", "")).split())
    if not help_text:
        return ""
    return "\n".join("# " + line for line in textwrap.wrap(help_text, 98)) + "\n"


def render_facts_file(facts: Mapping[str, Any], questions: Mapping[str, Mapping[str, Any]], course: str) -> str:
    """product.yml: each fact with the template's help as a comment, in the template's order."""
    data = _jsonable(dict(facts))
    parts = [_FACTS_HEADER.format(name=data.get("product_name", "the product"), course=course)]
    fictional = bool(data.get("fictional"))
    for name in FACT_NAMES:
        if name in ("fictional_note", "illustrative") and not fictional:
            continue
        value = data.get(name, "" if name != "illustrative" else [])
        parts.append("\n" + _help_comment(questions.get(name)) + _dump_fact(name, value))
    return "".join(parts)


def _facts_to_append(existing: Mapping[str, Any], answers: Mapping[str, Any], questions: Mapping[str, Mapping[str, Any]],
                     version: str) -> str:
    """Facts a newer template asks for that product.yml does not have yet, with their placeholders."""
    text = ""
    for name in FACT_NAMES:
        if name in existing or name in _OPTIONAL_FACTS:
            continue
        value = _jsonable(answers.get(name, ""))
        text += f"\n# Added by template {version}: fill in.\n" + _help_comment(questions.get(name)) + _dump_fact(name, value)
    return text


def _read_answers_file(course_dir: Path) -> dict[str, Any]:
    answers = _last_answers(course_dir)
    if answers is None:
        raise ProductError(
            f"{course_dir / ANSWERS_FILE} is missing or unreadable: {course_dir} was not created with "
            "`coursebuild new product`, so it cannot be updated from a template"
        )
    return answers


def _write_answers_file(course_dir: Path, answers: Mapping[str, Any], source: str, tag: str) -> None:
    ordered: dict[str, Any] = {"_src_path": source, "_commit": tag}
    for key in (*COPIER_ONLY_QUESTIONS, *FACT_NAMES, *answers):
        if key in answers and not key.startswith("_"):
            ordered.setdefault(key, answers[key])
    header = (
        "# Written by coursebuild (copier): the product template this course came from (_src_path, _commit\n"
        "# is its version) and the facts its lessons were last generated from. Do not edit: edit product.yml,\n"
        "# then run `coursebuild update product`.\n"
    )
    text = header + yaml.safe_dump(_in_reading_order(_jsonable(ordered)), sort_keys=False, allow_unicode=True, width=100)
    (course_dir / ANSWERS_FILE).write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- new product


def _answers_from_file(path: Path) -> dict[str, Any]:
    """Facts given with --answers: a product.yml-shaped file. Placeholders and gaps are allowed (they are
    reported after the copy); wrong types and unknown keys stop the copy here."""
    problems = Problems()
    loaded = load_facts(path, problems, draft=True)
    errors = problems.errors
    if loaded is None or errors:
        raise ProductError(f"{path}: fix these facts first; nothing was created.", errors)
    return {k: v for k, v in _jsonable(loaded.data).items() if k in FACT_NAMES}


@dataclass
class NewProduct:
    course_dir: Path
    template_source: str
    template_version: str
    unfilled: list[Problem] = field(default_factory=list)  # problems in product.yml: unfilled facts
    other_problems: int = 0  # elsewhere: mostly placeholders in the lessons, which come from the unfilled facts


def new_product(
    name: str,
    *,
    template: str | None = None,
    answers: Path | Mapping[str, Any] | None = None,
    dest: Path | None = None,
    ref: str | None = None,
    interactive: bool = False,
    project_root: Path | None = None,
) -> NewProduct:
    """Create a product course from a template. With `interactive`, copier asks for each fact on the
    terminal; otherwise facts come from `answers` and anything missing keeps the template's placeholder."""
    from copier import run_copy
    from copier.errors import CopierError

    root = (project_root or Path.cwd()).resolve()
    name = name.strip()
    slug = slugify(name)
    if not name or not SLUG_PATTERN.match(slug) or len(slug) > 48:
        raise ProductError(
            f"cannot make a course identifier from the name {name!r}: it needs a letter first and at most 48 characters"
        )
    course_dir = (dest if dest is not None else root / PRODUCTS_DIR / slug)
    if course_dir.exists() and any(course_dir.iterdir()):
        raise ProductError(f"{course_dir} already exists and is not empty; choose another --dest")
    source = resolve_template(template, root)
    data: dict[str, Any] = {}
    if isinstance(answers, Path):
        data.update(_answers_from_file(answers))
    elif answers is not None:
        data.update(_jsonable(dict(answers)))
    data["product_name"] = name
    data["product_slug"] = slug

    materialised = _materialise(source, ref)
    try:
        info = read_template(materialised.folder)
        with tempfile.TemporaryDirectory(prefix="coursebuild-template-") as scratch:
            repo = Path(scratch) / "template"
            _release_repo(repo, [(materialised.folder, info.version)])
            try:
                run_copy(
                    str(repo), course_dir, data=data, vcs_ref=_tag(info.version), defaults=not interactive,
                    quiet=not interactive, unsafe=False, overwrite=False,
                )
            except (CopierError, ValueError) as exc:
                raise ProductError(f"copier could not create the course: {exc}") from None
            except KeyboardInterrupt:
                raise ProductError("stopped; nothing was created") from None
        answers_now = {k: v for k, v in _read_answers_file(course_dir).items() if not k.startswith("_")}
        recorded = _record_source(source, course_dir)
        _write_answers_file(course_dir, answers_now, recorded, _tag(info.version))
        _copy_tree(materialised.folder, course_dir / SNAPSHOT_DIR)
        course_arg = _display_path(course_dir, root)
        (course_dir / FACTS_FILE).write_text(render_facts_file(answers_now, info.questions, course_arg), encoding="utf-8")
    finally:
        if materialised.cleanup:
            materialised.cleanup()
    problems = Problems(root)
    check_product_course(course_dir, problems, draft=True)
    facts_name = _display_path(course_dir / FACTS_FILE, root)
    unfilled = [p for p in problems.items if p.file == facts_name]
    markers = len(problems.items) - len(unfilled)
    return NewProduct(course_dir, source, info.version, unfilled, markers)


def _display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


# --------------------------------------------------------------------------- update product


@dataclass
class UpdateResult:
    course_dir: Path
    old_version: str
    new_version: str
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    added_facts: list[str] = field(default_factory=list)


def _files(root: Path, skip: tuple[str, ...]) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if relative.parts[0] in skip or not path.is_file():
            continue
        found[relative.as_posix()] = path
    return found


def update_product(
    course_dir: Path,
    *,
    template: str | None = None,
    ref: str | None = None,
    project_root: Path | None = None,
) -> UpdateResult:
    """Re-render a product course from the newest template version (or `ref`) and the facts now in
    product.yml, keeping local edits by copier's three-way merge. Conflicts are left in the files between
    `<<<<<<< before updating` and `>>>>>>> after updating` markers and listed in the result."""
    from copier import run_update
    from copier.errors import CopierError

    root = (project_root or Path.cwd()).resolve()
    course_dir = course_dir.resolve()
    answers = _read_answers_file(course_dir)
    old_tag = str(answers.get("_commit") or "")
    old_version = old_tag[1:] if old_tag.startswith("v") else old_tag
    if _semver(old_version) is None:
        raise ProductError(f"{course_dir / ANSWERS_FILE}: _commit should be the template version, such as v1.0.0")
    snapshot = course_dir / SNAPSHOT_DIR
    if not (snapshot / TEMPLATE_CONFIG).is_file():
        raise ProductError(
            f"{snapshot} is missing: the copy of template {old_version} that a three-way merge starts from",
            [Problem(_display_path(course_dir, root), None, "restore .template/ from version control")],
        )
    recorded = str(answers.get("_src_path") or "")
    source = resolve_template(template, root) if template else _source_from_record(recorded, course_dir)

    problems = Problems(root)
    loaded = load_facts(course_dir / FACTS_FILE, problems, draft=True)
    if loaded is None or problems.errors:
        raise ProductError("fix product.yml first; nothing was changed.", problems.errors)
    facts = {k: v for k, v in _jsonable(loaded.data).items() if k in FACT_NAMES}

    materialised = _materialise(source, ref)
    try:
        info = read_template(materialised.folder)
        if _semver(info.version) < _semver(old_version):  # type: ignore[operator]
            raise ProductError(f"the template is version {info.version}, older than {old_version}: downgrades are not supported")
        if info.version == old_version and not _same_tree(materialised.folder, snapshot):
            raise ProductError(
                f"the template at {source} differs from version {old_version} that this course came from, but its "
                "template_version is still "
                f"{info.version}",
                [Problem(TEMPLATE_CONFIG, None, "template maintainers: bump template_version in copier.yml")],
            )
        with tempfile.TemporaryDirectory(prefix="coursebuild-update-") as scratch:
            repo = Path(scratch) / "template"
            versions = [(snapshot, old_version)]
            if info.version != old_version:
                versions.append((materialised.folder, info.version))
            _release_repo(repo, versions)
            work = Path(scratch) / "course"
            _copy_tree(course_dir, work, skip=(".git", SNAPSHOT_DIR))
            _write_answers_file(work, {k: v for k, v in answers.items() if not k.startswith("_")}, str(repo), _tag(old_version))
            _git(work, "init", "-q")
            _git(work, "add", "-A", "--force")
            _git(work, "commit", "-q", "--no-verify", "-m", "before update")
            try:
                run_update(
                    work, data=facts, defaults=True, overwrite=True, conflict="inline", quiet=True,
                    vcs_ref=_tag(info.version), skip_answered=True, unsafe=False,
                )
            except (CopierError, ValueError) as exc:
                raise ProductError(f"copier could not update the course: {exc}") from None
            result = UpdateResult(course_dir, old_version, info.version)
            new_answers = {k: v for k, v in _read_answers_file(work).items() if not k.startswith("_")}
            skip = (".git", SNAPSHOT_DIR, ANSWERS_FILE)
            after, before = _files(work, skip), _files(course_dir, skip)
            for relative, path in sorted(after.items()):
                if relative.endswith(".rej"):
                    result.conflicts.append(relative[:-4])
                    continue
                if relative not in before or not filecmp.cmp(path, before[relative], shallow=False):
                    target = course_dir / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, target)
                    result.changed.append(relative)
                if CONFLICT_MARKER.encode() in path.read_bytes():
                    result.conflicts.append(relative)
            for relative in sorted(set(before) - set(after)):
                before[relative].unlink()
                result.deleted.append(relative)
        recorded_now = _record_source(source, course_dir) if template else recorded
        _write_answers_file(course_dir, new_answers, recorded_now, _tag(info.version))
        if info.version != old_version:
            shutil.rmtree(snapshot)
            _copy_tree(materialised.folder, snapshot)
        addition = _facts_to_append(loaded.data, new_answers, info.questions, info.version)
        if addition:
            facts_path = course_dir / FACTS_FILE
            facts_path.write_text(facts_path.read_text(encoding="utf-8").rstrip("\n") + "\n" + addition, encoding="utf-8")
            result.added_facts = [n for n in FACT_NAMES if n not in loaded.data and n not in _OPTIONAL_FACTS]
            result.changed.append(FACTS_FILE)
    finally:
        if materialised.cleanup:
            materialised.cleanup()
    result.conflicts = sorted(set(result.conflicts))
    return result
