"""Render stage: a Jinja2 theme turns the course model into a static site (one page, its assets).

A theme is data: a folder with `theme.yml`, `templates/` and `static/`. A theme may `extend` another and
override single blocks or files; the chain is searched child first. The runtime script is not part of a
theme: every theme gets the same one, so tracking behaves the same whatever the look.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import jinja2
import yaml
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, ValidationError

from coursebuild import __version__
from coursebuild.catalogue import Catalogue
from coursebuild.errors import Problems
from coursebuild.model import Course, HtmlPart, Lesson, Level, Module
from coursebuild.pipeline.cache import Memo, canonical, hash_tree
from coursebuild.pipeline.interface import text, translator
from coursebuild.pipeline.live import LiveCourse
from coursebuild.pipeline.parallel import map_shares
from coursebuild.pipeline.runtime_data import course_data
from coursebuild.tracking import share_tag_sets, tracking_data
from coursebuild.tracking.profile import profile_json

PACKAGE_DIR = Path(__file__).resolve().parent.parent
RUNTIME_DIR = PACKAGE_DIR / "runtime"


class ThemeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    extends: str | None = None
    stylesheets: list[str] = []
    brand: dict[str, str] = {}


@dataclass
class Theme:
    name: str
    folders: list[Path]
    configs: list[ThemeConfig]  # one per folder, child first
    brand: dict[str, str] = field(default_factory=dict)

    def static_files(self) -> dict[str, Path]:
        """Static files by output path; a child theme's file replaces its parent's."""
        files: dict[str, Path] = {}
        for folder in reversed(self.folders):
            static = folder / "static"
            if static.is_dir():
                for path in sorted(static.rglob("*")):
                    if path.is_file():
                        files["theme/" + path.relative_to(static).as_posix()] = path
        return files

    def stylesheets(self) -> list[str]:
        sheets: list[str] = []
        for config in reversed(self.configs):
            sheets.extend(config.stylesheets)
        return list(dict.fromkeys(sheets))


def theme_search_path(course_root: Path) -> list[Path]:
    """Where themes are looked for: the course's own, the project's, then those shipped with coursebuild."""
    candidates = [course_root / "themes"]
    candidates += [parent / "themes" for parent in course_root.resolve().parents]
    candidates += [PACKAGE_DIR / "themes", PACKAGE_DIR.parent.parent / "themes"]
    seen: list[Path] = []
    for candidate in candidates:
        if candidate.is_dir() and candidate.resolve() not in seen:
            seen.append(candidate.resolve())
    return seen


def _read_theme_config(folder: Path) -> ThemeConfig:
    return ThemeConfig.model_validate(yaml.safe_load((folder / "theme.yml").read_text(encoding="utf-8")) or {})


def load_theme(name: str, search_path: list[Path], problems: Problems, where: Path, line: int | None) -> Theme | None:
    folders: list[Path] = []
    configs: list[ThemeConfig] = []
    brand: dict[str, str] = {}
    current: str | None = name
    while current is not None:
        folder = next((base / current for base in search_path if (base / current / "theme.yml").is_file()), None)
        if folder is None:
            available = sorted({p.name for base in search_path for p in base.iterdir() if (p / "theme.yml").is_file()})
            problems.error(
                where, line, f"theme '{current}' was not found", f"available themes: {', '.join(available) or 'none'}"
            )
            return None
        if folder in folders:
            problems.error(folder / "theme.yml", None, f"theme '{current}' extends itself through a loop")
            return None
        try:
            config = _read_theme_config(folder)
        except (ValidationError, yaml.YAMLError) as exc:
            problems.error(folder / "theme.yml", None, f"invalid theme.yml: {exc}")
            return None
        folders.append(folder)
        configs.append(config)
        brand = {**config.brand, **brand}
        current = config.extends
    return Theme(name, folders, configs, brand)


@lru_cache(maxsize=8)
def _environment(folders: tuple[Path, ...], bytecode_dir: Path | None = None) -> jinja2.Environment:
    """The theme's Jinja2 environment; with `bytecode_dir`, compiled templates are kept there between
    processes (Jinja2 checks each against its template's source, and writes them atomically)."""
    bytecode_cache = None
    if bytecode_dir is not None:
        with contextlib.suppress(OSError):  # a cache that cannot be made only costs speed
            bytecode_dir.mkdir(parents=True, exist_ok=True)
            bytecode_cache = jinja2.FileSystemBytecodeCache(str(bytecode_dir))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(folder / "templates")) for folder in folders]),
        bytecode_cache=bytecode_cache,
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return env


