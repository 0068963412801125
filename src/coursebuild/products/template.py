"""Product templates: finding one (by name, folder or git URL), and reading its `copier.yml` (its version and
its questions, which are the product facts)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from coursebuild.products.errors import ProductError
from coursebuild.products.facts import (
    semver,
)

TEMPLATES_DIR = Path("courses") / "product_templates"
DEFAULT_TEMPLATE = "default"
TEMPLATE_CONFIG = "copier.yml"
COPIER_ONLY_QUESTIONS = ("product_slug",)  # asked by the template but not product facts (the course id)


@dataclass
class TemplateInfo:
    version: str
    questions: dict[str, dict[str, Any]]


def read_template(folder: Path) -> TemplateInfo:
    """The template's version (`template_version` in copier.yml) and its questions, in order."""
    try:
        text = (folder / TEMPLATE_CONFIG).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProductError(f"{folder} is not a product template: cannot read {TEMPLATE_CONFIG} ({exc})") from None
    return template_info(text, folder / TEMPLATE_CONFIG)


def template_info(text: str, where: Path | str) -> TemplateInfo:
    """`read_template` for the text of a copier.yml; `where` names it in messages."""
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProductError(f"{where}: not a product template's {TEMPLATE_CONFIG} ({exc})") from None
    if not isinstance(config, dict):
        raise ProductError(f"{where} is not a YAML mapping")
    version_spec = config.get("template_version")
    version = str(version_spec.get("default")) if isinstance(version_spec, dict) else ""
    if semver(version) is None:
        raise ProductError(f"{where} needs a 'template_version' question whose default is a version such as 1.0.0")
    questions = {
        key: (value if isinstance(value, dict) else {"default": value})
        for key, value in config.items()
        if not key.startswith("_") and key != "template_version"
    }
    return TemplateInfo(version, questions)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return re.sub(r"^[^a-z]+", "", slug)


def is_url(source: str) -> bool:
    return "://" in source or source.startswith(("gh:", "gl:", "git@", "git+"))


# Templates shipped with coursebuild (installed: package data; editable install: the repository's), for
# Embedders working in their own folder rather than in this repository.
_SHIPPED_TEMPLATES = (
    Path(__file__).resolve().parents[1] / "product_templates",
    Path(__file__).resolve().parents[3] / TEMPLATES_DIR,
)


def resolve_template(template: str | None, project_root: Path) -> str:
    """A template given by name (under courses/product_templates/ here, else shipped), path or git URL."""
    name = template or DEFAULT_TEMPLATE
    if "/" not in name and "\\" not in name:
        for folder in (project_root / TEMPLATES_DIR, *_SHIPPED_TEMPLATES):
            if (folder / name / TEMPLATE_CONFIG).is_file():
                return str((folder / name).resolve())
    if is_url(name):
        return name
    path = Path(name).expanduser()
    if (path / TEMPLATE_CONFIG).is_file():
        return str(path.resolve())
    names = sorted(p.parent.name for p in (project_root / TEMPLATES_DIR).glob(f"*/{TEMPLATE_CONFIG}"))
    hint = f"templates here: {', '.join(names)}" if names else f"no templates under {TEMPLATES_DIR.as_posix()}/"
    raise ProductError(
        f"no product template '{name}' ({hint}); give a name, a folder holding {TEMPLATE_CONFIG} or a git URL"
    )


def record_source(source: str, course_dir: Path) -> str:
    """How the answers file names the template: relative to the course for a local folder, else as given."""
    if is_url(source):
        return source
    return Path(os.path.relpath(Path(source).resolve(), course_dir.resolve())).as_posix()


def source_from_record(recorded: str, course_dir: Path) -> str:
    if is_url(recorded) or Path(recorded).is_absolute():
        return recorded
    return str((course_dir / recorded).resolve())
