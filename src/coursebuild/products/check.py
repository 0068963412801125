"""The guard rails the build runs on every course whose pathway is `product` (`check_product_course`)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from coursebuild.errors import Problems
from coursebuild.products.answers import ANSWERS_FILE, read_answers
from coursebuild.products.changelog import (
    CHANGELOG_LESSON,
    changelog_lesson_markdown,
)
from coursebuild.products.facts import (
    FACT_NAMES,
    FACTS_FILE,
    LoadedFacts,
    as_date,
    comparable,
    find_placeholder,
    load_facts,
    semver,
    shorten,
)
from coursebuild.yamlfile import YamlSyntaxError, parse_yaml

COURSE_FILE = "course.yml"
CONFLICT_MARKER = "<<<<<<< before updating"
_CONFLICT_LINE = re.compile(r"^(<{7}|>{7})(\s|$)")


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
        isinstance(current, (str, int, float))
        and not find_placeholder(str(current))
        and newest.get("product_version") is not None
        and str(newest.get("product_version")) != str(current)
    ):
        problems.error(
            path,
            doc.line_of(("product_version",)),
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
                    path,
                    doc.line_of(("change_log", i, "product_version")),
                    f"product version {version} appears twice in change_log",
                    "give each product version one entry",
                )
            seen[str(version)] = i
        if i + 1 < len(log):
            older = log[i + 1]
            mine, theirs = semver(entry.get("course_version")), semver(older.get("course_version"))
            if mine is not None and theirs is not None and mine <= theirs:
                problems.error(
                    path,
                    doc.line_of(("change_log", i, "course_version")),
                    f"product version {version} has course version {entry.get('course_version')}, which is not "
                    f"higher than {older.get('course_version')} (for product version {older.get('product_version')})",
                    "a new product version needs a new, higher course version (list the newest entry first)",
                )
            dates = as_date(entry.get("date")), as_date(older.get("date"))
            if dates[0] is not None and dates[1] is not None and dates[0] < dates[1]:
                problems.error(
                    path,
                    doc.line_of(("change_log", i, "date")),
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
    required = semver(newest.get("course_version"))
    actual = semver(course_version)
    if required is not None and actual is not None and actual < required:
        problems.error(
            course_file,
            course_doc.line_of(("version",)),
            f"course version {course_version} is lower than {newest.get('course_version')}, which change_log in "
            f"{FACTS_FILE} gives as the course version for product version {newest.get('product_version')}",
            f"a new product version needs a new course version: set version to {newest.get('course_version')} "
            "(`coursebuild update product` does this for you)",
        )


def _check_in_sync(loaded: LoadedFacts, course_root: Path, problems: Problems, draft: bool) -> set[str]:
    """Facts changed in product.yml since the lessons were rendered from them; returns their names."""
    answers = read_answers(course_root)
    report = problems.warning if draft else problems.error
    if answers is None:
        report(
            loaded.path,
            None,
            f"no {ANSWERS_FILE} beside {FACTS_FILE}, so there is no telling which facts the lessons were written from",
            "product courses are created with `coursebuild new product` and kept in step with "
            "`coursebuild update product`",
        )
        return set(FACT_NAMES)
    changed = [
        name
        for name in FACT_NAMES
        if name in loaded.data and comparable(loaded.data.get(name)) != comparable(answers.get(name))
    ]
    if changed:
        report(
            loaded.path,
            loaded.doc.line_of((changed[0],)),
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
            path,
            None,
            "the 'What changed in this version' lesson is missing",
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
            path,
            line,
            f"this lesson is generated from change_log in {FACTS_FILE} and no longer matches it",
            f"edit change_log, not this file, then run `coursebuild update product {course_root.as_posix()}`",
        )


def _course_text_files(course_root: Path) -> Iterator[Path]:
    for path in sorted(course_root.rglob("*")):
        relative = path.relative_to(course_root)
        if any(part.startswith(".") for part in relative.parts):
            continue  # .copier-answers.yml, editor files, .template/ in a course not yet migrated (the template's placeholders)
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
                        path,
                        number,
                        "unresolved merge conflict from `coursebuild update product`",
                        "keep the right text between the <<<<<<< and >>>>>>> lines and delete the markers",
                    )
                in_conflict = opening
            elif marker := find_placeholder(line):
                report(
                    path,
                    number,
                    f'{marker} marker left in the course: "{shorten(line.strip())}"',
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
