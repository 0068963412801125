"""The template's versions: the stored releases, and the throw-away git repository that copier merges between.

copier's three-way merge needs the template version a course was made from and the one it moves to, as tagged
commits of a git repository. A course records only the version (`_commit` in `.copier-answers.yml`); the
versions themselves come with the template:

- a template folder (such as `courses/product_templates/default`, which ships inside coursebuild) keeps each
  released version as `releases/v<version>.tar.gz`: a deterministic archive of the folder without `releases/`
  (sorted names, no times, owners or machine modes), written once by `coursebuild release template`
  (`release_template`) and never changed. The folder's own files are the newest version and must equal its
  release while `template_version` stays the same;
- a template in its own git repository has its versions as tags `v<version>`.

`open_versions` gives either kind as `TemplateVersions` (each version as its files); `tagged_repository` writes
the versions an update needs into a throw-away git repository, one tagged commit each, for copier to read.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import subprocess
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from coursebuild.errors import Problem
from coursebuild.products.errors import ProductError
from coursebuild.products.facts import semver
from coursebuild.products.template import TEMPLATE_CONFIG, TemplateInfo, is_url, read_template, template_info

RELEASES_DIR = "releases"
_ARCHIVE_NAME = re.compile(r"^v(.+)\.tar\.gz$")
_MAX_RELEASE_BYTES = 32 * 1024 * 1024  # a template is text; anything near this is not one

Files = dict[str, bytes]  # path inside the template (POSIX) -> contents


class MissingVersion(ProductError):
    """The template does not hold the version asked for."""

    def __init__(self, message: str, version: str, known: list[str]):
        self.version = version
        self.known = known
        super().__init__(message)


def tag_of(version: str) -> str:
    return f"v{version}"


def version_of(tag: str) -> str:
    return tag[1:] if tag.startswith("v") else tag


def version_order(version: str) -> tuple[int, int, int]:
    return semver(version) or (0, 0, 0)


def shown(path: Path) -> str:
    """`path` as an author would type it: relative to the current folder when it is inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(key, None)
    config = [
        "-c",
        "user.name=coursebuild",
        "-c",
        "user.email=coursebuild@localhost",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "tag.gpgsign=false",
        "-c",
        "init.defaultBranch=main",
        "-c",
        "core.autocrlf=false",
    ]
    result = subprocess.run(["git", *config, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise ProductError(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout


def template_files(folder: Path) -> Files:
    """A template folder's files as they would be released: everything but `.git` and `releases/`."""
    files: Files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if ".git" in relative.parts or relative.parts[0] == RELEASES_DIR or not path.is_file():
            continue
        files[relative.as_posix()] = path.read_bytes()
    return files


def archive_bytes(files: Mapping[str, bytes]) -> bytes:
    """A tar.gz of `files` that depends on nothing else: sorted names, time 0, no owners, mode 644."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(files[name]))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, compresslevel=9, mtime=0) as stream:
        stream.write(raw.getvalue())
    return packed.getvalue()


def read_archive(path: Path) -> Files:
    """A release's files. Only plain files with relative names inside the archive are accepted."""
    files: Files = {}
    total = 0
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                parts = PurePosixPath(member.name).parts
                if not member.isfile() or member.name.startswith("/") or ".." in parts or "\\" in member.name:
                    raise ProductError(
                        f"{shown(path)}: not a template release: it holds {member.name!r}, which is not a plain file inside it"
                    )
                total += member.size
                if total > _MAX_RELEASE_BYTES:
                    raise ProductError(
                        f"{shown(path)}: not a template release: more than {_MAX_RELEASE_BYTES // 2**20} MB"
                    )
                stream = tar.extractfile(member)
                files[PurePosixPath(member.name).as_posix()] = stream.read() if stream else b""
    except (OSError, EOFError, tarfile.TarError, zlib.error) as exc:
        raise ProductError(
            f"{shown(path)}: cannot read this template release ({exc})",
            [Problem(shown(path), None, "restore it from version control: a release never changes")],
        ) from None
    return files


def stored_releases(folder: Path) -> dict[str, Path]:
    """The versions kept in `folder/releases/`, oldest first, each with its archive."""
    found = {}
    for path in (folder / RELEASES_DIR).glob("v*.tar.gz"):
        match = _ARCHIVE_NAME.match(path.name)
        if match and semver(match[1]) is not None:
            found[match[1]] = path
    return dict(sorted(found.items(), key=lambda item: version_order(item[0])))


def differences(left: Mapping[str, bytes], right: Mapping[str, bytes]) -> str:
    """The names whose contents differ between two sets of files (or that only one holds), at most five shown."""
    differ = sorted(name for name in set(left) | set(right) if left.get(name) != right.get(name))
    return ", ".join(differ[:5]) + (f" and {len(differ) - 5} more" if len(differ) > 5 else "")


def write_files(files: Mapping[str, bytes], target: Path) -> None:
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@dataclass
class Release:
    version: str
    path: Path
    created: bool  # False: this version was released already, with exactly these files


def release_template(folder: Path) -> Release:
    """Store the template folder's current version as `releases/v<version>.tar.gz`. Releasing the same files
    again does nothing; a release never changes, so different files under a released version are refused."""
    info = read_template(folder)
    files = template_files(folder)
    releases = stored_releases(folder)
    path = folder / RELEASES_DIR / f"{tag_of(info.version)}.tar.gz"
    config = Problem(shown(folder / TEMPLATE_CONFIG), None, "bump template_version in copier.yml, then release again")
    if info.version in releases:
        if read_archive(releases[info.version]) == files:
            return Release(info.version, releases[info.version], created=False)
        raise ProductError(
            f"{shown(releases[info.version])} holds version {info.version} already, and the template has changed since; "
            "a release never changes, because courses made from it merge their updates from it",
            [config],
        )
    newer = [v for v in releases if version_order(v) > version_order(info.version)]
    if newer:
        raise ProductError(f"template version {info.version} is older than the newest release, {newer[-1]}", [config])
    path.parent.mkdir(exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(archive_bytes(files))
    os.replace(partial, path)
    return Release(info.version, path, created=True)


def tagged_repository(repo: Path, versions: list[tuple[str, Files]]) -> None:
    """A throw-away git repository holding each (version, files) as a commit tagged v<version>, in order."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    for version, files in versions:
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        write_files(files, repo)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", f"template {version}")
        git(repo, "tag", tag_of(version))


class TemplateVersions:
    """The versions of one template, each as its files."""

    source: str

    def target(self, ref: str | None) -> str:
        """The version to create or update to: `ref` (a tag such as v1.1.0), or the newest."""
        raise NotImplementedError

    def files(self, version: str) -> Files:
        """The files of `version`; MissingVersion when the template does not hold it."""
        raise NotImplementedError

    def known(self) -> list[str]:
        """The versions this template is known to hold without fetching anything, oldest first."""
        return []

    def chain(self, old: str, new: str) -> list[str]:
        """The versions to tag for an update from `old` to `new`, oldest first."""
        return [old] if old == new else [old, new]

    def info(self, version: str) -> TemplateInfo:
        where = f"{self.source} ({tag_of(version)}): {TEMPLATE_CONFIG}"
        return template_info(self.files(version).get(TEMPLATE_CONFIG, b"").decode("utf-8", errors="replace"), where)

    def close(self) -> None:
        pass

    def __enter__(self) -> TemplateVersions:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class ReleasedVersions(TemplateVersions):
    """A template folder: its stored releases, and the folder itself, which must be the newest of them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.source = str(folder)
        self.releases = stored_releases(folder)
        self._files: dict[str, Files] = {}

    def files(self, version: str) -> Files:
        if version not in self.releases:
            known = ", ".join(tag_of(v) for v in self.releases) or "none"
            raise MissingVersion(
                f"{shown(self.folder / RELEASES_DIR)} holds no release {tag_of(version)} (releases: {known})",
                version,
                list(self.releases),
            )
        if version not in self._files:
            self._files[version] = read_archive(self.releases[version])
        return self._files[version]

    def target(self, ref: str | None) -> str:
        if ref is not None:
            version = version_of(ref)
            self.files(version)
            return version
        info = read_template(self.folder)
        config = shown(self.folder / TEMPLATE_CONFIG)
        release_hint = (
            f"template maintainers: run `coursebuild release template {shown(self.folder)}`, and commit the archive"
        )
        if info.version not in self.releases:
            raise ProductError(
                f"{config}: template version {info.version} is not released, so a course made or updated from it could "
                f"not take later updates (they merge from the stored releases in {RELEASES_DIR}/)",
                [Problem(config, None, release_hint)],
            )
        current = template_files(self.folder)
        if self.files(info.version) != current:
            raise ProductError(
                f"the template at {shown(self.folder)} differs from its release {tag_of(info.version)} (in "
                f"{differences(current, self.files(info.version))}), but its template_version is still {info.version}",
                [
                    Problem(
                        config,
                        None,
                        "template maintainers: bump template_version in copier.yml, then run "
                        f"`coursebuild release template {shown(self.folder)}`",
                    )
                ],
            )
        return info.version

    def known(self) -> list[str]:
        return list(self.releases)

    def chain(self, old: str, new: str) -> list[str]:
        return [v for v in self.releases if version_order(old) <= version_order(v) <= version_order(new)]


class GitVersions(TemplateVersions):
    """A template in a git repository, whose versions are its tags v<version>."""

    def __init__(self, source: str):
        self.source = source
        self._folders: dict[str, Path] = {}
        self._cleanups: list[Any] = []

    def _fetch(self, ref: str | None) -> Path:
        template = _copier_template(self.source, ref)
        self._cleanups.append(template._cleanup)
        try:
            return Path(template.local_abspath)
        except Exception as exc:  # noqa: BLE001 - copier/git errors reach the user as one message
            raise ProductError(f"cannot fetch the template from {self.source}: {exc}") from None

    def target(self, ref: str | None) -> str:
        folder = self._fetch(ref)
        version = read_template(folder).version
        self._folders[version] = folder
        return version

    def files(self, version: str) -> Files:
        if version not in self._folders:
            try:
                self._folders[version] = self._fetch(tag_of(version))
            except ProductError:
                raise MissingVersion(f"{self.source} has no tag {tag_of(version)}", version, []) from None
        return template_files(self._folders[version])

    def close(self) -> None:
        for cleanup in self._cleanups:
            cleanup()
        self._cleanups.clear()


def _copier_template(source: str, ref: str | None) -> Any:
    try:
        from copier._template import Template
    except ImportError:  # older copier 9 releases kept it public
        from copier.template import Template  # type: ignore[no-redef, unused-ignore]
    return Template(url=source, ref=ref)


def _in_git(source: str) -> bool:
    try:
        from copier._vcs import get_repo
    except ImportError:  # older copier 9 releases kept it public
        from copier.vcs import get_repo  # type: ignore[no-redef, unused-ignore]
    return is_url(source) or get_repo(source) is not None


def open_versions(source: str) -> TemplateVersions:
    """The versions of the template at `source` (a folder or a git URL, as `resolve_template` gives it)."""
    return GitVersions(source) if _in_git(source) else ReleasedVersions(Path(source))
