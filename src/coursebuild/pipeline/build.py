"""The pipeline, end to end: load -> parse -> validate -> render -> package -> write.

Each stage collects problems instead of stopping at the first; the pipeline stops between stages when
there are errors, and nothing is written unless every package of the course came out clean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from coursebuild.catalogue import Catalogue, find_catalogue, load_catalogue
from coursebuild.errors import Problem, Problems
from coursebuild.model import Course, Pathway
from coursebuild.pipeline.cache import BuildCache, LessonCache, build_key
from coursebuild.pipeline.live import LiveCourse
from coursebuild.pipeline.load import load_course
from coursebuild.pipeline.parse import parse_course
from coursebuild.pipeline.paths import forget_listings
from coursebuild.pipeline.render import Site, Translation, load_theme, render_course, theme_search_path
from coursebuild.pipeline.validate import validate_course
from coursebuild.pipeline.write import write_atomically, zip_bytes
from coursebuild.targets import EmbeddedLrs, get_target, registered_formats


@dataclass
class CourseBuild:
    root: Path
    problems: Problems
    course: Course | None = None
    catalogue: Catalogue | None = None
    site: Site | None = None
    packages: dict[str, bytes] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    language: str | None = None  # a translation's language (translations/<language>/), None for the source

    @property
    def ok(self) -> bool:
        return not self.problems.errors

    def package_name(self, fmt: str) -> str:
        assert self.course is not None
        language = f"{self.language}-" if self.language else ""
        return f"{self.course.id}-{self.course.config.version}-{language}{fmt}.zip"


_catalogues: dict[Path, Catalogue | None] = {}


def _catalogue_for(root: Path, problems: Problems) -> Catalogue | None:
    path = find_catalogue(root.resolve())
    if path is None:
        return None
    if path not in _catalogues:
        own = Problems(problems.root)
        _catalogues[path] = load_catalogue(path, own)
        if own.errors:
            _catalogues[path] = None
        problems.extend(own)
    return _catalogues[path]


def compile_course(
    root: Path,
    project_root: Path | None = None,
    draft: bool = False,
    language: str | None = None,
    cache_dir: Path | None = None,
    delivery: str | None = None,
    memo: LessonCache | None = None,
    live: LiveCourse | None = None,
    workers: int = 1,
) -> CourseBuild:
    """Load, parse and validate one course; render it if it is valid.

    `draft` lets a product course with unfilled facts build anyway, marked DRAFT on every page; for a
    translation (`language`), it lets units not yet translated (or stale) build in the source language.
    With `cache_dir`, unchanged lessons are taken from the lesson cache instead of being parsed again (not
    for translations, whose lessons are assembled from two files). `delivery` ("single", "split" or
    "auto") overrides the course's own setting. A caller that goes on to package the course passes the
    lesson cache as `memo` instead, and saves it when done. A process that builds the same course again and
    again (preview) passes the same `live` each time instead, so that each build reuses what the previous
    one made from files that have not changed (see coursebuild.pipeline.live); not for translations.
    `workers` is how many cores a course with many lessons may use to parse and render them.
    """
    forget_listings()
    problems = Problems(project_root)
    result = CourseBuild(root, problems, language=language)
    if live is not None and language is None:
        _compile(result, project_root, draft, delivery, live.begin(root, project_root, cache_dir), live)
        return result
    if memo is not None:
        _compile(result, project_root, draft, delivery, memo, workers=workers)
        return result
    lesson_cache = _lesson_cache(cache_dir, root, project_root, language)
    try:
        _compile(result, project_root, draft, delivery, lesson_cache, workers=workers)
    finally:
        if lesson_cache is not None:
            lesson_cache.save()
    return result


def _lesson_cache(
    cache_dir: Path | None, root: Path, project_root: Path | None, language: str | None
) -> LessonCache | None:
    # Not for translations, whose lessons are assembled from two files.
    return LessonCache(cache_dir, root, project_root) if cache_dir is not None and language is None else None


def _compile(
    result: CourseBuild,
    project_root: Path | None,
    draft: bool,
    delivery: str | None,
    lesson_cache: LessonCache | None,
    live: LiveCourse | None = None,
    workers: int = 1,
) -> None:
    root, problems, language = result.root, result.problems, result.language
    loaded = load_course(root, problems, lesson_cache, live)
    if loaded is None:
        return
    translation = None
    untranslated = False
    if language is not None:
        from coursebuild.translation.build import translated_course

        found = translated_course(loaded, language, draft, problems)
        if found is None:
            return
        loaded, source, untranslated = found
        translation = Translation(language, source)
    course = parse_course(loaded, problems, lesson_cache, live, workers)
    if translation is not None:
        keep_target_order(course, translation.source)
    if delivery is not None:
        course.config = course.config.model_copy(update={"delivery": delivery})
    result.course = course
    result.catalogue = _catalogue_for(root, problems)
    validate_course(course, result.catalogue, problems, registered_formats())
    if course.config.pathway is Pathway.PRODUCT:
        from coursebuild.products import check_product_course  # loaded only for product courses

        check_product_course(root, problems, draft)
    theme = load_theme(
        course.config.theme, theme_search_path(root), problems, course.config_source.path, course.config_line("theme")
    )
    if problems.errors or theme is None:
        return
    marked_draft = draft and (untranslated or course.config.pathway is Pathway.PRODUCT and bool(problems.warnings))
    result.site = render_course(
        course,
        theme,
        problems,
        result.catalogue,
        draft=marked_draft,
        translation=translation,
        memo=lesson_cache,
        template_cache=lesson_cache.folder / "templates" if lesson_cache is not None and lesson_cache.folder else None,
        live=live,
        workers=workers,
    )


def build_course(
    root: Path,
    formats: list[str] | None,
    out_dir: Path | None,
    project_root: Path | None = None,
    draft: bool = False,
    embedded_lrs: EmbeddedLrs | None = None,
    language: str | None = None,
    cache_dir: Path | None = None,
    delivery: str | None = None,
    live: LiveCourse | None = None,
    workers: int = 1,
) -> CourseBuild:
    """Compile one course (or its translation into `language`) and package it in each format; write the
    zips only if all are clean.

    With `cache_dir`, a course whose inputs are all unchanged since a clean build reuses that build's
    packages (see coursebuild.pipeline.cache); the bytes are the same either way. With `live` (a process
    that builds the course again after each save: `build --watch`), the previous build's objects are reused
    for unchanged files instead, and the build cache is not looked at, since each of these builds follows a
    change. `workers` is how many cores a course with many lessons may use (the output is the same).
    """
    if live is not None and language is None:
        result = _package(root, formats, project_root, draft, embedded_lrs, delivery=delivery, live=live)
    elif cache_dir is not None:
        options = ("build", formats, draft, embedded_lrs, str(root), str(project_root), delivery, language)
        result = _cached_package(
            root, formats, project_root, draft, embedded_lrs, language, cache_dir, delivery, options, workers
        )
    else:
        result = _package(
            root, formats, project_root, draft, embedded_lrs, language, delivery=delivery, workers=workers
        )
    if result.problems.errors or out_dir is None or result.course is None:
        return result
    for fmt, data in result.packages.items():
        path = out_dir / result.package_name(fmt)
        write_atomically(path, data)
        result.written.append(path)
    return result


def keep_target_order(course: Course, source: Course) -> None:
    """Matching targets in the order of the source language's sorting (see PlacedQuestion.target_order)."""
    from coursebuild.model import MatchingQuestion

    originals = {p.question.id: p for p in source.all_questions()}
    for placed in course.all_questions():
        original = originals.get(placed.question.id)
        question = placed.question
        if not isinstance(question, MatchingQuestion) or original is None:
            continue
        assert isinstance(original.question, MatchingQuestion)
        mapping = {p.target: t.target for p, t in zip(original.question.pairs, question.pairs, strict=False)}
        mapping.update(zip(original.question.distractors, question.distractors, strict=False))
        placed.target_order = [mapping.get(target, target) for target in original.targets()]


