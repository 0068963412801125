"""`coursebuild build --watch`: build the courses again after every save, in this process.

Each course keeps a LiveCourse (see coursebuild.pipeline.live), so a save of one lesson re-reads, re-parses
and re-renders that lesson alone and deflates only the zip members that changed; every format is still
checked and written atomically as in any build. A save inside a course folder rebuilds that course; a
save of a theme or the requirements catalogue rebuilds every course.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from coursebuild.catalogue import find_catalogue
from coursebuild.pipeline.build import CourseBuild
from coursebuild.pipeline.live import LiveCourse
from coursebuild.pipeline.render import theme_search_path

Job = tuple[Path, str | None]  # a course folder, and a translation's language or None
BuildJob = Callable[[Job, LiveCourse | None], CourseBuild]


class Rebuilder:
    """The latest build of every job, and what to build again for a set of changed paths."""

    def __init__(self, jobs: list[Job], build: BuildJob):
        self.jobs = jobs
        self.build = build
        self.live: dict[Job, LiveCourse] = {job: LiveCourse() for job in jobs if job[1] is None}
        self.results: dict[Job, CourseBuild] = {}

    def build_all(self) -> list[CourseBuild]:
        return self.rebuild(self.jobs)

    def rebuild(self, jobs: Iterable[Job]) -> list[CourseBuild]:
        built = []
        for job in jobs:
            self.results[job] = self.build(job, self.live.get(job))
            built.append(self.results[job])
        return built

    def affected(self, changed: Iterable[Path]) -> list[Job]:
        """The jobs a change of these paths could alter: each path's course, or every course for a path
        outside them all (a theme, the catalogue)."""
        hit: set[Job] = set()
        for path in changed:
            owners = [job for job in self.jobs if _inside(path, job[0])]
            if not owners:
                return list(self.jobs)
            hit.update(owners)
        return [job for job in self.jobs if job in hit]

    def watched(self) -> list[Path]:
        """The folders and files to watch: every course folder, its theme folders and its catalogue."""
        found: dict[str, Path] = {}
        for root, _ in self.jobs:
            candidates = [root, *theme_search_path(root)]
            catalogue = find_catalogue(root.resolve())
            if catalogue is not None:
                candidates.append(catalogue)
            for path in candidates:
                if path.exists():
                    found.setdefault(str(path.resolve()), path.resolve())
        # A folder inside another watched one is watched already.
        folders = sorted(found.values())
        return [path for path in folders if not any(other != path and _inside(path, other) for other in folders)]


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def changes(paths: list[Path], ignored: list[Path], stop: Any = None) -> Iterator[set[Path]]:
    """Each batch of changed paths under `paths`, leaving out those under `ignored` (the output and cache
    folders, which the builds themselves write) and editors' temporary files."""
    from watchfiles import DefaultFilter, watch

    skip = DefaultFilter(ignore_paths=[folder.resolve() for folder in ignored])
    for batch in watch(*paths, watch_filter=skip, debounce=40, step=20, stop_event=stop):
        yield {Path(path) for _, path in batch}
