from pathlib import Path

from coursebuild.errors import Problems
from coursebuild.model import HtmlPart, QuestionPart
from coursebuild.pipeline.markdown import ParseContext, parse_markdown, sanitise


def parse(text: str, tmp_path: Path, first_line: int = 1):
    lesson = tmp_path / "lessons" / "l.md"
    lesson.parent.mkdir(parents=True, exist_ok=True)
    problems = Problems(tmp_path)
    ctx = ParseContext(lesson, tmp_path, first_line, problems)
    parsed = parse_markdown(text, ctx)
    html = "".join(p.html for p in parsed.parts if isinstance(p, HtmlPart))
    return parsed, html, problems


def test_extensions_render(tmp_path):
    text = "| a | b |\n|---|--:|\n| 1 | 2 |\n\nx[^n]\n\n[^n]: note\n\nTerm\n: Def\n\n~~gone~~\n"
    _, html, problems = parse(text, tmp_path)
    assert "<table>" in html and 'style="text-align:right"' in html
    assert 'class="footnote-ref"' in html or "footnote" in html
    assert "<dl>" in html and "<dt>Term</dt>" in html
    assert "<s>gone</s>" in html
    assert not problems.items


def test_callouts_become_labelled_asides(tmp_path):
    _, html, _ = parse("::: caution\nCheck the patient.\n:::\n\n::: key-points\n- one\n:::\n", tmp_path)
    assert '<aside class="callout callout--caution" aria-label="Caution">' in html
    assert '<section class="callout callout--key-points" aria-label="Key points">' in html
    assert "<h2>Key points</h2>" in html


def test_script_is_removed_with_a_warning_naming_the_line(tmp_path):
    _, html, problems = parse(
        "Hello\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n", tmp_path, first_line=7
    )
    assert "<script" not in html and "alert" not in html and "onerror" not in html
    lines = sorted(p.line for p in problems.warnings)
    assert lines == [9, 11]
    assert not problems.errors


def test_javascript_links_are_neutralised(tmp_path):
    _, html, _ = parse("[click](javascript:alert(1))\n", tmp_path)
    assert "href" not in html


def test_questions_split_the_body(tmp_path):
    text = "Intro\n\n```question\nid: q-a\ntype: true-false\nlevel: awareness\nprompt: P\nanswer: true\n```\n\nAfter\n"
    parsed, _, problems = parse(text, tmp_path)
    assert not problems.items
    assert [type(p) for p in parsed.parts] == [HtmlPart, QuestionPart, HtmlPart]
    assert parsed.questions[0].question.id == "q-a"


def test_question_errors_name_the_line_inside_the_block(tmp_path):
    text = "Intro\n\n```question\nid: q-a\ntype: single\nprompt: P\noptions:\n  - {id: a, text: A}\n  - {id: b, text: B}\n```\n"
    _, _, problems = parse(text, tmp_path, first_line=5)
    [error] = problems.errors
    assert "no option is marked 'correct: true'" in error.message
    assert error.line == 11  # the options key, counted in the file


def test_image_paths_are_rewritten_relative_to_the_course(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.png").write_bytes(b"png")
    parsed, html, problems = parse("![A chart](../assets/a.png)\n", tmp_path)
    assert not problems.items
    assert 'src="assets/a.png"' in html and 'alt="A chart"' in html
    assert parsed.assets == {"assets/a.png"}


def test_decorative_images_may_have_empty_alt(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.png").write_bytes(b"png")
    _, html, problems = parse("![](../assets/a.png){.decorative}\n", tmp_path)
    assert not problems.items
    assert 'alt=""' in html


def test_sanitise_keeps_structure_and_drops_handlers():
    assert sanitise('<p class="x" onclick="bad()">ok</p>') == '<p class="x">ok</p>'


def test_media_requires_captions_and_a_transcript(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "clip.mp4").write_bytes(b"mp4")
    (tmp_path / "assets" / "clip.vtt").write_text("WEBVTT\n")
    _, _, problems = parse("```media\nsrc: ../assets/clip.mp4\ntitle: A clip\n```\n", tmp_path, first_line=3)
    messages = [p.message for p in problems.errors]
    assert any("needs 'captions'" in m for m in messages) and all(p.line == 4 for p in problems.errors)
    parsed, html, problems = parse(
        "```media\nsrc: ../assets/clip.mp4\ntitle: A clip\ncaptions: ../assets/clip.vtt\ntranscript: Words spoken.\n```\n",
        tmp_path,
    )
    assert not problems.items
    assert '<track kind="captions" src="assets/clip.vtt" srclang="en-GB" label="Captions" default>' in html
    assert "<summary>Transcript" in html and "<p>Words spoken.</p>" in html
    assert parsed.assets == {"assets/clip.mp4", "assets/clip.vtt"}


def test_media_files_must_exist(tmp_path):
    _, _, problems = parse(
        "```media\nsrc: ../assets/none.mp4\ntitle: A clip\ncaptions: ../assets/none.vtt\ntranscript: T\n```\n", tmp_path
    )
    assert sorted(p.message for p in problems.errors) == [
        "media captions '../assets/none.vtt' does not exist in the course folder",
        "media src '../assets/none.mp4' does not exist in the course folder",
    ]
