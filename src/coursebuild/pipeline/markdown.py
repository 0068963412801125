"""Markdown to HTML parts and question placeholders, with the checks that need token line numbers.

markdown-it-py does the parsing; our additions are small rules in its chains, as its own plugins are:
call-out containers, `question` fences, image checks, link rewriting and raw-HTML screening. Token line
maps let every problem name its file line. Whatever HTML comes out is passed through the nh3 (ammonia)
sanitiser, so nothing an author (or a vendor's template) writes can put script into an LMS page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pydantic import ValidationError

from coursebuild.errors import Problems
from coursebuild.model import QUESTION_MODELS, BodyPart, HtmlPart, Media, PlacedQuestion, QuestionPart, SourceRef
from coursebuild.pipeline.interface import text as interface_text
from coursebuild.pipeline.paths import exists_exactly, near_miss, resolve_inside
from coursebuild.yamlfile import YamlSyntaxError, describe_validation_error, parse_yaml

CALLOUTS = {
    "key-point": "Key point",
    "clinical-example": "Clinical example",
    "caution": "Caution",
    "fictional": "Fictional case study",
    "reflection": "Reflection",
    "quote": "Quotation",
    "key-points": "Key points",
}

_QUESTION_MARKER = '<cb-question data-id="{}"></cb-question>'
_MARKER_RE = re.compile(r'<cb-question data-id="([a-z0-9-]+)"></cb-question>')
_DANGEROUS_HTML = re.compile(
    r"<\s*(script|style|iframe|object|embed|form|input|button|link|meta|base)\b|\son[a-z]+\s*=|javascript:",
    re.IGNORECASE,
)

_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {
    "section",
    "aside",
    "cb-question",
    "input",
    "label",
    "video",
    "audio",
    "source",
    "track",
} - {"center"}
_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "lang", "title", "role", "aria-label", "aria-hidden", "aria-describedby"},
    "a": {"href", "hreflang", "target"},
    "img": {"src", "alt", "width", "height", "loading"},
    "th": {"style", "scope", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
    "ol": {"start", "type"},
    "cb-question": {"data-id"},
    "input": {"type", "checked", "disabled"},
    "abbr": {"title"},
    "video": {"controls", "preload", "playsinline", "poster"},
    "audio": {"controls", "preload", "src"},
    "source": {"src", "type"},
    "track": {"kind", "src", "srclang", "label", "default"},
    "time": {"datetime"},
}


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


@dataclass
class ParseContext:
    """What the rules need to know about the file being parsed, passed through markdown-it's env."""

    path: Path
    course_root: Path
    first_line: int
    problems: Problems
    allow_questions: bool = True
    questions: list[PlacedQuestion] = field(default_factory=list)
    assets: set[str] = field(default_factory=set)
    lesson_links: dict[str, str] = field(default_factory=dict)
    language: str = "en-GB"  # of the interface labels the renderer writes (call-outs, transcripts)

    def line(self, token_map: list[int] | None) -> int | None:
        return None if token_map is None else token_map[0] + self.first_line


@dataclass
class ParsedMarkdown:
    parts: list[BodyPart]
    questions: list[PlacedQuestion]
    assets: set[str]
    word_count: int
    headings: list[tuple[int, str, int | None]]


# --------------------------------------------------------------------------- rules


def _label(env: Any, key: str) -> str:
    ctx = env.get("coursebuild") if isinstance(env, dict) else None
    return str(interface_text(ctx.language if ctx is not None else None, key))


def _is_callout(params: str, *args: Any) -> bool:
    return params.strip() in CALLOUTS


