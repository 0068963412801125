"""Reading course files safely: paths stay inside the course folder, text is UTF-8."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from coursebuild.errors import Problems


def resolve_inside(path: Path, root: Path) -> str | None:
    """`path` relative to `root` as a POSIX string, or None if it (or a symlink on the way) leads outside."""
    if os.path.isabs(str(path)) and not str(path).startswith(str(root)):
        return None
    resolved_root = str(_resolved(root.absolute()))
    try:
        # os.path.realpath is what Path.resolve does, without building Path objects (a build calls this
        # once per file the course names).
        resolved = os.path.realpath(os.path.join(os.getcwd(), path))
    except (ValueError, OSError, RuntimeError):
        return None
    if resolved == resolved_root:
        return "."
    if not resolved.startswith(resolved_root.rstrip(os.sep) + os.sep):
        return None
    return resolved[len(resolved_root.rstrip(os.sep)) + 1 :].replace(os.sep, "/")


def check_reference(
    reference: str, root: Path, problems: Problems, where: Path, line: int | None, what: str
) -> Path | None:
    """A file named in course.yml or a front matter: inside the course, existing, case-exact."""
    if os.path.isabs(reference) or reference.startswith(("/", "\\")) or ":" in reference.split("/")[0]:
        problems.error(
            where, line, f"{what} '{reference}' is an absolute path", "use a path relative to the course folder"
        )
        return None
    relative = resolve_inside(root / reference, root)
    if relative is None:
        problems.error(
            where,
            line,
            f"{what} '{reference}' is outside the course folder",
            "keep every course file inside the course folder (no '../', no links pointing outside)",
        )
        return None
    path = root / relative
    if not exists_exactly(root, relative):
        problems.error(where, line, f"{what} '{reference}' does not exist", near_miss(root, relative))
        return None
    return path


def exists_exactly(root: Path, relative: str) -> bool:
    """The file exists with exactly this spelling, case included (LMS web servers are case-sensitive)."""
    if not os.path.isfile(os.path.join(root, relative)):
        return False
    current = str(_resolved(root.absolute()))
    for part in relative.split("/"):
        if part not in _listing(current):
            return False
        current = os.path.join(current, part)
    return True


@lru_cache(maxsize=64)
def _resolved(folder: Path) -> Path:
    # The course folder is resolved once per build, not once per file it names. Callers pass an absolute
    # path: a relative one would mean another folder after a change of working directory.
    return folder.resolve()


@lru_cache(maxsize=4096)
def _listing(folder: str) -> frozenset[str]:
    # A build reads each folder's listing once, not once per file; `forget_listings` starts afresh.
    return frozenset(os.listdir(folder))


def forget_listings() -> None:
    _listing.cache_clear()
    _resolved.cache_clear()


def near_miss(root: Path, relative: str) -> str:
    folder = (root / relative).parent
    name = Path(relative).name
    if folder.is_dir():
        for entry in sorted(os.listdir(folder)):
            if entry.lower() == name.lower():
                return f"file names are case-sensitive in many LMSs: the file is called '{entry}'"
    return "check the spelling and the path"


def read_text(path: Path, problems: Problems) -> str | None:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.error(
            path,
            line,
            "this file is not UTF-8 text",
            "save it with UTF-8 encoding (most editors offer this in 'Save as')",
        )
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
