"""Parse stage: turn the loaded sources into the course model (lessons as HTML parts, questions, scenes)."""

from __future__ import annotations

from pathlib import Path

from coursebuild.errors import Problem, Problems
from coursebuild.model import (
    Assessment,
    AssessmentMeta,
    ChoiceQuestion,
    Course,
    HtmlPart,
    Lesson,
    LessonMeta,
    Module,
    PlacedQuestion,
    Scenario,
    SourceRef,
    TrueFalseQuestion,
)
from coursebuild.pipeline.cache import LessonCache
from coursebuild.pipeline.live import LiveCourse
from coursebuild.pipeline.load import LoadedCourse, MarkdownSource, ScenarioFile
from coursebuild.pipeline.markdown import ParseContext, ParsedMarkdown, parse_markdown, render_fragment, render_inline
from coursebuild.pipeline.parallel import MIN_ITEMS, map_shares
from coursebuild.pipeline.paths import check_reference


def parse_course(
    loaded: LoadedCourse,
    problems: Problems,
    lesson_cache: LessonCache | None = None,
    live: LiveCourse | None = None,
    workers: int = 1,
) -> Course:
    """The course model; with `lesson_cache`, lessons whose text and surroundings are unchanged are not re-parsed,
    and with `live`, the previous build's lesson is reused for a source it loaded unchanged. With `workers`
    above one, a course with many lessons to parse has them parsed on that many cores (see parallel.py)."""
    return _CourseParser(loaded, problems, lesson_cache, live, workers).parse()


def drop_title_heading(body: str, title: str) -> str:
    """Authors often repeat the title as '# Title'; the page already shows it, so blank that one line."""
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.startswith("# ") and line[2:].strip().lower() == title.strip().lower():
            lines[i] = ""
        break
    return "\n".join(lines)


