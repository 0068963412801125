"""Inline Markdown as translation segments: text with inline codes standing for the markup.

A segment is a list of nodes: plain text (`str`) and `Code`s. A paired code (XLIFF 2.0 `<pc>`, 1.2 `<g>`)
wraps translatable text: emphasis, a link's text, an image's alt text. A standalone code (`<ph>`, `<x>`)
replaces markup with nothing to translate: inline code, raw HTML, a hard line break, a footnote mark. Each
code keeps the Markdown it stands for, so the translator's text is turned back into Markdown with the
markup exactly as the author wrote it; a translator can move codes but not change what they hold.

Markdown is parsed by the same markdown-it-py parser the build uses (`markdown.markdown_parser`).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it.token import Token

from coursebuild.pipeline.markdown import markdown_parser


@dataclass
class Code:
    """An inline code: `start` (and for a paired code `end`) is the Markdown it stands for."""

    id: str
    paired: bool
    start: str
    end: str = ""
    kind: str = "other"  # XLIFF 2.0 type: fmt, link, image, other
    sub_type: str | None = None  # XLIFF 2.0 subType (xlf:b, xlf:i, xlf:lb)
    ctype: str = "x-code"  # XLIFF 1.2 ctype
    children: list[Node] = field(default_factory=list)

    @property
    def signature(self) -> tuple[bool, str, str]:
        return (self.paired, self.start, self.end)


Node = str | Code

_PAIRED = {
    "strong": ("fmt", "xlf:b", "bold"),
    "em": ("fmt", "xlf:i", "italic"),
    "s": ("fmt", None, "x-strikethrough"),
    "link": ("link", None, "link"),
}


def _attrs_suffix(token: Token) -> str:
    classes = str(token.attrGet("class") or "").split()
    return "{" + " ".join("." + c for c in classes) + "}" if classes else ""


def _link_end(token: Token, target_attr: str) -> str:
    href = str(token.attrGet(target_attr) or "")
    if re.search(r"[\s()<>]", href):
        href = "<" + href.replace(">", "%3E") + ">"
    title = token.attrGet("title")
    title_part = ' "' + str(title).replace('"', '\\"') + '"' if title else ""
    return f"]({href}{title_part})"


def _code_span(token: Token) -> str:
    fence = token.markup or "`"
    content = token.content
    if (
        content.startswith("`")
        or content.endswith("`")
        or (content.startswith(" ") and content.endswith(" ") and content.strip())
    ):
        content = f" {content} "
    return f"{fence}{content}{fence}"


class _Builder:
    def __init__(self) -> None:
        self.count = 0

    def code(
        self,
        paired: bool,
        start: str,
        end: str = "",
        kind: str = "other",
        sub_type: str | None = None,
        ctype: str = "x-code",
    ) -> Code:
        self.count += 1
        return Code(str(self.count), paired, start, end, kind, sub_type, ctype)

    def nodes(self, tokens: list[Token]) -> list[Node]:
        root: list[Node] = []
        stack: list[tuple[str, Code]] = []

        def add(node: Node) -> None:
            target = stack[-1][1].children if stack else root
            if isinstance(node, str) and target and isinstance(target[-1], str):
                target[-1] += node
            else:
                target.append(node)

        for token in tokens:
            kind = token.type
            if kind in ("text", "text_special"):
                add(token.content)
            elif kind == "softbreak":
                add(" ")
            elif kind == "hardbreak":
                add(self.code(False, "\\\n", kind="fmt", sub_type="xlf:lb", ctype="lb"))
            elif kind == "code_inline":
                add(self.code(False, _code_span(token)))
            elif kind == "html_inline":
                add(self.code(False, token.content, ctype="x-html"))
            elif kind == "image":
                image = self.code(True, "![", _link_end(token, "src") + _attrs_suffix(token), "image", None, "x-image")
                image.children = _Builder.nodes_with(self, token.children or [])
                add(image)
            elif kind.endswith("_open") and kind[:-5] in _PAIRED:
                name = kind[:-5]
                info = _PAIRED[name]
                if name == "link":
                    if token.markup in ("autolink", "linkify"):
                        # The address is the text: nothing to translate.
                        stack.append(("autolink", self.code(False, "<" + str(token.attrGet("href") or "") + ">")))
                        continue
                    code = self.code(True, "[", "", *info)
                    code.end = _link_end(token, "href") + _attrs_suffix(token)
                else:
                    code = self.code(True, token.markup, token.markup, *info)
                stack.append((name, code))
            elif kind.endswith("_close") and kind[:-6] in _PAIRED:
                name, code = stack.pop()
                if name == "autolink":
                    code.children = []
                add(code)
            elif kind == "footnote_ref":
                label = token.meta.get("label", str(token.meta.get("id", "")))
                add(self.code(False, f"[^{label}]", ctype="x-footnote"))
            elif stack and stack[-1][0] == "autolink":
                continue
            else:
                add(self.code(False, token.content or token.markup))
        return root

    @staticmethod
    def nodes_with(builder: _Builder, tokens: list[Token]) -> list[Node]:
        return builder.nodes(tokens)


def inline_segment(markdown: str, env: dict[str, Any] | None = None) -> list[Node]:
    """The segment for one inline Markdown text (a paragraph, a heading, a table cell, a short field);
    `env` holds the document's link reference definitions and footnotes."""
    tokens = markdown_parser().parseInline(markdown, copy.deepcopy(env) if env else {})
    children = tokens[0].children if tokens and tokens[0].children is not None else []
    return _Builder().nodes(children)


def plain_segment(text: str) -> list[Node]:
    """A field shown as plain text (a title, an option): no markup, no codes."""
    return [" ".join(text.split())] if text.strip() else []


def codes_of(nodes: list[Node]) -> list[Code]:
    found: list[Code] = []
    for node in nodes:
        if isinstance(node, Code):
            found.append(node)
            found.extend(codes_of(node.children))
    return found


# --------------------------------------------------------------------------- back to Markdown

_ESCAPE = re.compile(r"([\\`*_\[\]<>|~&!])")
_LINE_START = re.compile(r"^([#>+=-])|^(\d+)([.)])")


def escape_text(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text)


def to_markdown(nodes: list[Node]) -> str:
    """Markdown for a segment: text escaped so it stays text, codes as the markup they stand for."""
    out = "".join(_node_markdown(node) for node in nodes).strip(" ")
    # '# x', '- x', '1. x' at the start would make a heading or a list of what is text.
    return _LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), out, count=1)


def _node_markdown(node: Node) -> str:
    if isinstance(node, str):
        return escape_text(re.sub(r"\s+", " ", node))
    if not node.paired:
        return node.start
    return node.start + "".join(_node_markdown(child) for child in node.children) + node.end


def normalise(text: str) -> str:
    """Source text as compared for staleness: whitespace runs are one space (re-wrapping is no change)."""
    return " ".join(text.split())