def _page_titles(course: Course) -> dict[str, str]:
    language = course.config.language
    titles = {"home": str(text(language, "introduction")), "results": str(text(language, "results"))}
    titles.update({f"lesson-{lesson.id}": lesson.meta.title for lesson in course.lessons})
    titles.update({f"scenario-{s.id}": s.source_model.title for s in course.scenarios})
    if course.assessment:
        titles["assessment"] = course.assessment.meta.title
    return titles


def _pager(course: Course, pages: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Previous and next page for each page, so links work even before the runtime script runs."""
    titles = _page_titles(course)
    ids = [page["id"] for page in pages]
    result = {}
    for i, page_id in enumerate(ids):
        previous = {"id": ids[i - 1], "title": titles[ids[i - 1]]} if i > 0 else None
        following = {"id": ids[i + 1], "title": titles[ids[i + 1]]} if i + 1 < len(ids) else None
        result[page_id] = {"previous": previous, "next": following}
    return result


# Above this many lessons each lesson is its own file, loaded when the learner opens it, so the first
# page does not wait for the whole course (a course's `delivery` setting overrides it).
SPLIT_ABOVE = 40
# Lessons per file of a split course's search index: an edit to one lesson then re-compresses one part of the
# index rather than the text of the whole course, and the parts load side by side on the first search.
SEARCH_PART = 50
# The parts of a page's context that are the same for every lesson page (see LessonPages).
_SHARED_CONTEXT = ("config", "brand", "stylesheets", "data", "draft", "draft_message", "generator", "split")
T = TypeVar("T")


def lessons_split(course: Course) -> bool:
    """Whether the course's lessons are delivered one file each (see docs/authoring.md, Delivery)."""
    delivery = course.config.delivery
    return delivery == "split" or (delivery == "auto" and len(course.lessons) > SPLIT_ABOVE)


def _script_call(function: str, *args: Any) -> bytes:
    """`function(args...);` as a script; JSON is a JavaScript expression once U+2028/9 are escaped."""
    encoded = ",".join(json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in args)
    encoded = encoded.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f"{function}({encoded});\n".encode()


def _lesson_files(
    env: jinja2.Environment, course: Course, context: dict[str, Any], pages: LessonPages
) -> dict[str, bytes]:
    """lessons/<id>.js for every lesson, and lessons/search-<n>.js with the lessons' text for the course search.

    Scripts rather than HTML fetched with fetch(): a script element loads from file:// and inside LMS frames
    and sandboxes that block fetch and XMLHttpRequest, and needs no server to send the right MIME type.
    """

    def render(items: list[tuple[Module, Lesson]]) -> list[tuple[bytes, str]]:
        htmls = _render_each(env, "page_lesson.html", context, items)
        return [
            (_script_call("coursebuildLesson", lesson.id, html), _plain_text(html))
            for (_, lesson), html in zip(items, htmls, strict=True)
        ]

    files: dict[str, bytes] = {}
    index = []
    for (_, lesson), (script, plain) in pages.remembered("page", _lessons_of(course), render):
        files[f"lessons/{lesson.id}.js"] = script
        index.append([f"lesson-{lesson.id}", lesson.meta.title, plain])
    live = pages.live
    for number, name in enumerate(context["data"]["searchFiles"]):  # the names the page tells the runtime
        part = index[number * SEARCH_PART : (number + 1) * SEARCH_PART]
        kept = live.unchanged("search file", name, part) if live is not None else None
        files[name] = kept if isinstance(kept, bytes) else _script_call("coursebuildSearchIndex", number, part)
        if live is not None and kept is None:
            live.keep("search file", name, files[name], part)
    return files


def search_files(course: Course) -> list[str]:
    """The files of a split course's search index, each with the text of SEARCH_PART lessons."""
    parts = max(1, math.ceil(len(course.lessons) / SEARCH_PART))
    return [f"lessons/search-{number}.js" for number in range(parts)]


def _lessons_of(course: Course) -> list[tuple[Module, Lesson]]:
    return [(module, lesson) for module in course.modules for lesson in module.lessons]


_SEPARATOR = "\x00coursebuild-page-break\x00"  # a lesson's HTML never holds NUL (Markdown turns it into U+FFFD)


def _render_each(
    env: jinja2.Environment, name: str, context: dict[str, Any], items: list[tuple[Module, Lesson]]
) -> list[str]:
    """Template `name` rendered for each (module, lesson), as one render of a loop over them: rendering each
    on its own would import the macros and build the whole context again for every lesson."""
    if not items:
        return []
    template = env.from_string(
        '{% import "macros.html" as m with context %}'
        f'{{% for module, lesson in cb_items %}}{{% include "{name}" %}}{{{{ cb_separator }}}}{{% endfor %}}'
    )
    output = template.render(**context, cb_items=items, cb_separator=Markup(_SEPARATOR))
    parts = output.split(_SEPARATOR)
    if len(parts) != len(items) + 1 or parts[-1]:
        raise jinja2.TemplateError(f"{name} wrote a NUL character into the page")
    return parts[:-1]


class LessonPages:
    """Rendered lesson pages kept in a memo between builds (or rendered every time, without one).

    A lesson page's key covers what its template is given: the lesson itself, its module, its neighbours in
    the pager, and the rest of the context that is the same for every page (course settings, the runtime
    data with every question's definition, every page's title, the theme's files). A theme's lesson
    templates may use anything in that context, but not the body of another lesson.
    """

    def __init__(
        self,
        memo: Memo | None,
        theme: Theme,
        context: dict[str, Any],
        live: LiveCourse | None = None,
        workers: int = 1,
    ):
        self.memo = memo
        self.workers = workers  # pages to render are split over this many cores (see parallel.py)
        self.live = live  # with it, pages are kept as they are in this process, not only pickled in the memo
        self.pager: dict[str, Any] = context["pager"]
        self.lessons: dict[str, str] = {}  # each lesson's fingerprint and pager, made once for its two pages
        self.used: set[str] = set()
        self.shared = ""
        if memo is not None:
            digest = hashlib.sha256()
            for folder in theme.folders:
                hash_tree(digest, folder, str(folder))
            shared = {key: context[key] for key in _SHARED_CONTEXT}
            shared["titles"] = _page_titles(context["course"])
            digest.update(json.dumps(shared.pop("data"), sort_keys=True).encode())  # JSON data by design
            digest.update(canonical(shared).encode())
            self.shared = digest.hexdigest()

    def remembered(
        self, kind: str, items: list[tuple[Module, Lesson]], render: Callable[[list[tuple[Module, Lesson]]], list[T]]
    ) -> list[tuple[tuple[Module, Lesson], T]]:
        """Each item with its page: from the memo, or made by one call of `render` for all that are not."""
        if self.memo is None:
            return list(zip(items, self._rendered(render, items), strict=True))
        keys = [self._key(kind, module, lesson) for module, lesson in items]
        kept = self.live.pages if self.live is not None else {}
        found: list[T | None] = [kept.get(key) or self.memo.get(key) for key in keys]
        missing = [i for i, value in enumerate(found) if value is None]
        for i, value in zip(missing, self._rendered(render, [items[i] for i in missing]), strict=True):
            self.memo.put(keys[i], value)
            found[i] = value
        if self.live is not None:
            kept.update(zip(keys, found, strict=True))
            self.used.update(keys)
        return [(item, cast(T, value)) for item, value in zip(items, found, strict=True)]

    def _rendered(
        self, render: Callable[[list[tuple[Module, Lesson]]], list[T]], items: list[tuple[Module, Lesson]]
    ) -> list[T]:
        # A page takes about as long as its lesson is long; questions and the frame add a little to each.
        shares = map_shares(render, items, self.workers, weight=lambda item: item[1].word_count + 100)
        return [page for share in shares for page in share]

    def _key(self, kind: str, module: Module, lesson: Lesson) -> str:
        assert self.memo is not None
        if lesson.id not in self.lessons:
            # Plain data (strings, None) that _pager builds in a fixed order: its repr is the same in every process.
            pager = repr(self.pager.get(f"lesson-{lesson.id}"))
            self.lessons[lesson.id] = f"{lesson_fingerprint(lesson)}\0{pager}"
        return self.memo.key("lesson page", kind, self.shared, module.id, module.title, self.lessons[lesson.id])


def lesson_fingerprint(lesson: Lesson) -> str:
    """A hash of everything in `lesson` (every field of Lesson; tests/test_build_cache.py checks that no
    field is left out). Its HTML goes in as it is, which is much faster than `canonical` over the whole.

    A lesson parsed with the lesson cache has its provenance instead: a hash of everything it was made from,
    which determines it as well (the parse stage is a function of those inputs, and no later stage changes
    a lesson) and costs nothing to look up.
    """
    if lesson.provenance:
        return lesson.provenance
    digest = hashlib.sha256(lesson.meta.model_dump_json().encode())
    for part in lesson.body:
        data = part.html if isinstance(part, HtmlPart) else canonical(part)
        digest.update(b"%d\0" % len(data))
        digest.update(data.encode())
    rest = [lesson.source, lesson.module_id, lesson.questions, sorted(lesson.assets), lesson.word_count]
    digest.update(canonical(rest).encode())
    digest.update(repr(sorted(lesson.meta_lines.items(), key=repr)).encode())  # tuple keys of str and int
    return digest.hexdigest()


LESSON_FINGERPRINT_FIELDS = frozenset(
    {"meta", "body", "source", "module_id", "questions", "assets", "word_count", "meta_lines", "provenance"}
)


def _plain_text(html: str) -> str:
    from lxml import html as lxml_html

    prose = lxml_html.fromstring(html).find_class("prose")
    return " ".join(" ".join(part.text_content().split()) for part in prose)


@dataclass
class Site:
    """The rendered course: output path -> bytes, shared by every package format."""

    files: dict[str, bytes]
    course: Course
    catalogue: Catalogue | None = None
    translation: str | None = None  # the language of a translated build (`--lang`), None for the source
    indexes: frozenset[str] = frozenset()  # files read only on a search (see coursebuild.pipeline.write)


def render_course(
    course: Course,
    theme: Theme,
    problems: Problems,
    catalogue: Catalogue | None = None,
    draft: bool = False,
    translation: Translation | None = None,
    memo: Memo | None = None,
    template_cache: Path | None = None,
    live: LiveCourse | None = None,
    workers: int = 1,
) -> Site | None:
    """The rendered site, or None (with a problem naming the template line) if the theme is broken.

    `draft` marks every page DRAFT (a product course with unfilled facts, or a translation with units
    still in the source language); `translation` is set for a build in another language than the source's.
    With `memo`, lesson pages rendered before from the same inputs are taken from it (see LessonPages);
    with `template_cache`, compiled templates are kept in that folder. With `workers` above one, the lesson
    pages of a split course are rendered on that many cores.
    """
    try:
        return _render(course, theme, catalogue, draft, translation, memo, template_cache, live, workers)
    except jinja2.TemplateSyntaxError as exc:
        problems.error(exc.filename or theme.name, exc.lineno, f"theme template error: {exc.message}")
    except jinja2.TemplateError as exc:
        problems.error(theme.folders[0] / "templates", None, f"theme '{theme.name}' failed to render: {exc}")
    return None


@dataclass
class Translation:
    """A build in a translation's language: its code (the translations/ folder) and the source course,
    whose activity names go into the xAPI language maps beside the translated ones."""

    language: str
    source: Course


def _render(
    course: Course,
    theme: Theme,
    catalogue: Catalogue | None,
    draft: bool,
    translation: Translation | None,
    memo: Memo | None,
    template_cache: Path | None,
    live: LiveCourse | None,
    workers: int,
) -> Site:
    env = _environment(tuple(theme.folders), template_cache)
    defaults = {"organisation": "", "logo": None, "primary_colour": None}
    brand = {**defaults, **theme.brand, **{k: v for k, v in course.config.brand.model_dump().items() if v}}
    data = course_data(course)
    data["tracking"] = tracking_data(course, catalogue)
    if translation is not None:
        merge_language_maps(data["tracking"], tracking_data(translation.source, catalogue), course.config.language)
    data["tracking"] = share_tag_sets(data["tracking"])
    split = lessons_split(course)
    if split:
        data["searchFiles"] = search_files(course)
    context = dict(
        course=course,
        config=course.config,
        brand=brand,
        stylesheets=theme.stylesheets(),
        levels=list(Level),
        data=data,
        draft=draft,
        draft_message="draft_translation" if draft and translation is not None else "draft",
        t=translator(course.config.language),
        markup=Markup,
        generator=f"coursebuild {__version__}",
        HtmlPart=HtmlPart,
        questions={p.question.id: p for p in course.all_questions()},
        pager=_pager(course, data["pages"]),
        split=split,
    )
    pages = LessonPages(memo, theme, context, live, workers)
    page = env.get_template("course.html").render(**context)
    files: dict[str, bytes] = {"index.html": page.encode("utf-8"), "xapi/profile.jsonld": profile_json()}
    if split:
        files.update(_lesson_files(env, course, context, pages))
    if live is not None:
        live.finish(pages.used)
    for output, path in theme.static_files().items():
        files[output] = path.read_bytes()
    for path in sorted(RUNTIME_DIR.glob("*.js")):
        files["runtime/" + path.name] = path.read_bytes()
    for asset in sorted(course.assets):
        files[asset] = (course.root / asset).read_bytes()
    indexes = frozenset(data.get("searchFiles", []))
    return Site(files, course, catalogue, translation.language if translation else None, indexes)


def merge_language_maps(translated: Any, source: Any, language: str) -> None:
    """Add the source's wording to every language map of `translated` (xAPI names and descriptions), so
    an activity's definition carries both languages whichever package a learner used."""
    if isinstance(translated, dict) and isinstance(source, dict):
        if set(translated) == {language} and len(source) == 1 and all(isinstance(v, str) for v in source.values()):
            for key, value in source.items():
                translated.setdefault(key, value)
            return
        for key, value in translated.items():
            if key in source:
                merge_language_maps(value, source[key], language)
    elif isinstance(translated, list) and isinstance(source, list) and len(translated) == len(source):
        for a, b in zip(translated, source, strict=False):
            merge_language_maps(a, b, language)