def _render_callout(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    if token.nesting == -1:
        return "</section>\n" if token.meta.get("kind") == "key-points" else "</aside>\n"
    kind = token.info.strip()
    # Remember the kind on the matching close token, so it closes the same element.
    depth = 0
    for later in tokens[idx + 1 :]:
        if later.type == token.type:
            depth += 1
        elif later.type == "container_callout_close":
            if depth == 0:
                later.meta["kind"] = kind
                break
            depth -= 1
    label = _label(env, f"callout.{kind}")
    if kind == "key-points":
        return f'<section class="callout callout--{kind}" aria-label="{label}">\n<h2>{label}</h2>\n'
    return f'<aside class="callout callout--{kind}" aria-label="{label}">\n<p class="callout__label">{label}</p>\n'


def _check_images_and_links(state: StateCore) -> None:
    ctx: ParseContext | None = state.env.get("coursebuild")
    if ctx is None:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        line = ctx.line(block.map)
        for token in block.children:
            if token.type == "image":
                _check_image(token, line, ctx)
            elif token.type == "link_open":
                _rewrite_link(token, line, ctx)


def _check_image(token: Token, line: int | None, ctx: ParseContext) -> None:
    src = str(token.attrGet("src") or "")
    alt = "".join(child.content for child in token.children or [])
    decorative = "decorative" in str(token.attrGet("class") or "").split()
    if not alt.strip() and not decorative:
        ctx.problems.error(
            ctx.path,
            line,
            f"image '{src}' has no alt text",
            "describe the image in the brackets: ![What the chart shows](assets/chart.png); "
            "for a purely decorative image write ![](assets/x.png){.decorative}",
        )
    if decorative:
        token.children = []
        token.attrSet("alt", "")
    parts = urlsplit(src)
    if parts.scheme or src.startswith("//"):
        ctx.problems.error(
            ctx.path,
            line,
            f"image '{src}' is loaded from outside the course",
            "copy the image into the course's assets/ folder; packages must be self-contained",
        )
        return
    relative = resolve_inside(ctx.path.parent / unquote(parts.path), ctx.course_root)
    if relative is None:
        ctx.problems.error(
            ctx.path,
            line,
            f"image '{src}' is outside the course folder",
            "keep images inside the course folder, e.g. in assets/",
        )
        return
    if not exists_exactly(ctx.course_root, relative):
        ctx.problems.error(ctx.path, line, f"image '{src}' does not exist", near_miss(ctx.course_root, relative))
        return
    ctx.assets.add(relative)
    token.attrSet("src", relative)
    token.attrSet("loading", "lazy")


def _rewrite_link(token: Token, line: int | None, ctx: ParseContext) -> None:
    href = str(token.attrGet("href") or "")
    parts = urlsplit(href)
    if parts.scheme in ("http", "https"):
        token.attrSet("target", "_blank")
        return
    if parts.scheme or not parts.path:
        return
    relative = resolve_inside(ctx.path.parent / unquote(parts.path), ctx.course_root)
    if relative is None:
        ctx.problems.error(ctx.path, line, f"link '{href}' points outside the course folder")
        return
    if relative.endswith(".md"):
        ctx.lesson_links[relative] = href
        token.attrSet("href", f"#lesson:{relative}")
        return
    if not exists_exactly(ctx.course_root, relative):
        ctx.problems.error(ctx.path, line, f"linked file '{href}' does not exist", near_miss(ctx.course_root, relative))
        return
    ctx.assets.add(relative)
    token.attrSet("href", relative)


def _screen_raw_html(state: StateCore) -> None:
    ctx: ParseContext | None = state.env.get("coursebuild")
    if ctx is None:
        return
    for block in state.tokens:
        candidates = [block] if block.type == "html_block" else []
        if block.type == "inline" and block.children:
            candidates = [t for t in block.children if t.type == "html_inline"]
        for token in candidates:
            match = _DANGEROUS_HTML.search(token.content)
            if match:
                ctx.problems.warning(
                    ctx.path,
                    ctx.line(block.map),
                    f"raw HTML '{match.group(0).strip()}' was removed",
                    "scripts, frames, forms and event handlers are not allowed in course content; use Markdown",
                )


def _collect_questions(state: StateCore) -> None:
    ctx: ParseContext | None = state.env.get("coursebuild")
    if ctx is None:
        return
    depth = 0
    for token in state.tokens:
        depth += token.nesting if token.type.startswith("container_") else 0
        if token.type != "fence" or token.info.strip() != "question":
            continue
        line = ctx.line(token.map)
        if not ctx.allow_questions:
            ctx.problems.error(ctx.path, line, "questions are not allowed here")
            continue
        if depth:
            ctx.problems.error(
                ctx.path,
                line,
                "a question cannot sit inside a call-out",
                "move the ```question block out of the ::: block",
            )
            continue
        placed = parse_question(token.content, (line or 1) + 1, ctx)
        token.meta["question_id"] = placed.question.id if placed else None


def parse_question(text: str, first_line: int, ctx: ParseContext) -> PlacedQuestion | None:
    try:
        doc = parse_yaml(text, first_line)
    except YamlSyntaxError as exc:
        ctx.problems.error(ctx.path, exc.line, f"question: {exc.message}")
        return None
    data = doc.data
    if not isinstance(data, dict):
        ctx.problems.error(ctx.path, first_line, "a question block must be a YAML mapping (id, type, prompt, ...)")
        return None
    model = QUESTION_MODELS.get(str(data.get("type")))
    if model is None:
        ctx.problems.error(
            ctx.path,
            doc.line_of(("type",)),
            f"unknown question type {data.get('type')!r}",
            f"use one of: {', '.join(QUESTION_MODELS)}",
        )
        return None
    try:
        question = model.model_validate(data)
    except ValidationError as exc:
        for err in describe_validation_error(exc, doc, model):
            ctx.problems.error(ctx.path, err.line, f"question {data.get('id', '?')}: {err.message}", err.hint)
        return None
    placed = PlacedQuestion(question, SourceRef(ctx.path, first_line - 1))
    placed.lines = doc.lines
    ctx.questions.append(placed)
    return placed


def _collect_media(state: StateCore) -> None:
    """```media blocks: a video or audio clip whose captions and transcript the build insists on."""
    ctx: ParseContext | None = state.env.get("coursebuild")
    if ctx is None:
        return
    for token in state.tokens:
        if token.type != "fence" or token.info.strip() != "media":
            continue
        line = (ctx.line(token.map) or 1) + 1
        try:
            doc = parse_yaml(token.content, line)
        except YamlSyntaxError as exc:
            ctx.problems.error(ctx.path, exc.line, f"media: {exc.message}")
            continue
        try:
            media = Media.model_validate(doc.data if isinstance(doc.data, dict) else {})
        except ValidationError as exc:
            for err in describe_validation_error(exc, doc, Media):
                ctx.problems.error(ctx.path, err.line, f"media: {err.message}", err.hint)
            continue
        files = {}
        for key in ("src", "captions", "poster"):
            reference = getattr(media, key)
            if reference is None:
                continue
            relative = resolve_inside(ctx.path.parent / reference, ctx.course_root)
            if relative is None or not exists_exactly(ctx.course_root, relative):
                ctx.problems.error(
                    ctx.path, doc.line_of((key,)), f"media {key} '{reference}' does not exist in the course folder"
                )
                continue
            ctx.assets.add(relative)
            files[key] = relative
        labels = (_label(state.env, "transcript"), _label(state.env, "captions"))
        token.meta["media"] = (media, files, render_inline_block(media.transcript or ""), labels)


def render_inline_block(text: str) -> str:
    return sanitise(markdown_parser().render(text)) if text else ""


def _media_html(media: Media, files: dict[str, str], transcript_html: str, labels: tuple[str, str]) -> str:
    from html import escape

    src = escape(files.get("src", ""))
    if media.kind == "audio":
        player = f'<audio controls preload="none" src="{src}"></audio>'
    else:
        poster = f' poster="{escape(files["poster"])}"' if "poster" in files else ""
        track = (
            f'<track kind="captions" src="{escape(files["captions"])}" srclang="{escape(media.captions_language)}" '
            f'label="{escape(labels[1])}" default>'
            if "captions" in files
            else ""
        )
        player = f'<video controls preload="none" playsinline{poster}><source src="{src}">{track}</video>'
    return (
        f'<figure class="media media--{media.kind}"><figcaption>{escape(media.title)}</figcaption>{player}'
        f'<details class="media__transcript"><summary>{escape(labels[0])}<span class="visually-hidden">: {escape(media.title)}</span></summary>'
        f"{transcript_html}</details></figure>\n"
    )


def _render_fence(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    if token.info.strip() == "question":
        question_id = token.meta.get("question_id")
        return _QUESTION_MARKER.format(question_id) + "\n" if question_id else ""
    if token.info.strip() == "media":
        return _media_html(*token.meta["media"]) if "media" in token.meta else ""
    return self.fence_default(tokens, idx, options, env)


def _lesson_headings(state: StateCore) -> None:
    """Record headings so the validator can check their order; the page gives the lesson its h1."""
    ctx: ParseContext | None = state.env.get("coursebuild")
    headings = state.env.setdefault("headings", [])
    tokens = state.tokens
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            level = int(token.tag[1])
            title = tokens[i + 1].content if i + 1 < len(tokens) else ""
            headings.append((level, title, ctx.line(token.map) if ctx else None))


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin).use(deflist_plugin).use(attrs_plugin, allowed=["class"])
    # One container rule for every call-out kind: each extra block rule is tried on every line.
    md.use(container_plugin, name="callout", validate=_is_callout, render=_render_callout)
    md.core.ruler.push("coursebuild_questions", _collect_questions)
    md.core.ruler.push("coursebuild_media", _collect_media)
    md.core.ruler.push("coursebuild_assets", _check_images_and_links)
    md.core.ruler.push("coursebuild_raw_html", _screen_raw_html)
    md.core.ruler.push("coursebuild_headings", _lesson_headings)
    md.renderer.fence_default = md.renderer.rules.get("fence") or md.renderer.renderToken  # type: ignore[attr-defined]
    md.add_render_rule("fence", _render_fence)
    md.add_render_rule(
        "table_open",
        lambda self, t, i, o, e: (
            f'<div class="table-wrap" role="region" tabindex="0" aria-label="{_label(e, "table")}">\n<table>\n'
        ),
    )
    md.add_render_rule("table_close", lambda self, t, i, o, e: "</table>\n</div>\n")
    return md


def _count_words(tokens: list[Token]) -> int:
    words = 0
    for token in tokens:
        if token.type == "inline":
            words += len(token.content.split())
    return words


def _has_raw_html(tokens: list[Token]) -> bool:
    for token in tokens:
        if token.type == "html_block" or (token.children and any(c.type == "html_inline" for c in token.children)):
            return True
    return False


def parse_markdown(text: str, ctx: ParseContext) -> ParsedMarkdown:
    md = markdown_parser()
    env: dict[str, Any] = {"coursebuild": ctx}
    tokens = md.parse(text, env)
    html = md.renderer.render(tokens, md.options, env)
    # markdown-it escapes all text and refuses unsafe link schemes itself; only raw HTML written by the
    # author can carry markup, so the sanitiser runs on documents that contain some.
    clean = sanitise if _has_raw_html(tokens) else (lambda chunk: chunk)
    parts: list[BodyPart] = []
    position = 0
    for match in _MARKER_RE.finditer(html):
        chunk = html[position : match.start()]
        if chunk.strip():
            parts.append(HtmlPart(clean(chunk)))
        parts.append(QuestionPart(match.group(1)))
        position = match.end()
    tail = html[position:]
    if tail.strip():
        parts.append(HtmlPart(clean(tail)))
    return ParsedMarkdown(parts, ctx.questions, ctx.assets, _count_words(tokens), env.get("headings", []))


def render_fragment(text: str, ctx: ParseContext) -> str:
    """Markdown for a short field (a prompt, a feedback, a scene), checked like a lesson but without questions."""
    if not text:
        return ""
    nested = ParseContext(
        ctx.path, ctx.course_root, ctx.first_line, ctx.problems, allow_questions=False, language=ctx.language
    )
    nested.assets = ctx.assets
    parsed = parse_markdown(text, nested)
    return "".join(part.html for part in parsed.parts if isinstance(part, HtmlPart))


def render_inline(text: str) -> str:
    return sanitise(markdown_parser().renderInline(text))