def _cached_package(
    root: Path,
    formats: list[str] | None,
    project_root: Path | None,
    draft: bool,
    embedded_lrs: EmbeddedLrs | None,
    language: str | None,
    cache_dir: Path,
    delivery: str | None,
    options: tuple[object, ...],
    workers: int,
) -> CourseBuild:
    """The build cache's packages for these inputs, or a build of them that is then stored there."""
    cache = BuildCache(cache_dir)
    key = build_key(root, theme_search_path(root), find_catalogue(root.resolve()), options)
    result = _from_cache(cache.get(key), root, project_root, language)
    if result is None:
        result = _package(
            root, formats, project_root, draft, embedded_lrs, language, cache_dir, delivery, workers=workers
        )
        if result.ok and result.course is not None and result.packages:
            entry = {"course": result.course, "packages": result.packages, "problems": result.problems.items}
            cache.put(key, entry, repr((str(root.resolve()), options)))
    return result


def _from_cache(entry: dict | None, root: Path, project_root: Path | None, language: str | None) -> CourseBuild | None:
    if entry is None:
        return None
    try:
        problems = Problems(project_root, list(entry["problems"]))
        result = CourseBuild(
            root, problems, course=entry["course"], packages=dict(entry["packages"]), language=language
        )
        if not isinstance(result.course, Course) or not all(isinstance(v, bytes) for v in result.packages.values()):
            return None
        if not all(isinstance(p, Problem) and not p.is_error for p in problems.items):
            return None
    except (KeyError, TypeError, AttributeError):
        return None
    return result


def _package(
    root: Path,
    formats: list[str] | None,
    project_root: Path | None,
    draft: bool,
    embedded_lrs: EmbeddedLrs | None,
    language: str | None = None,
    cache_dir: Path | None = None,
    delivery: str | None = None,
    live: LiveCourse | None = None,
    workers: int = 1,
) -> CourseBuild:
    memo = None if live is not None else _lesson_cache(cache_dir, root, project_root, language)
    try:
        result = compile_course(
            root, project_root, draft, language, cache_dir, delivery, memo=memo, live=live, workers=workers
        )
        memo = live.memo if live is not None else memo
        if result.site is None or result.course is None:
            return result
        for fmt in formats or result.course.config.formats:
            target = get_target(fmt)
            target.embedded_lrs = embedded_lrs
            files = target.package(result.site, result.problems)
            result.packages[fmt] = zip_bytes(files, memo, workers, result.site.indexes)
    finally:
        if memo is not None:
            memo.save()
    return result


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.message))
