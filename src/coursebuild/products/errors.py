"""`ProductError`: why `new`, `update` or `migrate product` cannot go ahead, with file and line when known."""

from __future__ import annotations

from coursebuild.errors import CoursebuildError, Problem


class ProductError(CoursebuildError):
    """`new product` or `update product` cannot go ahead; each problem names file and line when it can."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        self.problems = problems or []
        super().__init__(message)

    def format_message(self) -> str:
        lines = [p.format() for p in self.problems]
        return "\n".join([*lines, self.message]) if lines else self.message
