"""Problems found in course sources, and the exceptions that carry them to the command line.

Author mistakes are collected as `Problem`s (file, line, what is wrong, what to do) rather than raised
one at a time, so that a build reports everything it found at once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

import click


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int | None
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    def format(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.severity.value}: {self.message}"
        if self.hint:
            text += f"\n    {self.hint}"
        return text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass
class Problems:
    """A collector that every stage appends to; the pipeline stops between stages if it holds errors."""

    root: Path | None = None
    items: list[Problem] = field(default_factory=list)

    def _name(self, file: Path | str) -> str:
        path = Path(file)
        if self.root is not None:
            try:
                return path.resolve().relative_to(self.root.resolve()).as_posix()
            except ValueError:
                pass
        return path.as_posix()

    def error(self, file: Path | str, line: int | None, message: str, hint: str = "") -> None:
        self.items.append(Problem(self._name(file), line, message, hint, Severity.ERROR))

    def warning(self, file: Path | str, line: int | None, message: str, hint: str = "") -> None:
        self.items.append(Problem(self._name(file), line, message, hint, Severity.WARNING))

    def extend(self, other: Problems) -> None:
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if not p.is_error]

    def __bool__(self) -> bool:
        return bool(self.errors)


class CoursebuildError(click.ClickException):
    """Base of every error the command line reports as a message rather than a traceback."""

    exit_code = 1


class ContentError(CoursebuildError):
    """The course sources have problems; each names file, line and the fix."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        count = len([p for p in problems if p.is_error])
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.")
