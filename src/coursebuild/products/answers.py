"""`.copier-answers.yml`: the facts a course's lessons were last rendered from, the template's source
(`_src_path`) and the template version the course was made from (`_commit`, a tag such as `v1.0.0`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from coursebuild.products.errors import ProductError
from coursebuild.products.facts import (
    FACT_NAMES,
    in_reading_order,
    jsonable,
)
from coursebuild.products.template import (
    COPIER_ONLY_QUESTIONS,
)

ANSWERS_FILE = ".copier-answers.yml"


def read_answers(course_root: Path) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load((course_root / ANSWERS_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def require_answers(course_dir: Path) -> dict[str, Any]:
    answers = read_answers(course_dir)
    if answers is None:
        raise ProductError(
            f"{course_dir / ANSWERS_FILE} is missing or unreadable: {course_dir} was not created with "
            "`coursebuild new product`, so it cannot be updated from a template"
        )
    return answers


def write_answers(course_dir: Path, answers: Mapping[str, Any], source: str, tag: str) -> None:
    ordered: dict[str, Any] = {"_src_path": source, "_commit": tag}
    for key in (*COPIER_ONLY_QUESTIONS, *FACT_NAMES, *answers):
        if key in answers and not key.startswith("_"):
            ordered.setdefault(key, answers[key])
    header = (
        "# Written by coursebuild (copier): the product template this course came from (_src_path, _commit\n"
        "# is its version) and the facts its lessons were last generated from. Do not edit: edit product.yml,\n"
        "# then run `coursebuild update product`.\n"
    )
    text = header + yaml.safe_dump(in_reading_order(jsonable(ordered)), sort_keys=False, allow_unicode=True, width=100)
    (course_dir / ANSWERS_FILE).write_text(text, encoding="utf-8")
