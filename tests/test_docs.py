"""The authoring reference's examples must compile: authors copy them."""

from __future__ import annotations

import re

from coursebuild.errors import Problems
from coursebuild.pipeline.markdown import ParseContext, parse_question
from tests.conftest import REPO

DOC = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")


def test_every_question_example_in_the_docs_is_valid(tmp_path):
    blocks = [b for b in re.findall(r"```question\n(.*?)```", DOC, flags=re.S) if b.strip() != "..."]
    assert len(blocks) >= 8
    kinds = set()
    for block in blocks:
        problems = Problems(tmp_path)
        placed = parse_question(block, 1, ParseContext(tmp_path / "doc.md", tmp_path, 1, problems))
        assert placed is not None and not problems.items, (block, [p.format() for p in problems.items])
        kinds.add(placed.question.type)
    assert kinds == {"single", "multiple", "true-false", "fill-in", "numeric", "matching", "sequencing", "likert"}
