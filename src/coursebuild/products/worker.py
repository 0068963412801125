"""`new product` and `update product`: copier creates and updates product courses."""

from __future__ import annotations

import filecmp
import os
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
from coursebuild.products.releases import (
    Files,
    MissingVersion,
    TemplateVersions,
    differences,
    git,
    open_versions,
    tag_of,
    tagged_repository,
    template_files,
    version_of,
    version_order,
)
from coursebuild.products.template import (
    TEMPLATE_CONFIG,
    is_url,
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
    course_dir = dest if dest is not None else root / PRODUCTS_DIR / slug
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

    with open_versions(source) as versions:
        version = versions.target(ref)
        info = versions.info(version)
        with tempfile.TemporaryDirectory(prefix="coursebuild-template-") as scratch:
            repo = Path(scratch) / "template"
            tagged_repository(repo, [(version, versions.files(version))])
            try:
                run_copy(
                    str(repo),
                    course_dir,
                    data=data,
                    vcs_ref=tag_of(version),
                    defaults=not interactive,
                    quiet=not interactive,
                    unsafe=False,
                    overwrite=False,
                )
            except (CopierError, ValueError) as exc:
                raise ProductError(f"copier could not create the course: {exc}") from None
            except KeyboardInterrupt:
                raise ProductError("stopped; nothing was created") from None
    answers_now = {k: v for k, v in require_answers(course_dir).items() if not k.startswith("_")}
    write_answers(course_dir, answers_now, record_source(source, course_dir), tag_of(version))
    course_arg = _display_path(course_dir, root)
    (course_dir / FACTS_FILE).write_text(render_facts_file(answers_now, info.questions, course_arg), encoding="utf-8")
    problems = Problems(root)
    check_product_course(course_dir, problems, draft=True)
    facts_name = _display_path(course_dir / FACTS_FILE, root)
    unfilled = [p for p in problems.items if p.file == facts_name]
    markers = len(problems.items) - len(unfilled)
    return NewProduct(course_dir, source, version, unfilled, markers)


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


def _copy_tree(source: Path, target: Path, skip: tuple[str, ...] = (".git",)) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*skip), dirs_exist_ok=True, symlinks=False)


def _recorded_version(course_dir: Path, answers: Mapping[str, Any]) -> str:
    version = version_of(str(answers.get("_commit") or ""))
    if semver(version) is None:
        raise ProductError(f"{course_dir / ANSWERS_FILE}: _commit should be the template version, such as v1.0.0")
    return version


def _template_source(course_dir: Path, answers: Mapping[str, Any], template: str | None, root: Path) -> str:
    if template:
        return resolve_template(template, root)
    return source_from_record(str(answers.get("_src_path") or ""), course_dir)


def _base_files(versions: TemplateVersions, version: str, course_dir: Path, root: Path) -> Files:
    """The files of the template version the course was made from, which the merge starts from."""
    try:
        return versions.files(version)
    except MissingVersion as exc:
        raise ProductError(
            f"{_display_path(course_dir / ANSWERS_FILE, root)}: the course was made from template version {version}, "
            f"which the template does not hold: {exc.message}",
            [Problem(_display_path(course_dir, root), None, "use --template for where that version is kept")],
        ) from None


def update_product(
    course_dir: Path,
    *,
    template: str | None = None,
    ref: str | None = None,
    project_root: Path | None = None,
) -> UpdateResult:
    """Re-render a product course from the newest template version (or `ref`) and the facts now in
    product.yml, keeping local edits by copier's three-way merge. Conflicts are left in the files between
    `<<<<<<< before updating` and `>>>>>>> after updating` markers and listed in the result.

    The merge starts from the template version the course records (`_commit`), taken from the template's
    stored releases (or its git tags): a throw-away git repository holds the versions from that one to the
    new one, tagged, and copier updates a throw-away copy of the course from it."""
    from copier import run_update
    from copier.errors import CopierError

    root = (project_root or Path.cwd()).resolve()
    course_dir = course_dir.resolve()
    answers = require_answers(course_dir)
    old_version = _recorded_version(course_dir, answers)
    if (course_dir / SNAPSHOT_DIR).exists():
        shown = _display_path(course_dir, root)
        raise ProductError(
            f"{shown}/{SNAPSHOT_DIR}/ is a copy of the template, which product courses no longer carry",
            [
                Problem(
                    f"{shown}/{SNAPSHOT_DIR}",
                    None,
                    f"run `coursebuild migrate product {shown}` first: it checks the "
                    "copy against the template's stored release and removes it",
                )
            ],
        )
    recorded = str(answers.get("_src_path") or "")
    source = _template_source(course_dir, answers, template, root)

    problems = Problems(root)
    loaded = load_facts(course_dir / FACTS_FILE, problems, draft=True)
    if loaded is None or problems.errors:
        raise ProductError("fix product.yml first; nothing was changed.", problems.errors)
    facts = {k: v for k, v in jsonable(loaded.data).items() if k in FACT_NAMES}

    with open_versions(source) as versions:
        new_version = versions.target(ref)
        if version_order(new_version) < version_order(old_version):
            raise ProductError(
                f"the template is version {new_version}, older than {old_version}: downgrades are not supported"
            )
        _base_files(versions, old_version, course_dir, root)
        info = versions.info(new_version)
        with tempfile.TemporaryDirectory(prefix="coursebuild-update-") as scratch:
            repo = Path(scratch) / "template"
            tagged_repository(repo, [(v, versions.files(v)) for v in versions.chain(old_version, new_version)])
            work = Path(scratch) / "course"
            _copy_tree(course_dir, work, skip=(".git",))
            write_answers(
                work, {k: v for k, v in answers.items() if not k.startswith("_")}, str(repo), tag_of(old_version)
            )
            git(work, "init", "-q")
            git(work, "add", "-A", "--force")
            git(work, "commit", "-q", "--no-verify", "-m", "before update")
            try:
                run_update(
                    work,
                    data=facts,
                    defaults=True,
                    overwrite=True,
                    conflict="inline",
                    quiet=True,
                    vcs_ref=tag_of(new_version),
                    skip_answered=True,
                    unsafe=False,
                )
            except (CopierError, ValueError) as exc:
                raise ProductError(f"copier could not update the course: {exc}") from None
            result = UpdateResult(course_dir, old_version, new_version)
            new_answers = {k: v for k, v in require_answers(work).items() if not k.startswith("_")}
            skip = (".git", ANSWERS_FILE)
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
    write_answers(course_dir, new_answers, recorded_now, tag_of(new_version))
    addition = facts_to_append(loaded.data, new_answers, info.questions, new_version)
    if addition:
        facts_path = course_dir / FACTS_FILE
        facts_path.write_text(facts_path.read_text(encoding="utf-8").rstrip("\n") + "\n" + addition, encoding="utf-8")
        result.added_facts = [n for n in FACT_NAMES if n not in loaded.data and n not in OPTIONAL_FACTS]
        result.changed.append(FACTS_FILE)
    result.conflicts = sorted(set(result.conflicts))
    return result


