"""Reading course files safely: paths stay inside the course folder, text is UTF-8."""

from __future__ import annotations

import os
import stat
from functools import lru_cache
from pathlib import Path

from coursebuild.errors import Problems


def resolve_inside(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> str | None:
    """`path` relative to `root` as a POSIX string, or None if it (or a symlink on the way) leads outside."""
    text, root_text = os.fspath(path), os.fspath(root)
    if os.path.isabs(text) and not text.startswith(root_text):
        return None
    resolved_root = _resolved_root(root_text)
    try:
        resolved = _realpath(os.path.join(os.getcwd(), text))
    except (ValueError, OSError, RuntimeError):
        return None
    if resolved == resolved_root:
        return "."
    if not resolved.startswith(resolved_root.rstrip(os.sep) + os.sep):
        return None
    return resolved[len(resolved_root.rstrip(os.sep)) + 1 :].replace(os.sep, "/")


def _realpath(path: str) -> str:
    """os.path.realpath(path) (what Path.resolve does), with each folder resolved once per build: a build
    calls this once per file the course names, and most of them sit in the same few folders."""
    folder, name = os.path.split(path)
    if name in ("", ".", "..") or not folder:
        return os.path.realpath(path)
    try:
        is_link = stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:  # absent: realpath keeps the name as it is
        is_link = False
    return os.path.realpath(path) if is_link else os.path.join(_real_folder(folder), name)


@lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def check_reference(
    reference: str, root: Path, problems: Problems, where: Path, line: int | None, what: str
) -> Path | None:
    """A file named in course.yml or a front matter: inside the course, existing, case-exact."""
    if os.path.isabs(reference) or reference.startswith(("/", "\\")) or ":" in reference.split("/")[0]:
        problems.error(
            where, line, f"{what} '{reference}' is an absolute path", "use a path relative to the course folder"
        )
        return None
    relative = resolve_inside(os.path.join(root, reference), root)
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


def exists_exactly(root: str | os.PathLike[str], relative: str) -> bool:
    """The file exists with exactly this spelling, case included (LMS web servers are case-sensitive)."""
    if not os.path.isfile(os.path.join(root, relative)):
        return False
    current = _resolved_root(os.fspath(root))
    for part in relative.split("/"):
        if part not in _listing(current):
            return False
        current = os.path.join(current, part)
    return True


def _resolved_root(folder: str) -> str:
    # The course folder is resolved once per build, not once per file it names; by its absolute path, as a
    # relative one would mean another folder after a change of working directory.
    return _real_folder(os.path.join(os.getcwd(), folder))


@lru_cache(maxsize=4096)
def _listing(folder: str) -> frozenset[str]:
    # A build reads each folder's listing once, not once per file; `forget_listings` starts afresh.
    return frozenset(os.listdir(folder))


def forget_listings() -> None:
    _listing.cache_clear()
    _real_folder.cache_clear()


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
