"""The product facts: `product.yml`, its typed model (`ProductFacts`), reading it with line numbers, and
writing it (each fact with the template's help as a comment).

An unfilled fact (missing, empty or still a placeholder such as TODO) is reported with its line; wrong types
and unknown keys always fail. Version numbers here are semantic versions (`semver`)."""

from __future__ import annotations

import datetime
import re
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from coursebuild.errors import Problems
from coursebuild.yamlfile import YamlDocument, YamlSyntaxError, describe_validation_error, parse_yaml

FACTS_FILE = "product.yml"
PLACEHOLDER = re.compile(r"(?<![A-Za-z])(?:TODO|TBC|TBD|FIXME)(?![A-Za-z])|(?i:<\s*fill[\s-]*in\b[^>]*>)")
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
OPTIONAL_FACTS = {"fictional", "fictional_note", "illustrative"}


def jsonable(value: Any) -> Any:
    """Facts as plain JSON-like data (dates as ISO text), the form copier stores its answers in."""
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def comparable(value: Any) -> Any:
    """For comparing two sets of facts: empty and absent are the same, and so are 1.0 and "1.0"."""
    value = jsonable(value)
    if value in (None, "", [], {}):
        return None
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if comparable(v) is not None}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return value


def facts_data(facts: ProductFacts | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(facts, ProductFacts):
        return jsonable(facts.model_dump())
    return jsonable(dict(facts))


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


def shorten(text: str, limit: int = 60) -> str:
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
            path,
            None,
            f"a product course needs {FACTS_FILE}, the product's facts",
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
                    path,
                    doc.line_of(sub_path),
                    f"unfilled fact '{_dotted(sub_path)}': still a placeholder ({marker}): \"{shorten(value)}\"",
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


def semver(text: Any) -> tuple[int, int, int] | None:
    match = _SEMVER.match(str(text)) if text is not None else None
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


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
    "product_version",
    "date",
    "course_version",
    "changes",
    "title",
    "summary",
    "where",
    "who",
    "how",
    "consequence",
    "management",
    "device_class",
    "markings",
    "notes",
    "product_questions",
    "safety_concerns",
    "it_support",
]


def in_reading_order(value: Any) -> Any:
    """Nested facts with their keys in the order people read them (copier's answers file sorts them)."""
    if isinstance(value, dict):
        rank = {key: i for i, key in enumerate(_KEY_ORDER)}
        return {k: in_reading_order(value[k]) for k in sorted(value, key=lambda k: rank.get(k, len(rank)))}
    if isinstance(value, list):
        return [in_reading_order(v) for v in value]
    return value


def as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _dump_fact(name: str, value: Any) -> str:
    value = in_reading_order(value)
    if name == "change_log" and isinstance(value, list):  # dates unquoted, as people write them
        value = [
            {**entry, "date": as_date(entry["date"]) or entry["date"]}
            if isinstance(entry, dict) and "date" in entry
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
    data = jsonable(dict(facts))
    parts = [_FACTS_HEADER.format(name=data.get("product_name", "the product"), course=course)]
    fictional = bool(data.get("fictional"))
    for name in FACT_NAMES:
        if name in ("fictional_note", "illustrative") and not fictional:
            continue
        value = data.get(name, "" if name != "illustrative" else [])
        parts.append("\n" + _help_comment(questions.get(name)) + _dump_fact(name, value))
    return "".join(parts)


def facts_to_append(
    existing: Mapping[str, Any], answers: Mapping[str, Any], questions: Mapping[str, Mapping[str, Any]], version: str
) -> str:
    """Facts a newer template asks for that product.yml does not have yet, with their placeholders."""
    text = ""
    for name in FACT_NAMES:
        if name in existing or name in OPTIONAL_FACTS:
            continue
        value = jsonable(answers.get(name, ""))
        text += (
            f"\n# Added by template {version}: fill in.\n"
            + _help_comment(questions.get(name))
            + _dump_fact(name, value)
        )
    return text
