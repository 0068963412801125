"""Package stage: one writer per output format, registered by name.

A target receives the rendered site and returns the files of its package. Adding a format means adding
a module with a `@register`ed class and listing it in `_BUILTIN`; no other target changes.

May import: the model, `pipeline.render` (the `Site` it packages), `tracking`, `catalogue` and
`coursebuild.standards` (each writer checks its package as an LMS would); never `pipeline.build`, the
inspector, analytics or the CLI.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from coursebuild.errors import Problems
from coursebuild.pipeline.render import Site

_REGISTRY: dict[str, type[Target]] = {}
_BUILTIN = ("scorm12", "scorm2004", "cmi5", "xapi", "web")


@dataclass(frozen=True)
class EmbeddedLrs:
    """LRS credentials written into a package. Unsafe (anyone with the package can read them); only ever
    set from an explicit command-line flag, which warns."""

    endpoint: str
    auth: str


class Target(ABC):
    name: ClassVar[str]
    description: ClassVar[str]
    embedded_lrs: EmbeddedLrs | None = None

    @abstractmethod
    def package(self, site: Site, problems: Problems) -> dict[str, bytes]:
        """The package's files (path -> bytes); problems found while checking it go to `problems`."""

    def report(self, site: Site, problems: Problems, messages: list[str]) -> None:
        """Problems a package check found: they come from the build, so they point at the course."""
        for message in messages:
            problems.error(site.course.root / "course.yml", None, f"{self.name} package: {message}")

    def runtime_settings(self) -> dict[str, object]:
        """What the learner-side runtime must know about this format (written to runtime/target.js)."""
        settings: dict[str, object] = {"format": self.name}
        if self.embedded_lrs is not None:
            settings["lrs"] = {"endpoint": self.embedded_lrs.endpoint, "auth": self.embedded_lrs.auth}
        return settings


def register(cls: type[Target]) -> type[Target]:
    _REGISTRY[cls.name] = cls
    return cls


def _load_builtin() -> None:
    for name in _BUILTIN:
        importlib.import_module(f"coursebuild.targets.{name}")


def registered_formats() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def get_target(name: str) -> Target:
    _load_builtin()
    return _REGISTRY[name]()
