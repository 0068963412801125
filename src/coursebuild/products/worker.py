"""`new product` and `update product`: copier creates and updates product courses."""

from __future__ import annotations

import filecmp
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coursebuild.errors import Problem, Problems
from coursebuild.products.answers import ANSWERS_FILE, require_answers, write_answers
from coursebuild.products.check import (
    CONFLICT_MARKER,
    check_product_course,
)
from coursebuild.products.errors import ProductError
from coursebuild.products.facts import (
    FACT_NAMES,
    FACTS_FILE,
    OPTIONAL_FACTS,
    facts_to_append,
    jsonable,
    load_facts,
    render_facts_file,
    semver,
)
from coursebuild.products.releases import copy_tree, git, materialise, release_repo, same_tree, tag_of
from coursebuild.products.template import (
    TEMPLATE_CONFIG,
    read_template,
    record_source,
    resolve_template,
    slugify,
    source_from_record,
)

SNAPSHOT_DIR = ".template"
PRODUCTS_DIR = Path("courses") / "products"
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


# --------------------------------------------------------------------------- new product


def _answers_from_file(path: Path) -> dict[str, Any]:
    """Facts given with --answers: a product.yml-shaped file. Placeholders and gaps are allowed (they are
    reported after the copy); wrong types and unknown keys stop the copy here."""
    problems = Problems()
    loaded = load_facts(path, problems, draft=True)
    errors = problems.errors
    if loaded is None or errors:
        raise ProductError(f"{path}: fix these facts first; nothing was created.", errors)
    return {k: v for k, v in jsonable(loaded.data).items() if k in FACT_NAMES}


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
        data.update(jsonable(dict(answers)))
    data["product_name"] = name
    data["product_slug"] = slug

    materialised = materialise(source, ref)
    try:
        info = read_template(materialised.folder)
        with tempfile.TemporaryDirectory(prefix="coursebuild-template-") as scratch:
            repo = Path(scratch) / "template"
            release_repo(repo, [(materialised.folder, info.version)])
            try:
                run_copy(
                    str(repo), course_dir, data=data, vcs_ref=tag_of(info.version), defaults=not interactive,
                    quiet=not interactive, unsafe=False, overwrite=False,
                )
            except (CopierError, ValueError) as exc:
                raise ProductError(f"copier could not create the course: {exc}") from None
            except KeyboardInterrupt:
                raise ProductError("stopped; nothing was created") from None
        answers_now = {k: v for k, v in require_answers(course_dir).items() if not k.startswith("_")}
        recorded = record_source(source, course_dir)
        write_answers(course_dir, answers_now, recorded, tag_of(info.version))
        copy_tree(materialised.folder, course_dir / SNAPSHOT_DIR)
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
    answers = require_answers(course_dir)
    old_tag = str(answers.get("_commit") or "")
    old_version = old_tag[1:] if old_tag.startswith("v") else old_tag
    if semver(old_version) is None:
        raise ProductError(f"{course_dir / ANSWERS_FILE}: _commit should be the template version, such as v1.0.0")
    snapshot = course_dir / SNAPSHOT_DIR
    if not (snapshot / TEMPLATE_CONFIG).is_file():
        raise ProductError(
            f"{snapshot} is missing: the copy of template {old_version} that a three-way merge starts from",
            [Problem(_display_path(course_dir, root), None, "restore .template/ from version control")],
        )
    recorded = str(answers.get("_src_path") or "")
    source = resolve_template(template, root) if template else source_from_record(recorded, course_dir)

    problems = Problems(root)
    loaded = load_facts(course_dir / FACTS_FILE, problems, draft=True)
    if loaded is None or problems.errors:
        raise ProductError("fix product.yml first; nothing was changed.", problems.errors)
    facts = {k: v for k, v in jsonable(loaded.data).items() if k in FACT_NAMES}

    materialised = materialise(source, ref)
    try:
        info = read_template(materialised.folder)
        if semver(info.version) < semver(old_version):  # type: ignore[operator]
            raise ProductError(f"the template is version {info.version}, older than {old_version}: downgrades are not supported")
        if info.version == old_version and not same_tree(materialised.folder, snapshot):
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
            release_repo(repo, versions)
            work = Path(scratch) / "course"
            copy_tree(course_dir, work, skip=(".git", SNAPSHOT_DIR))
            write_answers(work, {k: v for k, v in answers.items() if not k.startswith("_")}, str(repo), tag_of(old_version))
            git(work, "init", "-q")
            git(work, "add", "-A", "--force")
            git(work, "commit", "-q", "--no-verify", "-m", "before update")
            try:
                run_update(
                    work, data=facts, defaults=True, overwrite=True, conflict="inline", quiet=True,
                    vcs_ref=tag_of(info.version), skip_answered=True, unsafe=False,
                )
            except (CopierError, ValueError) as exc:
                raise ProductError(f"copier could not update the course: {exc}") from None
            result = UpdateResult(course_dir, old_version, info.version)
            new_answers = {k: v for k, v in require_answers(work).items() if not k.startswith("_")}
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
        recorded_now = record_source(source, course_dir) if template else recorded
        write_answers(course_dir, new_answers, recorded_now, tag_of(info.version))
        if info.version != old_version:
            shutil.rmtree(snapshot)
            copy_tree(materialised.folder, snapshot)
        addition = facts_to_append(loaded.data, new_answers, info.questions, info.version)
        if addition:
            facts_path = course_dir / FACTS_FILE
            facts_path.write_text(facts_path.read_text(encoding="utf-8").rstrip("\n") + "\n" + addition, encoding="utf-8")
            result.added_facts = [n for n in FACT_NAMES if n not in loaded.data and n not in OPTIONAL_FACTS]
            result.changed.append(FACTS_FILE)
    finally:
        if materialised.cleanup:
            materialised.cleanup()
    result.conflicts = sorted(set(result.conflicts))
    return result