# --------------------------------------------------------------------------- migrate product


@dataclass
class Migration:
    course_dir: Path
    template_source: str
    template_version: str
    removed: bool  # False: the course had no .template/ (migrated already); nothing was changed
    recorded_version: str = ""  # the version .copier-answers.yml named before, when the copy showed another


def _release_matching(versions: TemplateVersions, copy: Files) -> str | None:
    for version in versions.known():
        if versions.files(version) == copy:
            return version
    return None


def migrate_product(course_dir: Path, *, template: str | None = None, project_root: Path | None = None) -> Migration:
    """Convert a product course that carries a copy of its template in `.template/` into one that records only
    the template version it was made from.

    The copy must equal one of the template's stored releases (or git tags); that version becomes `_commit`
    in `.copier-answers.yml` (the base of the next three-way merge, which the copy used to be) and the copy
    is deleted. Anything else refuses and changes nothing; a failure part-way puts the course back as it
    was. A course without `.template/` is left as it is, once its version is known to be a stored release,
    so running it twice is harmless."""
    root = (project_root or Path.cwd()).resolve()
    course_dir = course_dir.resolve()
    answers = require_answers(course_dir)
    recorded = _recorded_version(course_dir, answers)
    source = _template_source(course_dir, answers, template, root)
    snapshot = course_dir / SNAPSHOT_DIR
    shown = _display_path(snapshot, root) + "/"
    answers_path = course_dir / ANSWERS_FILE
    with open_versions(source) as versions:
        if not snapshot.exists() and not snapshot.is_symlink():
            _base_files(versions, recorded, course_dir, root)
            return Migration(course_dir, source, recorded, removed=False)
        if snapshot.is_symlink() or not snapshot.is_dir():
            raise ProductError(
                f"{shown[:-1]} is not a folder, so it is not a template copy; nothing was changed",
                [Problem(shown[:-1], None, "remove it by hand, then run this again")],
            )
        copy = template_files(snapshot)
        copy_version = read_template(snapshot).version
        version = _release_matching(versions, copy)
        if version is None:  # a template in git: its tag for the copy's own version, when it equals the copy
            try:
                version = copy_version if versions.files(copy_version) == copy else None
            except MissingVersion:
                version = None
        if version is None:
            where = source if is_url(source) else _display_path(Path(source), root)
            try:
                detail = f"it differs from release {tag_of(copy_version)} in " + differences(
                    copy, versions.files(copy_version)
                )
            except MissingVersion as exc:
                detail = f"its {TEMPLATE_CONFIG} says version {copy_version}, and {exc.message}"
            raise ProductError(
                f"{shown} does not match any release of the template at {where}: {detail}; nothing was changed",
                [
                    Problem(
                        shown,
                        None,
                        "restore .template/ from version control if someone edited it; if the template "
                        "changed without a release, template maintainers release that version "
                        "(`coursebuild release template`), or pass --template for where it is kept",
                    )
                ],
            )
    before = answers_path.read_bytes()
    recorded_now = record_source(source, course_dir) if template else str(answers.get("_src_path") or "")
    parked = course_dir / f"{SNAPSHOT_DIR}.migrating"
    if parked.exists():
        raise ProductError(
            f"{_display_path(parked, root)} is left from a migration that stopped; nothing was changed",
            [Problem(_display_path(parked, root), None, "remove it, then run this again")],
        )
    failed = f"could not migrate {_display_path(course_dir, root)}"
    try:
        os.replace(snapshot, parked)  # one rename: the copy is gone, or it is still there
    except OSError as exc:
        raise ProductError(f"{failed} ({exc}); nothing was changed") from None
    try:
        write_answers(
            course_dir, {k: v for k, v in answers.items() if not k.startswith("_")}, recorded_now, tag_of(version)
        )
    except BaseException as exc:  # put the course back as it was, whatever stopped us
        answers_path.write_bytes(before)
        os.replace(parked, snapshot)
        if isinstance(exc, OSError):
            raise ProductError(f"{failed} ({exc}); nothing was changed") from None
        raise
    try:
        shutil.rmtree(parked)
    except OSError as exc:
        raise ProductError(
            f"{_display_path(course_dir, root)} is migrated, but the old copy could not be deleted ({exc})",
            [Problem(_display_path(parked, root), None, "delete this folder by hand")],
        ) from None
    return Migration(
        course_dir, source, version, removed=True, recorded_version=recorded if recorded != version else ""
    )
