"""Package stage: one writer per output format, registered by name.

A target receives the rendered site and returns the files of its package. Adding a format means adding
a module with a `@register`ed class and listing it in `_BUILTIN`; no other target changes.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from typing import ClassVar

from coursebuild.errors import Problems
from coursebuild.render import Site

_REGISTRY: dict[str, type[Target]] = {}
_BUILTIN = ("scorm12", "scorm2004", "cmi5", "xapi", "web")


class Target(ABC):
    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def package(self, site: Site, problems: Problems) -> dict[str, bytes]:
        """The package's files (path -> bytes); problems found while checking it go to `problems`."""

    def runtime_settings(self) -> dict[str, object]:
        """What the learner-side runtime must know about this format (written to runtime/target.js)."""
        return {"format": self.name}


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