class _CourseParser:
    def __init__(
        self,
        loaded: LoadedCourse,
        problems: Problems,
        lesson_cache: LessonCache | None = None,
        live: LiveCourse | None = None,
        workers: int = 1,
    ):
        self.loaded = loaded
        self.live = live
        self.workers = workers
        self.problems = problems
        self.lesson_cache = lesson_cache
        self.assets: set[str] = set()
        self.language = loaded.config.language

    def context(self, path: Path, first_line: int, allow_questions: bool = True) -> ParseContext:
        ctx = ParseContext(path, self.loaded.root, first_line, self.problems, allow_questions, language=self.language)
        ctx.assets = self.assets
        return ctx

    def parse(self) -> Course:
        config = self.loaded.config
        modules: dict[str | None, Module]  # keyed by module ID; None for a course without modules
        if config.modules is not None:
            modules = {m.id: Module(m.id, m.title, []) for m in config.modules}
        else:
            modules = {None: Module("lessons", config.title, [])}
        for module_id, lesson in self.lessons():
            modules[module_id].lessons.append(lesson)
        course = Course(config, self.loaded.root, SourceRef(self.loaded.root / "course.yml"), list(modules.values()))
        course.config_lines = self.loaded.config_doc.lines
        if self.loaded.assessment is not None:
            course.assessment = self.assessment(self.loaded.assessment)
        course.scenarios = [self.scenario(file) for file in self.loaded.scenarios]
        if config.brand.logo:
            path = check_reference(
                config.brand.logo,
                self.loaded.root,
                self.problems,
                course.config_source.path,
                self.loaded.config_doc.line_of(("brand", "logo")),
                "logo",
            )
            if path is not None:
                self.assets.add(config.brand.logo)
        course.assets = set(self.assets)
        return course

    def lessons(self) -> list[tuple[str | None, Lesson]]:
        """Every lesson with its module ID, in course order; their problems and assets are collected."""
        if self.live is not None or self.workers <= 1 or self.to_parse() < MIN_ITEMS:
            return [(module_id, self.reused_lesson(source, module_id)) for module_id, source in self.loaded.lessons]
        lessons = []
        for parsed, problems, assets, cache_entries in map_shares(
            self.parse_share, self.loaded.lessons, self.workers, weight=lambda lesson: len(lesson[1].body)
        ):
            lessons.extend(parsed)
            self.problems.items.extend(problems)
            self.assets |= assets
            if self.lesson_cache is not None:
                self.lesson_cache.adopt(cache_entries)
        return lessons

    def to_parse(self) -> int:
        """How many lessons the lesson cache cannot give (all of them without a cache)."""
        cache = self.lesson_cache
        if cache is None:
            return len(self.loaded.lessons)
        return sum(not cache.holds(self.body_key(source)) for _, source in self.loaded.lessons)

    def parse_share(
        self, share: list[tuple[str | None, MarkdownSource]]
    ) -> tuple[list[tuple[str | None, Lesson]], list[Problem], set[str], dict[str, bytes]]:
        """The lessons of `share` with what parsing them found: problems, assets and lesson-cache entries.
        Runs in this process or in a forked child (see parallel.py), so it leaves this parser unchanged."""
        own = _CourseParser(self.loaded, Problems(self.problems.root), self.lesson_cache)
        mark = self.lesson_cache.mark() if self.lesson_cache is not None else 0
        lessons = [(module_id, own.lesson(source, module_id)) for module_id, source in share]
        entries = self.lesson_cache.since(mark) if self.lesson_cache is not None else {}
        return lessons, own.problems.items, own.assets, entries

    def reused_lesson(self, source: MarkdownSource, module_id: str | None) -> Lesson:
        """The lesson, with the problems found in it: the previous build's when made from the same source."""
        live = self.live
        if live is None:
            return self.lesson(source, module_id)
        name = str(source.path)
        kept = live.unchanged("lesson", name, source, module_id, self.language)
        if kept is not None:
            lesson, found = kept
            self.problems.items.extend(found)
            self.assets |= lesson.assets
            return lesson
        start = len(self.problems.items)
        lesson = self.lesson(source, module_id)
        live.keep("lesson", name, (lesson, self.problems.items[start:]), source, module_id, self.language)
        return lesson

    def lesson(self, source: MarkdownSource, module_id: str | None) -> Lesson:
        meta = source.meta
        assert isinstance(meta, LessonMeta)
        text = drop_title_heading(source.body, meta.title)
        cache = self.lesson_cache
        key = self.body_key(source, text)
        parsed = self.lesson_body(source, text, key)
        lesson_assets = parsed.assets
        if parsed.word_count == 0 and not parsed.questions:
            self.problems.error(
                source.path,
                source.body_first_line,
                "this lesson has no content",
                "write the lesson below the front matter",
            )
        for level, title, line in parsed.headings:
            if level == 1:
                self.problems.error(
                    source.path,
                    line,
                    f"heading '# {title}' is a top-level heading",
                    "the lesson title (from the front matter) is the page's only top-level heading; start sections at '##'",
                )
        for placed in parsed.questions:
            self.question_text(placed)
        self.assets |= lesson_assets
        return Lesson(
            meta,
            SourceRef(source.path, 1),
            module_id,
            parsed.parts,
            parsed.questions,
            lesson_assets,
            parsed.word_count,
            source.meta_doc.lines,
            # Everything the lesson is made from: its body's cache key and its front matter's, and its module.
            cache.key("lesson", key, source.memo_key, module_id) if cache is not None and source.memo_key else "",
        )

    def body_key(self, source: MarkdownSource, text: str | None = None) -> str:
        """The lesson cache's key of a lesson's parsed body ("" without a cache)."""
        cache = self.lesson_cache
        if cache is None:
            return ""
        if text is None:
            assert isinstance(source.meta, LessonMeta)
            text = drop_title_heading(source.body, source.meta.title)
        return cache.key(str(source.path), source.body_first_line, self.language, text)

    def lesson_body(self, source: MarkdownSource, text: str, key: str) -> ParsedMarkdown:
        """The lesson's Markdown parsed, with the problems it has; from the lesson cache (by `key`) when it
        holds it."""
        cache = self.lesson_cache
        cached = cache.get(key) if cache is not None else None
        if isinstance(cached, tuple) and len(cached) == 2 and isinstance(cached[0], ParsedMarkdown):
            parsed, found = cached
            self.problems.items.extend(found)
            return parsed
        own = Problems(self.problems.root)
        ctx = ParseContext(source.path, self.loaded.root, source.body_first_line, own, language=self.language)
        parsed = parse_markdown(text, ctx)
        if cache is not None:
            cache.put(key, (parsed, own.items))
        self.problems.extend(own)
        return parsed

    def question_text(self, placed: PlacedQuestion) -> None:
        question = placed.question
        path = placed.source.path

        def fragment(text: str, *field: str | int) -> str:
            return render_fragment(text, self.context(path, (placed.line_of(*field) or 1), allow_questions=False))

        placed.prompt_html = fragment(question.prompt, "prompt")
        placed.case_html = fragment(question.case, "case") if question.case else ""
        placed.feedback_html = fragment(question.feedback, "feedback") if question.feedback else ""
        if isinstance(question, ChoiceQuestion):
            for option in question.options:
                placed.option_feedback_html[option.id] = render_inline(option.feedback)
        elif isinstance(question, TrueFalseQuestion):
            placed.option_feedback_html["true"] = render_inline(question.feedback_true)
            placed.option_feedback_html["false"] = render_inline(question.feedback_false)

    def assessment(self, source: MarkdownSource) -> Assessment:
        meta = source.meta
        assert isinstance(meta, AssessmentMeta)
        ctx = self.context(source.path, source.body_first_line)
        parsed = parse_markdown(drop_title_heading(source.body, meta.title), ctx)
        if not parsed.questions:
            self.problems.error(
                source.path, source.body_first_line, "the assessment has no questions", "add ```question blocks"
            )
        for placed in parsed.questions:
            self.question_text(placed)
        intro = "".join(part.html for part in parsed.parts if isinstance(part, HtmlPart))
        return Assessment(meta, SourceRef(source.path, 1), intro, parsed.questions)

    def scenario(self, file: ScenarioFile) -> Scenario:
        doc = file.doc
        scenario = Scenario(file.model, SourceRef(file.path, 1), {}, {})
        for scene_id, scene in file.model.scenes.items():
            scenario.scene_lines[scene_id] = doc.line_of(("scenes", scene_id))
            ctx = self.context(file.path, doc.line_of(("scenes", scene_id, "text")) + 1, allow_questions=False)
            scenario.scene_html[scene_id] = render_fragment(scene.text, ctx)
            if scene.image and check_reference(
                scene.image,
                self.loaded.root,
                self.problems,
                file.path,
                doc.line_of(("scenes", scene_id, "image")),
                "image",
            ):
                self.assets.add(scene.image)
            for i, choice in enumerate(scene.choices):
                line = doc.line_of(("scenes", scene_id, "choices", i))
                scenario.choice_lines[(scene_id, choice.id)] = line
                scenario.choice_feedback_html[(scene_id, choice.id)] = render_fragment(
                    choice.feedback, self.context(file.path, line, allow_questions=False)
                )
        return scenario
