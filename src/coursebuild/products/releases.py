"""Template versions as git tags: copier merges only between tagged commits of a git repository."""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coursebuild.products.errors import ProductError
from coursebuild.products.template import (
    is_url,
)


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(key, None)
    config = [
        "-c", "user.name=coursebuild", "-c", "user.email=coursebuild@localhost", "-c", "commit.gpgsign=false",
        "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false",
    ]
    result = subprocess.run(["git", *config, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise ProductError(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout


def copy_tree(source: Path, target: Path, skip: tuple[str, ...] = (".git",)) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*skip), dirs_exist_ok=True, symlinks=False)


def same_tree(a: Path, b: Path) -> bool:
    def files(root: Path) -> dict[str, Path]:
        return {
            p.relative_to(root).as_posix(): p for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts
        }

    left, right = files(a), files(b)
    return left.keys() == right.keys() and all(filecmp.cmp(left[k], right[k], shallow=False) for k in left)


@dataclass
class Materialised:
    folder: Path
    cleanup: Any = None


def materialise(source: str, ref: str | None) -> Materialised:
    """The template's files: a local folder as it is, a git repository at `ref` (default: newest tag)."""
    try:
        from copier._template import Template
        from copier._vcs import get_repo
    except ImportError:  # older copier 9 releases kept them public
        # no-redef where these are not re-exports of the names above; unused-ignore where they are
        from copier.template import Template  # type: ignore[no-redef, unused-ignore]
        from copier.vcs import get_repo  # type: ignore[no-redef, unused-ignore]

    if not is_url(source) and get_repo(source) is None:
        if ref is not None:
            raise ProductError(f"--ref needs a template in a git repository; {source} is a plain folder")
        return Materialised(Path(source))
    template = Template(url=source, ref=ref)
    try:
        return Materialised(template.local_abspath, template._cleanup)
    except Exception as exc:  # noqa: BLE001 - copier/git errors reach the user as one message
        template._cleanup()
        raise ProductError(f"cannot fetch the template from {source}: {exc}") from None


def tag_of(version: str) -> str:
    return f"v{version}"


def release_repo(repo: Path, versions: list[tuple[Path, str]]) -> None:
    """A throw-away git repository holding each (folder, version) as a commit tagged v<version>."""
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    for folder, version in versions:
        for child in repo.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        copy_tree(folder, repo)
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", f"template {version}")
        git(repo, "tag", tag_of(version))
