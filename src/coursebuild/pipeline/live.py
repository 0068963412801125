"""What a long-running process (`coursebuild preview`, `coursebuild build --watch`) keeps between builds of
one course, so that a save rebuilds the course in a small fraction of a second however many lessons it has.

A build with a `LiveCourse` reuses, for every file that has not changed since the previous build, what the
previous build made from it: the loaded front matter and body, the parsed lesson with its problems, the
rendered lesson page. Only the files that changed are read, parsed and rendered again; the stages after
(validation, the course page, the package) run as always, so the result is the one a cold build makes.

A file counts as unchanged when its stat (device, inode, size, modification and change times) is what it
was just before it was last read, and it had not been modified for a while when it was read: timestamps
are coarse, so two writes within one tick can leave the same stat behind, and a file read that soon after a
write is read again next time. Anything else a file's results depend on is compared as well (the course
folder's listing, the module a lesson sits in, the course's language); when the listing changes, nothing is
reused. This is how git and make decide what to look at again.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursebuild.pipeline.cache import LessonCache

# A file modified less than this before it was read may still change without its stat showing it.
SETTLED_NS = 3_000_000_000

Signature = tuple[int, int, int, int, int]


def file_signature(path: Path) -> Signature | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


@dataclass
class _Kept:
    inputs: tuple[Any, ...]
    value: Any
    signature: Signature | None = None  # for what was made from a file: its stat just before it was read
    settled: bool = False  # ... and whether it had been left alone long enough by then to trust that stat


class LiveCourse:
    """One course's results from its previous build, in this process; see the module docstring."""

    def __init__(self) -> None:
        self.memo: LessonCache | None = None
        self._kept: dict[tuple[str, str], _Kept] = {}
        self._links = False
        self.pages: dict[str, Any] = {}  # rendered lesson pages by their memo key (immutable bytes and text)

    def begin(self, root: Path, project_root: Path | None, cache_dir: Path | None = None) -> LessonCache:
        """Start a build: a lesson cache in memory holding what the previous build used (for the first build,
        the one in `cache_dir` if given); everything kept is dropped if the course folder's listing (or
        anything else in the cache's context) changed."""
        if self.memo is None:
            memo = LessonCache(cache_dir, root, project_root)
        else:
            memo = LessonCache(None, root, project_root, kept=self.memo.used)
        if self.memo is None or memo.context != self.memo.context:
            self._kept.clear()
            self.pages.clear()
            self._links = any(not line.endswith("\0") for line in memo.listing.split("\n"))
        self.memo = memo
        return memo

    def finish(self, pages_used: set[str]) -> None:
        """End a build: keep only the lesson pages it used."""
        self.pages = {key: value for key, value in self.pages.items() if key in pages_used}

    def read_state(self, path: Path) -> tuple[Signature | None, int]:
        """The file's stat signature and the time, taken just before it is read."""
        return file_signature(path), time.time_ns()

    def unchanged_file(self, kind: str, path: Path, signature: Signature | None, *inputs: Any) -> Any | None:
        """What was made from the file at `path` (as `kind`, from the same `inputs`) if it is unchanged."""
        kept = self._kept.get((kind, str(path)))
        if signature is None or kept is None:
            return None
        if kept.signature != signature or not kept.settled or kept.inputs != inputs:
            return None
        return kept.value

    def keep_file(self, kind: str, path: Path, state: tuple[Signature | None, int], value: Any, *inputs: Any) -> None:
        signature, read_at = state
        if signature is None:
            return
        modified_ns = signature[3]
        self._kept[(kind, str(path))] = _Kept(inputs, value, signature, modified_ns + SETTLED_NS < read_at)

    def unchanged(self, kind: str, name: str, *inputs: Any) -> Any | None:
        """What was made as `kind` for `name` from the same `inputs` (compared with ==) last time."""
        kept = self._kept.get((kind, name))
        return kept.value if kept is not None and kept.inputs == inputs else None

    def keep(self, kind: str, name: str, value: Any, *inputs: Any) -> None:
        self._kept[(kind, name)] = _Kept(inputs, value)

    @property
    def paths_fixed(self) -> bool:
        """Whether a path checked before resolves the same way now: the listing is the same (begin), and no
        symbolic link in the course could point somewhere else without the listing showing it."""
        return not self._links
